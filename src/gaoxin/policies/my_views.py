"""政策体检: an enterprise's own view of what it qualifies for, and what it lacks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gaoxin.enterprises.selectors import own_enterprise
from gaoxin.policies import selectors
from gaoxin.policies.choices import MatchStatus
from gaoxin.policies.matching import explain_matches


@login_required
def my_policies(request: HttpRequest) -> HttpResponse:
    enterprise = own_enterprise(request.user)
    matches = (
        selectors.matches_visible_to(request.user)
        .filter(enterprise=enterprise)
        .select_related("policy", "version")
        .order_by("-amount", "policy__title")
    )
    explain_matches(list(matches))
    groups = {status: [m for m in matches if m.status == status] for status in MatchStatus}
    # A draft for comment is shown (what it would mean) but promises nothing: not in the total.
    amounts = [
        m.amount
        for m in groups[MatchStatus.ELIGIBLE]
        if m.amount is not None and not m.policy.for_comment
    ]
    total = sum(amounts) if amounts else None
    return render(
        request,
        "policies/mine.html",
        {
            "enterprise": enterprise,
            "groups": groups,
            "total": total,
            "statuses": MatchStatus,
        },
    )

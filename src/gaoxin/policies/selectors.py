"""Reads of policies and matches, scoped to who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from gaoxin.core.errors import NotFound
from gaoxin.enterprises.selectors import visible_to as visible_enterprises
from gaoxin.policies.choices import MatchStatus, PolicyStatus
from gaoxin.policies.models import Policy, PolicyMatch


def visible_to(user: Any) -> QuerySet[Policy]:
    """Zone staff see the whole library, drafts included; everyone else only what is
    published (a policy is public information)."""
    if not getattr(user, "is_authenticated", False):
        return Policy.objects.none()
    if user.is_zone_staff and user.has_perm("policies.view_policy"):
        return Policy.objects.all()
    return Policy.objects.filter(status=PolicyStatus.PUBLISHED)


def get_visible(user: Any, pk: Any) -> Policy:
    try:
        return visible_to(user).get(pk=int(pk))
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("没有找到这项政策")) from None


def matches_visible_to(user: Any) -> QuerySet[PolicyMatch]:
    """Matches of the enterprises the user may see; an enterprise sees its own matches of
    published policies only."""
    matches = PolicyMatch.objects.filter(enterprise__in=visible_enterprises(user))
    if not user.is_zone_staff:
        matches = matches.filter(policy__status=PolicyStatus.PUBLISHED)
    return matches


def summary(matches: QuerySet[PolicyMatch]) -> dict[str, Any]:
    """Counts by status and the expected total of one policy's visible matches."""
    counts = dict(matches.values_list("status").annotate(n=Count("pk")))
    payable = matches.filter(status__in=[MatchStatus.ELIGIBLE, MatchStatus.REVIEW])
    return {
        "counts": {s.value: counts.get(s.value, 0) for s in MatchStatus},
        "total": payable.aggregate(total=Sum("amount"))["total"],
        "eligible_total": matches.filter(status=MatchStatus.ELIGIBLE).aggregate(
            total=Sum("amount")
        )["total"],
    }


def missing_fields(matches: QuerySet[PolicyMatch]) -> list[tuple[str, int]]:
    """For unknown results: which missing data blocks how many enterprises."""
    tally: dict[str, int] = {}
    for missing in matches.filter(status=MatchStatus.UNKNOWN).values_list("missing", flat=True):
        for name in missing:
            tally[name] = tally.get(name, 0) + 1
    return sorted(tally.items(), key=lambda item: -item[1])


def search(policies: QuerySet[Policy], params: Any) -> QuerySet[Policy]:
    q = (params.get("q") or "").strip()[:100]
    if q:
        policies = policies.filter(
            Q(title__icontains=q)
            | Q(slug__icontains=q)
            | Q(source__icontains=q)
            | Q(issuer__icontains=q)
        )
    for name in ("category", "status", "delivery"):
        if params.get(name):
            policies = policies.filter(**{name: params[name]})
    return policies

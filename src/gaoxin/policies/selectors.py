"""Reads of policies and matches, scoped to who asks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
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
    visible = visible_enterprises(user)
    matches = PolicyMatch.objects.all()
    if visible.query.where:  # staff who see every enterprise need no IN (…) around their rows
        matches = matches.filter(enterprise__in=visible)
    if not user.is_zone_staff:
        matches = matches.filter(policy__status=PolicyStatus.PUBLISHED)
    return matches


def summary(matches: QuerySet[PolicyMatch]) -> dict[str, Any]:
    """Counts by status and the expected total of one policy's visible matches."""
    # One pass: counts and amounts by status.
    # count(*), not count(id): the index (policy, status, amount) answers it without the table.
    rows = matches.values_list("status").annotate(n=Count("*"), total=Sum("amount")).order_by()
    counts = {status: n for status, n, _total in rows}
    totals = {status: total for status, _n, total in rows if total is not None}
    payable = [totals[s] for s in (MatchStatus.ELIGIBLE, MatchStatus.REVIEW) if s in totals]
    return {
        "counts": {s.value: counts.get(s.value, 0) for s in MatchStatus},
        "total": sum(payable) if payable else None,
        "eligible_total": totals.get(MatchStatus.ELIGIBLE),
    }


def missing_fields(matches: QuerySet[PolicyMatch]) -> list[tuple[str, int]]:
    """For unknown results: which missing data blocks how many enterprises."""
    # Counted in the database: a policy whose data nobody has yet leaves every enterprise of a
    # large zone unknown, and reading each one's list into Python made its page slow.
    unknown = matches.filter(status=MatchStatus.UNKNOWN).values("missing")
    try:
        sql, params = unknown.query.sql_with_params()
    except EmptyResultSet:  # matches.none(), or an empty scope
        return []
    if connection.vendor == "postgresql":
        names = "SELECT jsonb_array_elements_text(u.missing::jsonb) AS name FROM ({}) u"
    else:
        names = "SELECT j.value AS name FROM ({}) u, json_each(u.missing) j"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, count(*) FROM ({names.format(sql)}) n "
            "GROUP BY name ORDER BY count(*) DESC, name",
            params,
        )
        return [(str(name), int(n)) for name, n in cursor.fetchall()]


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


def own_payouts(user: Any) -> tuple[Any, QuerySet[Any]]:
    """(the user's enterprise or None, the payouts the user sees as theirs): an enterprise's
    account sees the enterprise's payouts and those of its people; a person's own login (a
    user linked to person records, not to an enterprise) sees the payouts made to them."""
    from gaoxin.enterprises.models import Person
    from gaoxin.enterprises.selectors import own_enterprise
    from gaoxin.policies.models import Payout

    related = Payout.objects.select_related("policy", "batch", "person")
    if getattr(user, "is_enterprise_user", False):
        enterprise = own_enterprise(user)
        return enterprise, related.filter(enterprise=enterprise)
    if getattr(user, "is_authenticated", False) and Person.objects.filter(user=user).exists():
        return None, related.filter(person__user=user)
    own_enterprise(user)  # raises NotFound: neither an enterprise nor a person
    return None, related.none()

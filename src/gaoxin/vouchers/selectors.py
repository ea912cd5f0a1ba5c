"""Who sees which vouchers, and the figures the pages and reports show — always scoped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core.errors import NotFound
from gaoxin.enterprises.selectors import sees_all
from gaoxin.enterprises.selectors import visible_to as visible_enterprises
from gaoxin.ledger.choices import AccountKind, EntryKind
from gaoxin.ledger.models import Posting
from gaoxin.ledger.selectors import PoolBalances, pool_balances, share_balances
from gaoxin.vouchers.choices import ACTIVE_STATES, OrderState
from gaoxin.vouchers.models import VoucherOrder, VoucherQuota, VoucherScheme, VoucherSettlement
from gaoxin.vouchers.services import pool_of

VIEW_ORDERS = "vouchers.view_voucherorder"
VIEW_SCHEMES = "vouchers.view_voucherscheme"
VIEW_SETTLEMENTS = "vouchers.view_vouchersettlement"


def _staff_with(user: Any, perm: str) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.is_zone_staff and user.has_perm(perm)
    )


def orders_visible_to(user: Any) -> QuerySet[VoucherOrder]:
    """An enterprise sees its own orders, a provider the orders it took; zone staff see the
    orders of the enterprises in their data scope; nobody else any."""
    orders = VoucherOrder.objects.select_related(
        "enterprise", "provider__organisation", "listing__category", "scheme"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return orders.none()
    kind = user.organisation_kind
    if kind == OrganisationKind.ENTERPRISE:
        return orders.filter(enterprise__organisation_id=user.organisation_id)
    if kind == OrganisationKind.SERVICE_PROVIDER:
        return orders.filter(provider__organisation_id=user.organisation_id)
    if _staff_with(user, VIEW_ORDERS):
        return orders.filter(enterprise__in=visible_enterprises(user))
    return orders.none()


def sees_order(user: Any, order: VoucherOrder) -> bool:
    """Whether orders_visible_to(user) holds `order`. For zone staff it asks whether the
    order's enterprise is in their scope: filtering the orders by the scope's enterprises
    would have SQLite list every enterprise of the scope on each call (a year of reviews
    grew with the zone's size squared)."""
    kind = getattr(user, "organisation_kind", None)
    others = (OrganisationKind.ENTERPRISE, OrganisationKind.SERVICE_PROVIDER)
    if kind not in others and _staff_with(user, VIEW_ORDERS):
        return visible_enterprises(user).filter(pk=order.enterprise_id).exists()
    return orders_visible_to(user).filter(pk=order.pk).exists()


def get_order(user: Any, pk: Any) -> VoucherOrder:
    try:
        return orders_visible_to(user).get(pk=int(pk))
    except (VoucherOrder.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("没有找到这笔订单，或您无权查看")) from None


def schemes_visible_to(user: Any) -> QuerySet[VoucherScheme]:
    if _staff_with(user, VIEW_SCHEMES):
        return VoucherScheme.objects.all()
    return VoucherScheme.objects.none()


def get_scheme(user: Any, pk: Any) -> VoucherScheme:
    try:
        return schemes_visible_to(user).get(pk=int(pk))
    except (VoucherScheme.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("没有找到这个创新券方案")) from None


def settlements_visible_to(user: Any) -> QuerySet[VoucherSettlement]:
    """A provider sees its own statements; staff who may see settlements and whose data scope
    is the whole zone see them all (a statement is the zone's debt to a provider, summed over
    every enterprise's orders: a scoped user would read other enterprises' figures)."""
    settlements = VoucherSettlement.objects.select_related("provider__organisation", "scheme")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return settlements.none()
    if user.organisation_kind == OrganisationKind.SERVICE_PROVIDER:
        return settlements.filter(provider__organisation_id=user.organisation_id)
    if _staff_with(user, VIEW_SETTLEMENTS) and sees_all(user):
        return settlements
    return settlements.none()


def get_settlement(user: Any, pk: Any) -> VoucherSettlement:
    try:
        return settlements_visible_to(user).get(pk=int(pk))
    except (VoucherSettlement.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("没有找到这张结算单，或您无权查看")) from None


@dataclass(frozen=True)
class QuotaView:
    quota: VoucherQuota
    used_fen: int
    pending_fen: int  # of which still reserved by open orders

    @property
    def left_fen(self) -> int:
        return self.quota.granted_fen - self.used_fen


OPEN_STATES = [s for s in ACTIVE_STATES if s not in (OrderState.APPROVED, OrderState.SETTLED)]


def quota_views(quotas: Iterable[VoucherQuota]) -> list[QuotaView]:
    """Each quota with what is used of it and how much of that is in open orders, summed for
    all of them in one query."""
    quotas = list(quotas)
    sums: dict[int, dict[str, Any]] = {
        row["quota_id"]: dict(row)
        for row in VoucherOrder.objects.filter(quota__in=quotas)
        .values("quota_id")
        .annotate(
            used=Sum("deduction_fen", filter=Q(state__in=ACTIVE_STATES)),
            pending=Sum("deduction_fen", filter=Q(state__in=OPEN_STATES)),
        )
        .order_by()
    }
    views = []
    for quota in quotas:
        row = sums.get(quota.pk, {})
        views.append(QuotaView(quota, int(row.get("used") or 0), int(row.get("pending") or 0)))
    return views


def quota_view(quota: VoucherQuota) -> QuotaView:
    return quota_views([quota])[0]


def quotas_of(enterprise: Any) -> list[QuotaView]:
    quotas = VoucherQuota.objects.filter(enterprise=enterprise).select_related("scheme")
    return quota_views(quotas.order_by("-scheme__year"))


def budget(scheme: VoucherScheme) -> PoolBalances:
    """The whole pool: for callers who see the whole zone only (`budget_for`)."""
    return pool_balances(pool_of(scheme))


@dataclass(frozen=True)
class BudgetView:
    """The scheme's budget as one caller may read it. `zone_wide`: the pool's own figures
    (funded, available, reserved, payable, paid), for callers whose data scope is the whole
    zone. Otherwise the share of the orders of the enterprises in the caller's scope:
    reserved, payable and paid, with no funded total or available amount (those are the
    zone's)."""

    zone_wide: bool
    reserved_fen: int
    payable_fen: int
    paid_fen: int
    total_fen: int | None = None
    available_fen: int | None = None

    @property
    def committed_fen(self) -> int:
        return self.reserved_fen + self.payable_fen + self.paid_fen


def _scope_keys(user: Any, scheme: VoucherScheme) -> list[str]:
    """The reservation keys of the scheme's orders in `user`'s scope."""
    pks = orders_visible_to(user).filter(scheme=scheme).values_list("pk", flat=True)
    return [f"voucher-order:{pk}" for pk in pks]


def budget_for(user: Any, scheme: VoucherScheme) -> BudgetView:
    if sees_all(user):
        whole = budget(scheme)
        return BudgetView(
            True,
            whole.reserved_fen,
            whole.payable_fen,
            whole.paid_fen,
            whole.total_fen,
            whole.available_fen,
        )
    share = share_balances(pool_of(scheme), _scope_keys(user, scheme))
    return BudgetView(False, share.reserved_fen, share.payable_fen, share.paid_fen)


def quotas_visible_to(user: Any, scheme: VoucherScheme) -> QuerySet[VoucherQuota]:
    """The scheme's quotas of the enterprises in `user`'s data scope."""
    return VoucherQuota.objects.filter(scheme=scheme, enterprise__in=visible_enterprises(user))


def budget_over_time(scheme: VoucherScheme, user: Any = None) -> list[dict[str, Any]]:
    """Per day: cumulative funding, committed (reserved + approved + paid) and paid, in fen —
    from the ledger's postings, for the budget chart. With `user` whose scope is not the whole
    zone: the postings of their scope's orders only (funding is then 0: it is the zone's)."""
    pool = pool_of(scheme)
    postings = Posting.objects.filter(account__pool=pool)
    if user is not None and not sees_all(user):
        postings = postings.filter(entry__reservation__key__in=_scope_keys(user, scheme))
    rows = (
        postings.annotate(day=TruncDate("entry__at"))
        .values("day", "account__kind")
        .annotate(s=Sum("amount_fen"))
        .order_by("day")
    )
    per_day: dict[dt.date, dict[str, int]] = {}
    for row in rows:
        per_day.setdefault(row["day"], {})[row["account__kind"]] = int(row["s"])
    out, funded, committed, paid = [], 0, 0, 0
    for day in sorted(per_day):
        moves = per_day[day]
        funded += -moves.get(AccountKind.FUNDING, 0)
        committed += (
            moves.get(AccountKind.RESERVED, 0)
            + moves.get(AccountKind.PAYABLE, 0)
            + moves.get(AccountKind.PAID, 0)
        )
        paid += moves.get(AccountKind.PAID, 0)
        out.append({"day": day.isoformat(), "funded": funded, "committed": committed, "paid": paid})
    return out


def review_queue(user: Any) -> QuerySet[VoucherOrder]:
    return (
        orders_visible_to(user)
        .filter(state__in=[OrderState.REDEEMED, OrderState.FIRST_APPROVED])
        .order_by("redeemed_at", "pk")
    )


def report(orders: QuerySet[VoucherOrder]) -> dict[str, Any]:
    """Deductions by category, by provider and by month, and the enterprises served, over
    redeemed orders that were approved (approved or settled)."""
    used = orders.filter(state__in=[OrderState.APPROVED, OrderState.SETTLED])
    totals = used.aggregate(
        deduction=Sum("deduction_fen"),
        fees=Sum("invoice_fee_fen"),
        orders=Count("pk"),
        enterprises=Count("enterprise", distinct=True),
        providers=Count("provider", distinct=True),
    )
    by_category = list(
        used.values("listing__category__code", "listing__category__name")
        .annotate(deduction=Sum("deduction_fen"), orders=Count("pk"))
        .order_by("-deduction")
    )
    by_provider = list(
        used.values("provider_id", "provider__organisation__name")
        .annotate(
            deduction=Sum("deduction_fen"),
            orders=Count("pk"),
            enterprises=Count("enterprise", distinct=True),
        )
        .order_by("-deduction")
    )
    by_state = dict(orders.values_list("state").annotate(n=Count("pk")).order_by())
    return {
        "totals": {k: int(v or 0) for k, v in totals.items()},
        "by_category": by_category,
        "by_provider": by_provider,
        "by_state": {s.value: by_state.get(s.value, 0) for s in OrderState},
    }


def by_year(orders: QuerySet[VoucherOrder]) -> list[Any]:
    return list(
        orders.filter(state__in=[OrderState.APPROVED, OrderState.SETTLED])
        .values("scheme__year")
        .annotate(
            deduction=Sum("deduction_fen"),
            orders=Count("pk"),
            enterprises=Count("enterprise", distinct=True),
        )
        .order_by("scheme__year")
    )


def provider_rating(provider: Any) -> dict[str, Any]:
    stats = provider.ratings.aggregate(n=Count("pk"), total=Sum("stars"))
    n = int(stats["n"] or 0)
    return {"count": n, "average": round(int(stats["total"] or 0) / n, 1) if n else None}


def paid_on_ledger(settlement: VoucherSettlement) -> int:
    """What the ledger says was paid for the statement's orders: the pay entries' postings to
    the paid account (the statement's total must equal it)."""
    keys = [f"voucher-pay:{pk}" for pk in settlement.orders.values_list("pk", flat=True)]
    paid = Posting.objects.filter(
        entry__kind=EntryKind.PAY,
        entry__idempotency_key__in=keys,
        account__kind=AccountKind.PAID,
    ).aggregate(s=Sum("amount_fen"))["s"]
    return int(paid or 0)


def enterprise_filter(orders: QuerySet[VoucherOrder], q: str) -> QuerySet[VoucherOrder]:
    q = q.strip()
    if not q:
        return orders
    return orders.filter(
        Q(number__icontains=q)
        | Q(enterprise__name__icontains=q)
        | Q(provider__organisation__name__icontains=q)
        | Q(listing__title__icontains=q)
    )

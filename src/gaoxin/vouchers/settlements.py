"""结算: each period the zone pays each provider the approved deductions, on one statement.

A settlement collects a provider's approved orders not yet settled, approved up to the
period's end (an order approved late waits for the next period, never for nobody). Issuing it
twice returns the first; paying it posts one ledger payment per order under keys named by the
order, all in one transaction: a run cut off midway leaves nothing, and a retry pays each order
once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.enterprises.selectors import sees_all
from gaoxin.ledger import services as ledger
from gaoxin.supermarket.models import ProviderProfile
from gaoxin.vouchers.choices import OrderState, SettlementState
from gaoxin.vouchers.models import VoucherOrder, VoucherScheme, VoucherSettlement

SETTLE = "vouchers.settle_voucherorder"
_PERIOD = re.compile(r"([0-9]{4})Q([1-4])")


def require_settler(actor: Actor) -> None:
    """A statement is the zone's debt to a provider, over every enterprise's orders: only staff
    with the settling permission whose data scope is the whole zone issue and pay them."""
    user = actor.user
    if user is None or not user.is_zone_staff or not user.has_perm(SETTLE):
        raise PermissionDenied(_("您的账号没有创新券结算的权限"))
    if not sees_all(user):
        raise PermissionDenied(_("结算单汇总全区企业的订单，只有数据范围为全部的人员可以办理"))


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def period_end(period: str) -> dt.date:
    match = _PERIOD.fullmatch(period or "")
    if match is None:
        raise ValidationFailed(_("结算期格式应为 2026Q3"), field="period")
    year, quarter = int(match.group(1)), int(match.group(2))
    if quarter == 4:
        return dt.date(year, 12, 31)
    return dt.date(year, quarter * 3 + 1, 1) - dt.timedelta(days=1)


def periods_of(scheme: VoucherScheme, today: dt.date | None = None) -> list[str]:
    """The quarters from the scheme year's first to today's, latest first (orders approved
    late in the year are settled in the next year's first quarter)."""
    today = today or timezone.localdate()
    out = []
    year, quarter = scheme.year, 1
    while (year, quarter) <= (today.year, (today.month - 1) // 3 + 1):
        out.append(f"{year}Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return list(reversed(out)) or [f"{scheme.year}Q1"]


def _due(scheme: VoucherScheme, end: dt.date) -> QuerySet[VoucherOrder]:
    """Approved up to `end` and on no statement yet."""
    return VoucherOrder.objects.filter(
        scheme=scheme,
        state=OrderState.APPROVED,
        settlement__isnull=True,
        approved_at__date__lte=end,
    )


@dataclass(frozen=True)
class Due:
    provider: ProviderProfile
    count: int
    total_fen: int


def due_by_provider(scheme: VoucherScheme, period: str) -> list[Due]:
    """What each provider is due for the period: its orders not yet on a statement."""
    rows = (
        _due(scheme, period_end(period))
        .values("provider_id")
        .annotate(n=Count("pk"), s=Sum("deduction_fen"))
        .order_by("provider_id")
    )
    providers = ProviderProfile.objects.select_related("organisation").in_bulk(
        [r["provider_id"] for r in rows]
    )
    return [Due(providers[r["provider_id"]], r["n"], int(r["s"])) for r in rows]


def issue(
    *, actor: Actor, scheme: VoucherScheme, provider: ProviderProfile, period: str
) -> VoucherSettlement:
    """The provider's statement for the period. Issued again with nothing new due, it returns
    the statement already issued; orders approved after that get a supplementary statement
    of the same period, so no approved order is ever left without one."""
    require_settler(actor)
    end = period_end(period)
    if end < scheme.opens_on:
        raise ValidationFailed(_("结算期早于方案开始日期"), field="period")
    for _attempt in range(3):
        try:
            return _issue(actor, scheme, provider, period, end)
        except IntegrityError:
            continue  # another request issued this statement at the same moment: look again
    raise Conflict(_("结算单正由他人同时生成，请刷新后查看"))


def _issue(
    actor: Actor, scheme: VoucherScheme, provider: ProviderProfile, period: str, end: dt.date
) -> VoucherSettlement:
    with transaction.atomic():
        # The due orders are locked first: a request that waited here sees, once the other
        # commits, that they are on its statement, and returns that statement.
        orders = list(
            _due(scheme, end).select_for_update().filter(provider=provider).order_by("pk")
        )
        issued = VoucherSettlement.objects.filter(
            scheme=scheme, provider=provider, period=period
        ).order_by("-sequence")
        latest = issued.first()
        if not orders:
            if latest is not None:
                return latest
            raise ValidationFailed(
                _("%(p)s 在 %(q)s 没有待结算的订单")
                % {"p": provider.organisation.name, "q": period}
            )
        sequence = 1 if latest is None else latest.sequence + 1
        number = f"JS{period}-{provider.pk:04d}" + ("" if sequence == 1 else f"-{sequence}")
        settlement = VoucherSettlement.objects.create(
            number=number,
            scheme=scheme,
            provider=provider,
            period=period,
            sequence=sequence,
            period_end=end,
            total_fen=sum(o.deduction_fen for o in orders),
            order_count=len(orders),
            issued_by=actor.label,
        )
        VoucherOrder.objects.filter(pk__in=[o.pk for o in orders]).update(settlement=settlement)
        record_change(
            actor=actor,
            action="voucher_settlement_issued",
            obj=settlement,
            after={
                "number": settlement.number,
                "orders": [o.number for o in orders],
                "total_fen": settlement.total_fen,
            },
        )
        return settlement


def issue_all(*, actor: Actor, scheme: VoucherScheme, period: str) -> list[VoucherSettlement]:
    require_settler(actor)
    return [
        issue(actor=actor, scheme=scheme, provider=due.provider, period=period)
        for due in due_by_provider(scheme, period)
    ]


def pay(*, actor: Actor, settlement: VoucherSettlement) -> VoucherSettlement:
    """付款确认: the treasury paid the statement. Each order's payable becomes paid."""
    require_settler(actor)
    with transaction.atomic():
        settlement = VoucherSettlement.objects.select_for_update().get(pk=settlement.pk)
        if settlement.state == SettlementState.PAID:
            return settlement
        orders = list(
            VoucherOrder.objects.select_for_update().filter(settlement=settlement).order_by("pk")
        )
        total = sum(o.deduction_fen for o in orders)
        if total != settlement.total_fen:
            raise Conflict(_("结算单金额与订单合计不符，请核对"))
        now = timezone.now()
        for order in orders:
            ledger.pay(
                reservation_key=order.reservation_key,
                actor=actor,
                key=f"voucher-pay:{order.pk}",
                amount_fen=order.deduction_fen,
                memo=_("创新券结算单 %(s)s") % {"s": settlement.number},
            )
            order.state, order.closed_at = OrderState.SETTLED, now
            order.save(update_fields=["state", "closed_at"])
        settlement.state, settlement.paid_by, settlement.paid_at = (
            SettlementState.PAID,
            actor.label,
            now,
        )
        settlement.save(update_fields=["state", "paid_by", "paid_at"])
        record_change(
            actor=actor,
            action="voucher_settlement_paid",
            obj=settlement,
            before={"state": SettlementState.ISSUED},
            after={"state": SettlementState.PAID, "total_fen": settlement.total_fen},
        )
    return settlement


def settled_total(settlement: VoucherSettlement) -> int:
    return int(
        VoucherOrder.objects.filter(settlement=settlement).aggregate(s=Sum("deduction_fen"))["s"]
        or 0
    )

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

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.ledger import services as ledger
from gaoxin.supermarket.models import ProviderProfile
from gaoxin.vouchers.choices import OrderState, SettlementState
from gaoxin.vouchers.models import VoucherOrder, VoucherScheme, VoucherSettlement

SETTLE = "vouchers.settle_voucherorder"
_PERIOD = re.compile(r"([0-9]{4})Q([1-4])")


def require_settler(actor: Actor) -> None:
    user = actor.user
    if user is None or not user.is_zone_staff or not user.has_perm(SETTLE):
        raise PermissionDenied(_("您的账号没有创新券结算的权限"))


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
    """The quarters of the scheme's year that have begun, latest first."""
    today = today or timezone.localdate()
    quarters = [f"{scheme.year}Q{q}" for q in range(1, 5)]
    return [p for p in reversed(quarters) if period_end(p) - dt.timedelta(days=85) <= today]


def due_orders(scheme: VoucherScheme, period: str) -> dict[int, list[int]]:
    """{provider id: [order ids]} approved up to the period's end and not yet settled."""
    end = period_end(period)
    rows = (
        VoucherOrder.objects.filter(
            scheme=scheme,
            state=OrderState.APPROVED,
            settlement__isnull=True,
            approved_at__date__lte=end,
        )
        .order_by("provider_id", "pk")
        .values_list("provider_id", "pk")
    )
    out: dict[int, list[int]] = {}
    for provider_id, pk in rows:
        out.setdefault(provider_id, []).append(pk)
    return out


def issue(
    *, actor: Actor, scheme: VoucherScheme, provider: ProviderProfile, period: str
) -> VoucherSettlement:
    """The provider's statement for the period (the existing one when issued before)."""
    require_settler(actor)
    end = period_end(period)
    if end.year != scheme.year:
        raise ValidationFailed(_("结算期须在方案年度内"), field="period")
    existing = VoucherSettlement.objects.filter(
        scheme=scheme, provider=provider, period=period
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            orders = list(
                VoucherOrder.objects.select_for_update()
                .filter(
                    scheme=scheme,
                    provider=provider,
                    state=OrderState.APPROVED,
                    settlement__isnull=True,
                    approved_at__date__lte=end,
                )
                .order_by("pk")
            )
            if not orders:
                raise ValidationFailed(
                    _("%(p)s 在 %(q)s 没有待结算的订单")
                    % {"p": provider.organisation.name, "q": period}
                )
            settlement = VoucherSettlement.objects.create(
                number=f"JS{period}-{provider.pk:04d}",
                scheme=scheme,
                provider=provider,
                period=period,
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
    except IntegrityError:
        # Another request issued the same statement at the same moment: that one stands.
        return VoucherSettlement.objects.get(scheme=scheme, provider=provider, period=period)


def issue_all(*, actor: Actor, scheme: VoucherScheme, period: str) -> list[VoucherSettlement]:
    require_settler(actor)
    providers = ProviderProfile.objects.select_related("organisation").filter(
        pk__in=list(due_orders(scheme, period))
    )
    return [issue(actor=actor, scheme=scheme, provider=p, period=period) for p in providers]


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

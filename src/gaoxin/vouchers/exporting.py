"""What the 创新券 lists export: orders, the redemptions waiting for review, settlements."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaoxin.core.exporting import Column, Export, Kind
from gaoxin.ledger.money import to_yuan


def _yuan(name: str) -> Any:
    def read(row: Any) -> Any:
        fen = getattr(row, name)
        return None if fen is None else to_yuan(fen)

    return read


def _category(order: Any) -> str:
    return gettext(order.listing.category.name)


_USCC = Column(_("统一社会信用代码"), lambda o: o.enterprise.uscc, width=22)
_ORDER = [
    Column(_("订单号"), lambda o: o.number, width=18),
    Column(_("企业名称"), lambda o: o.enterprise.name, width=36),
    _USCC,
    Column(_("服务机构"), lambda o: o.provider.organisation.name, width=30),
    Column(_("服务项目"), lambda o: o.listing.title, width=30),
    Column(_("服务类别"), _category),
]

ORDERS = Export(
    _("创新券订单"),
    "voucher-orders",
    [
        *_ORDER,
        Column(_("合同金额（元）"), _yuan("contract_fee_fen"), Kind.YUAN),
        Column(_("实际结算金额（元）"), _yuan("invoice_fee_fen"), Kind.YUAN),
        Column(_("创新券抵扣（元）"), _yuan("deduction_fen"), Kind.YUAN),
        Column(_("企业自付（元）"), _yuan("self_pay_fen"), Kind.YUAN),
        Column(_("状态"), lambda o: o.get_state_display()),
        Column(_("下单时间"), lambda o: o.placed_at, Kind.DATETIME),
        Column(_("结算单号"), lambda o: o.settlement.number if o.settlement else "", width=20),
    ],
)

# A provider's own orders: its customers by name, as its page shows them, without their codes.
PROVIDER_ORDERS = Export(ORDERS.title, ORDERS.slug, [c for c in ORDERS.columns if c is not _USCC])

REDEMPTIONS = Export(
    _("待审核的兑付"),
    "voucher-redemptions",
    [
        *_ORDER,
        Column(_("实际结算金额（元）"), _yuan("invoice_fee_fen"), Kind.YUAN),
        Column(_("创新券抵扣（元）"), _yuan("deduction_fen"), Kind.YUAN),
        Column(_("阶段"), lambda o: o.get_state_display()),
        Column(_("申请兑付时间"), lambda o: o.redeemed_at, Kind.DATETIME),
    ],
)

SETTLEMENTS = Export(
    _("创新券结算单"),
    "voucher-settlements",
    [
        Column(_("结算单号"), lambda s: s.number, width=20),
        Column(_("服务机构"), lambda s: s.provider.organisation.name, width=30),
        Column(_("统一社会信用代码"), lambda s: s.provider.uscc, width=22),
        Column(_("结算期"), lambda s: s.period),
        Column(_("结算截止日"), lambda s: s.period_end, Kind.DATE),
        Column(_("订单数"), lambda s: s.order_count, Kind.INTEGER),
        Column(_("金额（元）"), _yuan("total_fen"), Kind.YUAN),
        Column(_("状态"), lambda s: s.get_state_display()),
        Column(_("生成时间"), lambda s: s.issued_at, Kind.DATETIME),
        Column(_("付款确认时间"), lambda s: s.paid_at, Kind.DATETIME),
    ],
)

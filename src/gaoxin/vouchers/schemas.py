"""API schemas of /api/vouchers. Every amount is integer fen (分, 1 元 = 100), in fields named
*_fen, going out and coming in."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, field_validator

from gaoxin.core.numbers import MAX_FEN
from gaoxin.core.schema_fields import Bounded, Fen, Id, Text
from gaoxin.supermarket.api import InputSchema

FEN = "整数分 / integer fen (1 元 = 100)"


class Named(Schema):
    id: int
    name: str


class QuotaOut(Schema):
    scheme_id: int
    year: int
    scheme: str
    scheme_status: str = Field(description="draft | open | closed")
    granted_fen: int = Field(description=f"年度额度 / the year's quota, {FEN}")
    used_fen: int = Field(
        description=f"已使用（含进行中订单的预留）/ used, including open reservations, {FEN}"
    )
    pending_fen: int = Field(description=f"其中进行中订单预留 / of which still reserved, {FEN}")
    left_fen: int = Field(description=f"剩余额度 / left, {FEN}")


class OrderOut(Schema):
    id: int
    number: str | None
    state: str = Field(
        description="placed | accepted | delivered | redeemed | first_approved | approved | "
        "settled | cancelled | rejected"
    )
    state_label: str
    scheme_id: int
    year: int
    enterprise: Named
    provider: Named
    listing_id: int
    listing: str
    category: str
    contract_fee_fen: int = Field(description=f"合同金额 / contract fee, {FEN}")
    reserved_fen: int = Field(description=f"下单时预留的抵扣 / deduction reserved, {FEN}")
    deduction_fen: int = Field(description=f"创新券抵扣 / voucher deduction, {FEN}")
    invoice_fee_fen: int | None = Field(
        description=f"实际结算金额（兑付时填写）/ fee invoiced at redemption, {FEN}"
    )
    self_pay_fen: int = Field(description=f"企业自付 / paid by the enterprise itself, {FEN}")
    placed_at: dt.datetime


class ReviewOut(Schema):
    at: str
    by: str
    decision: str
    comment: str
    level: int


class OrderRatingOut(Schema):
    stars: int
    comment: str
    created_at: dt.datetime


class OrderDetail(OrderOut):
    contract_name: str
    basis: dict[str, Any] = Field(description="每项限额及起决定作用的一项 / each limit, in fen")
    reviews: list[ReviewOut]
    note: str
    settlement_id: int | None
    accepted_at: dt.datetime | None
    delivered_at: dt.datetime | None
    redeemed_at: dt.datetime | None
    approved_at: dt.datetime | None
    closed_at: dt.datetime | None
    rating: OrderRatingOut | None


class OrderPage(Schema):
    count: int
    page: int
    pages: int
    items: list[OrderOut]


class ReasonIn(InputSchema):
    reason: Annotated[str, Text(300)] = Field("", description="原因（必填）/ reason (required)")


class RedeemIn(InputSchema):
    invoice_fee_fen: Fen = Field(
        description=f"实际结算金额，不超过合同金额 / fee actually invoiced, {FEN}",
    )


class ReviewIn(InputSchema):
    decision: Literal["approve", "reject"]
    comment: Annotated[str, Text(500)] = Field(
        "", description="意见；不通过时必填 / required to reject"
    )


class RateIn(InputSchema):
    stars: Annotated[int, Bounded(1, 5, strict=True)]
    comment: Annotated[str, Text(500)] = ""


class RatingOut(Schema):
    id: int
    order_id: int
    provider_id: int
    stars: int
    comment: str
    created_at: dt.datetime


class SchemeOut(Schema):
    id: int
    year: int
    name: str
    status: str = Field(description="draft | open | closed")
    policy_id: int | None
    ratio: Decimal = Field(description="抵扣比例 / share of the fee the voucher pays, 0–1")
    order_cap_fen: int = Field(description=f"单笔抵扣上限 / cap per order, {FEN}")
    enterprise_cap_fen: int = Field(description=f"单家企业年度额度上限 / cap per enterprise, {FEN}")
    second_review_from_fen: int = Field(
        description=f"两级审核起点 / deductions from this need two reviewers, {FEN}"
    )
    opens_on: dt.date
    closes_on: dt.date


class BudgetOut(Schema):
    """The pool's own figures for callers whose data scope is the whole zone (scope "zone");
    for anyone else the share of the orders in their scope (scope "scope"), without the
    zone's funded total and available amount (null)."""

    scope: Literal["zone", "scope"] = Field(
        description="zone: 全区预算 / the whole pool; scope: 本范围份额 / the caller's share"
    )
    total_fen: int | None = Field(description=f"已拨入（仅全区）/ funded (zone only), {FEN}")
    available_fen: int | None = Field(description=f"可用（仅全区）/ available (zone only), {FEN}")
    reserved_fen: int = Field(description=f"进行中订单预留 / reserved by open orders, {FEN}")
    payable_fen: int = Field(description=f"审核通过待支付 / approved, to be paid, {FEN}")
    paid_fen: int = Field(description=f"已支付 / paid, {FEN}")


class SchemeReportOut(Schema):
    """Over the orders of the scheme in the caller's data scope; approved or settled only,
    except by_state (every order)."""

    deduction_fen: int
    invoice_fee_fen: int
    orders: int
    enterprises: int
    providers: int
    by_state: dict[str, int]


class SchemeDetail(SchemeOut):
    budget: BudgetOut
    report: SchemeReportOut


class SettlementOrderOut(Schema):
    id: int
    number: str | None
    enterprise: str
    invoice_fee_fen: int | None
    deduction_fen: int


class SettlementOut(Schema):
    id: int
    number: str
    scheme_id: int
    year: int
    provider: Named
    period: str
    period_end: dt.date
    total_fen: int = Field(description=f"结算金额 / total owed to the provider, {FEN}")
    order_count: int
    state: str = Field(description="issued | paid")
    issued_at: dt.datetime
    paid_at: dt.datetime | None


class SettlementDetail(SettlementOut):
    orders: list[SettlementOrderOut]
    paid_on_ledger_fen: int = Field(description=f"账本记录的已付金额 / paid per the ledger, {FEN}")


class SettlementPage(Schema):
    count: int
    page: int
    pages: int
    items: list[SettlementOut]


class ManualQuotaIn(InputSchema):
    enterprise_id: Id
    amount_fen: Annotated[int, Bounded(1, MAX_FEN, strict=True)] = Field(
        description=f"年度额度，不超过方案的单家企业年度上限 / the quota, at most the scheme's "
        f"cap per enterprise, {FEN}",
    )
    note: Annotated[str, Text(300)] = Field(description="手工核定的原因（必填）/ why (required)")


class ManualQuotaOut(Schema):
    scheme_id: int
    enterprise_id: int
    granted_fen: int = Field(description=f"年度额度 / the year's quota, {FEN}")
    cap_fen: int = Field(description=f"方案的单家企业年度上限 / the scheme's cap, {FEN}")
    note: str


class IssueIn(InputSchema):
    scheme_id: Id
    provider_id: Id
    period: Annotated[str, Text(8)] = Field(
        description="结算期，例如 2026Q4 / the quarter, e.g. 2026Q4"
    )

    @field_validator("period", mode="after")
    @classmethod
    def a_quarter(cls, value: str) -> str:
        """ASCII digits and nothing after: one quarter has one spelling, so that it has one
        statement ("2026Q4\n" or full-width digits would name the same quarter anew)."""
        if not re.fullmatch(r"[0-9]{4}Q[1-4]", value):
            raise ValueError(_("结算期格式应为 2026Q3"))
        return value

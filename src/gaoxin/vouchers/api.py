"""/api/vouchers: 火炬创新券 over JSON — quotas, orders from contract to redemption review,
the yearly schemes with their budget, and the settlements with providers.

Amounts are integer fen (分, 1 元 = 100) in fields named *_fen, in and out. Lists answer what
the caller's scope holds (possibly nothing); an id outside the scope is answered 404 exactly as
a missing one; a caller who may see an order but not take the step is answered 403. Every
write goes through `orders` and `settlements`, which check who acts.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.decorators import decorate_view
from pydantic import Field

from gaoxin.core.audit import Actor
from gaoxin.core.errors import NotFound, PermissionDenied, ValidationFailed
from gaoxin.core.idempotency import idempotent
from gaoxin.core.schema_fields import FenParam, IdParam, Page, PageSize, Text
from gaoxin.enterprises.models import Enterprise
from gaoxin.enterprises.selectors import own_enterprise
from gaoxin.enterprises.selectors import visible_to as visible_enterprises
from gaoxin.supermarket import selectors as supermarket
from gaoxin.supermarket.api import ERRORS, page_of, pk_of
from gaoxin.supermarket.models import ProviderProfile
from gaoxin.vouchers import orders, selectors, services, settlements
from gaoxin.vouchers.choices import OrderState, SettlementState
from gaoxin.vouchers.models import ProviderReview, VoucherOrder, VoucherSettlement
from gaoxin.vouchers.schemas import (
    IssueIn,
    ManualQuotaIn,
    ManualQuotaOut,
    OrderDetail,
    OrderPage,
    QuotaOut,
    RateIn,
    RatingOut,
    ReasonIn,
    RedeemIn,
    ReviewIn,
    SchemeDetail,
    SchemeOut,
    SettlementDetail,
    SettlementPage,
)

router = Router(tags=["vouchers"])


def _enterprise_of(request: HttpRequest) -> Enterprise:
    """The caller's own enterprise: other accounts are refused (403); an enterprise account not
    yet linked to the registry is told so (404)."""
    user: Any = request.user
    if not user.is_enterprise_user:
        raise PermissionDenied(_("只有企业账号可以使用创新券"))
    return own_enterprise(user)


# -- quotas --------------------------------------------------------------------------------


@router.get("/quotas", response={200: list[QuotaOut], **ERRORS})
def my_quotas(request: HttpRequest) -> Any:
    """The caller's enterprise's quota of each year: granted, used (open orders' reservations
    and approved deductions), left. Enterprise accounts only."""
    enterprise = _enterprise_of(request)
    return [
        {
            "scheme_id": view.quota.scheme_id,
            "year": view.quota.scheme.year,
            "scheme": view.quota.scheme.name,
            "scheme_status": view.quota.scheme.status,
            "granted_fen": view.quota.granted_fen,
            "used_fen": view.used_fen,
            "pending_fen": view.pending_fen,
            "left_fen": view.left_fen,
        }
        for view in selectors.quotas_of(enterprise)
    ]


# -- orders --------------------------------------------------------------------------------


def _order(order: VoucherOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "state": order.state,
        "state_label": str(OrderState(order.state).label),
        "scheme_id": order.scheme_id,
        "year": order.scheme.year,
        "enterprise": {"id": order.enterprise_id, "name": order.enterprise.name},
        "provider": {"id": order.provider_id, "name": order.provider.organisation.name},
        "listing_id": order.listing_id,
        "listing": order.listing.title,
        "category": order.listing.category.code,
        "contract_fee_fen": order.contract_fee_fen,
        "reserved_fen": order.reserved_fen,
        "deduction_fen": order.deduction_fen,
        "invoice_fee_fen": order.invoice_fee_fen,
        "self_pay_fen": order.self_pay_fen,
        "placed_at": order.placed_at,
    }


def _order_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    """The order as the caller sees it now (read again after a step)."""
    order = selectors.get_order(request.user, pk)
    rating = ProviderReview.objects.filter(order=order).first()
    return {
        **_order(order),
        "contract_name": order.contract_name,
        "basis": order.basis,
        "reviews": order.reviews,
        "note": order.note,
        "settlement_id": order.settlement_id,
        "accepted_at": order.accepted_at,
        "delivered_at": order.delivered_at,
        "redeemed_at": order.redeemed_at,
        "approved_at": order.approved_at,
        "closed_at": order.closed_at,
        "rating": None
        if rating is None
        else {"stars": rating.stars, "comment": rating.comment, "created_at": rating.created_at},
    }


class OrderQuery(Schema):
    state: Annotated[str, Text(16)] = Field(
        "", description="订单状态 / one of: " + ", ".join(OrderState.values)
    )
    q: Annotated[str, Text(100)] = Field(
        "", description="订单号、企业、机构或服务名称 / number, enterprise, provider"
    )
    page: Page = 1
    page_size: PageSize = 50


@router.get("/orders", response={200: OrderPage, **ERRORS})
def list_orders(request: HttpRequest, params: Query[OrderQuery]) -> Any:
    """An enterprise's own orders, a provider's orders, the orders of the enterprises in a
    staff member's data scope; newest first."""
    visible = selectors.orders_visible_to(request.user)
    if params.state:
        if params.state not in OrderState.values:
            raise ValidationFailed(_("未知的订单状态"), field="state")
        visible = visible.filter(state=params.state)
    visible = selectors.enterprise_filter(visible, params.q)
    items, counts = page_of(visible.order_by("-placed_at", "-id"), params.page, params.page_size)
    return {**counts, "items": [_order(o) for o in items]}


@router.get("/orders/{order_id}", response={200: OrderDetail, **ERRORS})
def get_order(request: HttpRequest, order_id: str) -> Any:
    return _order_detail(request, pk_of(order_id))


@router.post("/orders", response={201: OrderDetail, **ERRORS})
@decorate_view(idempotent)
def place_order(
    request: HttpRequest,
    listing_id: Annotated[IdParam, Form(description="上架中的服务 id / id of a listing on sale")],
    contract_fee_fen: Annotated[
        FenParam, Form(description="合同金额，整数分 / contract fee, integer fen (1 元 = 100)")
    ],
    contract_file: Annotated[
        UploadedFile, File(description="服务合同：PDF、JPG、PNG 或 DOCX / the signed contract")
    ],
) -> Any:
    """下单 (multipart/form-data). The order is always for the caller's own enterprise; the
    voucher's deduction is computed and reserved on the budget at once."""
    enterprise = _enterprise_of(request)
    listing = supermarket.get_listing(request.user, listing_id)
    order = orders.place(
        actor=Actor.of(request),
        enterprise=enterprise,
        listing=listing,
        contract_fee_fen=contract_fee_fen,
        contract_file=contract_file,
    )
    return Status(201, _order_detail(request, order.pk))


def _visible_order(request: HttpRequest, order_id: str) -> VoucherOrder:
    return selectors.get_order(request.user, pk_of(order_id))


@router.post("/orders/{order_id}/accept", response={200: OrderDetail, **ERRORS})
def accept_order(request: HttpRequest, order_id: str) -> Any:
    """接单 — the provider that took the order."""
    order = orders.accept(actor=Actor.of(request), order=_visible_order(request, order_id))
    return _order_detail(request, order.pk)


@router.post("/orders/{order_id}/decline", response={200: OrderDetail, **ERRORS})
@decorate_view(idempotent)
def decline_order(request: HttpRequest, order_id: str, payload: ReasonIn) -> Any:
    """不接单 — the provider, before accepting; the reservation goes back."""
    order = orders.decline(
        actor=Actor.of(request), order=_visible_order(request, order_id), reason=payload.reason
    )
    return _order_detail(request, order.pk)


@router.post("/orders/{order_id}/cancel", response={200: OrderDetail, **ERRORS})
@decorate_view(idempotent)
def cancel_order(request: HttpRequest, order_id: str, payload: ReasonIn) -> Any:
    """取消 — the enterprise, before delivery; the reservation goes back."""
    order = orders.cancel(
        actor=Actor.of(request), order=_visible_order(request, order_id), reason=payload.reason
    )
    return _order_detail(request, order.pk)


@router.post("/orders/{order_id}/confirm-delivery", response={200: OrderDetail, **ERRORS})
def confirm_delivery(request: HttpRequest, order_id: str) -> Any:
    """确认交付 — the enterprise."""
    order = orders.confirm_delivery(
        actor=Actor.of(request), order=_visible_order(request, order_id)
    )
    return _order_detail(request, order.pk)


@router.post("/orders/{order_id}/redeem", response={200: OrderDetail, **ERRORS})
@decorate_view(idempotent)
def redeem_order(request: HttpRequest, order_id: str, payload: RedeemIn) -> Any:
    """兑付申请 — the provider, with the fee actually invoiced; sent again with the same fee
    it changes nothing."""
    order = orders.redeem(
        actor=Actor.of(request),
        order=_visible_order(request, order_id),
        invoice_fee_fen=payload.invoice_fee_fen,
    )
    return _order_detail(request, order.pk)


@router.post("/orders/{order_id}/review", response={200: OrderDetail, **ERRORS})
@decorate_view(idempotent)
def review_order(request: HttpRequest, order_id: str, payload: ReviewIn) -> Any:
    """兑付审核 — zone reviewers of the enterprise's data scope."""
    order = orders.review(
        actor=Actor.of(request),
        order=_visible_order(request, order_id),
        decision=payload.decision,
        comment=payload.comment,
    )
    return _order_detail(request, order.pk)


@router.post("/orders/{order_id}/rate", response={201: RatingOut, **ERRORS})
def rate_order(request: HttpRequest, order_id: str, payload: RateIn) -> Any:
    """评价 — the enterprise, once, after confirming delivery."""
    review = orders.rate(
        actor=Actor.of(request),
        order=_visible_order(request, order_id),
        stars=payload.stars,
        comment=payload.comment,
    )
    return Status(
        201,
        {
            "id": review.pk,
            "order_id": review.order_id,
            "provider_id": review.provider_id,
            "stars": review.stars,
            "comment": review.comment,
            "created_at": review.created_at,
        },
    )


# -- schemes -------------------------------------------------------------------------------


def _scheme(scheme: Any) -> dict[str, Any]:
    return {
        "id": scheme.pk,
        "year": scheme.year,
        "name": scheme.name,
        "status": scheme.status,
        "policy_id": scheme.policy_id,
        "ratio": scheme.ratio,
        "order_cap_fen": scheme.order_cap_fen,
        "enterprise_cap_fen": scheme.enterprise_cap_fen,
        "second_review_from_fen": scheme.second_review_from_fen,
        "opens_on": scheme.opens_on,
        "closes_on": scheme.closes_on,
    }


@router.get("/schemes", response={200: list[SchemeOut], **ERRORS})
def list_schemes(request: HttpRequest) -> Any:
    """The yearly schemes, for zone staff who may see them (others: an empty list)."""
    return [_scheme(s) for s in selectors.schemes_visible_to(request.user).order_by("-year")]


@router.get("/schemes/{scheme_id}", response={200: SchemeDetail, **ERRORS})
def get_scheme(request: HttpRequest, scheme_id: str) -> Any:
    """A scheme with its budget on the ledger (the whole pool for whole-zone scopes, the share
    of the caller's scope otherwise) and the figures of the orders in the caller's scope."""
    scheme = selectors.get_scheme(request.user, pk_of(scheme_id))
    balances = selectors.budget_for(request.user, scheme)
    figures = selectors.report(selectors.orders_visible_to(request.user).filter(scheme=scheme))
    totals = figures["totals"]
    return {
        **_scheme(scheme),
        "budget": {
            "scope": "zone" if balances.zone_wide else "scope",
            "total_fen": balances.total_fen,
            "available_fen": balances.available_fen,
            "reserved_fen": balances.reserved_fen,
            "payable_fen": balances.payable_fen,
            "paid_fen": balances.paid_fen,
        },
        "report": {
            "deduction_fen": totals["deduction"],
            "invoice_fee_fen": totals["fees"],
            "orders": totals["orders"],
            "enterprises": totals["enterprises"],
            "providers": totals["providers"],
            "by_state": figures["by_state"],
        },
    }


@router.post("/schemes/{scheme_id}/quotas", response={200: ManualQuotaOut, **ERRORS})
def grant_quota(request: HttpRequest, scheme_id: str, payload: ManualQuotaIn) -> Any:
    """手工核定 one enterprise's quota (an appeal, a correction), never above the scheme's cap
    per enterprise; scheme managers only, for an enterprise in their data scope."""
    scheme = selectors.get_scheme(request.user, pk_of(scheme_id))
    enterprise = visible_enterprises(request.user).filter(pk=payload.enterprise_id).first()
    if enterprise is None:
        raise NotFound(_("没有找到这家企业"), field="enterprise_id")
    quota = services.grant_quota(
        actor=Actor.of(request),
        scheme=scheme,
        enterprise=enterprise,
        amount_fen=payload.amount_fen,
        note=payload.note,
    )
    return {
        "scheme_id": scheme.pk,
        "enterprise_id": enterprise.pk,
        "granted_fen": quota.granted_fen,
        "cap_fen": scheme.enterprise_cap_fen,
        "note": payload.note.strip(),
    }


# -- settlements ---------------------------------------------------------------------------


def _settlement(settlement: VoucherSettlement) -> dict[str, Any]:
    return {
        "id": settlement.pk,
        "number": settlement.number,
        "scheme_id": settlement.scheme_id,
        "year": settlement.scheme.year,
        "provider": {"id": settlement.provider_id, "name": settlement.provider.organisation.name},
        "period": settlement.period,
        "period_end": settlement.period_end,
        "total_fen": settlement.total_fen,
        "order_count": settlement.order_count,
        "state": settlement.state,
        "issued_at": settlement.issued_at,
        "paid_at": settlement.paid_at,
    }


def _settlement_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    settlement = selectors.get_settlement(request.user, pk)
    included = settlement.orders.select_related("enterprise").order_by("pk")
    return {
        **_settlement(settlement),
        "orders": [
            {
                "id": o.pk,
                "number": o.number,
                "enterprise": o.enterprise.name,
                "invoice_fee_fen": o.invoice_fee_fen,
                "deduction_fen": o.deduction_fen,
            }
            for o in included
        ],
        "paid_on_ledger_fen": selectors.paid_on_ledger(settlement),
    }


class SettlementQuery(Schema):
    state: Annotated[str, Text(16)] = Field("", description="issued | paid")
    period: Annotated[str, Text(8)] = Field("", description="例如 2026Q4 / e.g. 2026Q4")
    page: Page = 1
    page_size: PageSize = 50


@router.get("/settlements", response={200: SettlementPage, **ERRORS})
def list_settlements(request: HttpRequest, params: Query[SettlementQuery]) -> Any:
    """A provider's own statements; all of them for staff who may see settlements."""
    visible = selectors.settlements_visible_to(request.user)
    if params.state:
        if params.state not in SettlementState.values:
            raise ValidationFailed(_("未知的结算单状态"), field="state")
        visible = visible.filter(state=params.state)
    if params.period:
        visible = visible.filter(period=params.period)
    items, counts = page_of(visible.order_by("-period", "pk"), params.page, params.page_size)
    return {**counts, "items": [_settlement(s) for s in items]}


@router.get("/settlements/{settlement_id}", response={200: SettlementDetail, **ERRORS})
def get_settlement(request: HttpRequest, settlement_id: str) -> Any:
    return _settlement_detail(request, pk_of(settlement_id))


@router.post("/settlements", response={200: SettlementDetail, 201: SettlementDetail, **ERRORS})
@decorate_view(idempotent)
def issue_settlement(request: HttpRequest, payload: IssueIn) -> Any:
    """结算单: the provider's approved, unsettled orders of the period. Issued before, the
    same statement is answered (200) instead of a new one (201)."""
    actor = Actor.of(request)
    settlements.require_settler(actor)
    scheme = selectors.get_scheme(request.user, payload.scheme_id)
    # Settlers settle any provider they owe, also one suspended since: not the catalogue's scope.
    provider = (
        ProviderProfile.objects.select_related("organisation")
        .filter(pk=payload.provider_id)
        .first()
    )
    if provider is None:
        raise NotFound(_("没有这家服务机构"))
    existed = VoucherSettlement.objects.filter(
        scheme=scheme, provider=provider, period=payload.period
    ).exists()
    settlement = settlements.issue(
        actor=actor, scheme=scheme, provider=provider, period=payload.period
    )
    return Status(200 if existed else 201, _settlement_detail(request, settlement.pk))


@router.post("/settlements/{settlement_id}/pay", response={200: SettlementDetail, **ERRORS})
@decorate_view(idempotent)
def pay_settlement(request: HttpRequest, settlement_id: str) -> Any:
    """付款确认 — the treasury paid the statement; paying it again changes nothing."""
    settlement = selectors.get_settlement(request.user, pk_of(settlement_id))
    settlements.pay(actor=Actor.of(request), settlement=settlement)
    return _settlement_detail(request, settlement.pk)

"""创新券 pages of enterprises and providers, and the order page every party shares."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core import numbers
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.fields import posted_fen
from gaoxin.core.idempotency import idempotent
from gaoxin.core.web import paginate
from gaoxin.enterprises.selectors import own_enterprise
from gaoxin.ledger.models import JournalEntry
from gaoxin.ledger.money import to_yuan
from gaoxin.supermarket import selectors as supermarket
from gaoxin.vouchers import eligibility, exporting, orders, selectors, services
from gaoxin.vouchers.choices import REVIEW_STATES, OrderState
from gaoxin.vouchers.models import VoucherOrder, VoucherQuota, VoucherScheme
from gaoxin.vouchers.services import LIMIT_LABELS

STEPS = (
    (OrderState.PLACED, "placed_at"),
    (OrderState.ACCEPTED, "accepted_at"),
    (OrderState.DELIVERED, "delivered_at"),
    (OrderState.REDEEMED, "redeemed_at"),
    (OrderState.APPROVED, "approved_at"),
    (OrderState.SETTLED, "closed_at"),
)


def yuan_field(request: HttpRequest, name: str) -> int:
    """A money field in yuan, as fen; ValidationFailed names the field."""
    return posted_fen(request.POST, name)


def _current_quota(enterprise: Any) -> VoucherQuota | None:
    return (
        VoucherQuota.objects.filter(enterprise=enterprise, scheme__year=timezone.localdate().year)
        .select_related("scheme")
        .first()
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的创新券: the year's quota, what is used and left, and the orders."""
    enterprise = own_enterprise(request.user)
    quota = _current_quota(enterprise)
    view = selectors.quota_view(quota) if quota else None
    scheme = VoucherScheme.objects.filter(year=timezone.localdate().year).first()
    order_list = selectors.orders_visible_to(request.user).order_by("-placed_at", "-pk")
    return render(
        request,
        "vouchers/mine.html",
        {
            "enterprise": enterprise,
            "quota": view,
            "scheme": scheme,
            "history": selectors.quotas_of(enterprise),
            "page": paginate(request, order_list),
        },
    )


@login_required
@idempotent
def order_form(request: HttpRequest, listing_pk: int) -> HttpResponse:
    """使用创新券下单: the contract signed with the provider, uploaded with its amount."""
    enterprise = own_enterprise(request.user)
    listing = supermarket.get_listing(request.user, listing_pk)
    quota = _current_quota(enterprise)
    view = selectors.quota_view(quota) if quota else None
    error: DomainError | None = None
    if request.method == "POST":
        try:
            fee = yuan_field(request, "contract_fee")
            upload = request.FILES.get("contract_file")
            if upload is None:
                raise ValidationFailed(_("请上传已签订的服务合同"), field="contract_file")
            order = orders.place(
                actor=Actor.of(request),
                enterprise=enterprise,
                listing=listing,
                contract_fee_fen=fee,
                contract_file=upload,
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request,
                _("已下单，创新券抵扣 %(d)s 元已为您预留，等待服务机构接单")
                % {"d": f"{order.deduction_fen / 100:,.2f}"},
            )
            return redirect("vouchers:order", order.pk)
    return render(
        request,
        "vouchers/order_form.html",
        {
            "listing": listing,
            "quota": view,
            "scheme": view.quota.scheme if view else None,
            "values": request.POST if request.method == "POST" else {},
            "error": error,
            "eligibility": None if view else eligibility.of(enterprise),
        },
    )


def _role_in(request: HttpRequest, order: VoucherOrder) -> str:
    user: Any = request.user
    if user.organisation_id == order.enterprise.organisation_id:
        return "enterprise"
    if user.organisation_id == order.provider.organisation_id:
        return "provider"
    return "staff"


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.get_order(request.user, pk)
    role = _role_in(request, order)
    user: Any = request.user
    steps = [
        {"label": state.label, "at": getattr(order, field), "done": getattr(order, field)}
        for state, field in STEPS
    ]
    limits = [
        {
            "key": k,
            "name": LIMIT_LABELS.get(k, k),
            "fen": v,
            "binding": k == order.basis.get("binding"),
        }
        for k, v in order.basis.get("limits", {}).items()
    ]
    redeemed = order.basis.get("redeemed", {})
    entries = (
        JournalEntry.objects.filter(reservation__key=order.reservation_key)
        .prefetch_related("postings__account")
        .order_by("at", "pk")
        if role == "staff"
        else []
    )
    return render(
        request,
        "vouchers/order.html",
        {
            "order": order,
            "role": role,
            "steps": steps,
            "limits": limits,
            "redeemed_limits": [
                {"name": LIMIT_LABELS.get(k, k), "fen": v, "binding": k == redeemed.get("binding")}
                for k, v in redeemed.get("limits", {}).items()
            ],
            "ratio_percent": float(order.scheme.ratio) * 100,
            "can_review": role == "staff"
            and user.has_perm(orders.REVIEW)
            and order.state in REVIEW_STATES,
            "needs_second": orders.needs_second_review(order),
            "rating": getattr(order, "rating", None),
            "contract_fee_yuan": f"{to_yuan(order.contract_fee_fen)}",
            "entries": entries,
            "settlement_visible": order.settlement_id is not None
            and selectors.settlements_visible_to(user).filter(pk=order.settlement_id).exists(),
        },
    )


@login_required
def contract(request: HttpRequest, pk: int) -> FileResponse:
    order = selectors.get_order(request.user, pk)
    try:
        handle = order.contract_file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("合同文件不存在")) from None
    return FileResponse(handle, as_attachment=True, filename=order.contract_name)


def _int(text: str, field: str) -> int:
    try:
        return numbers.parse_int(text, minimum=1, maximum=5)
    except numbers.NumberError:
        raise ValidationFailed(_("请选择评分"), field=field) from None


@require_POST
@login_required
@idempotent
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = selectors.get_order(request.user, pk)
    actor = Actor.of(request)
    post = request.POST
    reason = post.get("reason", "")
    done: dict[str, tuple[Any, str]] = {
        "accept": (lambda: orders.accept(actor=actor, order=order), _("已接单")),
        "decline": (
            lambda: orders.decline(actor=actor, order=order, reason=reason),
            _("已拒绝接单，预留的抵扣额度已退回"),
        ),
        "cancel": (
            lambda: orders.cancel(actor=actor, order=order, reason=reason),
            _("订单已取消，预留的抵扣额度已退回"),
        ),
        "deliver": (lambda: orders.confirm_delivery(actor=actor, order=order), _("已确认交付")),
        "redeem": (
            lambda: orders.redeem(
                actor=actor, order=order, invoice_fee_fen=yuan_field(request, "invoice_fee")
            ),
            _("兑付申请已提交园区审核"),
        ),
        "review": (
            lambda: orders.review(
                actor=actor,
                order=order,
                decision=post.get("decision", ""),
                comment=post.get("comment", ""),
            ),
            _("审核意见已记录"),
        ),
        "rate": (
            lambda: orders.rate(
                actor=actor,
                order=order,
                stars=_int(post.get("stars", ""), "stars"),
                comment=post.get("comment", ""),
            ),
            _("感谢您的评价"),
        ),
    }
    if action not in done:
        raise NotFound(_("没有这个操作"))
    call, success = done[action]
    try:
        call()
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    if action == "review" and post.get("next") == "queue":
        return redirect("vouchers:review")
    return redirect("vouchers:order", order.pk)


def _provider_orders(request: HttpRequest) -> tuple[Any, Any]:
    """A provider's orders, and those the page lists (`state`)."""
    user: Any = request.user
    if user.organisation_kind != OrganisationKind.SERVICE_PROVIDER:
        raise PermissionDenied(_("只有服务机构可以查看此页面"))
    all_orders = selectors.orders_visible_to(user)
    state = request.GET.get("state", "")
    listed = all_orders.filter(state=state) if state in OrderState.values else all_orders
    return all_orders, listed.order_by("-placed_at", "-pk")


@login_required
def provider_export(request: HttpRequest) -> HttpResponse:
    _all, listed = _provider_orders(request)
    rows = listed.select_related(
        "enterprise", "provider__organisation", "listing__category", "settlement"
    )
    return export_response(exporting.PROVIDER_ORDERS, rows.iterator(), as_csv=wants_csv(request))


@login_required
def provider_orders(request: HttpRequest) -> HttpResponse:
    """创新券订单 of a provider: what to accept, deliver, redeem, and what was settled."""
    user: Any = request.user
    all_orders, listed = _provider_orders(request)
    profile = supermarket.own_profile(user)
    state = request.GET.get("state", "")
    report = selectors.report(all_orders)
    return render(
        request,
        "vouchers/provider.html",
        {
            "profile": profile,
            "page": paginate(request, listed),
            "state": state,
            "states": list(OrderState.choices),
            "counts": report["by_state"],
            "totals": report["totals"],
            "settlements": selectors.settlements_visible_to(user).order_by("-period")[:12],
            "rating": selectors.provider_rating(profile) if profile else None,
        },
    )


def listing_offer(request: HttpRequest, listing: Any) -> dict[str, Any] | None:
    """For the service page: what an enterprise's voucher would cover, if it has one."""
    user: Any = request.user
    if not user.is_enterprise_user:
        return None
    try:
        enterprise = own_enterprise(user)
    except NotFound:
        return None
    quota = _current_quota(enterprise)
    if quota is None:
        return {"quota": None, "eligibility": eligibility.of(enterprise)}
    view = selectors.quota_view(quota)
    scheme = quota.scheme
    most = min(
        services.ratio_share(scheme, listing.price_max_fen), scheme.order_cap_fen, view.left_fen
    )
    return {
        "quota": view,
        "ratio_percent": float(scheme.ratio) * 100,
        "most_fen": max(most, 0),
    }

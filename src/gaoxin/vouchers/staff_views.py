"""创新券 pages of the zone: the scheme and its budget, quotas, the review queue, settlements
and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core import numbers
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.idempotency import idempotent
from gaoxin.core.web import paginate, permission_required
from gaoxin.enterprises.selectors import sees_all
from gaoxin.enterprises.selectors import visible_to as visible_enterprises
from gaoxin.ledger.money import to_yuan
from gaoxin.policies.models import Policy
from gaoxin.vouchers import exporting, selectors, services, settlements
from gaoxin.vouchers.choices import OrderState, SchemeStatus
from gaoxin.vouchers.models import VoucherScheme
from gaoxin.vouchers.statement import statement_response
from gaoxin.vouchers.views import yuan_field

VIEW = selectors.VIEW_SCHEMES
MANAGE = services.MANAGE


def _staff_only(request: HttpRequest) -> None:
    user: Any = request.user
    if not user.is_zone_staff:
        raise PermissionDenied(_("您的账号没有此操作的权限"))


def _wan(fen: int) -> float:
    return round(fen / 1_000_000, 2)


@permission_required(VIEW)
def scheme(request: HttpRequest) -> HttpResponse:
    """The year's scheme: figures, budget, budget use over time, quotas."""
    _staff_only(request)
    schemes = list(selectors.schemes_visible_to(request.user))
    year = request.GET.get("year", "")
    chosen = next((s for s in schemes if str(s.year) == year), None) or next(
        (s for s in schemes if s.year == timezone.localdate().year), schemes[0] if schemes else None
    )
    if chosen is None:
        return render(request, "vouchers/scheme.html", {"scheme": None, "schemes": []})
    # Every figure over the caller's data scope; the pool's own totals only for whole-zone
    # scopes (selectors.budget_for).
    scoped_quotas = selectors.quotas_visible_to(request.user, chosen)
    quotas = scoped_quotas.select_related("enterprise")
    q = request.GET.get("q", "").strip()
    if q:
        quotas = quotas.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc=q))
    budget = selectors.budget_for(request.user, chosen)
    over_time = selectors.budget_over_time(chosen, request.user)
    orders = selectors.orders_visible_to(request.user).filter(scheme=chosen)
    report = selectors.report(orders)
    page = paginate(request, quotas.order_by("-granted_fen", "enterprise__name"))
    series = [
        {"name": _("已下达"), "values": [_wan(r["funded"]) for r in over_time]},
        {"name": _("已使用（含预留）"), "values": [_wan(r["committed"]) for r in over_time]},
        {"name": _("已结算"), "values": [_wan(r["paid"]) for r in over_time]},
    ]
    return render(
        request,
        "vouchers/scheme.html",
        {
            "scheme": chosen,
            "schemes": schemes,
            "budget": budget,
            "page": page,
            "used": {v.quota.pk: v for v in selectors.quota_views(page.object_list)},
            "quota_count": scoped_quotas.count(),
            "quota_total_fen": scoped_quotas.aggregate(s=Sum("granted_fen"))["s"] or 0,
            "q": q,
            "report": report,
            "can_manage": request.user.has_perm(MANAGE),
            "chart": {
                "title": _("预算使用（万元）") if budget.zone_wide else _("本范围预算使用（万元）"),
                "unit": _("万元"),
                "labels": [row["day"] for row in over_time],
                "series": series if budget.zone_wide else series[1:],
            },
            "states": list(OrderState.choices),
        },
    )


def _scheme_data(request: HttpRequest, year: int) -> services.SchemeData:
    post = request.POST
    try:
        ratio = numbers.parse_percent(post.get("ratio", ""))
    except numbers.NumberError as exc:
        raise ValidationFailed(str(exc), field="ratio") from None
    dates = {}
    for name in ("opens_on", "closes_on"):
        try:
            dates[name] = dt.date.fromisoformat(post.get(name, ""))
        except ValueError:
            raise ValidationFailed(_("请填写日期，如 2026-01-01"), field=name) from None
    policy = None
    chosen = post.get("policy", "")
    if chosen:
        policy = (
            Policy.objects.filter(pk=int(chosen), category="voucher").first()
            if chosen.isascii() and chosen.isdigit() and len(chosen) < 19
            else None
        )
        if policy is None:
            raise ValidationFailed(_("请选择创新券类政策"), field="policy")
    return services.SchemeData(
        year=year,
        name=post.get("name", ""),
        ratio=ratio,
        order_cap_fen=yuan_field(request, "order_cap"),
        enterprise_cap_fen=yuan_field(request, "enterprise_cap"),
        second_review_from_fen=yuan_field(request, "second_review_from"),
        opens_on=dates["opens_on"],
        closes_on=dates["closes_on"],
        policy=policy,
    )


@permission_required(MANAGE)
def scheme_form(request: HttpRequest) -> HttpResponse:
    """Create the year's scheme (from the settings' defaults) or change its figures."""
    _staff_only(request)
    year_text = request.GET.get("year") or request.POST.get("year") or ""
    try:
        year = numbers.parse_int(year_text, minimum=1900, maximum=2100) if year_text else None
    except numbers.NumberError:
        raise NotFound(_("年度不正确")) from None
    year = year or timezone.localdate().year
    existing = VoucherScheme.objects.filter(year=year).first()
    error: DomainError | None = None
    if request.method == "POST":
        try:
            data = _scheme_data(request, year)
            if existing is None:
                existing = services.create_scheme(actor=Actor.of(request), data=data)
            else:
                services.update_scheme(actor=Actor.of(request), scheme=existing, data=data)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("方案已保存"))
            return redirect(f"/vouchers/manage/?year={year}")
        values = dict(request.POST.items())
    else:
        source: Any = existing or services.default_scheme(year)
        values = {
            "name": source.name,
            "ratio": f"{(source.ratio * 100).normalize():f}",
            "order_cap": f"{to_yuan(source.order_cap_fen)}",
            "enterprise_cap": f"{to_yuan(source.enterprise_cap_fen)}",
            "second_review_from": f"{to_yuan(source.second_review_from_fen)}",
            "opens_on": source.opens_on.isoformat(),
            "closes_on": source.closes_on.isoformat(),
            "policy": str(source.policy.pk) if source.policy else "",
        }
    return render(
        request,
        "vouchers/scheme_form.html",
        {
            "year": year,
            "scheme": existing,
            "values": values,
            "policies": Policy.objects.filter(category="voucher").order_by("title"),
            "error": error,
        },
    )


def _find_enterprise(request: HttpRequest, text: str) -> Any:
    """By 统一社会信用代码 or exact name, within the user's data scope."""
    text = text.strip()
    found = visible_enterprises(request.user).filter(Q(uscc=text.upper()) | Q(name=text)).first()
    if not text or found is None:
        raise ValidationFailed(
            _("找不到企业“%(t)s”：请填写统一社会信用代码或完整的企业名称") % {"t": text},
            field="enterprise",
        )
    return found


@require_POST
@permission_required(MANAGE)
@idempotent
def scheme_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _staff_only(request)
    chosen = selectors.get_scheme(request.user, pk)
    actor = Actor.of(request)
    try:
        if action == "fund":
            amount = yuan_field(request, "amount")
            services.fund(actor=actor, scheme=chosen, amount_fen=amount)
            messages.success(request, _("预算已下达"))
        elif action == "grant":
            result = services.grant_quotas(actor=actor, scheme=chosen)
            messages.success(
                request,
                _("核定完成：新核定 %(g)s 家，原有 %(a)s 家，不符合 %(i)s 家，缺数据 %(u)s 家")
                % {
                    "g": result.granted,
                    "a": result.already,
                    "i": result.ineligible,
                    "u": result.unknown,
                },
            )
        elif action == "grant_one":
            enterprise = _find_enterprise(request, request.POST.get("enterprise", ""))
            services.grant_quota(
                actor=actor,
                scheme=chosen,
                enterprise=enterprise,
                amount_fen=yuan_field(request, "amount"),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已为 %(e)s 核定额度") % {"e": enterprise.name})
        elif action in SchemeStatus.values:
            services.set_status(actor=actor, scheme=chosen, status=action)
            messages.success(request, _("方案状态：%(s)s") % {"s": SchemeStatus(action).label})
        else:
            raise NotFound(_("没有这个操作"))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(f"/vouchers/manage/?year={chosen.year}")


@permission_required(selectors.VIEW_ORDERS)
def order_list(request: HttpRequest) -> HttpResponse:
    """All orders in the user's data scope, with the redemptions waiting for review first."""
    _staff_only(request)
    state = request.GET.get("state", "")
    q = request.GET.get("q", "")
    queue = selectors.review_queue(request.user)
    listed = _orders_listed(request)
    return render(
        request,
        "vouchers/orders.html",
        {
            "queue": queue[:50],
            "queue_count": queue.count(),
            "page": paginate(request, listed),
            "state": state,
            "q": q,
            "states": list(OrderState.choices),
            "can_review": request.user.has_perm("vouchers.review_voucherorder"),
            "user_label": request.user.get_username(),
        },
    )


def _orders_listed(request: HttpRequest) -> Any:
    """The orders in the user's scope, searched and filtered as the list page asks."""
    listed = selectors.enterprise_filter(
        selectors.orders_visible_to(request.user), request.GET.get("q", "")
    )
    state = request.GET.get("state", "")
    if state in OrderState.values:
        listed = listed.filter(state=state)
    return listed.order_by("-placed_at", "-pk")


_ORDER_RELATED = ("enterprise", "provider__organisation", "listing__category", "settlement")


@permission_required(selectors.VIEW_ORDERS)
def order_export(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    rows = _orders_listed(request).select_related(*_ORDER_RELATED).iterator()
    return export_response(exporting.ORDERS, rows, as_csv=wants_csv(request))


@permission_required(selectors.VIEW_ORDERS, "vouchers.review_voucherorder")
def redemption_export(request: HttpRequest) -> HttpResponse:
    """The redemptions waiting for review (待审核的兑付), oldest first, as the page lists them."""
    _staff_only(request)
    rows = selectors.review_queue(request.user).select_related(*_ORDER_RELATED).iterator()
    return export_response(exporting.REDEMPTIONS, rows, as_csv=wants_csv(request))


def _settlement_reader(request: HttpRequest) -> Any:
    """Staff who may see settlements, or a provider (its own statements)."""
    user: Any = request.user
    is_provider = user.organisation_kind == OrganisationKind.SERVICE_PROVIDER
    if not is_provider and not (user.is_zone_staff and user.has_perm(selectors.VIEW_SETTLEMENTS)):
        raise PermissionDenied(_("您的账号没有此操作的权限"))
    if not is_provider and not sees_all(user):
        raise PermissionDenied(_("结算单汇总全区企业的订单，只有数据范围为全部的人员可以查看"))
    return user


@login_required
def settlement_export(request: HttpRequest) -> HttpResponse:
    statements = selectors.settlements_visible_to(_settlement_reader(request))
    rows = (
        statements.select_related("provider__organisation")
        .order_by("-period", "provider__organisation__name", "pk")
        .iterator()
    )
    return export_response(exporting.SETTLEMENTS, rows, as_csv=wants_csv(request))


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    """Staff: what each provider is due this period, and the statements. A provider: its own
    statements."""
    user = _settlement_reader(request)
    is_provider = user.organisation_kind == OrganisationKind.SERVICE_PROVIDER
    statements = selectors.settlements_visible_to(user)
    chosen = VoucherScheme.objects.filter(year=timezone.localdate().year).first()
    due: list[settlements.Due] = []
    periods: list[str] = []
    period = request.GET.get("period", "")
    if chosen is not None and not is_provider:
        periods = settlements.periods_of(chosen)
        period = period if period in periods else (periods[0] if periods else "")
        if period:
            due = settlements.due_by_provider(chosen, period)
    return render(
        request,
        "vouchers/settlements.html",
        {
            "page": paginate(
                request, statements.order_by("-period", "provider__organisation__name")
            ),
            "scheme": chosen,
            "periods": periods,
            "period": period,
            "due": due,
            "due_total": sum(d.total_fen for d in due),
            "can_settle": user.is_zone_staff and user.has_perm(settlements.SETTLE),
            "is_provider": is_provider,
        },
    )


@require_POST
@permission_required(settlements.SETTLE)
@idempotent
def settlement_issue(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    chosen = VoucherScheme.objects.filter(year=timezone.localdate().year).first()
    if chosen is None:
        raise NotFound(_("本年度没有创新券方案"))
    period = request.POST.get("period", "")
    try:
        issued = settlements.issue_all(actor=Actor.of(request), scheme=chosen, period=period)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已生成 %(n)s 张结算单") % {"n": len(issued)})
    return redirect(f"/vouchers/settlements/?period={period}")


@login_required
def settlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.get_settlement(request.user, pk)
    orders = statement.orders.select_related("enterprise", "listing__category").order_by("pk")
    return render(
        request,
        "vouchers/settlement.html",
        {
            "statement": statement,
            "orders": orders,
            "ledger_paid_fen": selectors.paid_on_ledger(statement),
            "can_settle": request.user.is_zone_staff  # type: ignore[union-attr]
            and request.user.has_perm(settlements.SETTLE),
        },
    )


@require_POST
@permission_required(settlements.SETTLE)
@idempotent
def settlement_pay(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    statement = selectors.get_settlement(request.user, pk)
    try:
        settlements.pay(actor=Actor.of(request), settlement=statement)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已确认付款：%(n)s") % {"n": statement.number})
    return redirect("vouchers:settlement", statement.pk)


@login_required
def settlement_statement(request: HttpRequest, pk: int) -> HttpResponse:
    return statement_response(selectors.get_settlement(request.user, pk))


@permission_required(selectors.VIEW_ORDERS)
def report(request: HttpRequest) -> HttpResponse:
    """创新券报表: deductions per year, per category and per provider; enterprises served."""
    _staff_only(request)
    orders = selectors.orders_visible_to(request.user)
    by_year = selectors.by_year(orders)
    years = [r["scheme__year"] for r in by_year]
    year_text = request.GET.get("year", "")
    try:
        year = numbers.parse_int(year_text, minimum=1900, maximum=2100)
    except numbers.NumberError:
        year = years[-1] if years else timezone.localdate().year
    data = selectors.report(orders.filter(scheme__year=year))
    return render(
        request,
        "vouchers/report.html",
        {
            "year": year,
            "years": years,
            "report": data,
            "by_year": by_year,
            "category_chart": {
                "title": _("按服务类别（万元）"),
                "unit": _("万元"),
                "labels": [_(r["listing__category__name"]) for r in data["by_category"]],
                "values": [_wan(r["deduction"]) for r in data["by_category"]],
            },
            "provider_chart": {
                "title": _("抵扣金额前十的服务机构（万元）"),
                "unit": _("万元"),
                "labels": [r["provider__organisation__name"] for r in data["by_provider"][:10]],
                "values": [_wan(r["deduction"]) for r in data["by_provider"][:10]],
            },
            "year_chart": {
                "title": _("历年抵扣金额（万元）"),
                "unit": _("万元"),
                "labels": [str(r["scheme__year"]) for r in by_year],
                "values": [_wan(r["deduction"]) for r in by_year],
            },
        },
    )

"""Pages of 免申即享: staff run a policy's payouts; enterprises confirm theirs; anyone reads
the public notice (公示); staff read the report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.fields import MoneyField
from gaoxin.core.idempotency import idempotent
from gaoxin.core.uscc import mask
from gaoxin.core.web import paginate, permission_required
from gaoxin.enterprises.selectors import sees_all, visible_to
from gaoxin.enterprises.taxonomy_choices import label
from gaoxin.ledger.money import to_fen
from gaoxin.ledger.selectors import pool_balances, share_balances
from gaoxin.policies import exporting, payouts, selectors
from gaoxin.policies.budgeting import Allocation, RankOrder
from gaoxin.policies.choices import PayoutState
from gaoxin.policies.models import Payout, PayoutBatch
from gaoxin.policies.people import identify_people, pays_persons, people_preview
from gaoxin.policies.preview import identify_preview
from gaoxin.policies.selectors import own_payouts
from gaoxin.policies.standing import why_not

VIEW = "policies.view_policy"
RUN = "policies.change_policy"
APPROVE = "policies.approve_payoutbatch"


class ConfirmForm(forms.Form):
    bank_name = forms.CharField(label=gettext_lazy("开户银行"), max_length=100)
    account_name = forms.CharField(
        label=gettext_lazy("账户名称"), max_length=200, help_text=gettext_lazy("须与企业名称一致")
    )
    account_number = forms.CharField(label=gettext_lazy("银行账号"), max_length=40)


class FundForm(forms.Form):
    amount = MoneyField(label=gettext_lazy("下达预算（元）"))


class DecideForm(forms.Form):
    amount = MoneyField(label=gettext_lazy("核定金额（元）"))
    note = forms.CharField(label=gettext_lazy("核定依据"), max_length=300, required=False)


def _payout_of_policy(user: Any, policy: Any, pk: Any) -> Payout:
    payout = Payout.objects.filter(policy=policy, enterprise__in=visible_to(user), pk=pk).first()
    if payout is None:
        raise NotFound(_("没有找到这项兑现"))
    return payout


@permission_required(VIEW, RUN)
def policy_payouts(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.get_visible(request.user, pk)
    year = timezone.localdate().year
    pool = payouts.pool_of(policy, year)
    items = _payouts_listed(request, policy, year)
    state = request.GET.get("state") or ""
    # Every figure over the caller's data scope; the pool's own totals only for whole-zone
    # scopes, anyone else reads their scope's share.
    visible = visible_to(request.user)
    scoped = Payout.objects.filter(policy=policy, year=year, enterprise__in=visible)
    counts = dict(scoped.values_list("state").annotate(n=Count("pk")).order_by())
    # Decided amounts and undecided bounds (benefit.upto) are summed apart: a bound is the
    # most staff may decide, not money owed.
    undecided = Q(amount_fen__isnull=True, bound_fen__isnull=False)
    totals = scoped.exclude(state=PayoutState.REJECTED).aggregate(
        decided=Sum("amount_fen"),
        bounds=Sum("bound_fen", filter=undecided),
        waiting=Count("pk", filter=undecided),
    )
    zone_wide = sees_all(request.user)
    balances: Any = None
    if pool is not None:
        keys = scoped.exclude(reservation_key="").values_list("reservation_key", flat=True)
        balances = pool_balances(pool) if zone_wide else share_balances(pool, keys)
    in_scope = Q(payouts__enterprise__in=visible)
    return render(
        request,
        "policies/payouts.html",
        {
            "policy": policy,
            "year": year,
            "pool": pool,
            "balances": balances,
            "zone_wide": zone_wide,
            "page": paginate(request, items, default_size=50),
            "state": state,
            "states": PayoutState.choices,
            "counts": counts,
            "totals": totals,
            "fund_form": FundForm(),
            "batches": PayoutBatch.objects.filter(policy=policy, year=year)
            .annotate(
                n=Count("payouts", filter=in_scope),
                total=Sum("payouts__amount_fen", filter=in_scope),
            )
            .filter(n__gt=0),
            "can_approve": request.user.has_perm(APPROVE),
        },
    )


def _payouts_listed(request: HttpRequest, policy: Any, year: int) -> Any:
    """The year's payouts of the policy in the user's scope, filtered as the page asks
    (`state`, and `batch` for one batch's 拨付清单)."""
    items = (
        Payout.objects.filter(policy=policy, year=year, enterprise__in=visible_to(request.user))
        .select_related("enterprise", "batch", "policy", "person")
        .order_by("state", "-amount_fen", "pk")
    )
    state = request.GET.get("state") or ""
    if state:
        items = items.filter(state=state)
    batch = _batch_id(request)
    if batch is not None:
        items = items.filter(batch_id=batch)
    return items


def _batch_id(request: HttpRequest) -> int | None:
    text = request.GET.get("batch") or ""
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 12 else 0


@permission_required(VIEW, RUN)
def payouts_export(request: HttpRequest, pk: int) -> HttpResponse:
    """拨付清单: the payouts the page lists, with the bank details the finance bureau pays to."""
    policy = selectors.get_visible(request.user, pk)
    year = timezone.localdate().year
    items = _payouts_listed(request, policy, year)
    batch = PayoutBatch.objects.filter(policy=policy, pk=_batch_id(request) or 0).first()
    name = batch.number if batch is not None else policy.title
    return export_response(
        exporting.PAYOUTS, items.iterator(), as_csv=wants_csv(request), name=name
    )


def _run(request: HttpRequest, pk: int, action: Any) -> HttpResponse:
    policy = selectors.get_visible(request.user, pk)
    try:
        message = action(policy, Actor.of(request), timezone.localdate().year)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, message)
    return redirect("policies:payouts", pk=policy.pk)


@require_POST
@permission_required(VIEW, RUN)
@idempotent
def payouts_fund(request: HttpRequest, pk: int) -> HttpResponse:
    form = FundForm(request.POST)

    def fund(policy: Any, actor: Actor, year: int) -> str:
        if not form.is_valid():
            raise DomainError(_("请填写正确的预算金额"))
        amount = to_fen(form.cleaned_data["amount"])
        payouts.fund(actor=actor, policy=policy, year=year, amount_fen=amount)
        return _("已下达预算 %(a)s 元") % {"a": form.cleaned_data["amount"]}

    return _run(request, pk, fund)


@permission_required(VIEW, RUN)
def payouts_identify(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the list "识别并推送" would make — enterprises, messages per channel, total against
    the budget left, and, over budget, the choice to make; POST of that confirmation: do it."""
    policy = selectors.get_visible(request.user, pk)
    year = timezone.localdate().year
    if not sees_all(request.user):
        # The list and the budget are the zone's: a scoped account would act on, and see,
        # figures beyond its scope.
        messages.error(
            request, _("识别并推送面向全园区的名单和预算，只有数据范围为全园区的账号可以操作")
        )
        return redirect("policies:payouts", pk=policy.pk)
    for_people = pays_persons(policy)
    if request.method == "POST":

        def identify(policy: Any, actor: Actor, year: int) -> str:
            if for_people:
                n = identify_people(
                    actor=actor, policy=policy, year=year, expected=request.POST.get("expected", "")
                )
                return _("新识别并推送 %(n)s 位人员") % {"n": n}
            n = payouts.identify(
                actor=actor,
                policy=policy,
                year=year,
                allocation=request.POST.get("allocation") or None,
                order=request.POST.get("order") or RankOrder.AMOUNT_DESC,
                expected=request.POST.get("expected", ""),
            )
            return _("新识别并推送 %(n)s 家企业") % {"n": n}

        return _run(request, pk, identify)
    return render(
        request,
        "policies/confirm_identify.html",
        {
            "policy": policy,
            "preview": people_preview(policy, year)
            if for_people
            else identify_preview(policy, year),
            "for_people": for_people,
            "blocked": why_not(policy),
            "allocations": Allocation.choices,
            "orders": RankOrder.choices,
        },
    )


@require_POST
@permission_required(VIEW, RUN)
def payout_verify(request: HttpRequest, pk: int, payout_id: int) -> HttpResponse:
    def verify(policy: Any, actor: Actor, year: int) -> str:
        payout = _payout_of_policy(request.user, policy, payout_id)
        accept = request.POST.get("decision") == "accept"
        payouts.verify(actor=actor, payout=payout, accept=accept, note=request.POST.get("note", ""))
        return _("已核验：%(e)s") % {"e": payout.enterprise.name}

    return _run(request, pk, verify)


@require_POST
@permission_required(VIEW, RUN)
@idempotent
def payout_decide(request: HttpRequest, pk: int, payout_id: int) -> HttpResponse:
    """核定金额: staff decide the amount of a payout identified under a bound (最高 X)."""
    form = DecideForm(request.POST)

    def decide(policy: Any, actor: Actor, year: int) -> str:
        payout = _payout_of_policy(request.user, policy, payout_id)
        if not form.is_valid():
            raise DomainError(_("请填写正确的核定金额"))
        fen = to_fen(form.cleaned_data["amount"])
        payouts.decide_amount(
            actor=actor, payout=payout, amount_fen=fen, note=form.cleaned_data["note"]
        )
        return _("已核定：%(e)s %(a)s 元") % {
            "e": payout.payee_name,
            "a": form.cleaned_data["amount"],
        }

    return _run(request, pk, decide)


@require_POST
@permission_required(VIEW, RUN)
@idempotent
def payouts_batch(request: HttpRequest, pk: int) -> HttpResponse:
    def batch(policy: Any, actor: Actor, year: int) -> str:
        ids = request.POST.getlist("payout")
        chosen = [_payout_of_policy(request.user, policy, i) for i in ids]
        made = payouts.create_batch(actor=actor, policy=policy, year=year, payouts=chosen)
        return _("已生成批次 %(b)s，预算已预留，待审批") % {"b": made.number}

    return _run(request, pk, batch)


@require_POST
@permission_required(VIEW, APPROVE)
@idempotent
def batch_action(request: HttpRequest, pk: int, batch_id: int, action: str) -> HttpResponse:
    def act(policy: Any, actor: Actor, year: int) -> str:
        batch = PayoutBatch.objects.filter(policy=policy, pk=batch_id).first()
        if batch is None:
            raise NotFound(_("没有找到这个批次"))
        if action == "approve":
            payouts.approve_batch(actor=actor, batch=batch)
            return _("批次已审批")
        if action == "pay":
            payouts.pay_batch(actor=actor, batch=batch)
            return _("批次已拨付")
        if action == "publish":
            payouts.publish_batch(actor=actor, batch=batch)
            return _("已在公示栏公示")
        raise NotFound(_("未知操作"))

    return _run(request, pk, act)


@login_required
def my_payouts(request: HttpRequest) -> HttpResponse:
    # The enterprise's own payouts and those of its people, or a person's own (the payee is
    # named on each).
    enterprise, items = own_payouts(request.user)
    return render(
        request,
        "policies/my_payouts.html",
        {"enterprise": enterprise, "items": items, "form": ConfirmForm()},
    )


@require_POST
@login_required
def my_payout_confirm(request: HttpRequest, payout_id: int) -> HttpResponse:
    _enterprise, mine = own_payouts(request.user)
    payout = mine.filter(pk=payout_id).first()
    if payout is None:
        raise NotFound(_("没有找到这项兑现"))
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            payouts.confirm(actor=Actor.of(request), payout=payout, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已确认，园区核验后将拨付到您提供的账户"))
    else:
        messages.error(request, _("请完整填写开户银行、账户名称和银行账号"))
    return redirect("policies:my_payouts")


def public_notice(request: HttpRequest) -> HttpResponse:
    """公示: published payouts, enterprise names and codes masked as settings say."""
    from django.conf import settings

    items = (
        Payout.objects.filter(state__in=[PayoutState.PUBLISHED, PayoutState.ARCHIVED])
        .select_related("policy", "enterprise", "batch")
        .order_by("-batch__published_at", "-amount_fen")
    )
    rows = []
    for p in items[:500]:
        name = p.enterprise.name
        if settings.GAOXIN_MASK_PUBLIC_USCC:
            shown, code = _mask_name(name), mask(p.enterprise.uscc)
        else:
            shown, code = name, p.enterprise.uscc
        rows.append(
            {
                "policy": p.policy.title,
                "name": shown,
                "uscc": code,
                "amount": Decimal(p.amount_fen or 0) / 100,  # published: decided
                "published": p.batch.published_at if p.batch else None,
            }
        )
    return render(request, "policies/notice.html", {"rows": rows})


def _mask_name(name: str) -> str:
    """厦门星辰微电子科技有限公司 → 厦门星辰****有限公司: enough to recognise, not to copy."""
    if len(name) <= 6:
        return name[:1] + "*" * (len(name) - 1)
    return name[:4] + "****" + name[-4:]


@permission_required(VIEW)
def payout_report(request: HttpRequest) -> HttpResponse:
    paid = Payout.objects.filter(
        state__in=[PayoutState.PAID, PayoutState.PUBLISHED, PayoutState.ARCHIVED],
        enterprise__in=visible_to(request.user),
    )
    by_policy = list(
        paid.values("policy__title", "year")
        .annotate(n=Count("enterprise", distinct=True), total=Sum("amount_fen"))
        .order_by("-total")
    )
    by_chain = list(
        paid.values("enterprise__chain")
        .annotate(n=Count("enterprise", distinct=True), total=Sum("amount_fen"))
        .order_by("-total")
    )
    by_year = list(
        paid.values("year")
        .annotate(n=Count("enterprise", distinct=True), total=Sum("amount_fen"))
        .order_by("year")
    )
    totals = paid.aggregate(total=Sum("amount_fen"), n=Count("enterprise", distinct=True))
    chart = {
        "labels": [label("chain", r["enterprise__chain"]) or _("未分类") for r in by_chain],
        "values": [round(r["total"] / 1_000_000, 2) for r in by_chain],
        "ids": [r["enterprise__chain"] for r in by_chain],
        "title": _("各产业链已兑现金额（万元）"),
        "unit": _("万元"),
    }
    return render(
        request,
        "policies/report.html",
        {
            "by_policy": by_policy,
            "by_chain": by_chain,
            "by_year": by_year,
            "chart": chart,
            "total": Decimal(totals["total"] or 0) / 100,
            "enterprises": totals["n"],
            "today": dt.date.today(),
        },
    )

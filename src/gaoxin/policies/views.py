"""Policy library pages for zone staff: list, policy page with its matches, editor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.core import cached
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.models import AuditEntry
from gaoxin.core.web import paginate, permission_required
from gaoxin.policies import exporting, library, matching, selectors, services, versions
from gaoxin.policies.choices import Category, Delivery, MatchStatus, PolicyStatus, VersionState
from gaoxin.policies.forms import PolicyTextForm
from gaoxin.policies.models import MatchRun, Policy, PolicyMatch
from gaoxin.rules import run_tests
from gaoxin.rules.beneficiary import words as beneficiary_words
from gaoxin.rules.describe import describe

VIEW = "policies.view_policy"
CHANGE = "policies.change_policy"
TEMPLATE = """id: new-policy-2026
title: 新政策名称
issuer: 园区管委会
source: 文件名称及文号
category: subsidy
effective: {from: 2026-01-01, to: 2026-12-31}
delivery: auto
notify: [legal_rep, finance_head]

conditions:
  - label: 在园区注册满一年
    when: in_zone and years_since(registered_at) >= 1
  - label: 上年研发费用不低于 100 万元
    when: rd_expense[Y-1] >= 100万

benefit:
  amount: min(rd_expense[Y-1] * 10%, 50万)

tests:
  - name: 研发费用 200 万 → 补助 20 万
    date: 2026-06-30
    enterprise: {in_zone: true, registered_at: 2020-01-01, rd_expense: {2025: 200万}}
    expect: {status: eligible, amount: 20万}
"""


@permission_required(VIEW)
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = selectors.search(selectors.visible_to(request.user), request.GET)
    today = timezone.localdate()
    soon = today + dt.timedelta(days=60)
    expiring = (
        selectors.visible_to(request.user)
        .filter(status=PolicyStatus.PUBLISHED, effective_to__gte=today, effective_to__lte=soon)
        .order_by("effective_to")[:10]
    )
    open_windows = (
        selectors.visible_to(request.user)
        .filter(status=PolicyStatus.PUBLISHED, delivery=Delivery.APPLY)
        .exclude(effective_to__lt=today)
        .order_by("effective_to")[:10]
    )
    page = paginate(request, policies.order_by("-updated_at", "id"))
    counts = _eligible_counts(request.user, [p.pk for p in page.object_list])
    return render(
        request,
        "policies/list.html",
        {
            "page": page,
            "counts": counts,
            "expiring": expiring,
            "open_windows": open_windows,
            "categories": Category.choices,
            "statuses": PolicyStatus.choices,
            "deliveries": Delivery.choices,
            "params": request.GET,
            "can_add": request.user.has_perm("policies.add_policy"),
        },
    )


@permission_required(VIEW)
def policy_export(request: HttpRequest) -> HttpResponse:
    """The policy library as the list filters it, with each policy's eligible enterprises."""
    listed = selectors.search(selectors.visible_to(request.user), request.GET)
    policies = list(listed.order_by("-updated_at", "id"))
    counts = _eligible_counts(request.user, [p.pk for p in policies])
    for policy in policies:
        policy.eligible_count = counts.get(policy.pk, 0)  # type: ignore[attr-defined]
    return export_response(exporting.POLICIES, policies, as_csv=wants_csv(request))


def _eligible_counts(user: Any, ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        selectors.matches_visible_to(user)
        .filter(policy_id__in=ids, status=MatchStatus.ELIGIBLE)
        .values_list("policy_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


@permission_required(VIEW)
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.get_visible(request.user, pk)
    matches = (
        selectors.matches_visible_to(request.user)
        .filter(policy=policy)
        .select_related("enterprise")
    )
    loaded = library.parse(policy.current.text) if policy.current else None
    today = timezone.localdate()
    conditions = []
    if loaded is not None:
        for condition in loaded.conditions:
            conditions.append(
                {
                    "label": condition.label,
                    "manual": condition.manual,
                    "reads": describe(condition.when, loaded, today) if condition.when else "",
                    "note": condition.note,
                }
            )
    context = {
        "policy": policy,
        "loaded": loaded,
        "conditions": conditions,
        "benefit": (
            describe(loaded.benefit, loaded, today, money=True) if loaded and loaded.benefit else ""
        ),
        # Who is paid, when not the enterprise itself (个人（人才）, 服务机构, 引荐人).
        "beneficiary": (
            beneficiary_words(loaded.beneficiary)
            if loaded and loaded.beneficiary != "enterprise"
            else ""
        ),
        **_counts(matches),
        "eligible": matches.filter(status=MatchStatus.ELIGIBLE).order_by("-amount")[:50],
        "review": matches.filter(status=MatchStatus.REVIEW).order_by("-amount")[:50],
        "near": list(
            matching.with_shortfalls(
                matches.filter(status=MatchStatus.INELIGIBLE)
                .select_related("version", "enterprise")
                .order_by(F("gap").asc(nulls_last=True), "enterprise__name")[:50]
            )
        ),
        "versions": policy.versions.all()[:20],
        "pending": versions.pending(policy),
        "run": MatchRun.objects.filter(version__policy=policy).first(),
        # the policy's own changes and its versions' moves (submitted, approved, returned …)
        "history": AuditEntry.objects.filter(
            Q(model="policies.policy", object_id=str(policy.pk))
            | Q(subject_model="policies.policy", subject_id=str(policy.pk))
        )[:50],
        "can_change": request.user.has_perm(CHANGE),
        "can_publish": request.user.has_perm("policies.publish_policy"),
        "ended": bool(policy.effective_to and policy.effective_to < today),
    }
    return render(request, "policies/detail.html", context)


def _counts(matches: QuerySet[PolicyMatch]) -> dict[str, Any]:
    """A policy's matches counted by status and by missing data: reading all of them (50,000
    in a large zone) on every visit, they are kept in the cache until the matches or the
    registry (the scope) change, per scope (the query)."""

    def count() -> dict[str, Any]:
        return {
            "summary": selectors.summary(matches),
            "missing": selectors.missing_fields(matches)[:15],
        }

    if matches.query.is_empty():
        return count()
    parts = ("policy counts", str(matches.query), cached.version(cached.REGISTRY))
    return cached.remember(cached.MATCHES, parts, count)


@permission_required(VIEW, "policies.add_policy")
def policy_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@permission_required(VIEW, CHANGE)
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, selectors.get_visible(request.user, pk))


def _edit(request: HttpRequest, policy: Policy | None) -> HttpResponse:
    # A text carried here from 从政策原文起草 or from the policy form, not yet saved.
    carried = request.POST.get("draft")
    pending = versions.pending(policy) if policy is not None else None
    latest = pending or (policy.current if policy is not None else None)
    initial = {"text": carried or (latest.text if latest is not None else TEMPLATE)}
    form = PolicyTextForm(None if carried else request.POST or None, initial=initial)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_policy(
                actor=Actor.of(request), text=form.cleaned_data["text"], policy=policy
            )
        except DomainError as exc:
            problems = exc.details or []
            form.add_error("text", str(exc.message))
        else:
            draft = versions.pending(saved)
            if draft is None:  # the text of the version in force, unchanged
                messages.info(request, _("内容与现行版本相同，没有新的修改稿"))
                return redirect("policies:detail", pk=saved.pk)
            messages.success(request, _("已保存为修改稿；提交审批、经另一位工作人员审批后才能发布"))
            return redirect("policies:version", pk=saved.pk, version_id=draft.pk)
    return render(
        request, "policies/edit.html", {"form": form, "policy": policy, "problems": problems}
    )


@require_POST
@permission_required(VIEW)
def policy_check(request: HttpRequest) -> HttpResponse:
    """Live checking in the editor (HTMX): the problems of the text as it is now."""
    text = request.POST.get("text", "")
    return render(
        request, "policies/_problems.html", {"problems": library.problems_of(text), "checked": True}
    )


@require_POST
@permission_required(VIEW)
def policy_run_tests(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "")
    problems = library.problems_of(text)
    if problems:
        return render(request, "policies/_problems.html", {"problems": problems})
    outcomes, _untested = run_tests([library.parse(text)])
    return render(request, "policies/_tests.html", {"outcomes": outcomes})


@permission_required(VIEW, "policies.publish_policy")
def policy_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """发布并匹配: the confirmation of the version approved for publication."""
    policy = selectors.get_visible(request.user, pk)
    ready = policy.versions.filter(state=VersionState.APPROVED).first()
    if ready is None:
        messages.error(
            request, _("没有审批通过的版本：修改稿须先提交，由另一位工作人员审批后才能发布")
        )
        return redirect("policies:detail", pk=policy.pk)
    return redirect("policies:version_publish", pk=policy.pk, version_id=ready.pk)


@permission_required(VIEW, "policies.add_policy")
def policy_library(request: HttpRequest) -> HttpResponse:
    """The shipped library: the zone's own policies, and other regions' examples that a zone
    may import as drafts."""
    region = settings.GAOXIN_ZONE_REGION
    have = set(Policy.objects.values_list("slug", flat=True))
    shipped = sorted(
        (loaded for _path, loaded in library.shipped_policies()),
        key=lambda p: (library.zone_publishes(p, region), p.region, p.id),
    )
    rows = [
        {"policy": p, "zone": library.zone_publishes(p, region), "imported": p.id in have}
        for p in shipped
    ]
    return render(request, "policies/library.html", {"rows": rows, "region": region})


@require_POST
@permission_required(VIEW, "policies.add_policy")
def policy_import(request: HttpRequest) -> HttpResponse:
    try:
        policy = services.import_library_policy(
            actor=Actor.of(request), policy_id=request.POST.get("policy", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("policies:library")
    messages.success(
        request, _("已导入为草稿：%(t)s。请按本区实际修改后发布。") % {"t": policy.title}
    )
    return redirect("policies:detail", pk=policy.pk)


@require_POST
@permission_required(VIEW, "policies.publish_policy")
def policy_expire(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.get_visible(request.user, pk)
    services.expire(actor=Actor.of(request), policy=policy)
    messages.success(request, _("已设为失效"))
    return redirect("policies:detail", pk=policy.pk)


@permission_required(VIEW, "policies.view_policymatch")
def match_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The policy's matches as the results tab shows them; `?status=ineligible` exports the
    near misses (closest first), another status only the matches of that status."""
    policy = selectors.get_visible(request.user, pk)
    matches = (
        selectors.matches_visible_to(request.user)
        .filter(policy=policy)
        .select_related("enterprise", "version")
    )
    status = request.GET.get("status") or ""
    if status == MatchStatus.INELIGIBLE:
        near = matches.filter(status=status).order_by(
            F("gap").asc(nulls_last=True), "enterprise__name", "pk"
        )
        return export_response(
            exporting.NEAR_MISSES,
            matching.with_shortfalls(near.iterator()),
            as_csv=wants_csv(request),
            name=policy.title,
        )
    if status in MatchStatus.values:
        matches = matches.filter(status=status)
    ordered = matches.order_by("status", F("amount").desc(nulls_last=True), "pk")
    rows = matching.with_shortfalls(ordered.iterator())
    return export_response(exporting.MATCHES, rows, as_csv=wants_csv(request), name=policy.title)

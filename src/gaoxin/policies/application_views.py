"""网上申报 pages: the enterprise applies; staff review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.web import paginate, permission_required
from gaoxin.enterprises.selectors import own_enterprise, visible_to
from gaoxin.policies import applications, exporting, selectors
from gaoxin.policies.choices import ApplicationState, Delivery
from gaoxin.policies.matching import rules_policy
from gaoxin.policies.models import Application, ApplicationAttachment

REVIEW = "policies.review_application"


@login_required
def apply(request: HttpRequest, policy_id: int) -> HttpResponse:
    enterprise = own_enterprise(request.user)
    policy = selectors.get_visible(request.user, policy_id)
    if policy.delivery != Delivery.APPLY or policy.current is None:
        raise NotFound(_("这项政策不接受网上申报"))
    loaded = rules_policy(policy.current)
    values: dict[str, Any] = {}
    error = None
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in loaded.inputs}
        try:
            applications.submit(
                actor=Actor.of(request),
                enterprise=enterprise,
                policy=policy,
                inputs=values,
                attachments=request.FILES.getlist("attachments"),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("申报已提交，园区审核后会通知您"))
            return redirect("policies:my_applications")
    existing = Application.objects.filter(policy=policy, enterprise=enterprise).first()
    if existing is not None and not values:
        values = dict(existing.inputs)
    return render(
        request,
        "policies/apply.html",
        {
            "policy": policy,
            "enterprise": enterprise,
            "inputs": loaded.inputs.values(),
            "values": values,
            "error": error,
            "existing": existing,
            "conditions": [c.label for c in loaded.conditions],
        },
        status=422 if error else 200,
    )


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    enterprise = own_enterprise(request.user)
    items = Application.objects.filter(enterprise=enterprise).select_related("policy")
    return render(request, "policies/my_applications.html", {"items": items})


@permission_required(REVIEW)
def review_queue(request: HttpRequest) -> HttpResponse:
    items = _queue(request)
    state = request.GET.get("state") or ""
    return render(
        request,
        "policies/applications.html",
        {"page": paginate(request, items), "state": state, "states": ApplicationState.choices},
    )


def _queue(request: HttpRequest) -> Any:
    """The applications in the user's scope; those waiting for review unless `state` says."""
    items = Application.objects.filter(enterprise__in=visible_to(request.user)).select_related(
        "policy", "enterprise"
    )
    state = request.GET.get("state") or ""
    return (
        items.filter(state=state)
        if state
        else items.filter(state__in=[ApplicationState.SUBMITTED, ApplicationState.FIRST_APPROVED])
    )


@permission_required(REVIEW)
def review_export(request: HttpRequest) -> HttpResponse:
    rows = _queue(request).iterator()
    return export_response(exporting.APPLICATIONS, rows, as_csv=wants_csv(request))


def _visible_application(user: Any, pk: int) -> Application:
    application = (
        Application.objects.filter(enterprise__in=visible_to(user), pk=pk)
        .select_related("policy", "enterprise")
        .first()
    )
    if application is None:
        raise NotFound(_("没有找到这份申报"))
    return application


@permission_required(REVIEW)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible_application(request.user, pk)
    loaded = rules_policy(application.version)
    labels = {name: spec.label or name for name, spec in loaded.inputs.items()}
    return render(
        request,
        "policies/application_detail.html",
        {
            "a": application,
            "labels": labels,
            "two_levels": applications.two_levels(application.amount_fen or application.bound_fen),
        },
    )


@require_POST
@permission_required(REVIEW)
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible_application(request.user, pk)
    try:
        applications.review(
            actor=Actor.of(request),
            application=application,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已记录审核意见"))
    return redirect("policies:application", pk=application.pk)


@login_required
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment, for the enterprise that uploaded it and for reviewers who may see it."""
    item = ApplicationAttachment.objects.select_related("application").filter(pk=pk).first()
    user: Any = request.user
    allowed = item is not None and (
        (
            user.is_enterprise_user
            and item.application.enterprise.organisation_id == user.organisation_id
        )
        or (
            user.has_perm(REVIEW)
            and visible_to(user).filter(pk=item.application.enterprise_id).exists()
        )
    )
    if not allowed or item is None:
        raise NotFound(_("没有找到这个附件"))
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)

"""A policy version's page: its text, in plain words, against the version in force, with its
history of moves and the moves the signed-in person may make; the publish confirmation (the
dry run) of an approved version."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError
from gaoxin.core.web import permission_required
from gaoxin.policies import library, selectors, services, versions
from gaoxin.policies.choices import VersionState
from gaoxin.policies.models import Policy, PolicyVersion
from gaoxin.policies.preview import publish_preview
from gaoxin.rules.describe import describe

VIEW = "policies.view_policy"
PUBLISH = "policies.publish_policy"
PEOPLE_MOVES = ("submit", "approve", "return")


def _version(request: HttpRequest, pk: int, version_id: int) -> tuple[Policy, PolicyVersion]:
    policy = selectors.get_visible(request.user, pk)
    return policy, get_object_or_404(PolicyVersion, policy=policy, pk=version_id)


def plain_words(version: PolicyVersion) -> dict[str, Any]:
    """The version's conditions and benefit as the policy page reads them."""
    loaded = library.parse(version.text)
    today = timezone.localdate()
    return {
        "loaded": loaded,
        "conditions": [
            {
                "label": c.label,
                "manual": c.manual,
                "reads": describe(c.when, loaded, today) if c.when else "",
                "note": c.note,
            }
            for c in loaded.conditions
        ],
        "benefit": describe(loaded.benefit, loaded, today, money=True) if loaded.benefit else "",
    }


@permission_required(VIEW)
def version_detail(request: HttpRequest, pk: int, version_id: int) -> HttpResponse:
    policy, version = _version(request, pk, version_id)
    actor = Actor.of(request)
    allowed = {m.name for m in versions.REVIEW.allowed(version, actor)}
    return render(
        request,
        "policies/version.html",
        {
            "policy": policy,
            "version": version,
            "diff": versions.diff(version),
            "history": versions.REVIEW.history(version),
            "moves": [m for m in PEOPLE_MOVES if m in allowed],
            "can_publish": "publish" in allowed,
            "submitted_by_me": _submitted_by(version, actor),
            **plain_words(version),
        },
    )


def _submitted_by(version: PolicyVersion, actor: Actor) -> bool:
    if version.state != VersionState.SUBMITTED or actor.user is None:
        return False
    last = versions.REVIEW.last_by(version, "submit")
    return last is not None and last.actor_id == actor.user.pk


@require_POST
@permission_required(VIEW, "policies.change_policy")
def version_move(request: HttpRequest, pk: int, version_id: int, move: str) -> HttpResponse:
    """提交审批 / 审批通过 / 退回修改: who may make which is the workflow's (`versions.REVIEW`);
    a refused move is said on the version's page, and nothing changes."""
    policy, version = _version(request, pk, version_id)
    if move not in PEOPLE_MOVES:
        messages.error(request, _("没有这一操作"))
        return redirect("policies:version", pk=policy.pk, version_id=version.pk)
    try:
        services.move_version(
            actor=Actor.of(request),
            version=version,
            move=move,
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        done = {
            "submit": _("已提交审批，等待另一位有发布权限的工作人员审批"),
            "approve": _("已审批通过，可以发布"),
            "return": _("已退回修改"),
        }
        messages.success(request, done[move])
    return redirect("policies:version", pk=policy.pk, version_id=version.pk)


@permission_required(VIEW, PUBLISH)
def version_publish(request: HttpRequest, pk: int, version_id: int) -> HttpResponse:
    """GET: what publishing this approved version will do — the difference from the version in
    force, and the dry run (enterprises matched and pushed, messages per channel, amount against
    the budget left); POST of that confirmation: publish. A confirmation of a list that changed
    since is shown again."""
    policy, version = _version(request, pk, version_id)
    if version.state != VersionState.APPROVED:
        messages.error(request, _("只有审批通过的版本才能发布：请先提交，由另一位工作人员审批"))
        return redirect("policies:version", pk=policy.pk, version_id=version.pk)
    preview = publish_preview(versions.as_published(policy, version))
    if request.method == "POST":
        if request.POST.get("expected") != preview.fingerprint:
            messages.warning(request, _("企业库或预算在确认后有变化，请重新核对"))
        else:
            try:
                services.publish_version(actor=Actor.of(request), version=version)
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("已发布，正在与企业库匹配"))
            return redirect("policies:detail", pk=policy.pk)
    return render(
        request,
        "policies/confirm_publish.html",
        {"policy": policy, "version": version, "preview": preview, "diff": versions.diff(version)},
    )

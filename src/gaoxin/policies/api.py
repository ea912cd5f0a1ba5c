"""/api/policies: the library, matches and payouts over JSON, scoped as the pages are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.decorators import decorate_view

from gaoxin.core.audit import Actor
from gaoxin.core.errors import NotFound, PermissionDenied
from gaoxin.core.idempotency import idempotent
from gaoxin.core.schema_fields import Text
from gaoxin.enterprises.schemas import ErrorOut
from gaoxin.enterprises.selectors import own_enterprise, visible_to
from gaoxin.ledger.money import to_yuan
from gaoxin.policies import matching, payouts, selectors
from gaoxin.policies.models import Payout

router = Router(tags=["policies"])


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PolicyOut(Schema):
    id: int
    slug: str
    title: str
    issuer: str
    source: str
    category: str
    delivery: str
    status: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    version: str | None


class MatchOut(Schema):
    policy_id: int
    policy: str
    enterprise_id: int
    enterprise: str
    status: str
    amount: Decimal | None
    shortfall: str
    missing: list[str]
    version: str
    evaluated_on: dt.date


class PayoutOut(Schema):
    id: int
    policy_id: int
    enterprise_id: int
    year: int
    amount: Decimal | None  # None while a bound awaits staff's decision (see bound)
    bound: Decimal | None = None  # benefit.upto: 最高 X，金额待核定
    state: str
    risk: str


class ConfirmIn(Schema):
    bank_name: Annotated[str, Text(100)]
    account_name: Annotated[str, Text(200)]
    account_number: Annotated[str, Text(40)]


def _policy(p: Any) -> dict[str, Any]:
    return {
        **{
            k: getattr(p, k)
            for k in (
                "id",
                "slug",
                "title",
                "issuer",
                "source",
                "category",
                "delivery",
                "status",
                "effective_from",
                "effective_to",
            )
        },
        "version": p.current.version if p.current_id else None,
    }


def _match(m: Any) -> dict[str, Any]:
    return {
        "policy_id": m.policy_id,
        "policy": m.policy.title,
        "enterprise_id": m.enterprise_id,
        "enterprise": m.enterprise.name,
        "status": m.status,
        "amount": m.amount,
        "shortfall": m.shortfall,
        "missing": m.missing,
        "version": m.version.version,
        "evaluated_on": m.evaluated_on,
    }


def _payout(p: Payout) -> dict[str, Any]:
    return {
        "id": p.pk,
        "policy_id": p.policy_id,
        "enterprise_id": p.enterprise_id,
        "year": p.year,
        "amount": None if p.amount_fen is None else to_yuan(p.amount_fen),
        "bound": None if p.bound_fen is None else to_yuan(p.bound_fen),  # 最高 X，金额待核定
        "state": p.state,
        "risk": p.risk,
    }


@router.get("", response={200: list[PolicyOut], **ERRORS})
def list_policies(request: HttpRequest) -> Any:
    return [_policy(p) for p in selectors.visible_to(request.user).select_related("current")]


@router.get("/{int:policy_id}", response={200: PolicyOut, **ERRORS})
def get_policy(request: HttpRequest, policy_id: int) -> Any:
    return _policy(selectors.get_visible(request.user, policy_id))


@router.get("/{int:policy_id}/matches", response={200: list[MatchOut], **ERRORS})
def policy_matches(
    request: HttpRequest, policy_id: int, status: Annotated[str, Text(16)] = ""
) -> Any:
    if not request.user.has_perm("policies.view_policymatch"):
        raise PermissionDenied(_("您的账号没有此操作的权限"))
    policy = selectors.get_visible(request.user, policy_id)
    matches = (
        selectors.matches_visible_to(request.user)
        .filter(policy=policy)
        .select_related("policy", "enterprise", "version")
    )
    if status:
        matches = matches.filter(status=status)
    return [_match(m) for m in matching.with_shortfalls(matches[:5000])]


@router.get("/mine/matches", response={200: list[MatchOut], **ERRORS})
def my_matches(request: HttpRequest) -> Any:
    enterprise = own_enterprise(request.user)
    matches = selectors.matches_visible_to(request.user).filter(enterprise=enterprise)
    related = matches.select_related("policy", "enterprise", "version")
    return [_match(m) for m in matching.with_shortfalls(related)]


@router.get("/mine/payouts", response={200: list[PayoutOut], **ERRORS})
def my_payouts(request: HttpRequest) -> Any:
    enterprise = own_enterprise(request.user)
    return [_payout(p) for p in Payout.objects.filter(enterprise=enterprise)]


@router.post("/mine/payouts/{int:payout_id}/confirm", response={200: PayoutOut, **ERRORS})
def confirm_payout(request: HttpRequest, payout_id: int, payload: ConfirmIn) -> Any:
    enterprise = own_enterprise(request.user)
    payout = Payout.objects.filter(enterprise=enterprise, pk=payout_id).first()
    if payout is None:
        raise NotFound(_("没有找到这项兑现"))
    return _payout(payouts.confirm(actor=Actor.of(request), payout=payout, **payload.dict()))


@router.get("/{int:policy_id}/payouts", response={200: list[PayoutOut], **ERRORS})
def policy_payouts(request: HttpRequest, policy_id: int) -> Any:
    if not request.user.has_perm("policies.change_policy"):
        raise PermissionDenied(_("您的账号没有此操作的权限"))
    policy = selectors.get_visible(request.user, policy_id)
    return [
        _payout(p)
        for p in Payout.objects.filter(policy=policy, enterprise__in=visible_to(request.user))
    ]


class ApplicationOut(Schema):
    id: int
    policy_id: int
    enterprise_id: int
    year: int
    state: str
    inputs: dict[str, str]
    amount: Decimal | None
    reviews: list[dict[str, Any]]


class ApplyIn(Schema):
    inputs: dict[Annotated[str, Text(64)], Annotated[str, Text(200)]]


class ApplicationReviewIn(Schema):
    decision: Annotated[str, Text(16)]
    comment: Annotated[str, Text(300)] = ""


class BatchOut(Schema):
    id: int
    number: str
    state: str
    payouts: int
    total: Decimal


def _application(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "policy_id": a.policy_id,
        "enterprise_id": a.enterprise_id,
        "year": a.year,
        "state": a.state,
        "inputs": a.inputs,
        "amount": to_yuan(a.amount_fen) if a.amount_fen is not None else None,
        "reviews": a.reviews,
    }


def _batch(b: Any, user: Any) -> dict[str, Any]:
    """A batch as `user` may read it: its payouts of the enterprises in their data scope."""
    visible = set(visible_to(user).filter(payouts__batch=b).values_list("pk", flat=True))
    amounts = [p.amount_fen for p in b.payouts.all() if p.enterprise_id in visible]
    return {
        "id": b.pk,
        "number": b.number,
        "state": b.state,
        "payouts": len(amounts),
        "total": Decimal(sum(amounts)) / 100,
    }


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("您的账号没有此操作的权限"))


@router.post("/{int:policy_id}/apply", response={201: ApplicationOut, **ERRORS})
def apply(request: HttpRequest, policy_id: int, payload: ApplyIn) -> Any:
    """网上申报 without attachments (attachments go through the page)."""
    from ninja import Status

    from gaoxin.policies import applications

    enterprise = own_enterprise(request.user)
    policy = selectors.get_visible(request.user, policy_id)
    application = applications.submit(
        actor=Actor.of(request), enterprise=enterprise, policy=policy, inputs=payload.inputs
    )
    return Status(201, _application(application))


@router.get("/mine/applications", response={200: list[ApplicationOut], **ERRORS})
def my_applications(request: HttpRequest) -> Any:
    from gaoxin.policies.models import Application

    enterprise = own_enterprise(request.user)
    return [_application(a) for a in Application.objects.filter(enterprise=enterprise)]


@router.get("/applications", response={200: list[ApplicationOut], **ERRORS})
def applications_to_review(request: HttpRequest, state: Annotated[str, Text(16)] = "") -> Any:
    from gaoxin.policies.models import Application

    _require(request, "policies.review_application")
    items = Application.objects.filter(enterprise__in=visible_to(request.user))
    return [_application(a) for a in (items.filter(state=state) if state else items)]


@router.post("/applications/{int:application_id}/review", response={200: ApplicationOut, **ERRORS})
def review_application(
    request: HttpRequest, application_id: int, payload: ApplicationReviewIn
) -> Any:
    from gaoxin.policies import applications
    from gaoxin.policies.models import Application

    _require(request, "policies.review_application")
    application = Application.objects.filter(
        enterprise__in=visible_to(request.user), pk=application_id
    ).first()
    if application is None:
        raise NotFound(_("没有找到这份申报"))
    return _application(
        applications.review(
            actor=Actor.of(request),
            application=application,
            decision=payload.decision,
            comment=payload.comment,
        )
    )


@router.get("/{int:policy_id}/batches", response={200: list[BatchOut], **ERRORS})
def batches(request: HttpRequest, policy_id: int) -> Any:
    from gaoxin.policies.models import PayoutBatch

    _require(request, "policies.change_policy")
    policy = selectors.get_visible(request.user, policy_id)
    found = PayoutBatch.objects.filter(policy=policy).prefetch_related("payouts")
    return [shown for shown in (_batch(b, request.user) for b in found) if shown["payouts"]]


@router.post("/{int:policy_id}/batches/{int:batch_id}/{action}", response={200: BatchOut, **ERRORS})
@decorate_view(idempotent)
def batch_action(request: HttpRequest, policy_id: int, batch_id: int, action: str) -> Any:
    from gaoxin.policies.models import PayoutBatch

    _require(request, "policies.approve_payoutbatch")
    policy = selectors.get_visible(request.user, policy_id)
    batch = PayoutBatch.objects.filter(policy=policy, pk=batch_id).first()
    if batch is None:
        raise NotFound(_("没有找到这个批次"))
    steps = {
        "approve": payouts.approve_batch,
        "pay": payouts.pay_batch,
        "publish": payouts.publish_batch,
    }
    if action not in steps:
        raise NotFound(_("未知操作"))
    steps[action](actor=Actor.of(request), batch=batch)
    batch = PayoutBatch.objects.prefetch_related("payouts").get(pk=batch.pk)
    return _batch(batch, request.user)

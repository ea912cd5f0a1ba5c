"""/api/policies: the library, matches and payouts over JSON, scoped as the pages are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from gaoxin.core.audit import Actor
from gaoxin.core.errors import NotFound, PermissionDenied
from gaoxin.enterprises.selectors import own_enterprise, visible_to
from gaoxin.policies import payouts, selectors
from gaoxin.policies.models import Payout

router = Router(tags=["policies"])


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


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
    amount: Decimal
    state: str
    risk: str


class ConfirmIn(Schema):
    bank_name: str
    account_name: str
    account_number: str


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
        "amount": Decimal(p.amount_fen) / 100,
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
def policy_matches(request: HttpRequest, policy_id: int, status: str = "") -> Any:
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
    return [_match(m) for m in matches[:5000]]


@router.get("/mine/matches", response={200: list[MatchOut], **ERRORS})
def my_matches(request: HttpRequest) -> Any:
    enterprise = own_enterprise(request.user)
    matches = selectors.matches_visible_to(request.user).filter(enterprise=enterprise)
    return [_match(m) for m in matches.select_related("policy", "enterprise", "version")]


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

"""The JSON API under /api, OpenAPI at /api/docs. Authentication: the browser session, or a
bearer token (`Authorization: Bearer gx_…`) for integrations. Errors are JSON:
{"code": …, "message": …, "field"?: …}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from gaoxin.accounts.services import user_for_token
from gaoxin.core import idempotency
from gaoxin.core.errors import DomainError


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def token_caller(request: HttpRequest) -> Any:
    """The user of a bearer token, for the `Idempotency-Key` of API writes (their operations
    are wrapped before the API authenticates them)."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None


idempotency.caller_resolvers.append(token_caller)

api = NinjaAPI(
    title="Gaoxin API",
    version="1",
    description="高新区企业服务平台接口 — the enterprise-service platform of a high-tech zone.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(
        str(p)
        for p in first.get("loc", ())
        if p not in ("body", "query", "path", "payload", "params")
    )
    body = {
        "code": "validation_failed",
        "message": f"{where}: {first.get('msg', 'invalid')}",
        "field": where,
        "details": exc.errors,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "unauthenticated", "message": "authentication required / 请先登录"},
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"code": "error", "message": str(exc)}, status=exc.status_code
    )


api.add_router("/enterprises", "gaoxin.enterprises.api.router")
api.add_router("/policies", "gaoxin.policies.api.router")
api.add_router("/supermarket", "gaoxin.supermarket.api.router")
api.add_router("/vouchers", "gaoxin.vouchers.api.router")

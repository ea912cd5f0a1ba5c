"""The JSON API under /api, OpenAPI at /api/docs. Authentication: the browser session, or a
bearer token (`Authorization: Bearer gx_…`) for integrations. Errors are JSON:
{"code": …, "message": …, "field"?: …}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from gaoxin.accounts.services import user_for_token
from gaoxin.core import idempotency
from gaoxin.core.api_input import CheckedParser, validation_message
from gaoxin.core.errors import DomainError, NotFound


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


class SignedInSession(SessionAuth):
    """The browser session. An anonymous caller is answered 401 (sign in) before any CSRF
    check: a CSRF 403 would tell them nothing they can act on."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


api = NinjaAPI(
    title="Gaoxin API",
    version="1",
    description="高新区企业服务平台接口 — the enterprise-service platform of a high-tech zone.",
    auth=[TokenAuth(), SignedInSession()],
    urls_namespace="api",
    parser=CheckedParser(),
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """422 naming the first field refused, in the active language; `details` lists every
    refusal as {field, message, type} (never the input sent, which may be megabytes)."""
    details = [validation_message(error) for error in exc.errors]
    first = details[0] if details else {"field": "", "message": _("请求无效")}
    message = f"{first['field']}：{first['message']}" if first["field"] else first["message"]
    body = {
        "code": "validation_failed",
        "message": message,
        "field": first["field"],
        "details": details,
    }
    return api.create_response(request, body, status=422)


def _bad_request(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return api.create_response(request, {"code": "bad_request", "message": message}, status=status)


@api.exception_handler(MultiPartParserError)
def unreadable_form(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _bad_request(
        request, _("无法读取表单数据：multipart/form-data 请求须带 boundary，且内容完整")
    )


@api.exception_handler(UnreadablePostError)
def unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _bad_request(request, _("请求体没有读取完整，请重新发送"))


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _bad_request(request, _("请求过大，请减少内容或分批提交"), status=413)


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _bad_request(request, _("请求无效，请检查后重试"))


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "unauthenticated", "message": _("请先登录，或在请求头中带上接口令牌（Bearer）")},
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals. A body that can't be read is said in words a person can act on
    (ninja wraps whatever the parser raised; a DomainError from it keeps its message)."""
    cause = exc.__cause__
    if isinstance(cause, DomainError):
        return domain_error(request, cause)
    if exc.status_code == 400 and cause is not None:
        return _bad_request(request, _("请求体不是有效的 JSON（UTF-8 编码的对象），请检查格式"))
    if exc.status_code == 403 and "CSRF" in str(exc):
        message = _("页面已过期或来源不可信：请刷新页面后重试，或使用接口令牌（Bearer）")
        return api.create_response(
            request, {"code": "permission_denied", "message": message}, status=403
        )
    return api.create_response(
        request, {"code": "error", "message": str(exc)}, status=exc.status_code
    )


api.add_router("/enterprises", "gaoxin.enterprises.api.router")
api.add_router("/policies", "gaoxin.policies.api.router")
api.add_router("/supermarket", "gaoxin.supermarket.api.router")
api.add_router("/vouchers", "gaoxin.vouchers.api.router")

# Last, so that it matches only what no router does.
fallback = Router(auth=None)


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def no_such_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /api (an id that is not a number, a typo): a JSON 404, as every
    API answer is JSON."""
    raise NotFound(_("没有这个接口地址，或地址中的编号无效；接口列表见 /api/docs"))


api.add_router("", fallback)

"""Safe retries of a write: the `Idempotency-Key` header (as payment APIs do).

A client that may send a write twice (a timeout, a double click) sends a key of its own in the
`Idempotency-Key` header; a server-rendered form carries one in the hidden field
`idempotency_key` (`{% idempotency_field %}`, a new key each time the form is rendered). The
key is stored in `IdempotentRequest`, scoped to the caller and the endpoint (method + path),
with the first response. The same key with the same request again returns that response and
runs nothing; the same key with another request is refused (422). The record and the view's
writes commit in one transaction, so a request that failed (an exception, a 5xx) leaves no
record and may be retried.

These keys never reach the ledger: every ledger key is derived by the server from what the
posting is (docs/ledger.md). Views and API operations that post to the ledger use
`@idempotent` (API operations through `ninja.decorators.decorate_view(idempotent)`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gaoxin.core.errors import DomainError, ValidationFailed
from gaoxin.core.models import IdempotentRequest

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
KEY_MAX = 200
REPLAYED = "Idempotent-Replayed"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Form fields that differ between two sendings of the same form and say nothing about it.
UNSIGNED_FIELDS = ("csrfmiddlewaretoken", FIELD)

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

# How to find the caller of a request the session does not identify (an API token): the
# module above the apps that knows the token scheme registers it (`gaoxin.api`).
caller_resolvers: list[Callable[[HttpRequest], Any]] = []


class KeyReused(ValidationFailed):
    code = "idempotency_key_reused"


def idempotent(view: View) -> View:
    """Run `view` at most once per (caller, endpoint, key); see the module docstring."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in WRITES:
            return view(request, *args, **kwargs)
        key = _key_of(request)
        user = _caller(request) if key else None
        if not key or user is None:
            return view(request, *args, **kwargs)  # anonymous: the view refuses it itself
        if len(key) > KEY_MAX or not key.isprintable():
            return _error(
                request,
                ValidationFailed(
                    _("幂等键（Idempotency-Key）应为不超过 %(n)s 个可见字符") % {"n": KEY_MAX},
                    field=FIELD,
                ),
            )
        scope = f"{request.method} {request.path}"[:300]
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            found = _stored(user, scope, key)
            if found is not None:
                return _replay(request, found, fingerprint)
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        user=user, scope=scope, key=key, fingerprint=fingerprint, status=0
                    )
            except IntegrityError:  # a concurrent request with this key committed first
                found = _stored(user, scope, key)
                if found is None:
                    raise
                return _replay(request, found, fingerprint)
            response = view(request, *args, **kwargs)
            if response.status_code >= 500 or response.streaming:
                transaction.set_rollback(True)
                return response
            assert isinstance(response, HttpResponse)
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "")[:200]
            record.location = response.get("Location", "")[:2000]
            record.body = response.content
            record.save(update_fields=["status", "content_type", "location", "body"])
            return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _key_of(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "")
    if not key and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        key = request.POST.get(FIELD, "")
    return key.strip()


def _caller(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    for resolve in caller_resolvers:
        found = resolve(request)
        if found is not None:
            return found
    return None


def _stored(user: Any, scope: str, key: str) -> IdempotentRequest | None:
    return (
        IdempotentRequest.objects.select_for_update()
        .filter(user=user, scope=scope, key=key)
        .first()
    )


def _fingerprint(request: HttpRequest) -> str:
    """The request without what changes between two sendings of the same one."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = sorted(
            (k, v) for k, vs in request.POST.lists() if k not in UNSIGNED_FIELDS for v in vs
        )
        digest.update(json.dumps(fields, ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(f"\n{name}:{upload.name}:{upload.size}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(request: HttpRequest, found: IdempotentRequest, fingerprint: str) -> HttpResponse:
    if found.fingerprint != fingerprint:
        return _error(
            request,
            KeyReused(
                _(
                    "幂等键 %(k)s 已用于另一个不同的请求：重试时请原样重发第一次的请求，"
                    "新的请求请使用新的幂等键"
                )
                % {"k": found.key},
                field=FIELD,
            ),
        )
    response = HttpResponse(bytes(found.body), status=found.status)
    if found.content_type:
        response["Content-Type"] = found.content_type
    if found.location:
        response["Location"] = found.location
    response[REPLAYED] = "true"
    return response


def _error(request: HttpRequest, error: DomainError) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_dict(), status=error.status)
    return render(request, "error.html", {"error": error}, status=error.status)

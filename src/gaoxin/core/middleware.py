from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from gaoxin.core.errors import DomainError, ValidationFailed

MAX_QUERY_VALUE = 1000


class DomainErrorMiddleware:
    """A DomainError that escapes a page view becomes an error page with its status and message,
    never a 500 (the API has its own handler, returning JSON)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: object) -> HttpResponse | None:
        """Text with a NUL character cannot be stored (PostgreSQL refuses it) and is never
        meant: such a query or form is answered as bad input before any view reads it. So is a
        query parameter longer than any filter or search needs (a search of 300,000 characters
        is a LIKE pattern the database refuses)."""
        if request.path.startswith("/api/"):
            return None  # the API's schemas refuse it with a JSON answer
        if request.method == "POST" and request.content_type not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            values: list[str] = []
        else:
            values = [v for _k, vs in request.POST.lists() for v in vs]
        query = [v for _k, vs in request.GET.lists() for v in vs]
        if any(len(v) > MAX_QUERY_VALUE for v in query):
            error = ValidationFailed(
                _("查询条件过长（最多 %(n)s 字），请缩短后重试") % {"n": MAX_QUERY_VALUE}
            )
            return render(request, "error.html", {"error": error}, status=400)
        values += query
        if any("\x00" in v for v in values if isinstance(v, str)):
            error = ValidationFailed(_("输入中含有不可见的空字符（NUL），请删除后重试"))
            return render(request, "error.html", {"error": error}, status=400)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, MultiPartParserError) and request.path.startswith("/api/"):
            message = _("无法读取表单数据：multipart/form-data 请求须带 boundary，且内容完整")
            return JsonResponse({"code": "bad_request", "message": message}, status=400)
        if isinstance(exception, DomainError):
            return render(request, "error.html", {"error": exception}, status=exception.status)
        return None

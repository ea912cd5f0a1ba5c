"""Helpers the page views share: permission checks that answer 403 (never leak), paging."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from gaoxin.core.errors import PermissionDenied

PAGE_SIZES = (20, 50, 100)


def permission_required(
    *perms: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Anonymous users go to the login page; signed-in users without the permission get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perms(perms):
                raise PermissionDenied(_("您的账号没有此操作的权限"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def paginate(
    request: HttpRequest, items: Any, default_size: int = 20, count: int | None = None
) -> Page:
    """A page of `items`; `count`, when the caller can count more cheaply than `items`."""
    try:
        size = int(request.GET.get("size", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    paginator = Paginator(items, size)
    if count is not None:
        paginator.__dict__["count"] = count  # Paginator.count is a cached property
    return paginator.get_page(request.GET.get("page"))


def web_session(sender: object, connection: Any, **kwargs: object) -> None:
    """Settings of a web process's database sessions (connected in wsgi.py, so batch jobs and
    the command line keep PostgreSQL's defaults).

    No parallel query plans: the server answers many requests at once on few cores, and the
    planner, misjudging a policy's rows by status, started two workers to find none (20 ms
    of a 0.1 ms query) on every match list."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")

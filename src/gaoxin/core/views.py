from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from gaoxin.core import logs
from gaoxin.core.audit_display import action_label
from gaoxin.core.errors import DomainError, NotFound, PermissionDenied
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.models import AuditEntry
from gaoxin.core.web import paginate, permission_required


@permission_required("core.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    entries, q, action = logs.audit_entries(request.GET)
    return render(
        request,
        "system/audit.html",
        {
            "page": paginate(request, entries),
            "q": q,
            "action": action,
            "actions": [
                (a, action_label(a, m))
                for a, m in AuditEntry.objects.values_list("action", "model")
                .distinct()
                .order_by("action")
            ],
        },
    )


@permission_required("core.view_auditentry")
def audit_export(request: HttpRequest) -> HttpResponse:
    entries, _q, _action = logs.audit_entries(request.GET)
    return export_response(logs.AUDIT, entries.iterator(), as_csv=wants_csv(request))


def _error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "error.html", {"error": error}, status=error.status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, DomainError(_("请求无效")))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, PermissionDenied(_("您的账号没有此操作的权限")))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    error = NotFound(_("页面不存在，或您无权查看"))
    return render(request, "404.html", {"error": error}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    error = DomainError(_("系统出错了，已记录。请稍后再试或联系管理员。"))
    error.status = 500
    try:
        return render(request, "500.html", {"error": error}, status=500)
    except Exception:  # the frame reads the database, which may be what failed
        return HttpResponseServerError(render_to_string("500.html", {"error": error}))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    error = PermissionDenied(_("页面已过期或来源不可信，请刷新页面后重试"))
    return _error(request, error)

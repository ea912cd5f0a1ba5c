"""Importing enterprises through the web: upload, preview with every error, commit or discard."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.accounts.choices import DataScope
from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import NotFound, ValidationFailed
from gaoxin.core.web import paginate, permission_required
from gaoxin.enterprises import exporting, importing, linked_import, selectors
from gaoxin.enterprises.flatfile import SUPPORTED_SUFFIXES, FileProblem
from gaoxin.enterprises.forms import LINKED_TABLES, ImportForm, LinkedImportForm
from gaoxin.enterprises.models import ImportBatch

IMPORT = "enterprises.import_enterprises"
UPLOAD_DIR = "imports"


def _batches(user: Any) -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.select_related("created_by")
    if user.data_scope() == DataScope.ALL:
        return batches
    return batches.filter(created_by=user)


def _batch(user: Any, pk: int) -> ImportBatch:
    batch = _batches(user).filter(pk=pk).first()
    if batch is None:
        raise NotFound(_("没有找到这次导入"))
    return batch


def _store(upload: object) -> Path:
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.name).suffix.lower()  # type: ignore[attr-defined]
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with open(path, "wb") as handle:
        for chunk in upload.chunks():  # type: ignore[attr-defined]
            handle.write(chunk)
    return path


def _department_for_new(user: object) -> int | None:
    """Staff who see only their department's enterprises keep seeing what they import."""
    if user.data_scope() == DataScope.ALL:  # type: ignore[attr-defined]
        return None
    return user.organisation_id  # type: ignore[attr-defined]


@permission_required(IMPORT)
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        suffix = Path(upload.name).suffix.lower()
        if upload.size > limit:
            form.add_error(
                "file",
                _(
                    "文件过大（%(s).1f MB），网页导入上限为 %(l)d MB；请拆分文件，"
                    "或由管理员使用命令 gaoxin manage import_enterprises 导入"
                )
                % {"s": upload.size / 1048576, "l": limit // 1048576},
            )
        elif suffix not in SUPPORTED_SUFFIXES:
            form.add_error("file", _("请上传 .xlsx 或 .csv 文件"))
        else:
            batch = _preview(
                request, upload, form.cleaned_data["mode"], form.cleaned_data["source"]
            )
            return redirect("enterprises:import_preview", pk=batch.pk)
    page = paginate(request, _batches(request.user))
    return render(request, "enterprises/import.html", {"form": form, "page": page})


def _preview(request: HttpRequest, upload: object, mode: str, source: str) -> ImportBatch:
    path = _store(upload)
    batch = ImportBatch(
        created_by=request.user,
        filename=upload.name[:255],  # type: ignore
        stored_path=str(path),
        mode=mode,
        source=source,
    )
    try:
        preview = importing.read_import(
            path,
            batch.filename,
            mode=mode,
            source=source,
            updatable=selectors.visible_to(request.user),
        )
    except ValidationFailed as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.error_count = 1
        batch.errors = [{"row": "", "column": "", "header": "", "message": str(exc.message)}]
    else:
        batch.status = ImportBatch.Status.PREVIEWED if preview.ok else ImportBatch.Status.FAILED
        batch.row_count = len(preview.rows)
        batch.create_count, batch.update_count = preview.to_create, preview.to_update
        batch.error_count = preview.error_count
        batch.errors = [e.as_dict() for e in preview.errors]
    if batch.status == ImportBatch.Status.FAILED:
        path.unlink(missing_ok=True)
        batch.stored_path = ""
    batch.save()
    return batch


@permission_required(IMPORT)
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request.user, pk)
    page = paginate(request, batch.errors, default_size=50)
    return render(request, "enterprises/import_preview.html", {"batch": batch, "page": page})


@require_POST
@permission_required(IMPORT)
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request.user, pk)
    if batch.status != ImportBatch.Status.PREVIEWED or not batch.stored_path:
        messages.error(request, _("这次导入已处理过，不能再次提交"))
        return redirect("enterprises:import_preview", pk=batch.pk)
    path = Path(batch.stored_path)
    actor = Actor.of(request)
    try:
        preview = importing.read_import(
            path,
            batch.filename,
            mode=batch.mode,
            source=batch.source,
            updatable=selectors.visible_to(request.user),
        )
        result = importing.commit_import(
            preview,
            actor=actor,
            source=batch.source,
            mode=batch.mode,
            department_id=_department_for_new(request.user),
        )
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        return redirect("enterprises:import_preview", pk=batch.pk)
    batch.status = ImportBatch.Status.COMMITTED
    batch.committed_at = timezone.now()
    batch.create_count, batch.update_count = result.created, result.updated
    batch.stored_path = ""
    batch.save()
    record_change(
        actor=actor,
        action="import",
        obj=batch,
        after={
            "created": result.created,
            "updated": result.updated,
            "reports": result.reports,
            "qualifications": result.qualifications,
        },
    )
    path.unlink(missing_ok=True)
    messages.success(
        request,
        _("导入完成：新增 %(c)s 家，更新 %(u)s 家") % {"c": result.created, "u": result.updated},
    )
    return redirect("enterprises:list")


@require_POST
@permission_required(IMPORT)
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request.user, pk)
    if batch.status == ImportBatch.Status.PREVIEWED:
        if batch.stored_path:
            Path(batch.stored_path).unlink(missing_ok=True)
        batch.status, batch.stored_path = ImportBatch.Status.DISCARDED, ""
        batch.save(update_fields=["status", "stored_path"])
    return redirect("enterprises:import")


@permission_required(IMPORT)
def import_template(request: HttpRequest) -> HttpResponse:
    last = timezone.localdate().year - 1
    body = exporting.write_template([last - 2, last - 1, last])
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="gaoxin-enterprise-template.xlsx"'
    return response


@permission_required(IMPORT)
def import_linked(request: HttpRequest) -> HttpResponse:
    """人员与项目导入: persons, patents, equipment or tenants of the enterprises this user
    sees, all rows or none, each error by row and column on the page."""
    form = LinkedImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        table = form.cleaned_data["table"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            form.add_error("file", _("请上传 .xlsx 或 .csv 文件"))
        elif upload.size > settings.IMPORT_MAX_BYTES:
            form.add_error("file", _("文件过大，请拆分后分批导入"))
        else:
            path = _store(upload)
            try:
                headers, rows, numbers = linked_import.read_rows(path)
                written = linked_import.import_linked(
                    actor=Actor.of(request),
                    table=table,
                    headers=headers,
                    rows=rows,
                    numbers=numbers,
                    enterprises=selectors.visible_to(request.user),
                )
            except FileProblem as exc:
                form.add_error("file", str(exc))
            except ValidationFailed as exc:
                if not exc.details:  # the file as a whole (a required column missing)
                    form.add_error(None, str(exc.message))
                else:
                    errors = exc.details["errors"]
                    form.add_error(
                        None,
                        _("文件有 %(n)s 处错误，未导入任何数据；请按下表修改后重新上传。")
                        % {"n": exc.details["count"]},
                    )
            else:
                label = dict(LINKED_TABLES)[table]
                messages.success(
                    request, _("已导入 %(n)s 条%(t)s记录。") % {"n": written, "t": label}
                )
                return redirect("enterprises:import_linked")
            finally:
                path.unlink(missing_ok=True)
    return render(
        request,
        "enterprises/import_linked.html",
        {"form": form, "errors": errors, "tables": LINKED_TABLES},
    )


@permission_required(IMPORT)
def import_linked_template(request: HttpRequest, table: str) -> HttpResponse:
    if table not in linked_import.TABLES:
        raise NotFound(_("没有这个导入模板"))
    body = exporting.write_linked_template(table, timezone.localdate().year - 1)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="gaoxin-{table}-template.xlsx"'
    return response

"""Importing enterprises from Excel or CSV in the flat layout of docs/rules-contract.md.

Two steps: `read_import()` reads and checks every cell and returns a preview (what would be
created and updated, and every error by row and column); `commit_import()` writes all of it
in one transaction, or nothing. Nothing is written while any error remains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.catalogue import Column, FieldKind
from gaoxin.core import cached
from gaoxin.core.audit import Actor, to_jsonable
from gaoxin.core.bulk import insert_rows, update_rows
from gaoxin.core.errors import ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.choices import DataSource, Recognition
from gaoxin.enterprises.figures import (
    YEARLY_NAMES,
    figure_conflicts,
    merge_reports,
    outranks,
    record_sources,
    size_band,
    source_of,
    staff_conflicts,
)
from gaoxin.enterprises.flatfile import FileProblem, column_letter, open_table
from gaoxin.enterprises.models import (
    Enterprise,
    ImportBatch,
    Qualification,
    ReportedFigures,
    YearlyFigures,
)
from gaoxin.enterprises.services import default_expiry
from gaoxin.enterprises.signals import Event, event, queue_events
from gaoxin.enterprises.values import InvalidValue, is_blank, parser_for

MAX_ERRORS_KEPT = 1000
_NEW_STATIC = [f.name for f in catalogue.STATIC_FIELDS if f.name != "uscc"]
_NEW_ENTERPRISE_COLUMNS = [
    "uscc",
    *_NEW_STATIC,
    "size_band",
    "latest_year",
    "latest_revenue",
    "field_sources",
    "department",
    "created_at",
    "updated_at",
]
_REPORT_COLUMNS = ["enterprise", "year", "source", *YEARLY_NAMES, "recorded_at", "recorded_by"]
_FIGURES_COLUMNS = ["enterprise", "year", *YEARLY_NAMES, "sources"]
_CERTIFICATE_COLUMNS = [
    "enterprise",
    "kind",
    "granted_on",
    "valid_until",
    "certificate_no",
    "source",
    "recorded_at",
    "recognition",
]
_AUDIT_COLUMNS = [
    "at",
    "actor",
    "actor_label",
    "ip",
    "action",
    "model",
    "object_id",
    "object_repr",
    "subject_model",
    "subject_id",
    "before",
    "after",
    "note",
]
_ENTERPRISE_LABEL = "enterprises.enterprise"


def _stored(name: str, value: Any) -> Any:
    """Blank text is stored as "", other blanks as NULL."""
    if value is None and catalogue.BY_NAME[name].type is catalogue.FieldType.TEXT:
        return ""
    return value


BATCH = 2000
Mode = ImportBatch.Mode


@dataclass(frozen=True)
class CellError:
    row: int  # as Excel numbers it: the header is row 1
    column: str  # as Excel names it: A, B, … AA
    header: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "message": self.message,
        }


@dataclass
class ImportRow:
    row: int
    uscc: str
    static: dict[str, Any] = field(default_factory=dict)
    yearly: dict[int, dict[str, Any]] = field(default_factory=dict)
    qualifications: dict[str, tuple[dt.date, dt.date | None]] = field(default_factory=dict)
    # 首次认定 / 重新认定 where the file says so (a `高新技术企业_首次认定` column: 是/否)
    recognition: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportPreview:
    headers: list[str]
    rows: list[ImportRow]
    errors: list[CellError]
    error_count: int
    years: list[int]
    to_create: int = 0
    to_update: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.rows)


@dataclass
class ImportResult:
    created: int
    updated: int
    reports: int
    qualifications: int


class _Errors:
    def __init__(self) -> None:
        self.kept: list[CellError] = []
        self.count = 0

    def add(self, row: int, index: int, header: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_ERRORS_KEPT:
            self.kept.append(CellError(row, column_letter(index), header, message))


def read_import(
    path: Path,
    filename: str,
    *,
    mode: str = Mode.CREATE,
    source: str = DataSource.VERIFIED,
    updatable: QuerySet[Enterprise] | None = None,
) -> ImportPreview:
    """Read and check the whole file. A problem with the file itself (not a table, empty,
    unreadable) raises ValidationFailed; problems with cells are listed in the preview.
    `updatable`: the enterprises the importing user may change (None: all)."""
    try:
        table = open_table(path, filename)
        columns, errors = _map_headers(table.headers, mode)
        rows = _read_rows(table.rows, table.headers, columns, errors) if columns else []
    except FileProblem as exc:
        raise ValidationFailed(str(exc)) from None
    if columns and not rows and not errors.count:
        raise ValidationFailed(_("文件只有表头，没有数据行"))
    preview = ImportPreview(
        headers=table.headers,
        rows=rows,
        errors=errors.kept,
        error_count=errors.count,
        years=sorted({c.year for c in columns.values() if c.year is not None}),
    )
    if rows:
        _check_against_registry(preview, table.headers, columns, errors, mode, source, updatable)
        preview.errors, preview.error_count = errors.kept, errors.count
    return preview


def _map_headers(headers: list[str], mode: str) -> tuple[dict[int, Column], _Errors]:
    errors = _Errors()
    columns: dict[int, Column] = {}
    seen: dict[tuple[str, int | None, bool, bool], int] = {}
    for index, header in enumerate(headers):
        if not header:
            errors.add(1, index, header, _("表头为空：请填写列名或删除这一列"))
            continue
        column = catalogue.parse_header(header)
        if column is not None and column.field.group is catalogue.FieldGroup.PERSON:
            column = None  # a person's field (the rules engine's), not a registry column
        if column is None:
            hint = catalogue.nearest_header(header)
            message = _("未知表头“%(h)s”") % {"h": header}
            if hint:
                message += _("，是否应为“%(s)s”？") % {"s": hint}
            elif catalogue.lookup(header) and catalogue.lookup(header).yearly:  # type: ignore[union-attr]
                message += _("：年度字段须带年份，如“%(h)s_2024”") % {"h": header}
            errors.add(1, index, header, message)
            continue
        key = (column.field.name, column.year, column.until, column.first)
        if key in seen:
            errors.add(1, index, header, _("与第 %(c)s 列重复") % {"c": column_letter(seen[key])})
            continue
        seen[key] = index
        columns[index] = column
    names = {c.field.name for c in columns.values()}
    required = ["uscc"] + (["name"] if mode == Mode.CREATE else [])
    for name in required:
        if name not in names:
            field_ = catalogue.BY_NAME[name]
            errors.add(1, len(headers), "", _("缺少必需的列“%(h)s”") % {"h": field_.alias})
    return (columns if not errors.count else {}), errors


def _read_rows(
    rows: Iterable[tuple[int, list[Any]]],
    headers: list[str],
    columns: dict[int, Column],
    errors: _Errors,
) -> list[ImportRow]:
    parsers: list[tuple[int, Column, Callable[[Any], Any]]] = [
        (i, c, _parser(c)) for i, c in columns.items()
    ]
    uscc_index = next(i for i, c in columns.items() if c.field.name == "uscc")
    index_of = {
        (c.field.name, c.year): i for i, c in columns.items() if not c.until and not c.first
    }
    first_row_of: dict[str, int] = {}
    out: list[ImportRow] = []
    for number, cells in rows:
        if len(cells) > len(headers) and any(not is_blank(c) for c in cells[len(headers) :]):
            extra = next(i for i in range(len(headers), len(cells)) if not is_blank(cells[i]))
            errors.add(number, extra, "", _("这一列没有表头，数据无法对应字段"))
        item = ImportRow(row=number, uscc="")
        granted: dict[str, dt.date | None] = {}
        until: dict[str, tuple[int, dt.date | None]] = {}
        first: dict[str, tuple[int, bool | None]] = {}
        uscc_failed = False
        for index, column, parse in parsers:
            raw = cells[index] if index < len(cells) else None
            try:
                value = parse(raw)
            except InvalidValue as exc:
                errors.add(number, index, headers[index], str(exc))
                uscc_failed = uscc_failed or index == uscc_index
                continue
            name = column.field.name
            if column.field.kind is FieldKind.QUALIFICATION:
                if column.first:
                    first[name] = (index, value)
                elif column.until:
                    until[name] = (index, value)
                else:
                    granted[name] = value
            elif column.year is not None:
                item.yearly.setdefault(column.year, {})[name] = value
            else:
                item.static[name] = value
        _finish_row(
            item, granted, until, headers, index_of, errors, uscc_index, uscc_failed, first_row_of
        )
        for name, (index, is_first) in first.items():
            if is_first is None:
                continue
            if name not in item.qualifications:
                errors.add(number, index, headers[index], _("填写了是否首次认定但没有认定日期"))
            else:
                item.recognition[name] = Recognition.FIRST if is_first else Recognition.RENEWAL
        out.append(item)
    return out


def _parser(column: Column) -> Callable[[Any], Any]:
    field_ = column.field
    if field_.kind is FieldKind.QUALIFICATION:
        date_field = catalogue.Field(
            field_.name,
            field_.alias,
            catalogue.FieldType.BOOLEAN if column.first else catalogue.FieldType.DATE,
            FieldKind.STATIC,
            field_.group,
            field_.label_en,
        )
        return parser_for(date_field)
    return parser_for(field_)


def _finish_row(
    item: ImportRow,
    granted: dict[str, dt.date | None],
    until: dict[str, tuple[int, dt.date | None]],
    headers: list[str],
    index_of: dict[tuple[str, int | None], int],
    errors: _Errors,
    uscc_index: int,
    uscc_failed: bool,
    first_row_of: dict[str, int],
) -> None:
    number = item.row
    uscc = item.static.pop("uscc", None)
    if uscc is None:
        if not uscc_failed:
            errors.add(number, uscc_index, headers[uscc_index], _("统一社会信用代码必填"))
    else:
        item.uscc = uscc
        if uscc in first_row_of:
            errors.add(
                number,
                uscc_index,
                headers[uscc_index],
                _("统一社会信用代码与第 %(r)s 行重复") % {"r": first_row_of[uscc]},
            )
        else:
            first_row_of[uscc] = number
    for name, (index, end) in until.items():
        start = granted.get(name)
        if end is not None and start is None:
            errors.add(number, index, headers[index], _("填写了有效期但没有认定日期"))
        elif start is not None and end is not None and end < start:
            errors.add(number, index, headers[index], _("有效期至不能早于认定日期"))
    for name, start in granted.items():
        if start is not None:
            end = until.get(name, (0, None))[1]
            item.qualifications[name] = (start, end or default_expiry(name, start))
    for name, message in staff_conflicts(item.static):
        i = index_of[(name, None)]
        errors.add(number, i, headers[i], message)
    for year, values in item.yearly.items():
        for name, message in figure_conflicts(values):
            i = index_of[(name, year)]
            errors.add(number, i, headers[i], message)


def _existing(usccs: list[str]) -> dict[str, Enterprise]:
    found: dict[str, Enterprise] = {}
    for start in range(0, len(usccs), BATCH):
        chunk = usccs[start : start + BATCH]
        for enterprise in Enterprise.objects.filter(uscc__in=chunk):
            found[enterprise.uscc] = enterprise
    return found


def _check_against_registry(
    preview: ImportPreview,
    headers: list[str],
    columns: dict[int, Column],
    errors: _Errors,
    mode: str,
    source: str,
    updatable: QuerySet[Enterprise] | None,
) -> None:
    existing = _existing([r.uscc for r in preview.rows if r.uscc])
    allowed = None
    if updatable is not None and existing and mode != Mode.CREATE:
        ids = [e.pk for e in existing.values()]
        allowed = set()
        for start in range(0, len(ids), BATCH):
            allowed |= set(
                updatable.filter(pk__in=ids[start : start + BATCH]).values_list("pk", flat=True)
            )
    index_of = {c.field.name: i for i, c in columns.items() if c.year is None and not c.until}
    uscc_index = index_of["uscc"]
    for item in preview.rows:
        enterprise = existing.get(item.uscc)
        if enterprise is None:
            preview.to_create += 1
            if item.uscc and not item.static.get("name"):
                i = index_of.get("name", uscc_index)
                errors.add(
                    item.row, i, headers[i] if i < len(headers) else "", _("新企业的企业名称必填")
                )
            continue
        if mode == Mode.CREATE:
            errors.add(
                item.row,
                uscc_index,
                headers[uscc_index],
                _("该企业已在企业库中；如需更新，请选择“新增并更新已有企业”"),
            )
            continue
        if allowed is not None and enterprise.pk not in allowed:
            errors.add(
                item.row, uscc_index, headers[uscc_index], _("该企业不在您的数据范围内，无权更新")
            )
            continue
        preview.to_update += 1
        for name, value in item.static.items():
            recorded = source_of(enterprise.field_sources, name)
            if (
                value is not None
                and value != getattr(enterprise, name)
                and outranks(recorded, source)
            ):
                i = index_of[name]
                errors.add(
                    item.row,
                    i,
                    headers[i],
                    _("该值已由%(s)s确认，不能以%(t)s覆盖")
                    % {"s": DataSource(str(recorded)).label, "t": DataSource(source).label},
                )


def commit_import(
    preview: ImportPreview,
    *,
    actor: Actor,
    source: str,
    mode: str = Mode.CREATE,
    department_id: int | None = None,
) -> ImportResult:
    """Write the previewed rows in one transaction. The registry is checked again inside it:
    if it changed since the preview so that a row no longer fits, nothing is written.
    `department_id`: the zone department that serves the enterprises created."""
    if not preview.ok:
        raise ValidationFailed(
            _("文件还有 %(n)s 处错误，未导入任何数据") % {"n": preview.error_count}
        )
    with transaction.atomic():
        existing = _existing([r.uscc for r in preview.rows])
        if mode == Mode.CREATE and existing:
            raise ValidationFailed(_("预览之后已有企业被他人录入，请重新上传预览"))
        cached.changed(cached.REGISTRY)  # bulk writes send no signals
        return _Writer(actor, source, existing, department_id).write(preview.rows)


class _Writer:
    def __init__(
        self, actor: Actor, source: str, existing: dict[str, Enterprise], department_id: int | None
    ) -> None:
        self.actor = actor
        self.department_id = department_id
        self.source = source
        self.existing = existing
        self.at = timezone.localtime().isoformat(timespec="seconds")
        self.audit: list[tuple[Any, ...]] = []
        self.events: list[Event] = []  # certificates and landing dates written: event awards

    def write(self, rows: list[ImportRow]) -> ImportResult:
        new_rows = [r for r in rows if r.uscc not in self.existing]
        old_rows = [r for r in rows if r.uscc in self.existing]
        created = reports = qualifications = 0
        for start in range(0, len(new_rows), BATCH):
            counts = self._insert_new(new_rows[start : start + BATCH])
            created, reports, qualifications = (
                created + counts[0],
                reports + counts[1],
                qualifications + counts[2],
            )
        updated = 0
        by_uscc = dict(self.existing)
        for start in range(0, len(old_rows), BATCH):  # chunks keep memory flat
            chunk = old_rows[start : start + BATCH]
            updated += self._update(chunk)
            reports += self._reports(chunk, by_uscc)
            qualifications += self._qualifications(chunk, by_uscc)
            self._refresh_figures(chunk, by_uscc)
            insert_rows(AuditEntry, _AUDIT_COLUMNS, self.audit)
            self.audit = []
        queue_events(self.events)
        return ImportResult(created, updated, reports, qualifications)

    def _audit_row(
        self, action: str, enterprise: Enterprise, before: Any, after: Any, note: str = ""
    ) -> tuple[Any, ...]:
        """One audit row for insert_rows (Decimal and dates are written by its JSON encoder)."""
        user_id = self.actor.user.pk if self.actor.user is not None else None
        return (
            timezone.now(),
            user_id,
            self.actor.label[:150],
            self.actor.ip,
            action,
            _ENTERPRISE_LABEL,
            str(enterprise.pk),
            str(enterprise)[:200],
            _ENTERPRISE_LABEL,
            str(enterprise.pk),
            before,
            after,
            note[:300],
        )

    def _sources(self, stored: dict[str, Any], values: dict[str, Any]) -> dict[str, list[str]]:
        names = [n for n, v in values.items() if v is not None]
        return record_sources(stored, names, self.source, self.at)

    def _insert_new(self, rows: list[ImportRow]) -> tuple[int, int, int]:
        """Enterprises that are not in the registry yet, with their figures, certificates and
        one audit entry each. Their figures in force are the file's (there is one source), so
        they are computed here instead of merged from the database."""
        now = timezone.now()
        years_of = [
            {
                y: p
                for y, v in item.yearly.items()
                if (p := {n: x for n, x in v.items() if x is not None})
            }
            for item in rows
        ]
        enterprise_rows = []
        for item, years in zip(rows, years_of, strict=True):
            latest = max(
                (y for y, v in years.items() if v.get("revenue") is not None), default=None
            )
            revenue = years[latest]["revenue"] if latest is not None else None
            static = [_stored(n, item.static.get(n)) for n in _NEW_STATIC]
            enterprise_rows.append(
                (
                    item.uscc,
                    *static,
                    size_band(item.static.get("employees"), revenue, item.static.get("industry")),
                    latest,
                    revenue,
                    self._sources({}, item.static),
                    self.department_id,
                    now,
                    now,
                )
            )
        insert_rows(Enterprise, _NEW_ENTERPRISE_COLUMNS, enterprise_rows)
        ids = dict(
            Enterprise.objects.filter(uscc__in=[r.uscc for r in rows]).values_list("uscc", "pk")
        )
        reports, figures, certificates, audit = [], [], [], []
        user_id = self.actor.user.pk if self.actor.user is not None else None
        # One sources object per set of figures present: insert_rows encodes each object once.
        sources: dict[tuple[str, ...], dict[str, str]] = {}
        for item, years in zip(rows, years_of, strict=True):
            pk = ids[item.uscc]
            for year, present in years.items():
                values = [present.get(n) for n in YEARLY_NAMES]
                reports.append((pk, year, self.source, *values, now, self.actor.label[:150]))
                names = tuple(present)
                if names not in sources:
                    sources[names] = dict.fromkeys(names, self.source)
                figures.append((pk, year, *values, sources[names]))
            for kind, (granted, until) in item.qualifications.items():
                recognition = item.recognition.get(kind, "")
                certificates.append((pk, kind, granted, until, "", self.source, now, recognition))
                self.events.append(event(pk, kind, granted))
            if item.static.get("landed_at") is not None:
                self.events.append(event(pk, "landed_at", item.static["landed_at"]))
            # Decimal and date values are written by the JSON encoder (core.bulk.json_default).
            after: dict[str, Any] = {"uscc": item.uscc, **item.static}
            if years:
                after["figures"] = {str(y): p for y, p in years.items()}
            if item.qualifications:
                after["qualifications"] = item.qualifications
            name = str(item.static.get("name") or item.uscc)[:200]
            audit.append(
                (
                    now,
                    user_id,
                    self.actor.label[:150],
                    self.actor.ip,
                    "import_create",
                    _ENTERPRISE_LABEL,
                    str(pk),
                    name,
                    _ENTERPRISE_LABEL,
                    str(pk),
                    None,
                    after,
                    "",
                )
            )
        insert_rows(ReportedFigures, _REPORT_COLUMNS, reports)
        insert_rows(YearlyFigures, _FIGURES_COLUMNS, figures)
        insert_rows(Qualification, _CERTIFICATE_COLUMNS, certificates)
        insert_rows(AuditEntry, _AUDIT_COLUMNS, audit)
        return len(rows), len(reports), len(certificates)

    def _update(self, rows: list[ImportRow]) -> int:
        changed_objects: list[Enterprise] = []
        fields: set[str] = set()
        for item in rows:
            enterprise = self.existing[item.uscc]
            changes = {
                n: v
                for n, v in item.static.items()
                if v is not None and getattr(enterprise, n) != v
            }
            if not changes:
                continue
            before = {n: to_jsonable(getattr(enterprise, n)) for n in changes}
            for name, value in changes.items():
                setattr(enterprise, name, value)
            enterprise.field_sources = self._sources(enterprise.field_sources, changes)
            fields.update(changes)
            changed_objects.append(enterprise)
            if changes.get("landed_at") is not None:
                self.events.append(event(enterprise.pk, "landed_at", changes["landed_at"]))
            self.audit.append(self._audit_row("import_update", enterprise, before, changes))
        if changed_objects:
            Enterprise.objects.bulk_update(
                changed_objects, [*fields, "field_sources"], batch_size=BATCH
            )
        return len(changed_objects)

    def _reports(self, rows: list[ImportRow], by_uscc: dict[str, Enterprise]) -> int:
        ids = [by_uscc[r.uscc].pk for r in rows if r.yearly]
        stored: dict[tuple[int, int], ReportedFigures] = {}
        for start in range(0, len(ids), BATCH):
            for report in ReportedFigures.objects.filter(
                enterprise_id__in=ids[start : start + BATCH], source=self.source
            ):
                stored[(report.enterprise_id, report.year)] = report
        to_create: list[ReportedFigures] = []
        to_update: list[ReportedFigures] = []
        for item in rows:
            enterprise = by_uscc[item.uscc]
            for year, values in item.yearly.items():
                present = {n: v for n, v in values.items() if v is not None}
                if not present:
                    continue
                found = stored.get((enterprise.pk, year))
                if found is None:
                    report = ReportedFigures(
                        enterprise_id=enterprise.pk,
                        year=year,
                        source=self.source,
                        recorded_by=self.actor.label,
                    )
                    for name, value in present.items():
                        setattr(report, name, value)
                    to_create.append(report)
                    before = None
                else:
                    report = found
                    present = {n: v for n, v in present.items() if getattr(report, n) != v}
                    if not present:
                        continue
                    before = {n: to_jsonable(getattr(report, n)) for n in present}
                    for name, value in present.items():
                        setattr(report, name, value)
                    report.recorded_by = self.actor.label
                    to_update.append(report)
                self.audit.append(
                    self._audit_row(
                        "import_report",
                        enterprise,
                        before,
                        present,
                        note=f"{year} {DataSource(self.source).label}",
                    )
                )
        # A changed report is replaced by a fresh row: one DELETE and one bulk INSERT instead of
        # an UPDATE with a CASE per field and row.
        now = timezone.now()
        fresh = [
            (
                r.enterprise_id,
                r.year,
                r.source,
                *[getattr(r, n) for n in YEARLY_NAMES],
                now,
                r.recorded_by[:150],
            )
            for r in [*to_create, *to_update]
        ]
        for start in range(0, len(to_update), BATCH):
            ReportedFigures.objects.filter(
                pk__in=[r.pk for r in to_update[start : start + BATCH]]
            ).delete()
        insert_rows(ReportedFigures, _REPORT_COLUMNS, fresh)
        return len(fresh)

    def _qualifications(self, rows: list[ImportRow], by_uscc: dict[str, Enterprise]) -> int:
        wanted = {
            (by_uscc[r.uscc].pk, kind, start): (end, r.uscc, r.recognition.get(kind))
            for r in rows
            for kind, (start, end) in r.qualifications.items()
        }
        if not wanted:
            return 0
        ids = sorted({key[0] for key in wanted})
        stored: dict[tuple[int, str, dt.date], Qualification] = {}
        for start in range(0, len(ids), BATCH):
            for q in Qualification.objects.filter(enterprise_id__in=ids[start : start + BATCH]):
                stored[(q.enterprise_id, q.kind, q.granted_on)] = q
        to_create: list[Qualification] = []
        to_update: list[Qualification] = []
        for (pk, kind, granted), (end, uscc, recognition) in wanted.items():
            found = stored.get((pk, kind, granted))
            if found is None:
                self.events.append(event(pk, kind, granted))
                to_create.append(
                    Qualification(
                        enterprise_id=pk,
                        kind=kind,
                        granted_on=granted,
                        valid_until=end,
                        source=self.source,
                        recognition=recognition or "",
                    )
                )
            elif found.valid_until != end or (recognition and found.recognition != recognition):
                if recognition and found.recognition != recognition:
                    # what the certificate is became known: its award may follow now
                    self.events.append(event(pk, kind, granted))
                    found.recognition = recognition
                found.valid_until, found.source = end, self.source
                to_update.append(found)
            else:
                continue
            after = {
                "kind": kind,
                "granted_on": granted.isoformat(),
                "valid_until": end.isoformat() if end else None,
            }
            if recognition:
                after["recognition"] = recognition
            self.audit.append(self._audit_row("import_qualification", by_uscc[uscc], None, after))
        Qualification.objects.bulk_create(to_create, batch_size=BATCH)
        Qualification.objects.bulk_update(
            to_update, ["valid_until", "source", "recognition"], batch_size=BATCH
        )
        return len(to_create) + len(to_update)

    def _refresh_figures(self, rows: list[ImportRow], by_uscc: dict[str, Enterprise]) -> None:
        """Rebuild the figures in force for every enterprise the file touched, and each
        enterprise's latest revenue and size band."""
        ids = sorted({by_uscc[r.uscc].pk for r in rows})
        enterprises = {e.pk: e for e in by_uscc.values()}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            reports: dict[tuple[int, int], list[tuple[str, dict[str, Any]]]] = {}
            for row in ReportedFigures.objects.filter(enterprise_id__in=chunk).values_list(
                "enterprise_id", "year", "source", *YEARLY_NAMES
            ):
                reports.setdefault((row[0], row[1]), []).append(
                    (row[2], dict(zip(YEARLY_NAMES, row[3:], strict=True)))
                )
            YearlyFigures.objects.filter(enterprise_id__in=chunk).delete()
            figures: list[tuple[Any, ...]] = []
            latest: dict[int, tuple[int, Any]] = {}
            for (pk, year), pairs in reports.items():
                values, sources = merge_reports(pairs)
                figures.append((pk, year, *[values[n] for n in YEARLY_NAMES], sources))
                if values["revenue"] is not None and year >= latest.get(pk, (0, None))[0]:
                    latest[pk] = (year, values["revenue"])
            insert_rows(YearlyFigures, _FIGURES_COLUMNS, figures)
            changed = []
            for pk in chunk:
                enterprise = enterprises[pk]
                found = latest.get(pk)
                newest, revenue = found if found is not None else (None, None)
                band = size_band(enterprise.employees, revenue, enterprise.industry)
                if (enterprise.latest_year, enterprise.latest_revenue, enterprise.size_band) != (
                    newest,
                    revenue,
                    band,
                ):
                    enterprise.latest_year, enterprise.latest_revenue = newest, revenue
                    enterprise.size_band = band
                    changed.append((newest, revenue, band, pk))
            update_rows(Enterprise, ["latest_year", "latest_revenue", "size_band"], changed)


def rows_from_records(records: Iterable[dict[str, Any]]) -> ImportPreview:
    """An import preview from records in the flat layout (English headers), checked cell by
    cell exactly as a file would be: the demo zone and integrations come in this way."""
    records = iter(records)
    first = next(records, None)
    if first is None:
        raise ValidationFailed(_("没有数据"))
    headers = list(first)

    def numbered() -> Iterable[tuple[int, list[Any]]]:
        yield 2, [first[h] for h in headers]
        for number, record in enumerate(records, start=3):
            yield number, [record[h] for h in headers]

    columns, errors = _map_headers(headers, Mode.UPSERT)
    rows = _read_rows(numbered(), headers, columns, errors) if columns else []
    preview = ImportPreview(
        headers=headers,
        rows=rows,
        errors=errors.kept,
        error_count=errors.count,
        years=sorted({c.year for c in columns.values() if c.year}),
    )
    if rows:
        _check_against_registry(
            preview, headers, columns, errors, Mode.UPSERT, DataSource.VERIFIED, None
        )
        preview.errors, preview.error_count = errors.kept, errors.count
    return preview

"""Importing records linked to enterprises from Excel or CSV: persons (with yearly salary and
retained tax as `年薪_2025`), patents, equipment purchases and incubator tenants — one row per
record, the enterprise named by its USCC, headers in Chinese or English as the catalogue names
them. All rows are checked first; a file with any error writes nothing and names each error by
row and column. Rows are added (a patent number an enterprise already has is updated)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import ValidationFailed
from gaoxin.enterprises.flatfile import SUPPORTED_SUFFIXES, column_letter, open_table
from gaoxin.enterprises.importing import CellError
from gaoxin.enterprises.models import (
    Enterprise,
    EquipmentPurchase,
    Patent,
    Person,
    PersonYear,
    Tenancy,
)
from gaoxin.enterprises.values import InvalidValue, parser_for

TABLES = ("persons", "patents", "equipment", "tenants")
_YEARLY = re.compile(r"^(?P<base>.+?)[_\-\s]?(?P<year>(19|20)\d{2})年?$")
MAX_ERRORS = 20  # in the message
ERRORS_LISTED = 500  # in the details a page lists


def _said(e: CellError) -> str:
    if not e.column:  # a column the file lacks
        return _("第 %(r)s 行“%(h)s”：%(m)s") % {"r": e.row, "h": e.header, "m": e.message}
    return _("第 %(r)s 行 %(c)s 列“%(h)s”：%(m)s") % {
        "r": e.row,
        "c": e.column,
        "h": e.header,
        "m": e.message,
    }


def _fields(table: str) -> tuple[catalogue.Field, ...]:
    if table == "persons":
        return catalogue.PERSON_FIELDS
    return catalogue.ITEM_TABLE[table].fields


# model field ← catalogue field, where the names differ
_MODEL_NAME = {
    "persons": {"person_name": "name"},
    "tenants": {"name": "tenant_name"},
}
_REQUIRED = {
    "persons": "person_name",
    "patents": "number",
    "equipment": "name",
    "tenants": "name",
}
_TENANT_USCC = ("tenant_uscc", "入驻企业统一社会信用代码")
_MODEL = {"persons": Person, "patents": Patent, "equipment": EquipmentPurchase, "tenants": Tenancy}


@cache
def _choices(table: str, name: str) -> tuple[tuple[Any, Any], ...]:
    """The model field's (code, label) choices; none for a free field or no model field."""
    try:
        return tuple(getattr(_MODEL[table]._meta.get_field(name), "choices", None) or ())
    except FieldDoesNotExist:
        return ()


def _coded(table: str, name: str, value: Any) -> tuple[Any, list[str]]:
    """A coded field's value as stored (its code, given as code or label) and, when the value is
    neither, the codes allowed; other fields pass as they are."""
    choices = _choices(table, name)
    if not choices:
        return value, []
    for code, label in choices:
        if str(value).strip() in (str(code), str(label)):
            return code, []
    return value, [str(code) for code, _label in choices]


def _column(table: str, header: str) -> tuple[catalogue.Field, int | None] | None:
    text = catalogue.without_unit(str(header))
    for f in _fields(table):
        if text in (f.name, f.alias):
            return (f, None) if not f.yearly else None
    match = _YEARLY.match(text)
    if match and table == "persons":
        for f in catalogue.PERSON_FIELDS:
            if f.yearly and match["base"] in (f.name, f.alias):
                return f, int(match["year"])
    return None


def template_columns(table: str, year: int) -> list[tuple[str, str, catalogue.Field, bool]]:
    """The columns of the import template: (Chinese header, English header, field, required)."""
    uscc = catalogue.BY_NAME["uscc"]
    out = [(uscc.alias, uscc.name, uscc, True)]
    if table == "tenants":
        tenant = replace(
            uscc, name=_TENANT_USCC[0], alias=_TENANT_USCC[1], help=_("入驻企业在企业库中时填写")
        )
        out.append((tenant.alias, tenant.name, tenant, False))
    required = _REQUIRED[table]
    for f in _fields(table):
        if f.yearly:
            out.append((f"{f.alias}_{year}", f"{f.name}_{year}", f, False))
        else:
            out.append((f.alias, f.name, f, f.name == required))
    return out


def read_rows(path: str | Path) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    """Headers, rows and each row's number as the spreadsheet shows it. Excel and CSV files
    are read as an upload is (flatfile: GBK, blank rows skipped, every problem a FileProblem
    a person can act on); JSON lines and Parquet as the rules CLI reads them."""
    p = Path(path)
    if p.suffix.lower() in SUPPORTED_SUFFIXES:
        table = open_table(p, p.name)
        numbers, rows = [], []
        for number, cells in table.rows:
            numbers.append(number)
            rows.append(dict(zip(table.headers, cells, strict=False)))
        return table.headers, rows, numbers
    from gaoxin.rules.io import read_enterprises

    frame = read_enterprises(p)
    return frame.columns, frame.to_dicts(), list(range(2, frame.height + 2))


def import_linked(
    *,
    actor: Actor,
    table: str,
    headers: list[str],
    rows: Iterable[dict[str, Any]],
    numbers: Iterable[int] | None = None,
    enterprises: QuerySet[Enterprise] | None = None,
) -> int:
    """Check every row, then write them all (or nothing). Returns the rows written. Rows may
    name only `enterprises` (the importer's scope; all by default). A file with errors raises
    ValidationFailed whose `details` has their `count` and the first of them as `errors`
    ({row, column, header, message} each)."""
    if table not in TABLES:
        raise ValidationFailed(_("未知的表：%(t)s") % {"t": table}, field="table")
    errors: list[CellError] = []
    letter = {h: column_letter(i) for i, h in enumerate(headers)}

    def error(row: int, header: str, message: str) -> None:
        errors.append(CellError(row, letter.get(header, ""), str(header), message))

    uscc_header = next((h for h in headers if str(h).strip() in ("uscc", "统一社会信用代码")), None)
    if uscc_header is None:
        raise ValidationFailed(_("缺少“统一社会信用代码”列"), field="file")
    tenant_header = next((h for h in headers if str(h).strip() in _TENANT_USCC), None)
    columns: dict[str, tuple[catalogue.Field, int | None]] = {}
    for h in headers:
        if h in (uscc_header, tenant_header):
            continue
        found = _column(table, h)
        if found is None:
            error(1, h, _("未知表头"))
        else:
            columns[h] = found
    required = _REQUIRED[table]
    if not any(f.name == required and y is None for f, y in columns.values()):
        alias = next(f.alias for f in _fields(table) if f.name == required)
        error(1, alias, _("缺少必需的列"))
    scope = Enterprise.objects.all() if enterprises is None else enterprises
    ids = dict(scope.values_list("uscc", "pk"))
    # A tenant is named, not edited: any enterprise of the registry may be one.
    tenants = dict(Enterprise.objects.values_list("uscc", "pk")) if tenant_header else {}
    parsed: list[tuple[int, int | None, dict[str, Any], dict[int, dict[str, Any]]]] = []
    # Each row's number as the spreadsheet shows it (the header is row 1): 2, 3, … by default.
    numbered = zip(numbers, rows, strict=True) if numbers is not None else enumerate(rows, 2)
    for number, row in numbered:
        found_errors = len(errors)
        enterprise = ids.get(str(row.get(uscc_header) or "").strip())
        if enterprise is None:
            error(number, uscc_header, _("企业库中没有这个统一社会信用代码"))
        tenant = tenants.get(str(row.get(tenant_header) or "").strip()) if tenant_header else None
        values: dict[str, Any] = {}
        yearly: dict[int, dict[str, Any]] = {}
        for header, (f, year) in columns.items():
            try:  # as the registry's import, forms and API accept a value
                value = parser_for(f)(row.get(header))
            except InvalidValue as exc:
                error(number, header, str(exc))
                continue
            if value is None:
                continue
            if year is None:
                name = _MODEL_NAME.get(table, {}).get(f.name, f.name)
                value, allowed = _coded(table, name, value)
                if allowed:
                    error(number, header, _("须为：%(a)s") % {"a": "、".join(allowed)})
                    continue
                values[name] = value
            else:
                yearly.setdefault(year, {})[f.name] = value
        if not values.get(_MODEL_NAME.get(table, {}).get(required, required)):
            error(
                number,
                next(
                    (h for h, (f, y) in columns.items() if f.name == required and y is None),
                    required,
                ),
                _("必填"),
            )
        if enterprise is not None and len(errors) == found_errors:
            parsed.append((enterprise, tenant, values, yearly))
    if errors:
        shown = "；".join(_said(e) for e in errors[:MAX_ERRORS])
        raise ValidationFailed(
            _("文件有 %(n)s 处错误，未导入：%(e)s") % {"n": len(errors), "e": shown},
            field="file",
            details={"count": len(errors), "errors": [e.as_dict() for e in errors[:ERRORS_LISTED]]},
        )
    return _write(actor, table, parsed)


@transaction.atomic
def _write(actor: Actor, table: str, parsed: list[Any]) -> int:
    touched: dict[int, int] = {}
    for enterprise, tenant, values, yearly in parsed:
        if table == "persons":
            person = Person.objects.create(enterprise_id=enterprise, **values)
            for year, figures in sorted(yearly.items()):
                PersonYear.objects.update_or_create(person=person, year=year, defaults=figures)
        elif table == "patents":
            number = values.pop("number")
            Patent.objects.update_or_create(
                enterprise_id=enterprise, number=number, defaults=values
            )
        elif table == "equipment":
            EquipmentPurchase.objects.create(enterprise_id=enterprise, **values)
        else:
            Tenancy.objects.create(incubator_id=enterprise, tenant_id=tenant, **values)
        touched[enterprise] = touched.get(enterprise, 0) + 1
    for enterprise in Enterprise.objects.filter(pk__in=list(touched)):
        record_change(
            actor=actor,
            action=f"import_{table}",
            obj=enterprise,
            after={"table": table, "rows": touched[enterprise.pk]},
        )
    return len(parsed)

"""Importing records linked to enterprises from Excel or CSV: persons (with yearly salary and
retained tax as `年薪_2025`), patents, equipment purchases and incubator tenants — one row per
record, the enterprise named by its USCC, headers in Chinese or English as the catalogue names
them. All rows are checked first; a file with any error writes nothing and names each error by
row and column. Rows are added (a patent number an enterprise already has is updated)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import ValidationFailed
from gaoxin.enterprises.flatfile import column_letter
from gaoxin.enterprises.importing import CellError
from gaoxin.enterprises.models import (
    Enterprise,
    EquipmentPurchase,
    Patent,
    Person,
    PersonYear,
    Tenancy,
)
from gaoxin.rules.values import convert_field

TABLES = ("persons", "patents", "equipment", "tenants")
_YEARLY = re.compile(r"^(?P<base>.+?)[_\-\s]?(?P<year>(19|20)\d{2})年?$")
MAX_ERRORS = 20


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


def _coded(table: str, name: str, value: Any) -> tuple[Any, list[str]]:
    """A coded field's value as stored (its code, given as code or label) and, when the value is
    neither, the codes allowed; other fields pass as they are."""
    try:
        choices = getattr(_MODEL[table]._meta.get_field(name), "choices", None)
    except FieldDoesNotExist:  # not a model field: nothing to check
        return value, []
    if not choices:
        return value, []
    for code, label in choices:
        if str(value).strip() in (str(code), str(label)):
            return code, []
    return value, [str(code) for code, _label in choices]


def _column(table: str, header: str) -> tuple[catalogue.Field, int | None] | None:
    text = str(header).strip()
    for f in _fields(table):
        if text in (f.name, f.alias):
            return (f, None) if not f.yearly else None
    match = _YEARLY.match(text)
    if match and table == "persons":
        for f in catalogue.PERSON_FIELDS:
            if f.yearly and match["base"] in (f.name, f.alias):
                return f, int(match["year"])
    return None


def read_rows(path: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    from gaoxin.rules.io import read_enterprises

    frame = read_enterprises(path, csv_as_text=True)
    return frame.columns, frame.to_dicts()


def import_linked(
    *, actor: Actor, table: str, headers: list[str], rows: Iterable[dict[str, Any]]
) -> int:
    """Check every row, then write them all (or nothing). Returns the rows written."""
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
    ids = dict(Enterprise.objects.values_list("uscc", "pk"))
    parsed: list[tuple[int, int | None, dict[str, Any], dict[int, dict[str, Any]]]] = []
    for number, row in enumerate(rows, start=2):
        found_errors = len(errors)
        enterprise = ids.get(str(row.get(uscc_header) or "").strip())
        if enterprise is None:
            error(number, uscc_header, _("企业库中没有这个统一社会信用代码"))
        tenant = ids.get(str(row.get(tenant_header) or "").strip()) if tenant_header else None
        values: dict[str, Any] = {}
        yearly: dict[int, dict[str, Any]] = {}
        for header, (f, year) in columns.items():
            raw = row.get(header)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            value = convert_field(f, raw)
            if value is None:
                error(number, header, _("无法识别的值：%(v)s") % {"v": raw})
                continue
            if f.type is catalogue.FieldType.MONEY:
                value = _yuan(value)
            elif f.type is catalogue.FieldType.INTEGER:
                value = int(value)
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
            _("文件有 %(n)s 处错误，未导入：%(e)s") % {"n": len(errors), "e": shown}, field="file"
        )
    return _write(actor, table, parsed)


def _yuan(value: Any) -> Any:
    from decimal import Decimal

    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))


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

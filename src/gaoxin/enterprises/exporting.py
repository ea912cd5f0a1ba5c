"""Writing enterprises out in the flat layout, so that an export can be edited in Excel and
imported again; and the empty template with a sheet that explains every column."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from gaoxin import catalogue
from gaoxin.catalogue import Column, FieldKind, FieldType
from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures

CHUNK = 2000
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_FORMATS = {FieldType.MONEY: "#,##0.00", FieldType.DATE: "yyyy-mm-dd", FieldType.INTEGER: "0"}


def _header_cells(sheet: WriteOnlyWorksheet, columns: list[Column]) -> list[WriteOnlyCell]:
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header_zh)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.field.required else _HEADER_FILL
        cells.append(cell)
    return cells


def rows_for(enterprises: QuerySet[Enterprise], columns: list[Column]) -> Iterator[list[Any]]:
    """One list of cell values per enterprise, in the order of `columns`."""
    years = sorted({c.year for c in columns if c.year is not None})
    ids = list(enterprises.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        figures: dict[tuple[int, int], YearlyFigures] = {
            (f.enterprise_id, f.year): f
            for f in YearlyFigures.objects.filter(enterprise_id__in=chunk, year__in=years)
        }
        latest: dict[tuple[int, str], Qualification] = {}
        for q in Qualification.objects.filter(enterprise_id__in=chunk).order_by("granted_on"):
            latest[(q.enterprise_id, q.kind)] = q
        for enterprise in Enterprise.objects.filter(pk__in=chunk).order_by("pk"):
            yield [_value(enterprise, c, figures, latest) for c in columns]


def _value(enterprise: Enterprise, column: Column, figures: dict, latest: dict) -> Any:
    name = column.field.name
    if column.field.kind is FieldKind.QUALIFICATION:
        q = latest.get((enterprise.pk, name))
        if q is None:
            return None
        return q.valid_until if column.until else q.granted_on
    if column.year is not None:
        f = figures.get((enterprise.pk, column.year))
        return getattr(f, name) if f is not None else None
    value = getattr(enterprise, name)
    if column.field.type is FieldType.BOOLEAN and value is not None:
        return "是" if value else "否"
    return value if value != "" else None


def write_xlsx(enterprises: QuerySet[Enterprise], years: list[int]) -> bytes:
    columns = catalogue.flat_columns(years)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("企业"))
    sheet.freeze_panes = "C2"
    sheet.append(_header_cells(sheet, columns))
    formats = [
        _FORMATS.get(
            c.field.type if c.field.kind is not FieldKind.QUALIFICATION else FieldType.DATE
        )
        for c in columns
    ]
    for values in rows_for(enterprises, columns):
        row = []
        for value, number_format in zip(values, formats, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if number_format and value is not None:
                cell.number_format = number_format
            row.append(cell)
        sheet.append(row)
    return _save(workbook)


def write_csv(enterprises: QuerySet[Enterprise], years: list[int]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    columns = catalogue.flat_columns(years)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header_zh for c in columns])
    for values in rows_for(enterprises, columns):
        writer.writerow(["" if v is None else v for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_template(years: list[int]) -> bytes:
    columns = catalogue.flat_columns(years)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("企业"))
    sheet.freeze_panes = "C2"
    sheet.append(_header_cells(sheet, columns))
    guide = workbook.create_sheet(_("填写说明"))
    guide.append([_("列名"), _("英文列名"), _("类型"), _("单位"), _("必填"), _("说明")])
    types = {
        FieldType.TEXT: _("文字"),
        FieldType.MONEY: _("金额（元，可写 500万、2亿）"),
        FieldType.INTEGER: _("整数"),
        FieldType.BOOLEAN: _("是/否"),
        FieldType.DATE: _("日期 2024-06-30"),
    }
    for column in columns:
        f = column.field
        if f.kind is FieldKind.QUALIFICATION:
            kind = _("日期 2024-06-30")
            note = (
                _("有效期截止日（含当日）；不填则按资质有效年限推算")
                if column.until
                else _("认定日期；未获得则留空")
            )
        else:
            kind, note = types[f.type], f.help
        guide.append(
            [column.header_zh, column.header, kind, f.unit, _("是") if f.required else "", note]
        )
    return _save(workbook)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

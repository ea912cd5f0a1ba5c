"""Writing enterprises out in the flat layout, so that an export can be edited in Excel and
imported again; and the empty template with a sheet that explains every column. The workbook
and the CSV are written by the shared export mechanism (`gaoxin.core.exporting`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from operator import itemgetter
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from gaoxin import catalogue
from gaoxin.catalogue import Column, FieldKind, FieldType
from gaoxin.core import exporting
from gaoxin.core.exporting import Kind
from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures
from gaoxin.enterprises.taxonomy_choices import label

CHUNK = 2000
TITLE = gettext_lazy("企业库")
_KINDS = {
    FieldType.MONEY: Kind.YUAN,
    FieldType.INTEGER: Kind.INTEGER,
    FieldType.DATE: Kind.DATE,
}
_CODED = ("area", "chain", "segment")  # written as labels; the import reads labels back


def header(column: Column) -> str:
    """`营业收入_2024（元）`, `职工总数（人）`: the import reads the unit as a hint only."""
    unit = column.field.unit
    return f"{column.header_zh}（{unit}）" if unit else column.header_zh


def export_columns(columns: list[Column]) -> list[exporting.Column]:
    out = []
    for index, column in enumerate(columns):
        field = column.field
        kind = Kind.DATE if field.kind is FieldKind.QUALIFICATION else _KINDS.get(field.type)
        coded = field.name in _CODED and field.kind is FieldKind.STATIC
        out.append(
            exporting.Column(
                header(column),
                itemgetter(index),
                kind or Kind.TEXT,
                labels=partial(label, field.name) if coded else None,
                width=40 if field.name == "name" else 22 if field.name == "uscc" else None,
                required=field.required,
            )
        )
    return out


def _export(years: list[int]) -> exporting.Export:
    columns = export_columns(catalogue.flat_columns(years))
    return exporting.Export(TITLE, "enterprises", columns, freeze="C2")


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
    return exporting.write_xlsx(
        _export(years), rows_for(enterprises, catalogue.flat_columns(years))
    )


def write_csv(enterprises: QuerySet[Enterprise], years: list[int]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    return exporting.write_csv(_export(years), rows_for(enterprises, catalogue.flat_columns(years)))


def export_response(enterprises: QuerySet[Enterprise], years: list[int], *, as_csv: bool) -> Any:
    columns = catalogue.flat_columns(years)
    return exporting.export_response(_export(years), rows_for(enterprises, columns), as_csv=as_csv)


_TYPE_LABELS = {
    FieldType.TEXT: gettext_lazy("文字"),
    FieldType.MONEY: gettext_lazy("金额（元，可写 500万、2亿）"),
    FieldType.INTEGER: gettext_lazy("整数"),
    FieldType.BOOLEAN: gettext_lazy("是/否"),
    FieldType.DATE: gettext_lazy("日期 2024-06-30"),
}


def _guide(workbook: Workbook, rows: Iterable[list[Any]]) -> None:
    """The sheet 填写说明: one row per column of the template."""
    guide = workbook.create_sheet(_("填写说明"))
    guide.append([_("列名"), _("英文列名"), _("类型"), _("单位"), _("必填"), _("说明")])
    for row in rows:
        guide.append([str(cell) for cell in row])


def _guide_row(header_zh: str, header_en: str, f: catalogue.Field, required: bool) -> list[Any]:
    kind = _TYPE_LABELS.get(f.type, "")
    return [header_zh, header_en, kind, f.unit, _("是") if required else "", f.help]


def write_template(years: list[int]) -> bytes:
    columns = catalogue.flat_columns(years)
    workbook = Workbook(write_only=True)
    exporting.add_sheet(
        workbook,
        exporting.Export(_("企业"), "enterprises", export_columns(columns), freeze="C2"),
        [],
    )
    rows = []
    for column in columns:
        f = column.field
        row = _guide_row(header(column), column.header, f, f.required)
        if f.kind is FieldKind.QUALIFICATION:
            row[2] = _("日期 2024-06-30")
            row[5] = (
                _("有效期截止日（含当日）；不填则按资质有效年限推算")
                if column.until
                else _("认定日期；未获得则留空")
            )
        rows.append(row)
    _guide(workbook, rows)
    return exporting.save(workbook)


def write_linked_template(table: str, year: int) -> bytes:
    """The empty sheet for importing persons (yearly columns of `year`), patents, equipment or
    tenants, and its 填写说明."""
    from gaoxin.enterprises.linked_import import template_columns

    columns = template_columns(table, year)
    workbook = Workbook(write_only=True)
    sheet = [
        exporting.Column(
            f"{zh}（{f.unit}）" if f.unit else zh,
            itemgetter(index),
            _KINDS.get(f.type, Kind.TEXT),
            required=required,
            width=22 if f.name in ("uscc", "tenant_uscc") else None,
        )
        for index, (zh, _en, f, required) in enumerate(columns)
    ]
    title = catalogue.ITEM_TABLE[table].alias if table in catalogue.ITEM_TABLE else _("人员")
    exporting.add_sheet(workbook, exporting.Export(title, table, sheet), [])
    _guide(workbook, (_guide_row(zh, en, f, required) for zh, en, f, required in columns))
    return exporting.save(workbook)

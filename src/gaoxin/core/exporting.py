"""One way to export a list: column definitions, written as XLSX or CSV.

A list declares its columns once (a Chinese header that names the unit, how to read the value
from a row, and what kind of value it is); `export_response` writes the rows as an Excel
workbook (frozen header, autofilter, column widths, number formats) or as CSV (UTF-8 with a
byte-order mark, so that Excel opens the Chinese) and names the file in Chinese with the date.

Every text cell is guarded against formula injection: a value that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return is written as text (in XLSX a string cell with Excel's quote
prefix; in CSV behind a leading apostrophe), so an enterprise named `=HYPERLINK(…)` is shown,
never run. Numbers stay numbers: a negative amount is a number cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WAN = Decimal(10_000)
CENT = Decimal("0.01")
CELL_LIMIT = 32_767  # characters in one Excel cell
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


class Kind(StrEnum):
    TEXT = "text"
    WAN = "wan"  # money, value in 元, shown in 万元 with two decimals
    YUAN = "yuan"  # money, value in 元, two decimals
    INTEGER = "integer"
    PERCENT = "percent"  # a fraction: 0.35 is 35.00%
    DATE = "date"
    DATETIME = "datetime"  # shown in the zone's time zone, to the minute
    TIMESTAMP = "timestamp"  # the same to the second (logs)


NUMBER_FORMATS = {
    Kind.WAN: "#,##0.00",
    Kind.YUAN: "#,##0.00",
    Kind.INTEGER: "#,##0",
    Kind.PERCENT: "0.00%",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
    Kind.TIMESTAMP: "yyyy-mm-dd hh:mm:ss",
}
WIDTHS = {
    Kind.TEXT: 16,
    Kind.WAN: 14,
    Kind.YUAN: 16,
    Kind.INTEGER: 10,
    Kind.PERCENT: 10,
    Kind.DATE: 12,
    Kind.DATETIME: 17,
    Kind.TIMESTAMP: 20,
}


@dataclass(frozen=True)
class Column:
    """One column: `header` is the Chinese header with its unit (`营业收入（万元）`), `value`
    reads the value from a row, `labels` turns a code into the label people read."""

    header: Any  # str or a lazy translation
    value: Callable[[Any], Any]
    kind: Kind = Kind.TEXT
    labels: Callable[[Any], Any] | None = None
    width: int | None = None
    required: bool = False  # highlighted header: an import needs this column

    def read(self, row: Any) -> Any:
        value = self.value(row)
        if self.labels is not None and value not in (None, ""):
            value = self.labels(value)
        return _typed(value, self.kind)


@dataclass(frozen=True)
class Export:
    """What a list exports: `title` names the sheet and the file (`企业库`), `slug` is the
    ASCII name for clients that cannot read an RFC 5987 file name."""

    title: Any
    slug: str
    columns: Sequence[Column]
    freeze: str = "A2"  # the header row; "C2" also keeps the first two columns in view


def _typed(value: Any, kind: Kind) -> Any:
    if value is None or value == "":
        return None
    if kind is Kind.WAN:
        return (Decimal(value) / WAN).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind is Kind.YUAN:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.PERCENT:
        return Decimal(str(value))
    if kind in (Kind.DATETIME, Kind.TIMESTAMP) and isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        local = local.replace(tzinfo=None, microsecond=0)
        return local if kind is Kind.TIMESTAMP else local.replace(second=0)
    if kind in (Kind.DATE, Kind.DATETIME, Kind.TIMESTAMP) and isinstance(value, dt.date):
        return value
    return _clean_text(str(value))


def _clean_text(text: str) -> str:
    """Control characters a workbook cannot hold are dropped (they would fail the export), and
    text is cut at the 32,767 characters an Excel cell holds."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:CELL_LIMIT]


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> str:
    """A CSV field that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_unguard(text: str) -> str:
    """A CSV field as `csv_safe` wrote it, read back (an import): the apostrophe goes."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Any:
    """A write-only cell; text is always a string cell, never a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    elif number_format and value is not None:
        cell.number_format = number_format
    return cell


def defuse(sheet: Any) -> None:
    """For a workbook built cell by cell (a statement, not a list): every text cell that
    openpyxl would write as a formula is written as text."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and (
                cell.data_type == "f" or is_formula_like(cell.value)
            ):
                cell.data_type = "s"
                cell.quotePrefix = True


def _width(column: Column) -> int:
    if column.width is not None:
        return column.width
    header = str(column.header)
    wide = sum(2 if ord(ch) > 0x2E7F else 1 for ch in header)  # CJK characters are double
    return max(WIDTHS[column.kind], wide + 4)


def add_sheet(workbook: Workbook, export: Export, rows: Iterable[Any]) -> int:
    """Write one sheet of `rows` into a write-only workbook; returns the number of rows."""
    sheet = workbook.create_sheet(str(export.title)[:31])
    columns = list(export.columns)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.freeze_panes = export.freeze
    header = []
    for column in columns:
        cell = xlsx_cell(sheet, _clean_text(str(column.header)))
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMATS.get(c.kind) for c in columns]
    count = 0
    for row in rows:
        sheet.append(
            [
                xlsx_cell(sheet, column.read(row), number_format)
                for column, number_format in zip(columns, formats, strict=True)
            ]
        )
        count += 1
    last = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    return count


def write_xlsx(export: Export, rows: Iterable[Any]) -> bytes:
    workbook = Workbook(write_only=True)
    add_sheet(workbook, export, rows)
    return save(workbook)


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind is Kind.PERCENT:
        percent = (Decimal(value) * 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return f"{percent}%"
    if kind is Kind.DATETIME and isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if kind is Kind.TIMESTAMP and isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_safe(value)
    return str(value)


def write_csv(export: Export, rows: Iterable[Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(str(c.header)) for c in export.columns])
    for row in rows:
        writer.writerow([_csv_text(c.read(row), c.kind) for c in export.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def content_disposition(filename: str, fallback: str) -> str:
    """`attachment` with the Chinese name (RFC 5987) and an ASCII name for old clients."""
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\;' else "_" for ch in fallback)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def file_response(body: bytes, content_type: str, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def export_response(
    export: Export, rows: Iterable[Any], *, as_csv: bool = False, name: str = ""
) -> HttpResponse:
    """The rows as a download named `企业库_2026-12-04.xlsx`; `name` adds to the title
    (a policy's name, a batch number)."""
    today = timezone.localdate().isoformat()
    title = str(export.title) + (f"_{name}" if name else "")
    slug = export.slug
    suffix = "csv" if as_csv else "xlsx"
    body = write_csv(export, rows) if as_csv else write_xlsx(export, rows)
    return file_response(
        body,
        CSV if as_csv else XLSX,
        f"{_file_safe(title)}_{today}.{suffix}",
        f"{slug}_{today}.{suffix}",
    )


def _file_safe(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|\r\n\t' else ch for ch in name)[:120]

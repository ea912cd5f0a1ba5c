"""Reading a table from an uploaded XLSX or CSV file: the header row and the data rows.

XLSX is read with calamine (a Rust reader, an order of magnitude faster than openpyxl on
100,000-row sheets); CSV in UTF-8 (with or without BOM) or GB18030, a superset of the GBK
that Chinese Excel writes. Every failure is a FileProblem with a message a person can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from gaoxin.core.exporting import csv_unguard

SUPPORTED_SUFFIXES = (".xlsx", ".csv")


class FileProblem(ValueError):
    pass


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as Excel shows it, cells)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_table(path: Path, filename: str) -> Table:
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return _open_xlsx(path)
    if suffix == ".csv":
        return _open_csv(path)
    if suffix == ".xls":
        raise FileProblem(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入"))
    raise FileProblem(
        _("不支持的文件类型“%(s)s”，请上传 .xlsx 或 .csv 文件") % {"s": suffix or filename}
    )


def _header_and_rows(raw_rows: Iterator[list[Any]]) -> Table:
    for number, row in enumerate(raw_rows, start=1):
        if any(not _blank(c) for c in row):
            headers = [("" if c is None else str(c)).strip() for c in row]
            while headers and not headers[-1]:
                headers.pop()
            return Table(headers=headers, rows=_data_rows(raw_rows, number))
    raise FileProblem(_("文件是空的：没有表头，也没有数据行"))


def _data_rows(raw_rows: Iterator[list[Any]], header_row: int) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(raw_rows, start=header_row + 1):
        if any(not _blank(c) for c in row):
            yield number, list(row)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _open_xlsx(path: Path) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise FileProblem(
            _("文件不是有效的 .xlsx 文件（可能已损坏、未完整上传，或只是改了扩展名）")
        )
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise FileProblem(_("Excel 文件中没有工作表"))
        sheet = workbook.get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
        return _header_and_rows(_guarded(rows))
    except FileProblem:
        raise
    except (CalamineError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileProblem(
            _("无法读取 Excel 文件（可能已损坏或未完整上传）：%(e)s") % {"e": exc}
        ) from None


def _guarded(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    try:
        yield from rows
    except Exception as exc:  # calamine raises its own errors mid-sheet on a damaged file
        raise FileProblem(_("Excel 文件读到一半出错（可能已损坏）：%(e)s") % {"e": exc}) from None


def _open_csv(path: Path) -> Table:
    encoding = _detect_encoding(path)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 — closed by _csv_rows
    try:
        return _header_and_rows(_csv_rows(handle))
    except UnicodeDecodeError:
        handle.close()
        raise FileProblem(_("CSV 文件编码无法识别，请保存为 UTF-8 或 GBK 编码")) from None


def _csv_rows(handle: io.TextIOWrapper) -> Iterator[list[Any]]:
    with handle:
        try:
            for row in csv.reader(handle):  # an exported '=… reads back as =…
                yield [csv_unguard(cell) if cell[:1] == "'" else cell for cell in row]
        except csv.Error as exc:
            raise FileProblem(_("CSV 格式错误：%(e)s") % {"e": exc}) from None
        except UnicodeDecodeError:
            raise FileProblem(_("CSV 文件编码无法识别，请保存为 UTF-8 或 GBK 编码")) from None


def _detect_encoding(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else GB18030 (covers GBK and GB2312)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        head = handle.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        if b"\x00" in head:
            raise FileProblem(_("文件不是文本 CSV（可能是二进制文件）"))
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"

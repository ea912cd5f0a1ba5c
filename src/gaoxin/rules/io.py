"""Reading enterprise files: CSV (UTF-8 or GB18030), XLSX, JSONL, Parquet, with English or
Chinese headers."""

from __future__ import annotations

import codecs
import io
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from gaoxin import catalogue as C


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the CSV file is neither UTF-8 nor GB18030")


def utf8_csv(path: Path, workdir: Path) -> Path:
    """The CSV file itself when it is UTF-8, else a UTF-8 copy of it in `workdir` when it is
    GB18030. Both are checked a block at a time, so a large file is never held in memory."""
    if _decodes(path, "utf-8"):
        return path
    if not _decodes(path, "gb18030"):
        raise ValueError("the CSV file is neither UTF-8 nor GB18030")
    out = workdir / "enterprises.utf8.csv"
    decoder = codecs.getincrementaldecoder("gb18030")()
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while block := src.read(1 << 24):
            dst.write(decoder.decode(block))
        dst.write(decoder.decode(b"", final=True))
    return out


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 24):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def text_columns(headers: list[str]) -> dict[str, pl.DataType]:
    return _text_columns(headers)


def _text_columns(headers: list[str]) -> dict[str, pl.DataType]:
    """Columns that must stay text even when they look numeric (the USCC, industry codes)."""
    out: dict[str, pl.DataType] = {}
    for h in headers:
        col = C.parse_header(h)
        if col is not None and col.field.type is C.FieldType.TEXT:
            out[h] = pl.String()
    return out


def check_columns(headers: list[str]) -> None:
    """Every column names a field of the catalogue; one that doesn't is an error naming it and
    the nearest field (a misspelt header would otherwise be read as missing data)."""
    problems = []
    for h in headers:
        if C.parse_header(h) is not None:
            continue
        near = C.nearest_header(h)
        problems.append(
            f"列“{h}”不对应任何字段"
            + (f"，是否应为“{near}”？" if near else "")
            + f" / column '{h}' matches no field"
            + (f" (nearest: '{near}')" if near else " (see the field catalogue in docs/rules.md)")
        )
    if problems:
        raise ValueError("\n".join(problems))


def read_enterprises(path: str | Path) -> pl.DataFrame:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(p)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return pl.read_ndjson(p, infer_schema_length=None)
    if suffix == ".xlsx":
        return _read_xlsx(p)
    if suffix in (".csv", ".txt"):
        text = _decode(p.read_bytes())
        header = pl.read_csv(io.StringIO(text), n_rows=0).columns
        return pl.read_csv(
            io.StringIO(text),
            schema_overrides=_text_columns(header),
            infer_schema_length=10_000,
            try_parse_dates=False,
        )
    raise ValueError(f"can't read {p.name}: use .csv, .xlsx, .jsonl or .parquet")


def _read_xlsx(path: Path) -> pl.DataFrame:
    header, rows = open_xlsx_rows(path)
    try:
        return xlsx_frame(header, rows)
    finally:
        rows.close()


def open_xlsx_rows(path: Path) -> tuple[list[str], Generator[tuple[Any, ...], None, None]]:
    """The first sheet's header and a generator of its non-empty rows, read one at a time
    (openpyxl's read-only mode: memory stays flat however long the sheet)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [
            str(h).strip() if h is not None else f"column_{i}" for i, h in enumerate(next(it, ()))
        ]
    except BaseException:
        wb.close()
        raise

    def rows() -> Generator[tuple[Any, ...], None, None]:
        try:
            for row in it:
                if row is None or all(v is None for v in row):
                    continue
                yield row
        finally:
            wb.close()

    return header, rows()


def xlsx_row_count(path: Path) -> int | None:
    """Rows below the header as the sheet's dimension declares them (None when it doesn't);
    for progress only."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        max_row = wb.worksheets[0].max_row
    finally:
        wb.close()
    return None if max_row is None else max(max_row - 1, 0)


def xlsx_frame(header: list[str], rows: Iterable[tuple[Any, ...]]) -> pl.DataFrame:
    """Spreadsheet rows → a frame: text fields stay text, other columns take the type their
    values share (a column of mixed values is read as text)."""
    columns: dict[str, list[Any]] = {h: [] for h in header}
    for row in rows:
        for h, v in zip(header, row, strict=False):
            columns[h].append(v)
        for h in header[len(row) :]:
            columns[h].append(None)
    text = _text_columns(header)
    series = []
    for h, values in columns.items():
        if h in text:
            series.append(
                pl.Series(h, [None if v is None else str(v) for v in values], dtype=pl.String)
            )
            continue
        try:
            series.append(pl.Series(h, values, strict=False))
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            series.append(pl.Series(h, [None if v is None else str(v) for v in values]))
    return pl.DataFrame(series)


def read_items(specs: Sequence[str]) -> dict[str, pl.DataFrame]:
    """`--items patents=FILE …` → {table: frame}; each file one row per item, with `uscc`."""
    out: dict[str, pl.DataFrame] = {}
    for spec in specs:
        table, _, path = spec.partition("=")
        found = C.ITEM_TABLE.get(table.strip())
        if found is None or not path:
            names = ", ".join(f"{t.name} ({t.alias})" for t in C.ITEM_TABLES)
            raise ValueError(f"--items takes TABLE=FILE with a table of {names}, not '{spec}'")
        frame = read_enterprises(path)
        if "uscc" not in frame.columns and "统一社会信用代码" not in frame.columns:
            raise ValueError(f"{path}: an item table needs a uscc column (its enterprise)")
        out[found.name] = frame.rename({"统一社会信用代码": "uscc"}, strict=False)
    return out


def items_by_uscc(items: dict[str, pl.DataFrame]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The item frames as the explanation's nested layout: {uscc: {table: [item, …]}}."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table, frame in items.items():
        for row in frame.iter_rows(named=True):
            uscc = str(row.pop("uscc"))
            out.setdefault(uscc, {}).setdefault(table, []).append(row)
    return out

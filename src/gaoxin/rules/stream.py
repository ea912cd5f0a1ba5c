"""Evaluating an enterprise file of any size: read in bounded chunks, evaluate each chunk with
the plan compiled once, write as it goes (what `gaoxin rules evaluate` runs).

Memory is bounded by the chunk (default 100,000 enterprises), not by the file:

- Parquet is read a row batch at a time (only the columns the policies read); CSV (UTF-8 or
  GB18030) and JSONL are first converted to a temporary Parquet file by Polars' streaming engine
  (the same type inference as reading them whole); XLSX is read row by row (openpyxl read-only).
- Each chunk is evaluated by `batch.evaluate_wide(..., plan=plan)`.
- A thread evaluates the next chunk while the last one is written (Parquet a row group per
  chunk, CSV and JSONL a block of lines per chunk).

Layouts:

- `long` — `uscc, policy, status, amount`, exactly what `batch.evaluate` gives (status names,
  amount Decimal(38,2) yuan, null unless eligible or review), in the same order: policy by
  policy, each policy's enterprises in file order. With more than one chunk, the chunks' codes
  are spilled to a temporary Parquet file first and the long rows are read back a policy at a
  time.
- `wide` — one row per enterprise: `uscc`, then per policy `status:<id>` (Enum of STATUSES) and,
  for a policy with a benefit, `amount:<id>` (yuan, two decimals) — in Parquet
  `amount_fen:<id>`, Int64 fen, exact and written as the engine computes it.

Without a `uscc` column, the enterprise's 0-based row number in the file stands for it, as in
`batch.evaluate`."""

from __future__ import annotations

import contextlib
import datetime as dt
import io as _io
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, TextIO

import polars as pl

from .batch import STATUS_ENUM, Plan, compile_plan, evaluate_wide
from .frame import canonical_names
from .model import STATUSES, Policy

DEFAULT_CHUNK_ROWS = 100_000
FORMATS = ("csv", "jsonl", "parquet")
LAYOUTS = ("long", "wide")
# Exact yuan. 18 digits hold 10^16 yuan, a thousand times the registry's largest amount
# (10万亿元); Parquet stores Decimal(18, 2) as INT64, half the size of Decimal(38, 2) and about
# three times faster to write.
YUAN = pl.Decimal(18, 2)
_STATUS_NAMES = pl.Series("status", list(STATUSES), dtype=STATUS_ENUM)
_SUFFIX_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".txt": "csv",
}


def output_format(fmt: str | None, output: str | None) -> str:
    """`--format` when given, else what `--output`'s suffix says, else CSV."""
    if fmt:
        return fmt
    if output:
        return _SUFFIX_FORMATS.get(Path(output).suffix.lower(), "csv")
    return "csv"


# -- reading -------------------------------------------------------------------------------


class EnterpriseFile:
    """An enterprise file read in chunks of at most `chunk_rows` rows, headers as written.

    `headers` is known on opening (cheaply, so that a bad header is reported before any
    conversion); `prepare()` converts CSV and JSONL to Parquet in `workdir`; `chunks()` then
    yields the rows."""

    def __init__(self, path: str | Path, chunk_rows: int, workdir: Path) -> None:
        from . import io

        if chunk_rows < 1:
            raise ValueError("--chunk-rows must be at least 1")
        self.path = Path(path)
        self.chunk_rows = chunk_rows
        self.workdir = workdir
        self.total: int | None = None
        self._parquet: Path | None = None
        self._convert: Callable[[Path], None] | None = None
        suffix = self.path.suffix.lower()
        if suffix == ".parquet":
            self._parquet = self.path
            self.headers = _parquet_file(self.path).schema_arrow.names
        elif suffix in (".csv", ".txt"):
            utf8 = io.utf8_csv(self.path, workdir)
            self.headers = pl.read_csv(utf8, n_rows=0).columns
            overrides = io.text_columns(self.headers)
            self._convert = lambda out: pl.scan_csv(
                utf8,
                schema_overrides=overrides,
                infer_schema_length=10_000,
                try_parse_dates=False,
            ).sink_parquet(out, compression="lz4")
        elif suffix in (".jsonl", ".ndjson", ".json"):
            lf = pl.scan_ndjson(self.path, infer_schema_length=None)
            self.headers = lf.collect_schema().names()
            self._convert = lambda out: lf.sink_parquet(out, compression="lz4")
        elif suffix == ".xlsx":
            header, rows = io.open_xlsx_rows(self.path)
            rows.close()
            self.headers = header
            self.total = io.xlsx_row_count(self.path)
        else:
            raise ValueError(f"can't read {self.path.name}: use .csv, .xlsx, .jsonl or .parquet")

    def prepare(self) -> None:
        """Convert a CSV or JSONL file to Parquet (once), and count the rows."""
        if self._convert is not None:
            self._parquet = self.workdir / "enterprises.parquet"
            self._convert(self._parquet)
            self._convert = None
        if self._parquet is not None:
            self.total = _parquet_file(self._parquet).metadata.num_rows

    def columns_for(self, needed: Iterable[str]) -> list[str]:
        """The headers the policies read (by canonical name) and the USCC's."""
        wanted = {*needed, "uscc"}
        names = canonical_names(self.headers)
        cols = [h for h in self.headers if names.get(h) in wanted]
        return cols or self.headers[:1]  # some column, so that rows are still counted

    def chunks(self, columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
        self.prepare()
        if self._parquet is not None:
            # Slices of a scan: Polars reads only the row groups under each slice (a quarter
            # of pyarrow's iter_batches' CPU on the benchmark file).
            lf = pl.scan_parquet(self._parquet)
            if columns is not None:
                lf = lf.select(columns)
            for offset in range(0, self.total or 0, self.chunk_rows):
                yield lf.slice(offset, self.chunk_rows).collect()
            return
        yield from self._xlsx_chunks(columns)

    def _xlsx_chunks(self, columns: Sequence[str] | None) -> Iterator[pl.DataFrame]:
        from . import io

        header, rows = io.open_xlsx_rows(self.path)
        try:
            block: list[tuple[Any, ...]] = []
            for row in rows:
                block.append(row)
                if len(block) == self.chunk_rows:
                    yield _project(io.xlsx_frame(header, block), columns)
                    block = []
            if block:
                yield _project(io.xlsx_frame(header, block), columns)
        finally:
            rows.close()


def _project(df: pl.DataFrame, columns: Sequence[str] | None) -> pl.DataFrame:
    return df if columns is None else df.select(columns)


def _parquet_file(path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path)


# -- progress ------------------------------------------------------------------------------


class Progress:
    """One line on stderr, rewritten in place: rows done / total, rate, time left. Silent
    unless enabled (the CLI enables it when stderr is a terminal)."""

    def __init__(self, enabled: bool, stream: TextIO | None = None, every: float = 0.2) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.every = every
        self._start = time.monotonic()
        self._last = 0.0
        self._width = 0

    def update(self, what: str, done: int, total: int | None, unit: str, force: bool = False):
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        elapsed = max(now - self._start, 1e-9)
        rate = done / elapsed
        line = f"{what}: {done:,}"
        if total:
            line += f" / {total:,} {unit} ({100 * done / total:.0f}%)"
        else:
            line += f" {unit}"
        line += f", {rate:,.0f} {unit}/s"
        if total and rate > 0 and done < total:
            line += f", ETA {_clock((total - done) / rate)}"
        line += f", {_clock(elapsed)}"
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()

    def restart(self) -> None:
        self._start = time.monotonic()
        self._last = 0.0

    def done(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else f"{s} s"


# -- evaluation ----------------------------------------------------------------------------


def evaluated_chunks(
    source: EnterpriseFile,
    policies: Sequence[Policy],
    plan: Plan,
    date: dt.date,
    progress: Progress,
    items: Mapping[str, pl.DataFrame] | None = None,
) -> Iterator[pl.DataFrame]:
    """`evaluate_wide`'s codes chunk by chunk (status UInt8, amount Int64 fen), each chunk led
    by `uscc` (the row number in the file when there is no USCC column)."""
    done = 0
    for raw in source.chunks(source.columns_for(plan.needed)):
        wide = evaluate_wide(policies, raw, date, plan=plan, items=items)
        if "uscc" not in wide.columns:
            row = pl.int_range(done, done + raw.height, dtype=pl.Int64, eager=True)
            wide = wide.insert_column(0, row.cast(pl.String).alias("uscc"))
        done += raw.height
        progress.update("评估 / evaluated", done, source.total, "rows")
        yield wide
    progress.update("评估 / evaluated", done, source.total, "rows", force=True)


def _status(code: pl.Expr) -> pl.Expr:
    return pl.lit(_STATUS_NAMES).gather(code)


def _yuan(fen: pl.Expr) -> pl.Expr:
    """Int64 fen → Decimal(18, 2) yuan, exactly; more than 18 digits is an error, not a
    wrong number."""
    return (fen.cast(pl.Decimal(18, 0)) * pl.lit(Decimal("0.01"), dtype=YUAN)).cast(YUAN)


def _amount(columns: Sequence[str], pid: str, money: str = "amount") -> pl.Expr:
    name = f"{money}:{pid}"
    return _yuan(pl.col(name)) if name in columns else pl.lit(None, dtype=YUAN)


def wide_schema(plan: Plan, fen: bool = False) -> pl.Schema:
    schema: dict[str, pl.DataType] = {"uscc": pl.String()}
    for pp in plan.policies:
        schema[f"status:{pp.policy.id}"] = STATUS_ENUM
        if pp.amount is not None:
            money = "bound" if pp.policy.bounded else "amount"  # benefit.upto: a bound
            schema[f"{money}_fen:{pp.policy.id}" if fen else f"{money}:{pp.policy.id}"] = (
                pl.Int64() if fen else YUAN
            )
    return pl.Schema(schema)


LONG_SCHEMA = pl.Schema(
    {"uscc": pl.String(), "policy": pl.String(), "status": STATUS_ENUM, "amount": YUAN}
)


def to_wide(codes: pl.DataFrame, plan: Plan, fen: bool = False) -> pl.DataFrame:
    """Codes → the wide layout: per policy its status name and, if it has a benefit, its
    amount in yuan, or with `fen` the engine's Int64 fen (`amount_fen:<id>`: no conversion at
    all, which keeps wide Parquet within a few times the engine's own compute)."""
    exprs = [pl.col("uscc")]
    for pp in plan.policies:
        pid = pp.policy.id
        exprs.append(_status(pl.col(f"status:{pid}")).alias(f"status:{pid}"))
        if pp.amount is None:
            continue
        money = "bound" if pp.policy.bounded else "amount"  # benefit.upto: a bound
        if fen:
            exprs.append(pl.col(f"{money}:{pid}").alias(f"{money}_fen:{pid}"))
        else:
            exprs.append(_amount(codes.columns, pid, money).alias(f"{money}:{pid}"))
    return codes.select(exprs)


def _long_part(codes: pl.DataFrame, pid: str) -> pl.DataFrame:
    return codes.select(
        pl.col("uscc"),
        pl.lit(pid, dtype=pl.String).alias("policy"),
        _status(pl.col(f"status:{pid}")).alias("status"),
        _amount(codes.columns, pid).alias("amount"),
    )


def long_frames(
    chunks: Iterator[pl.DataFrame],
    plan: Plan,
    workdir: Path,
    progress: Progress,
    rows_per_frame: int,
) -> Iterator[pl.DataFrame]:
    """The long layout in `batch.evaluate`'s order (policy by policy). One chunk is turned
    around in memory; more are spilled to Parquet and read back one policy's columns at a
    time, so memory holds the USCCs and one policy's codes, never the 200-fold long table."""
    pids = [pp.policy.id for pp in plan.policies]
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None:
        for pid in pids:
            yield _long_part(first, pid)
        return
    spill = workdir / "codes.parquet"
    write_parquet(_chain(first, second, chunks), first.schema, spill, compression="lz4")
    progress.done()
    progress.restart()
    f = _parquet_file(spill)
    uscc = pl.read_parquet(spill, columns=["uscc"])
    for i, pid in enumerate(pids):
        names = [c for c in (f"status:{pid}", f"amount:{pid}") if c in first.columns]
        codes = pl.from_arrow(f.read(columns=names))
        assert isinstance(codes, pl.DataFrame)
        codes = pl.concat([uscc, codes], how="horizontal")
        for offset in range(0, codes.height, rows_per_frame):
            yield _long_part(codes.slice(offset, rows_per_frame), pid)
        progress.update("写出 / written", i + 1, len(pids), "policies")
    progress.update("写出 / written", len(pids), len(pids), "policies", force=True)


def ahead(frames: Iterator[pl.DataFrame], depth: int = 1) -> Iterator[pl.DataFrame]:
    """The frames, computed by a thread up to `depth` ahead of the consumer: evaluating the
    next chunk overlaps with writing the last (Polars releases the GIL for both)."""
    import queue
    import threading

    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for df in frames:
                if stop.is_set():
                    return
                q.put(("frame", df))
            q.put(("end", None))
        except BaseException as e:
            q.put(("error", e))

    worker = threading.Thread(target=produce, name="gaoxin-evaluate-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.1)
        worker.join()


# Long rows are written ten chunks' worth at a time (by default a million rows, one Parquet
# row group, ~40 MB in memory): a policy's rows for one 100k chunk alone would make 200 small
# row groups and 200 writes.
LONG_WRITE_CHUNKS = 10


def _regrouped(frames: Iterator[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The same rows in the same order, in frames of at least `rows` rows (the last fewer)."""
    pending: list[pl.DataFrame] = []
    count = 0
    for df in frames:
        pending.append(df)
        count += df.height
        if count >= rows:
            yield pl.concat(pending)
            pending, count = [], 0
    if pending:
        yield pl.concat(pending)


def _chain(*head_and_rest: Any) -> Iterator[pl.DataFrame]:
    *head, rest = head_and_rest
    yield from head
    yield from rest


# -- writing -------------------------------------------------------------------------------


def write_parquet(
    frames: Iterable[pl.DataFrame],
    schema: pl.Schema,
    path: Path,
    compression: Literal["snappy", "lz4", "zstd"] = "snappy",
) -> None:
    """Write the frames to one Parquet file as they come, a row group each.

    pyarrow's writer, not Polars' sink: with dictionaries for the status columns only and
    statistics for the USCC only, it takes two thirds of the CPU of Polars' writer for the
    1M × 200 wide table (4.4 s against 6.9 s), most of it in the 100 amount columns."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for df in _or_empty(frames, schema):
            table = df.to_arrow()
            if writer is None:
                names = table.schema.names
                writer = pq.ParquetWriter(
                    path,
                    table.schema,
                    compression=compression,
                    use_dictionary=[
                        c for c in names if c in ("policy", "status") or c.startswith("status:")
                    ],
                    write_statistics=[c for c in names if c == "uscc"],
                    store_decimal_as_integer=True,
                )
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
    finally:
        if writer is not None:
            writer.close()


def _json_value(expr: pl.Expr) -> pl.Expr:
    """A column as JSON text, as json.dumps(ensure_ascii=False) writes it (null → null)."""
    text = pl.struct(expr.cast(pl.String).alias("v")).struct.json_encode()
    return text.str.slice(5).str.strip_suffix("}")


def _jsonl_lines(df: pl.DataFrame) -> pl.DataFrame:
    """Each row as one JSON object with every value a string (or null), keys in column order,
    spaced as json.dumps writes them — what the CLI wrote row by row before it streamed."""
    parts: list[pl.Expr] = []
    for i, name in enumerate(df.columns):
        key = json.dumps(name, ensure_ascii=False)
        parts.append(pl.lit(("{" if i == 0 else ", ") + key + ": "))
        parts.append(_json_value(pl.col(name)))
    parts.append(pl.lit("}"))
    return df.select(pl.concat_str(parts).alias("line"))


def write_text(frames: Iterable[pl.DataFrame], schema: pl.Schema, fmt: str, out: IO[Any]) -> None:
    """CSV (header once) or JSONL, a frame at a time, to a text or a binary stream."""
    binary = not isinstance(out, _io.TextIOBase)
    first = True
    for df in _or_empty(frames, schema):
        if fmt == "csv":
            target = df
            kwargs: dict[str, Any] = {"include_header": first}
        else:
            target = _jsonl_lines(df)
            kwargs = {"include_header": False, "quote_style": "never"}
        first = False
        if target.height == 0 and not kwargs["include_header"]:
            continue
        if binary:
            target.write_csv(out, **kwargs)
        else:
            out.write(target.write_csv(**kwargs))


def _or_empty(frames: Iterable[pl.DataFrame], schema: pl.Schema) -> Iterator[pl.DataFrame]:
    empty = True
    for df in frames:
        empty = False
        yield df
    if empty:
        yield pl.DataFrame(schema=schema)


# -- the whole run -------------------------------------------------------------------------


def evaluate_file(
    policies: Sequence[Policy],
    source: EnterpriseFile,
    date: dt.date,
    *,
    fmt: str,
    layout: str,
    output: str | None,
    progress: Progress,
    stdout: TextIO | None = None,
    items: Mapping[str, pl.DataFrame] | None = None,
) -> None:
    """Evaluate `source` against the policies and write `layout` in `fmt` to `output` (a path)
    or to `stdout`."""
    if fmt == "parquet" and not output:
        raise ValueError("--format parquet needs --output FILE")
    from .peers import from_source

    source.prepare()
    plan = compile_plan(policies, date, peers=from_source(policies, source, date))
    chunks = evaluated_chunks(source, policies, plan, date, progress, items)
    frames: Iterator[pl.DataFrame]
    if layout == "wide":
        fen = fmt == "parquet"
        schema = wide_schema(plan, fen)
        frames = ahead(to_wide(c, plan, fen) for c in chunks)
    else:
        schema = LONG_SCHEMA
        long = long_frames(chunks, plan, source.workdir, progress, source.chunk_rows)
        frames = ahead(_regrouped(long, LONG_WRITE_CHUNKS * source.chunk_rows))
    try:
        if fmt == "parquet":
            assert output is not None
            write_parquet(frames, schema, Path(output))
        elif output:
            with open(output, "wb") as f:
                write_text(frames, schema, fmt, f)
        else:
            write_text(frames, schema, fmt, stdout or sys.stdout)
    finally:
        progress.done()


def workdir() -> tempfile.TemporaryDirectory[str]:
    """Where CSV/JSONL conversions and the long layout's spill go ($TMPDIR by default)."""
    return tempfile.TemporaryDirectory(prefix="gaoxin-evaluate-")

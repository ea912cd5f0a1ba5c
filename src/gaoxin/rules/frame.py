"""Enterprise tables in the flat layout → the typed columns the batch evaluator reads.

Money becomes Int64 fen (floats as floor(x·100 + 0.5), which the scalar reader mirrors),
counts Int64, dates Date, booleans Boolean. Values the registry refuses (negative where the
catalogue says non-negative, or beyond 10万亿元) are treated as missing, in both evaluators."""

from __future__ import annotations

import polars as pl

from gaoxin import catalogue as C

from .exact import COUNT_MAX, MONEY_MAX_FEN
from .values import FALSE_WORDS, FIRST, TRUE_WORDS, UNTIL


def canonical_names(columns: list[str]) -> dict[str, str]:
    """Header → canonical flat name (`营业收入_2024` → `revenue_2024`); unknown headers are
    left out."""
    out: dict[str, str] = {}
    for name in columns:
        col = C.parse_header(name)
        if col is not None:
            out[name] = col.header
    return out


def field_of(column: str) -> tuple[C.Field, str] | None:
    """The field a column belongs to and the type the engine reads it as (a certificate's
    expiry is a date, its `_first` flag a boolean)."""
    col = C.parse_header(column)
    if col is None:
        return None
    return col.field, "date" if col.until else "boolean" if col.first else col.field.type.value


def typed_column(name: str, dtype: pl.DataType) -> pl.Expr:
    """One flat-layout column, typed as the engine reads it."""
    spec = field_of(name)
    assert spec is not None
    f, t = spec
    return typed_value(f, pl.col(name), dtype, t).alias(name)


def typed_value(f: C.Field, c: pl.Expr, dtype: pl.DataType, t: str | None = None) -> pl.Expr:
    """A column holding values of field `f` (as written: floats, text, Decimal…), typed as the
    engine reads them (`t`, the field's own type unless said): money in fen, counts, dates,
    booleans, text."""
    t = t or f.type.value
    if t == "money":
        if dtype.is_float():
            fen = (c * 100.0 + 0.5).floor().cast(pl.Int64, strict=False)
        elif dtype.is_integer():
            fen = c.cast(pl.Int64) * 100
        elif isinstance(dtype, pl.Decimal):
            fen = (c * 100).round(0).cast(pl.Int64, strict=False)
        else:
            from .values import to_money

            fen = c.cast(pl.String).map_elements(
                lambda v: None if (m := to_money(v)) is None else int(m * 100),
                return_dtype=pl.Int64,
            )
        ok = (fen >= 0) if f.non_negative else (fen >= -MONEY_MAX_FEN)
        return pl.when(ok & (fen <= MONEY_MAX_FEN)).then(fen)
    if t == "integer":
        if dtype.is_integer():
            n = c.cast(pl.Int64)
        elif dtype.is_float() or isinstance(dtype, pl.Decimal):
            n = (c.cast(pl.Float64) + 0.5).floor().cast(pl.Int64, strict=False)
        else:
            from .values import to_number

            n = c.cast(pl.String).map_elements(
                lambda v: None if (m := to_number(v)) is None else int(m), return_dtype=pl.Int64
            )
        ok = (n >= 0) if f.non_negative else (n >= -COUNT_MAX)
        return pl.when(ok & (n <= COUNT_MAX)).then(n)
    if t == "date":
        if dtype == pl.Date:
            return c
        if isinstance(dtype, pl.Datetime):
            return c.dt.date()
        s = c.cast(pl.String).str.strip_chars().str.replace_all(r"[/.]", "-").str.slice(0, 10)
        return s.str.to_date("%Y-%m-%d", strict=False)
    if t == "boolean":
        if dtype == pl.Boolean:
            return c
        if dtype.is_numeric():
            return c != 0
        s = c.cast(pl.String).str.strip_chars().str.to_lowercase()
        return (
            pl.when(s.is_in(list(TRUE_WORDS)))
            .then(True)
            .when(s.is_in(list(FALSE_WORDS)))
            .then(False)
        )
    s = c.cast(pl.String).str.strip_chars()
    return pl.when(s != "").then(s)


def prepare(df: pl.DataFrame | pl.LazyFrame, needed: set[str]) -> pl.LazyFrame:
    """Rename headers to the canonical flat names, type the columns in `needed`, add the
    missing ones as nulls. Keeps `uscc`."""
    lf = df.lazy()
    schema = lf.collect_schema()
    renames = {k: v for k, v in canonical_names(list(schema)).items() if k != v}
    if renames:
        lf = lf.rename(renames)
        schema = lf.collect_schema()
    exprs: list[pl.Expr] = []
    if "uscc" in schema:
        exprs.append(pl.col("uscc").cast(pl.String))
    if "person_id" in schema:  # a frame of persons (beneficiary: person)
        exprs.append(pl.col("person_id"))
    for name in sorted(needed):
        if name in schema:
            exprs.append(typed_column(name, schema[name]))
        else:
            exprs.append(pl.lit(None, dtype=dtype_of(name)).alias(name))
    return lf.select(exprs)


def dtype_of(name: str) -> pl.DataType:
    spec = field_of(name)
    assert spec is not None
    _f, t = spec
    return {
        "money": pl.Int64(),
        "integer": pl.Int64(),
        "date": pl.Date(),
        "boolean": pl.Boolean(),
        "text": pl.String(),
    }[t]


def column(name: str, year: int | None = None) -> str:
    return name if year is None else f"{name}_{year}"


def until_column(name: str) -> str:
    return name + UNTIL


def records(df: pl.DataFrame) -> list[dict[tuple[str, int | None], object]]:
    """Each row as the scalar evaluator's record (`values.record`), typed in one vectorised
    pass — what `record(row)` gives for each row, without parsing every value in Python."""
    from fractions import Fraction

    names = canonical_names(df.columns)
    typed = prepare(df.select(list(names)), set(names.values()) - {"uscc"}).collect()
    if "uscc" in typed.columns:
        typed = typed.with_columns(typed_column("uscc", pl.String()))
    plan: list[tuple[str, tuple[str, int | None], str]] = []
    for name in typed.columns:
        spec = C.parse_header(name)
        if spec is None:
            continue
        key = (spec.field.name + UNTIL, None) if spec.until else (spec.field.name, spec.year)
        kind = "date" if spec.until else spec.field.type.value
        if spec.first:
            key, kind = (spec.field.name + FIRST, None), "boolean"
        plan.append((name, key, kind))
    out: list[dict[tuple[str, int | None], object]] = []
    columns = [typed[name].to_list() for name, _, _ in plan]
    for i in range(typed.height):
        rec: dict[tuple[str, int | None], object] = {}
        for (_, key, kind), values in zip(plan, columns, strict=True):
            v = values[i]
            if v is None:
                continue
            if kind == "money":
                rec[key] = Fraction(v, 100)
            elif kind == "integer":
                rec[key] = Fraction(v)
            else:
                rec[key] = v
        out.append(rec)
    return out

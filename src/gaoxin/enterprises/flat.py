"""The registry in the flat layout of docs/rules-contract.md — what the rules engine reads.

One row per enterprise: `uscc`, static fields by name, yearly fields as `field_YEAR`, and for
each qualification the grant date and `<name>_until` of the certificate that counts on the
evaluation day (the one valid then, else the latest granted before it, else the first granted
after it).

Read without the ORM: one SQL query per table, straight into Polars (on PostgreSQL through
`COPY … TO STDOUT`, parsed by Polars' CSV reader), on the request's own connection so that
an open transaction sees its own writes. A province-size registry is read a range of ids at a
time (`registry_frame(on, first_id, last_id)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl
from django.db import connection

from gaoxin import catalogue
from gaoxin.catalogue import FieldType
from gaoxin.core.sql_frames import query_frame
from gaoxin.enterprises.choices import Recognition
from gaoxin.enterprises.figures import STATIC_NAMES, YEARLY_NAMES
from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures

MONEY = pl.Decimal(18, 2)
_CENT = Decimal("0.01")
_DTYPES: dict[FieldType, pl.DataType] = {
    FieldType.TEXT: pl.String(),
    FieldType.MONEY: MONEY,
    FieldType.INTEGER: pl.Int64(),
    FieldType.BOOLEAN: pl.Boolean(),
    FieldType.DATE: pl.Date(),
}
# How a column travels from SQL to Polars: as text (money keeps every digit, dates their ISO
# form, the same on SQLite and PostgreSQL) or as an integer (counts, booleans).
_WIRE = {
    FieldType.TEXT: pl.String(),
    FieldType.MONEY: pl.String(),
    FieldType.DATE: pl.String(),
    FieldType.INTEGER: pl.Int64(),
    FieldType.BOOLEAN: pl.Int64(),
}


def _select(column: str, kind: FieldType) -> str:
    if kind in (FieldType.MONEY, FieldType.DATE):
        return f"CAST({column} AS TEXT)"
    if kind is FieldType.BOOLEAN:
        return f"CAST({column} AS INTEGER)"
    return column


def _typed(name: str, kind: FieldType) -> pl.Expr:
    c = pl.col(name)
    if kind is FieldType.MONEY:
        return c.cast(MONEY)
    if kind is FieldType.DATE:
        return c.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if kind is FieldType.BOOLEAN:
        return c.cast(pl.Boolean)
    if kind is FieldType.TEXT:
        return pl.when(c != "").then(c)
    return c


def _column(model: Any, name: str) -> str:
    field = model._meta.get_field(name)
    assert field.concrete, name
    return str(field.column)


def _field_kind(model: Any, name: str) -> FieldType:
    field = catalogue.lookup(name)
    assert field is not None, name
    return field.type


def _between(column: str, first_id: int | None, last_id: int | None) -> tuple[str, list[int]]:
    if first_id is None or last_id is None:
        return "", []
    return f" WHERE {column} BETWEEN %s AND %s", [first_id, last_id]


def registry_frame(
    on: dt.date, first_id: int | None = None, last_id: int | None = None
) -> pl.DataFrame:
    """`enterprise_id`, then every column of the flat layout with the catalogue's types, for
    the enterprises with ids in [first_id, last_id] (all of them when not given), as of `on`."""
    static = _static(first_id, last_id)
    yearly = _yearly(first_id, last_id)
    certificates = _certificates(on, first_id, last_id)
    years = sorted(int(y) for y in yearly["year"].unique().to_list()) if yearly.height else []
    frame = static
    if yearly.height:
        wide = yearly.pivot(on="year", index="enterprise_id", values=list(YEARLY_NAMES))
        frame = frame.join(wide, on="enterprise_id", how="left")
    if certificates.height:
        frame = frame.join(certificates, on="enterprise_id", how="left")
    schema = _flat_schema(years)
    return frame.select(
        pl.col("enterprise_id"),
        *[
            (pl.col(n) if n in frame.columns else pl.lit(None)).cast(t).alias(n)
            for n, t in schema.items()
        ],
    )


def _flat_schema(years: Sequence[int]) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {}
    for column in catalogue.flat_columns(list(years)):
        qualification = column.field.kind is catalogue.FieldKind.QUALIFICATION
        schema[column.header] = _DTYPES[FieldType.DATE if qualification else column.field.type]
    for column in catalogue.first_columns():
        schema[column.header] = pl.Boolean()
    return schema


def _static(first_id: int | None, last_id: int | None) -> pl.DataFrame:
    table = Enterprise._meta.db_table
    kinds = {n: _field_kind(Enterprise, n) for n in STATIC_NAMES}
    columns = ", ".join(_select(_column(Enterprise, n), k) for n, k in kinds.items())
    where, params = _between("id", first_id, last_id)
    wire = {"enterprise_id": pl.Int64(), **{n: _WIRE[k] for n, k in kinds.items()}}
    frame = query_frame(f"SELECT id, {columns} FROM {table}{where}", params, wire)
    return frame.with_columns(_typed(n, k).alias(n) for n, k in kinds.items())


def _yearly(first_id: int | None, last_id: int | None) -> pl.DataFrame:
    table = YearlyFigures._meta.db_table
    columns = ", ".join(_select(_column(YearlyFigures, n), FieldType.MONEY) for n in YEARLY_NAMES)
    where, params = _between("enterprise_id", first_id, last_id)
    wire = {
        "enterprise_id": pl.Int64(),
        "year": pl.Int64(),
        **dict.fromkeys(YEARLY_NAMES, pl.String()),
    }
    frame = query_frame(f"SELECT enterprise_id, year, {columns} FROM {table}{where}", params, wire)
    kinds = {n: _field_kind(YearlyFigures, n) for n in YEARLY_NAMES}
    return frame.with_columns(_typed(n, k).alias(n) for n, k in kinds.items())


_CERTIFICATE_COLUMNS = (
    "enterprise_id, kind, CAST(granted_on AS TEXT), CAST(valid_until AS TEXT), recognition"
)


def first_recognition(recognition: str, granted: dt.date, earliest: dt.date) -> bool | None:
    """Whether a certificate is the enterprise's first of its kind: as its record says (首次认定
    / 重新认定); unstated, a renewal when an earlier certificate of the kind is on file, else
    unknown (the registry may not hold the enterprise's whole history)."""
    if recognition == Recognition.FIRST:
        return True
    if recognition == Recognition.RENEWAL or granted > earliest:
        return False
    return None


def _certificates(on: dt.date, first_id: int | None, last_id: int | None) -> pl.DataFrame:
    """Per enterprise, the grant date and expiry of the certificate of each kind that counts
    on `on`: the latest granted of those valid then; else the latest granted before; else the
    first granted after."""
    table = Qualification._meta.db_table
    where, params = _between("enterprise_id", first_id, last_id)
    wire = {
        "enterprise_id": pl.Int64(),
        "kind": pl.String(),
        "granted_on": pl.String(),
        "valid_until": pl.String(),
        "recognition": pl.String(),
    }
    sql = f"SELECT {_CERTIFICATE_COLUMNS} FROM {table}{where}"
    rows = query_frame(sql, params, wire).with_columns(
        _typed("granted_on", FieldType.DATE), _typed("valid_until", FieldType.DATE)
    )
    rows = rows.filter(pl.col("granted_on").is_not_null())
    earliest = pl.col("granted_on").min().over("enterprise_id", "kind")
    recognition = pl.col("recognition").fill_null("")
    rows = rows.with_columns(
        first=pl.when(recognition == Recognition.FIRST.value)
        .then(True)
        .when((recognition == Recognition.RENEWAL.value) | (pl.col("granted_on") > earliest))
        .then(False)
        .otherwise(None)
    )
    kinds = [q for q in catalogue.QUALIFICATIONS if q.name in set(rows["kind"].unique())]
    if not rows.height or not kinds:
        return pl.DataFrame(schema={"enterprise_id": pl.Int64()})
    day = pl.lit(on)
    past = pl.col("granted_on") <= day
    valid = past & (pl.col("valid_until").is_null() | (pl.col("valid_until") >= day))
    rank = pl.when(valid).then(0).when(past).then(1).otherwise(2)
    # Within a rank: latest grant first (valid, past), earliest first (future).
    order = (
        pl.when(rank < 2)
        .then(-pl.col("granted_on").cast(pl.Int64))
        .otherwise(pl.col("granted_on").cast(pl.Int64))
    )
    chosen = (
        rows.with_columns(rank=rank, order=order)
        .sort("enterprise_id", "kind", "rank", "order")
        .unique(subset=["enterprise_id", "kind"], keep="first", maintain_order=True)
    )
    wide = chosen.pivot(
        on="kind", index="enterprise_id", values=["granted_on", "valid_until", "first"]
    )
    renames: dict[str, str] = {}
    for q in kinds:
        renames[f"granted_on_{q.name}"] = q.name
        renames[f"valid_until_{q.name}"] = q.name + "_until"
        renames[f"first_{q.name}"] = q.name + catalogue.FIRST_SUFFIX
    return wide.rename({k: v for k, v in renames.items() if k in wide.columns})


# Up to this many enterprises, `flat_rows` reads them with the same three queries into plain
# Python values: a Polars frame's fixed cost (some twenty operations, ~3 ms) is what one
# enterprise's record (an order placed, a redemption, an application) would otherwise pay.
FEW = 20


def flat_rows(
    enterprise_ids: Sequence[int], on: dt.date, items: bool = False
) -> dict[int, dict[str, Any]]:
    """{enterprise id: flat mapping} for the given enterprises, as of `on` (absent values and
    columns left out, as the scalar evaluator reads them); with `items`, each enterprise's
    item tables too (`patents: [...]`, what sum_over reads: enterprises.people)."""
    rows = _flat_rows(enterprise_ids, on)
    if items:
        from gaoxin.enterprises.people import item_lists

        for pk, tables in item_lists(sorted(rows)).items():
            rows[pk].update(tables)
    return rows


def _flat_rows(enterprise_ids: Sequence[int], on: dt.date) -> dict[int, dict[str, Any]]:
    if not enterprise_ids:
        return {}
    wanted = set(enterprise_ids)
    if len(wanted) <= FEW:
        return _few_rows(sorted(wanted), on)
    frame = registry_frame(on, min(wanted), max(wanted))
    if len(wanted) < frame.height:
        frame = frame.filter(pl.col("enterprise_id").is_in(list(wanted)))
    out: dict[int, dict[str, Any]] = {}
    for row in frame.iter_rows(named=True):
        pk = row.pop("enterprise_id")
        out[pk] = {k: v for k, v in row.items() if v is not None}
    return out


def flat_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Flat mappings as a Polars frame with the catalogue's types, every column present."""
    years = sorted(
        {int(k.rsplit("_", 1)[1]) for r in rows for k in r if k.rsplit("_", 1)[-1].isdigit()}
    )
    schema = _flat_schema(years)
    data = {name: [r.get(name) for r in rows] for name in schema}
    return pl.DataFrame(data, schema=schema)


def _value(text: Any, kind: FieldType) -> Any:
    """One value as `registry_frame` types it (see `_WIRE` and `_typed`)."""
    if text is None:
        return None
    if kind is FieldType.MONEY:
        return Decimal(str(text)).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    if kind is FieldType.DATE:
        try:
            return dt.date.fromisoformat(str(text)[:10])
        except ValueError:
            return None
    if kind is FieldType.BOOLEAN:
        return bool(text)
    if kind is FieldType.TEXT:
        return text if text != "" else None
    return text


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _few_rows(ids: list[int], on: dt.date) -> dict[int, dict[str, Any]]:
    """`flat_rows` of a few enterprises, without Polars: the same queries, values and choice
    of certificate as `registry_frame` (a test holds the two to each other)."""
    marks = ", ".join(["%s"] * len(ids))
    static_kinds = {n: _field_kind(Enterprise, n) for n in STATIC_NAMES}
    columns = ", ".join(_select(_column(Enterprise, n), k) for n, k in static_kinds.items())
    out: dict[int, dict[str, Any]] = {}
    sql = f"SELECT id, {columns} FROM {Enterprise._meta.db_table} WHERE id IN ({marks})"
    for pk, *values in _fetch(sql, ids):
        out[pk] = {n: _value(v, k) for (n, k), v in zip(static_kinds.items(), values, strict=True)}
    yearly_kinds = {n: _field_kind(YearlyFigures, n) for n in YEARLY_NAMES}
    columns = ", ".join(_select(_column(YearlyFigures, n), FieldType.MONEY) for n in YEARLY_NAMES)
    sql = (
        f"SELECT enterprise_id, year, {columns} FROM {YearlyFigures._meta.db_table} "
        f"WHERE enterprise_id IN ({marks})"
    )
    years: set[int] = set()
    for pk, year, *values in _fetch(sql, ids):
        if pk not in out:
            continue
        years.add(int(year))
        for (n, k), v in zip(yearly_kinds.items(), values, strict=True):
            out[pk][f"{n}_{year}"] = _value(v, k)
    sql = (
        f"SELECT {_CERTIFICATE_COLUMNS} FROM {Qualification._meta.db_table} "
        f"WHERE enterprise_id IN ({marks})"
    )
    known = {q.name for q in catalogue.QUALIFICATIONS}
    best: dict[tuple[int, str], tuple[tuple[int, int], dt.date, dt.date | None, str]] = {}
    earliest: dict[tuple[int, str], dt.date] = {}
    for pk, kind, granted_text, until_text, recognition in _fetch(sql, ids):
        granted = _value(granted_text, FieldType.DATE)
        until = _value(until_text, FieldType.DATE)
        if pk not in out or kind not in known or granted is None:
            continue
        earliest[(pk, kind)] = min(granted, earliest.get((pk, kind), granted))
        past = granted <= on
        rank = 0 if past and (until is None or until >= on) else 1 if past else 2
        # Within a rank: the latest grant first (valid, past), the earliest first (future).
        order = (rank, -granted.toordinal() if rank < 2 else granted.toordinal())
        if (pk, kind) not in best or order < best[(pk, kind)][0]:
            best[(pk, kind)] = (order, granted, until, recognition or "")
    for (pk, kind), (_order, granted, until, recognition) in best.items():
        out[pk][kind] = granted
        out[pk][kind + catalogue.UNTIL_SUFFIX] = until
        first = first_recognition(recognition, granted, earliest[(pk, kind)])
        out[pk][kind + catalogue.FIRST_SUFFIX] = first
    headers = [c.header for c in catalogue.flat_columns(sorted(years))]
    headers += [c.header for c in catalogue.first_columns()]
    return {pk: {h: row[h] for h in headers if row.get(h) is not None} for pk, row in out.items()}

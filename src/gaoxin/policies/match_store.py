"""Stored matches, written in bulk and only where they changed.

A partition's new rows (`ROW_SCHEMA`) are compared with the rows stored for the same policies
and enterprises: new and changed rows are upserted (`INSERT … ON CONFLICT`; on PostgreSQL a
large batch is first copied into a temporary table with COPY), rows that are no longer kept
are deleted, and unchanged rows are not touched — they keep the day they were first found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from django.db import connection
from django.utils import timezone

from gaoxin.core import cached
from gaoxin.core.sql_frames import copy_rows, query_frame
from gaoxin.policies.models import PolicyMatch

ROW_SCHEMA: dict[str, pl.DataType] = {
    "policy_id": pl.Int64(),
    "version_id": pl.Int64(),
    "enterprise_id": pl.Int64(),
    "status": pl.String(),
    "amount_fen": pl.Int64(),
    "gap": pl.Float64(),
    "missing": pl.String(),  # JSON list of flat column names
}
KEY = ["policy_id", "enterprise_id"]
COMPARED = ["version_id", "status", "amount_fen", "gap", "missing"]
GAP_TOLERANCE = 1e-12
COPY_ABOVE = 2000  # rows: below this, one executemany is cheaper than a temporary table
DELETE_CHUNK = 900  # ids per DELETE (SQLite's parameter limit)
TABLE = PolicyMatch._meta.db_table
WRITTEN = [
    "policy_id",
    "version_id",
    "enterprise_id",
    "status",
    "amount",
    "gap",
    "missing",
    "evaluated_on",
    "updated_at",
]


def empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)


def stored(
    policy_ids: Sequence[int] | None, first_id: int | None, last_id: int | None
) -> pl.DataFrame:
    """The stored rows for these policies (all when None) and enterprises in the id range."""
    where, params = [], []
    if policy_ids is not None:
        if not policy_ids:
            return pl.DataFrame(schema={"id": pl.Int64(), **ROW_SCHEMA})
        where.append(f"policy_id IN ({', '.join(['%s'] * len(policy_ids))})")
        params += list(policy_ids)
    if first_id is not None and last_id is not None:
        where.append("enterprise_id BETWEEN %s AND %s")
        params += [first_id, last_id]
    sql = (
        "SELECT id, policy_id, version_id, enterprise_id, status, CAST(amount AS TEXT), "
        f"gap, CAST(missing AS TEXT) FROM {TABLE}"
        + (" WHERE " + " AND ".join(where) if where else "")
    )
    wire = {"id": pl.Int64(), **ROW_SCHEMA, "amount_fen": pl.String()}
    frame = query_frame(sql, params, wire)
    return frame.with_columns(
        (pl.col("amount_fen").cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64).alias("amount_fen")
    )


def replace(
    rows: pl.DataFrame,
    on: dt.date,
    *,
    policy_ids: Sequence[int] | None,
    first_id: int | None,
    last_id: int | None,
) -> pl.DataFrame:
    """Make the stored rows for these policies (all when None) and enterprises equal `rows`.
    Call inside a transaction. Returns the rows that were inserted or changed."""
    old = stored(policy_ids, first_id, last_id)
    gone = old.join(rows, on=KEY, how="anti")["id"].to_list()
    joined = rows.join(old, on=KEY, how="left", suffix="_old")
    differs = pl.col("id").is_null()
    for name in COMPARED:
        if name == "gap":
            differs = differs | _gap_differs(pl.col("gap"), pl.col("gap_old"))
        else:
            differs = differs | ~pl.col(name).eq_missing(pl.col(f"{name}_old"))
    changed = joined.filter(differs).select(list(ROW_SCHEMA))
    if gone or changed.height:
        cached.changed(cached.MATCHES)  # the match lists' counts (policies/views.py)
    _delete(gone)
    _upsert(changed, on)
    return changed


def _gap_differs(new: pl.Expr, old: pl.Expr) -> pl.Expr:
    """The gap orders near misses; the batch measures it in floating point where the
    explanation divides exact fractions, so the two may differ in the last digit (1e-12
    relative): that is no change."""
    both = new.is_not_null() & old.is_not_null()
    close = (new - old).abs() <= GAP_TOLERANCE * pl.max_horizontal(new.abs(), old.abs())
    return pl.when(both).then(~close).otherwise(new.is_null() != old.is_null())


def _delete(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[start : start + DELETE_CHUNK]
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk
            )


def _upsert(rows: pl.DataFrame, on: dt.date) -> None:
    if not rows.height:
        return
    ops = connection.ops
    out = rows.select(
        "policy_id",
        "version_id",
        "enterprise_id",
        "status",
        (pl.col("amount_fen").cast(pl.Decimal(20, 2)) / 100).cast(pl.String).alias("amount"),
        "gap",
        "missing",
        pl.lit(str(ops.adapt_datefield_value(on))).alias("evaluated_on"),
        pl.lit(str(ops.adapt_datetimefield_value(timezone.now()))).alias("updated_at"),
    )
    updates = ", ".join(f"{c} = excluded.{c}" for c in WRITTEN if c not in KEY)
    conflict = f"ON CONFLICT (policy_id, enterprise_id) DO UPDATE SET {updates}"
    names = ", ".join(WRITTEN)
    if connection.vendor == "postgresql" and out.height > COPY_ABOVE:
        stage = "gaoxin_match_stage"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} AS SELECT {names} FROM {TABLE} WITH NO DATA"
            )
        copy_rows(stage, WRITTEN, out)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({names}) SELECT {names} FROM {stage} {conflict}")
            cursor.execute(f"DROP TABLE {stage}")
        return
    marks = ", ".join(["%s"] * len(WRITTEN))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {TABLE} ({names}) VALUES ({marks}) {conflict}", out.rows())

"""Stored matches, written in bulk and only where they changed.

A partition's new rows (`ROW_SCHEMA`) are compared with the rows stored for the same policies
and enterprises: new and changed rows are upserted (`INSERT … ON CONFLICT`; on PostgreSQL a
large batch is first copied into a temporary table with COPY), rows that are no longer kept
are deleted, and unchanged rows are not touched — they keep the day they were first found.

A partition with nothing stored for its policies (a job's first run over it, the usual case of
a province's first job or a new policy) has nothing to compare: on PostgreSQL its rows are
copied straight into the table, with no temporary table and no conflict handling. Should
another transaction have stored some of them meanwhile (an enterprise's own re-match), the
copy fails on the unique constraint, is rolled back to its savepoint, and the partition takes
the general path instead."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gaoxin.core import cached
from gaoxin.core.phases import NO_PHASES, Phases
from gaoxin.core.sql_frames import copy_rows, query_frame
from gaoxin.enterprises.models import Enterprise
from gaoxin.policies.models import Policy, PolicyMatch, PolicyVersion

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
COPY_NEW = True  # a range with nothing stored is copied straight in (False: benchmarks compare)
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
    phases: Phases = NO_PHASES,
) -> pl.DataFrame:
    """Make the stored rows for these policies (all when None) and enterprises equal `rows`.
    Call inside a transaction. Returns the rows that were inserted or changed."""
    with phases("references"):
        rows = hold_references(rows)
    with phases("stored"):
        old = stored(policy_ids, first_id, last_id)
    copied = _copy_new(rows, on, phases) if not old.height else None
    if copied:
        if rows.height:
            cached.changed(cached.MATCHES)  # the match lists' counts (policies/views.py)
        return rows
    if copied is False:  # the copy met rows stored meanwhile: read them
        with phases("stored"):
            old = stored(policy_ids, first_id, last_id)
    with phases("compare"):
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
        cached.changed(cached.MATCHES)
    with phases("delete"):
        _delete(gone)
    _upsert(changed, on, phases)
    return changed


def hold_references(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows whose enterprise, policy and version exist, those locked until commit so that
    they can't be deleted meanwhile (`FOR KEY SHARE`, on PostgreSQL): what the foreign-key
    constraints PolicyMatch does without did row by row, done once per batch. An enterprise
    deleted since the registry was read loses its rows here; one deleted after its rows are
    committed loses them by Django's cascade, or — a delete that had collected its matches
    before they were committed — at the next match of its range (they are stored rows no
    longer kept)."""
    if not rows.height:
        return rows
    locked = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    column = rows["enterprise_id"]
    first, last = int(column.min()), int(column.max())  # type: ignore[arg-type]
    policies = rows["policy_id"].unique().to_list()
    versions = rows["version_id"].unique().to_list()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Enterprise._meta.db_table} WHERE id BETWEEN %s AND %s{locked}",
            [first, last],
        )
        enterprises = [pk for (pk,) in cursor.fetchall()]
        found: dict[type, list[int]] = {}
        for model, ids in ((Policy, policies), (PolicyVersion, versions)):
            cursor.execute(
                f"SELECT id FROM {model._meta.db_table} "
                f"WHERE id IN ({', '.join(['%s'] * len(ids))}){locked}",
                ids,
            )
            found[model] = [pk for (pk,) in cursor.fetchall()]
    kept = rows.filter(
        pl.col("enterprise_id").is_in(enterprises)
        & pl.col("policy_id").is_in(found[Policy])
        & pl.col("version_id").is_in(found[PolicyVersion])
    )
    return kept if kept.height < rows.height else rows


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


def _copy_new(rows: pl.DataFrame, on: dt.date, phases: Phases) -> bool | None:
    """Rows for a range with nothing stored, copied straight into the table (PostgreSQL, a
    large batch): True when done; None when not tried (another database, a small batch);
    False when rows stored by another transaction meanwhile stopped it (nothing written)."""
    if not rows.height:
        return True
    if not COPY_NEW or connection.vendor != "postgresql" or rows.height <= COPY_ABOVE:
        return None
    with phases("write.prepare"):
        out = _written(rows, on)
    try:
        with phases("write.copy"), transaction.atomic():  # a savepoint
            copy_rows(TABLE, WRITTEN, out)
    except IntegrityError:
        return False
    return True


def _written(rows: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """The rows as the table's columns (WRITTEN), values as the database reads them."""
    ops = connection.ops
    return rows.select(
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


def _upsert(rows: pl.DataFrame, on: dt.date, phases: Phases = NO_PHASES) -> None:
    if not rows.height:
        return
    started = time.perf_counter()
    out = _written(rows, on)
    updates = ", ".join(f"{c} = excluded.{c}" for c in WRITTEN if c not in KEY)
    conflict = f"ON CONFLICT (policy_id, enterprise_id) DO UPDATE SET {updates}"
    names = ", ".join(WRITTEN)
    if connection.vendor == "postgresql" and out.height > COPY_ABOVE:
        stage = "gaoxin_match_stage"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} AS SELECT {names} FROM {TABLE} WITH NO DATA"
            )
        phases.add("write.prepare", time.perf_counter() - started)
        with phases("write.copy"):
            copy_rows(stage, WRITTEN, out)
        with phases("write.upsert"), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({names}) SELECT {names} FROM {stage} {conflict}")
            cursor.execute(f"DROP TABLE {stage}")
        return
    marks = ", ".join(["%s"] * len(WRITTEN))
    with phases("write.upsert"), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {TABLE} ({names}) VALUES ({marks}) {conflict}", out.rows())

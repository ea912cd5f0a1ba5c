"""SQL straight into Polars, on the request's own connection (an open transaction sees its own
writes): on PostgreSQL the rows stream as CSV through `COPY … TO STDOUT` and Polars parses
them; on SQLite the cursor's tuples become the frame. Values travel as text or integers (see
the callers), so both databases give the same frame."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection


def query_frame(sql: str, params: Sequence[Any], wire: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of one SELECT, with the given column names and types."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor
            with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                data = b"".join(bytes(block) for block in copy)
            if not data:
                return pl.DataFrame(schema=wire)
            return pl.read_csv(
                io.BytesIO(data), has_header=False, new_columns=list(wire), schema=wire
            )
        cursor.execute(sql, params)
        return pl.DataFrame(cursor.fetchall(), schema=wire, orient="row")


def copy_rows(table: str, columns: Sequence[str], frame: pl.DataFrame) -> None:
    """Append a frame's rows to a PostgreSQL table with COPY (CSV, Polars writes it). A
    constraint the rows break raises Django's error (IntegrityError), as `execute` would."""
    buffer = frame.write_csv(include_header=False, null_value="\\N")
    names = ", ".join(columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with raw.copy(sql) as copy:
            copy.write(buffer.encode("utf-8"))

"""Inserting many rows fast: one `executemany` per table, with values adapted once per column.

Django's bulk_create prepares every value through the field machinery and, on SQLite, splits
rows into statements of 999 parameters; for a 100,000-enterprise import that is most of the
time. This path is for fresh rows only (no signals, no conflicts), written inside the
caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """What a value needs before the driver takes it; None when the driver takes it as it is
    (Decimal and date: psycopg natively, sqlite3 through the adapters Django registers)."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":  # time zone handling differs by backend
        adapt = connection.ops.adapt_datetimefield_value
        last: list[Any] = [None, None]  # rows of one insert mostly share one timestamp

        def adapt_datetime(value: Any) -> Any:
            if value is not last[0]:
                last[0], last[1] = value, (None if value is None else adapt(value))
            return last[1]

        return adapt_datetime
    if kind == "JSONField":
        # Rows often share one value object (the same sources for every year of an import):
        # it is encoded once. The cache holds the object too, so that its id is not reused.
        encoded: dict[int, tuple[Any, str]] = {}

        def adapt_json(value: Any) -> Any:
            if value is None:
                return None
            hit = encoded.get(id(value))
            if hit is None:
                hit = encoded[id(value)] = (
                    value,
                    json.dumps(value, ensure_ascii=False, default=json_default),
                )
            return hit[1]

        return adapt_json
    return None


def json_default(value: Any) -> Any:
    """Decimal and dates in JSON as the audit log writes them: "1234.50", "2024-06-30"."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT the rows (values in the order of `names`, field names of `model`)."""
    meta = model._meta
    fields = [meta.get_field(n) for n in names]
    concrete = [f for f in fields if isinstance(f, models.Field)]
    if len(concrete) != len(fields):
        raise ValueError(f"not a column of {meta.label}: {names}")
    adapters = [_adapter(f) for f in concrete]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in concrete)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    )
    converting = [(i, a) for i, a in enumerate(adapters) if a is not None]
    prepared = []
    for row in rows:
        values = list(row)
        for index, adapt in converting:
            values[index] = adapt(values[index])
        prepared.append(values)
    if not prepared:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is PostgreSQL's bulk path: one stream instead of a statement per row.
            copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for values in prepared:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, prepared)
    return len(prepared)


def update_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """UPDATE many rows by primary key: each row is (value for each of `names`…, pk). One
    prepared statement run for all rows, instead of bulk_update's CASE per field and row."""
    meta = model._meta
    fields = [meta.get_field(n) for n in names]
    concrete = [f for f in fields if isinstance(f, models.Field)]
    if len(concrete) != len(fields):
        raise ValueError(f"not a column of {meta.label}: {names}")
    adapters = [_adapter(f) for f in concrete]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in concrete)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"
    prepared = []
    for row in rows:
        values = list(row)
        for index, adapt in enumerate(adapters):
            if adapt is not None:
                values[index] = adapt(values[index])
        prepared.append(values)
    if prepared:
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
    return len(prepared)

"""The registry in the flat layout of docs/rules-contract.md — what the rules engine reads.

One mapping per enterprise: `uscc`, static fields by name, yearly fields as `field_YEAR`, and
for each qualification the grant date and `<name>_until` of the certificate that counts on the
evaluation day (the one valid then, else the latest granted before it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from gaoxin import catalogue
from gaoxin.catalogue import FieldType
from gaoxin.enterprises.figures import STATIC_NAMES, YEARLY_NAMES
from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures

CHUNK = 2000
_DTYPES: dict[FieldType, pl.DataType] = {
    FieldType.TEXT: pl.String(),
    FieldType.MONEY: pl.Decimal(18, 2),
    FieldType.INTEGER: pl.Int64(),
    FieldType.BOOLEAN: pl.Boolean(),
    FieldType.DATE: pl.Date(),
}


def flat_rows(enterprise_ids: Sequence[int], on: dt.date) -> dict[int, dict[str, Any]]:
    """{enterprise id: flat mapping} for the given enterprises, as of `on`."""
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(enterprise_ids), CHUNK):
        chunk = list(enterprise_ids[start : start + CHUNK])
        for values in Enterprise.objects.filter(pk__in=chunk).values("pk", *STATIC_NAMES):
            pk = values.pop("pk")
            out[pk] = {n: (None if values[n] == "" else values[n]) for n in STATIC_NAMES}
        for figures in YearlyFigures.objects.filter(enterprise_id__in=chunk).values(
            "enterprise_id", "year", *YEARLY_NAMES
        ):
            row = out[figures["enterprise_id"]]
            for name in YEARLY_NAMES:
                if figures[name] is not None:
                    row[f"{name}_{figures['year']}"] = figures[name]
        certificates = Qualification.objects.filter(enterprise_id__in=chunk).order_by(
            "enterprise_id", "kind", "granted_on"
        )
        for q in certificates.values("enterprise_id", "kind", "granted_on", "valid_until"):
            row = out[q["enterprise_id"]]
            current = row.get(q["kind"])
            if _counts_more(q, current, row.get(f"{q['kind']}_until"), on):
                row[q["kind"]] = q["granted_on"]
                row[f"{q['kind']}_until"] = q["valid_until"]
    return out


def _counts_more(
    q: Mapping[str, Any], granted: dt.date | None, until: dt.date | None, on: dt.date
) -> bool:
    """Whether certificate `q` is the one to show for `on` rather than the one held so far."""
    if q["granted_on"] > on:
        return granted is None  # a future grant only when nothing else is known
    valid = q["valid_until"] is None or q["valid_until"] >= on
    held_valid = granted is not None and granted <= on and (until is None or until >= on)
    return valid or not held_valid


def flat_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """The rows as a Polars frame with the catalogue's types, every column present."""
    years = sorted(
        {int(k.rsplit("_", 1)[1]) for r in rows for k in r if k.rsplit("_", 1)[-1].isdigit()}
    )
    schema: dict[str, pl.DataType] = {}
    for column in catalogue.flat_columns(years):
        kind = (
            FieldType.DATE
            if column.field.kind is catalogue.FieldKind.QUALIFICATION
            else (column.field.type)
        )
        schema[column.header] = _DTYPES[kind]
    data = {name: [r.get(name) for r in rows] for name in schema}
    return pl.DataFrame(data, schema=schema)

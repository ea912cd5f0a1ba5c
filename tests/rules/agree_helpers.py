"""Batch ≡ explanation for a handful of enterprises, with the population's statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from gaoxin.rules import STATUSES, Policy, explain
from gaoxin.rules.batch import clear_plan_cache, evaluate_wide
from gaoxin.rules.peers import Peers, population


def both(
    p: Policy,
    rows: list[dict],
    date: dt.date,
    inputs: dict | None = None,
    schema: dict | None = None,
    peers: Peers | None = None,
) -> list[tuple[str, Decimal | None]]:
    """Each row's (status, amount) — asserted the same in batch and in the explanation."""
    rows = [{"uscc": f"U{i}", **r} for i, r in enumerate(rows)]
    df = pl.DataFrame(rows, schema=schema, strict=False) if schema else pl.DataFrame(rows)
    clear_plan_cache()
    stats = peers if peers is not None else population([p], df, date, inputs)
    wide = evaluate_wide([p], df, date, inputs, peers=stats)
    out = []
    for i, row in enumerate(rows):
        e = explain(p, row, date, inputs, peers=stats)
        fen = wide[f"amount:{p.id}"][i] if f"amount:{p.id}" in wide.columns else None
        batch = (STATUSES[wide[f"status:{p.id}"][i]], None if fen is None else Decimal(fen) / 100)
        assert batch == (e.status, e.amount), (row, e)
        out.append(batch)
    return out

"""After evaluation, across enterprises or across policies: "就高不重复" stacking and budget
proration. Both work on the long result of `evaluate` and add a `paid` column (Decimal yuan);
`amount` keeps what the enterprise qualifies for on its own."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import polars as pl

from .model import Policy

PAID = pl.Decimal(38, 2)


def _fen(col: str) -> pl.Expr:
    return (pl.col(col) * 100).cast(pl.Int128)


def _yuan(fen: pl.Expr) -> pl.Expr:
    return fen.cast(PAID) / 100


def apply_stacking(result: pl.DataFrame, policies: Sequence[Policy]) -> pl.DataFrame:
    """Of the policies sharing a `stack_group`, an enterprise is paid only the highest amount
    (ties: the first policy id); the others are paid 0. Policies without a group pay in full."""
    groups = {p.id: p.stack_group for p in policies if p.stack_group}
    base = result.with_row_index("_i").with_columns(
        pl.col("policy")
        .replace_strict(groups, default=None, return_dtype=pl.String)
        .alias("_group"),
        _fen("amount").fill_null(0).alias("_fen"),
    )
    ranked = (
        base.sort(["uscc", "_group", "_fen", "policy"], descending=[False, False, True, False])
        .with_columns(pl.int_range(pl.len()).over("uscc", "_group").alias("_rank"))
        .sort("_i")
    )
    paid = (
        pl.when(pl.col("amount").is_null())
        .then(None)
        .when(pl.col("_group").is_null() | (pl.col("_rank") == 0))
        .then(pl.col("amount"))
        .otherwise(_yuan(pl.lit(0, dtype=pl.Int128)))
    )
    prior = [c for c in ("paid",) if c in result.columns]
    return ranked.with_columns(paid.alias("paid")).drop("_i", "_group", "_fen", "_rank", *prior)


def prorate(result: pl.DataFrame, policies: Sequence[Policy]) -> pl.DataFrame:
    """Policies with a `budget`: when the amounts (or `paid`, if stacking ran first) add up to
    more than the budget, each is scaled by budget/total, exactly, floored to the fen; the fen
    left over go one each to the largest remainders (ties by uscc). Others are paid in full."""
    budgets = {p.id: p.budget for p in policies if p.budget is not None}
    source = "paid" if "paid" in result.columns else "amount"
    out = result.with_columns(pl.col(source).alias("paid")) if source == "amount" else result
    if not budgets:
        return out
    parts = []
    for pid, group in out.partition_by("policy", as_dict=True, maintain_order=True).items():
        key = pid[0] if isinstance(pid, tuple) else pid
        budget = budgets.get(str(key))
        parts.append(group if budget is None else _prorate_one(group, budget))
    return pl.concat(parts) if parts else out


def _prorate_one(group: pl.DataFrame, budget: Fraction) -> pl.DataFrame:
    budget_fen = int(budget * 100)
    fen = group["paid"].cast(pl.Decimal(38, 2)).fill_null(0)
    total = int((fen.sum() or 0) * 100)
    if total <= budget_fen or total == 0:
        return group
    g = group.with_row_index("_i").with_columns(_fen("paid").fill_null(0).alias("_fen"))
    g = g.with_columns(
        (pl.col("_fen") * budget_fen // total).alias("_q"),
        (pl.col("_fen") * budget_fen % total).alias("_r"),
    )
    leftover = budget_fen - int(g["_q"].sum())
    order = g.sort(["_r", "uscc"], descending=[True, False])["_i"].head(leftover)
    g = g.with_columns(
        (pl.col("_q") + pl.col("_i").is_in(order.implode()).cast(pl.Int128)).alias("_q")
    )
    paid = pl.when(pl.col("paid").is_null()).then(None).otherwise(_yuan(pl.col("_q")))
    return g.with_columns(paid.alias("paid")).drop("_i", "_fen", "_q", "_r")

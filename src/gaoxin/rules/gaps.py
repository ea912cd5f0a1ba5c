"""How far a failed condition is from passing, for a whole frame at once.

A near miss (every condition decided, exactly one false) is worth showing when the false
condition can name its gap ("研发投入强度 4.6%，需 ≥ 5%"). For the common shape — one ordered
comparison of two numbers or two dates — the batch gives the relative gap
|needed − actual| / |needed| as a column, equal to what the explanation computes
(`policies.matching.relative_gap`; to the last digit where the denominators are constant, as
for money in fen against a threshold, else within 1e-12 relative: the integers are divided in
floating point), so such near misses need no per-row explanation; the words are made when
someone opens them; `years_since(d)` is such a number (whole years, as the explanation counts
them). Other shapes (and/or, growth rates) are left to the explanation."""

from __future__ import annotations

import math

import polars as pl

from . import ast as A
from . import exact as X
from .compiler import Compiler, D

NOT_A_NUMBER = pl.lit(None, dtype=pl.Float64)


def gap_column(compiler: Compiler, node: A.Node) -> tuple[pl.Expr, pl.Expr] | None:
    """The relative gap of `node` as (|needed − actual|, |needed|), two Float64 columns of
    exact integers, or None when the shape needs an explanation; dates fail by a gap that is
    not a ratio (nulls). Divide them with `divide` — not in a lazy query, whose optimiser may
    turn a division by a constant into a multiplication and round differently."""
    if not isinstance(node, A.Compare) or node.op in ("==", "!="):
        return None
    for side in (node.left, node.right):
        if isinstance(side, A.Call) and side.fn == "cagr":
            return None
    try:
        actual, needed = compiler.value(node.left), compiler.value(node.right)
    except X.CompileError:  # too wide for Int128 columns: the explanation measures it
        return None
    if isinstance(actual, D) and isinstance(needed, D):
        return NOT_A_NUMBER, NOT_A_NUMBER
    if not isinstance(actual, X.Q) or not isinstance(needed, X.Q):
        return None
    # |nb·da − na·db| / |nb·da|, in exact integers, one division at the end; with constant
    # denominators (money in fen, percentages) scaled by their lcm only, so the integers stay
    # small enough for the division to round exactly as the explanation's does.
    da, db = actual.den.const, needed.den.const
    if da is not None and db is not None:
        lcm = math.lcm(da, db)
        scaled_needed = X.imul(needed.num, X.Int.of(lcm // db))
        scaled_actual = X.imul(actual.num, X.Int.of(lcm // da))
    else:
        scaled_needed = X.imul(needed.num, actual.den)
        scaled_actual = X.imul(actual.num, needed.den)
    difference = X.iadd(scaled_needed, scaled_actual, -1)
    wide = scaled_needed.wide or difference.wide
    top = difference.expr(wide).abs().cast(pl.Float64)
    bottom = scaled_needed.expr(wide).abs().cast(pl.Float64)
    return top, bottom


def divide(top: pl.Series, bottom: pl.Series) -> pl.Series:
    """top / bottom element by element (IEEE division, as Python's float(Fraction) rounds
    when both are exact), null where bottom is 0."""
    quotient = top / bottom
    return quotient.set(bottom == 0, None) if bottom.len() else quotient

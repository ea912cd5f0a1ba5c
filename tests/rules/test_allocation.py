"""Long output amounts, "就高不重复" stacking and budget proration — exact to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from gaoxin.rules import explain, load_text
from gaoxin.rules.allocation import apply_stacking, prorate
from gaoxin.rules.batch import evaluate

POLICY = (
    "id: {id}\ntitle: t\nsource: s\ncategory: award\nconditions: []\n{extra}benefit:\n"
    "  amount: {amount}\n"
)
DATE = dt.date(2025, 1, 1)


def make(pid: str, amount: str, extra: str = ""):
    return load_text(POLICY.format(id=pid, amount=amount, extra=extra), f"{pid}.yaml")


def test_long_output_amounts_are_exact_decimals():
    p = make("third", "employees * 1万 / 3")
    df = pl.DataFrame({"uscc": ["x", "y", "z"], "employees": [3, 10, 2]})
    out = evaluate([p], df, DATE)
    assert out["amount"].to_list() == [Decimal("10000.00"), Decimal("33333.33"), Decimal("6666.67")]
    for row, amount in zip(df.iter_rows(named=True), out["amount"], strict=True):
        assert explain(p, row, DATE).amount == amount


def test_stacking_pays_only_the_highest_of_a_group():
    a = make("a", "employees * 1万", "stack_group: g\n")
    b = make("b", "5万", "stack_group: g\n")
    free = make("free", "1万")
    df = pl.DataFrame({"uscc": ["x", "y"], "employees": [3, 10]})
    out = apply_stacking(evaluate([a, b, free], df, DATE), [a, b, free])
    paid = {(r["uscc"], r["policy"]): r["paid"] for r in out.iter_rows(named=True)}
    assert paid[("x", "a")] == 0 and paid[("x", "b")] == Decimal("50000.00")
    assert paid[("y", "a")] == Decimal("100000.00") and paid[("y", "b")] == 0
    assert paid[("x", "free")] == paid[("y", "free")] == Decimal("10000.00")


def test_budget_proration_is_exact_and_sums_to_the_budget():
    p = make("budgeted", "employees * 1万 / 3", "budget: 3万\n")
    df = pl.DataFrame({"uscc": ["x", "y", "z"], "employees": [3, 10, 2]})
    out = prorate(evaluate([p], df, DATE), [p])
    assert sum(out["paid"].to_list()) == Decimal("30000.00")
    assert out["paid"].to_list() == [Decimal("6000.00"), Decimal("20000.00"), Decimal("4000.00")]
    under = make("roomy", "1万", "budget: 100万\n")
    out = prorate(evaluate([under], df, DATE), [under])
    assert out["paid"].to_list() == out["amount"].to_list()

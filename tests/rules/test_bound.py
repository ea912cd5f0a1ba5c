"""A bound decided by a person (benefit.upto, "最高不超过 X 万元"): eligible with the amount
待核定 and the bound shown as a bound — in the explanation, the wide and long batch results
(which agree), the test runner and the check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaoxin.rules import STATUSES, PolicyErrors, evaluate, explain, load_file
from gaoxin.rules.batch import evaluate_wide
from gaoxin.rules.testing import run_tests

from .helpers import DATE, policy

UPTO = """
conditions:
  - label: 上年营业收入1000万元以上
    when: revenue[Y-1] >= 1000万
benefit:
  upto: min(10% * revenue[Y-1], 50万)
"""


def error_of(body: str) -> str:
    with pytest.raises(PolicyErrors) as info:
        policy(body)
    return str(info.value.errors[0])


def test_the_explanation_gives_a_bound_and_no_amount():
    p = policy(UPTO)
    assert p.bounded
    e = explain(p, {"revenue": {2024: "2000万"}}, DATE)
    assert (e.status, e.amount, e.bound) == ("eligible", None, Decimal("500000.00"))
    assert "最高不超过50万元，金额待核定" in e.notes
    assert e.to_dict()["bound"] == "500000.00"
    assert explain(p, {"revenue": {2024: "300万"}}, DATE).bound is None  # ineligible


def test_the_bound_reads_as_a_bound():
    from gaoxin.rules.describe import describe

    p = policy(UPTO)
    assert p.benefit is not None
    assert describe(p.benefit, p, DATE, money=True) == (
        "最高不超过「10% × 营业收入（上一年度）」与「50万元」中较小者（金额由工作人员在上限内核定）"
    )


def test_a_bound_with_missing_data_is_unknown_like_an_amount():
    p = policy(
        "conditions: []\nbenefit:\n  upto: 10% * revenue[Y-1]\n  cap: 30万\n  lifetime_cap: 40万\n"
    )
    assert explain(p, {}, DATE).status == "unknown"
    e = explain(p, {"revenue": {2024: "1亿"}, "payouts": [{"policy": "t", "amount": "25万"}]}, DATE)
    assert e.bound == Decimal("150000.00")  # min(1000万, 30万, 40万 − 25万)


def test_amount_and_upto_are_exclusive_and_one_is_needed():
    got = error_of("conditions: []\nbenefit:\n  amount: 1万\n  upto: 2万\n")
    assert ":8:3: a benefit has an amount or a bound (upto), not both" in got
    got = error_of("conditions: []\nbenefit:\n  cap: 2万\n")
    assert "benefit needs an amount (or upto: a bound staff decide within)" in got


def test_the_long_form_has_a_bound_column_only_with_bounds():
    p = policy(UPTO)
    df = pl.DataFrame({"uscc": ["a", "b"], "revenue_2024": [2e7, None]})
    out = evaluate([p], df, DATE)
    assert out["bound"].to_list() == [Decimal("500000.00"), None]
    assert out["amount"].to_list() == [None, None]
    plain = policy("conditions: []\nbenefit:\n  amount: 1万\n")
    assert "bound" not in evaluate([plain], df, DATE).columns


def test_a_test_expecting_another_bound_fails_with_both_named():
    p = policy(
        UPTO + "tests:\n  - name: x\n    date: 2025-06-30\n"
        "    enterprise: {revenue: {2024: 2000万}}\n    expect: {status: eligible, bound: 40万}\n"
    )
    outcomes, _ = run_tests([p])
    assert not outcomes[0].passed
    assert outcomes[0].message == "bound 500000.00, expected 400000"


def agree(p, rows: list[dict], date: dt.date = DATE, inputs: dict | None = None) -> None:
    wide = evaluate_wide([p], pl.DataFrame(rows, infer_schema_length=None), date, inputs)
    assert f"amount:{p.id}" not in wide.columns
    for i, row in enumerate(rows):
        e = explain(p, row, date, inputs)
        fen = wide[f"bound:{p.id}"][i]
        batch = (STATUSES[wide[f"status:{p.id}"][i]], None if fen is None else Decimal(fen) / 100)
        assert batch == (e.status, e.bound), (row, e)
        assert e.amount is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 10**10)), min_size=1, max_size=8))
def test_batch_agrees_with_the_explanation(fens: list[int | None]):
    rows = [
        {"uscc": f"U{i}", "revenue_2024": None if f is None else Decimal(f) / 100}
        for i, f in enumerate(fens)
    ]
    agree(policy(UPTO), rows)


@pytest.mark.parametrize(
    "path",
    [
        "a1-xiamen-rd-increment.yaml",
        "h2-nanshan-listing-stages.yaml",
        "i4-liuhe-key-industry-investment.yaml",
    ],
)
def test_the_examples_are_bounds(path: str):
    p = load_file(f"policies/examples/{path}")
    assert p.bounded
    outcomes, _ = run_tests([p])
    assert all(o.passed for o in outcomes)

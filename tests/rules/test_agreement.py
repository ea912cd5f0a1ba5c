"""The batch evaluator (Polars) and the explanation (exact scalar) always agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaoxin.rules import STATUSES, explain
from gaoxin.rules.batch import evaluate, evaluate_wide
from gaoxin.rules.peers import population

YEARS = range(2019, 2026)
MONEY_FIELDS = (
    "revenue",
    "rd_expense",
    "rd_expense_domestic",
    "high_tech_revenue",
    "main_business_revenue",
    "total_assets",
    "equity_raised",
)
COUNT_FIELDS = (
    "employees",
    "tech_staff",
    "rd_staff",
    "class1_ip",
    "utility_models",
    "software_copyrights",
)
QUALS = ("high_tech_enterprise", "tech_sme", "srdi_sme", "little_giant")
DATES = (dt.date(2025, 6, 30), dt.date(2024, 2, 29), dt.date(2023, 6, 30), dt.date(2026, 6, 30))
BOUNDARIES = [
    0.0,
    0.01,
    1e6,
    2e6,
    1e7,
    2e7,
    5e7,
    50000000.01,
    1e8,
    2e8,
    200000000.01,
    4e8,
    1000000.01,
    2999999.99,
    3e6,
    6e6,
]


def maybe(s):
    return st.one_of(st.none(), s)


money = maybe(
    st.one_of(st.sampled_from(BOUNDARIES), st.integers(0, 10**11).map(lambda c: c / 100.0))
)
count = maybe(
    st.one_of(st.integers(0, 20), st.integers(0, 3000), st.sampled_from([10, 100, 300, 500, 501]))
)
day = st.dates(dt.date(2013, 1, 1), dt.date(2027, 12, 31))
edge_day = st.sampled_from(
    [
        dt.date(2024, 6, 30),
        dt.date(2024, 7, 1),
        dt.date(2022, 6, 30),
        dt.date(2022, 7, 1),
        dt.date(2024, 2, 29),
        dt.date(2023, 2, 28),
        dt.date(2021, 3, 1),
        dt.date(2024, 2, 28),
    ]
)
date_value = maybe(st.one_of(day, edge_day))


@st.composite
def enterprise(draw):
    row = {
        "uscc": None,
        "registered_at": draw(date_value),
        "in_zone": draw(maybe(st.booleans())),
        "major_incident": draw(maybe(st.booleans())),
        "industry": draw(maybe(st.sampled_from(["C3974", "C39", "I65", ""]))),
    }
    for f in COUNT_FIELDS:
        row[f] = draw(count)
    for f in MONEY_FIELDS:
        for y in YEARS:
            row[f"{f}_{y}"] = draw(money)
    for q in QUALS:
        row[q] = draw(date_value)
        row[f"{q}_until"] = draw(maybe(day))
    return row


def schema() -> dict[str, pl.DataType]:
    s: dict[str, pl.DataType] = {
        "uscc": pl.String(),
        "registered_at": pl.Date(),
        "in_zone": pl.Boolean(),
        "major_incident": pl.Boolean(),
        "industry": pl.String(),
    }
    s.update({f: pl.Int64() for f in COUNT_FIELDS})
    s.update({f"{f}_{y}": pl.Float64() for f in MONEY_FIELDS for y in YEARS})
    for q in QUALS:
        s[q] = pl.Date()
        s[f"{q}_until"] = pl.Date()
    return s


inputs = st.fixed_dictionaries(
    {},
    optional={
        "service_fee": money,
        "deductible_rd": money,
        "first_time": st.booleans(),
        "loan_amount": money,
        "loan_days": st.integers(0, 366),
        "local_tax": money,
        "district_tax": money,
        "interest_paid": money,
        "investment": money,
        "months_to_funding": st.integers(0, 30),
        "annual_investment": money,
        "equipment_investment": money,
        "eligible_investment": money,
        "rented_area": count,
        "annual_rent_per_m2": money,
        "guide_rent_per_m2": money,
        "redeemed": money,
        "domestic_grants": count,
        "pct_grants": count,
        "stage": st.sampled_from(["辅导验收", "境内上市", "股改", "股份制改造", "成功上市"]),
        "contract_payable": money,
        "remaining_quota": money,
        "certified_on": date_value,
        "output_growth": st.sampled_from(["25.4%", "25.39%", "-3%", "0"]),
        "local_contribution_growth": st.sampled_from(["1%", "0", "-1%"]),
        "new_loans": money,
        "loan_lpr": st.sampled_from(["3.45%", "3.1%"]),
    },
)


def check_agreement(policies, rows, date, given_inputs):
    for i, row in enumerate(rows):
        row["uscc"] = f"U{i}"
    df = pl.DataFrame(rows, schema=schema())
    wide = evaluate_wide(policies, df, date, given_inputs)
    long = evaluate(policies, df, date, given_inputs)
    peers = population(policies, df, date, given_inputs)  # the frame is the population (G1)
    long_map = {
        (r["uscc"], r["policy"]): (r["status"], r["amount"]) for r in long.iter_rows(named=True)
    }
    for i, row in enumerate(rows):
        for p in policies:
            e = explain(p, row, date, given_inputs, peers=peers)
            code = wide[f"status:{p.id}"][i]
            fen = wide[f"amount:{p.id}"][i] if f"amount:{p.id}" in wide.columns else None
            amount = None if fen is None else Decimal(fen) / 100
            assert (STATUSES[code], amount) == (e.status, e.amount), (p.id, date, row, e)
            assert long_map[(row["uscc"], p.id)] == (e.status, e.amount)


settings_ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings_
@given(st.lists(enterprise(), min_size=1, max_size=10), st.sampled_from(DATES), inputs)
def test_batch_agrees_with_explain_on_shipped_policies(shipped, rows, date, given_inputs):
    check_agreement(shipped, rows, date, given_inputs)


@settings_
@given(st.lists(enterprise(), min_size=1, max_size=6), st.sampled_from(DATES))
def test_batch_agrees_with_explain_on_bench_policies(bench, rows, date):
    check_agreement(bench, rows, date, {})


def test_long_output_and_interesting_rows(shipped):
    rows = [
        {
            "uscc": "A",
            "in_zone": True,
            "registered_at": dt.date(2019, 1, 1),
            "revenue_2024": 4e7,
            "revenue_2023": 3.9e7,
            "revenue_2022": 3.8e7,
            "rd_expense_2024": 2.5e6,
            "rd_expense_2023": 2e6,
            "rd_expense_2022": 1.9e6,
        },
        {"uscc": "B", "in_zone": False},
    ]
    df = pl.DataFrame(rows)
    date = dt.date(2025, 6, 30)
    torch = [p for p in shipped if p.id == "torch-rd-subsidy-2025"]
    out = evaluate(torch, df, date)
    assert out.columns == ["uscc", "policy", "status", "amount"]
    a = out.filter(pl.col("uscc") == "A").row(0, named=True)
    assert (a["status"], a["amount"]) == ("review", Decimal("60000.00"))
    assert out.filter(pl.col("uscc") == "B")["status"].to_list() == ["ineligible"]
    interesting = evaluate(torch, df, date, interesting_only=True)
    assert interesting["uscc"].to_list() == ["A"]

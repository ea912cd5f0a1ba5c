"""as_of(parameter, date): a dated parameter's value in force on another date than the
evaluation date (LPR on the loan date, the threshold of 1 January of the year)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gaoxin.rules.describe import describe

from .agree_helpers import both
from .helpers import DATE, error_of, policy, run

RATES = """\
parameters:
  lpr: {2023-08-21: 3.45%, 2024-07-22: 3.35%, 2024-10-21: 3.1%}
  threshold: {2024-01-01: 1000万, 2025-03-01: 2000万}
"""


def test_the_value_in_force_on_the_date_given_edges_included():
    p = policy(
        RATES
        + "conditions:\n  - {label: a, when: 'revenue[Y-1] >= as_of(threshold, date(Y, 1, 1))'}\n"
        + "benefit:\n  amount: as_of(lpr, registered_at) * 100万\n"
    )
    rows = [
        {"revenue_2024": 1e7, "registered_at": dt.date(2024, 7, 21)},  # 3.45%
        {"revenue_2024": 1e7, "registered_at": dt.date(2024, 7, 22)},  # 3.35% from that day
        {"revenue_2024": 1e7, "registered_at": dt.date(2025, 1, 1)},  # 3.1%
        {"revenue_2024": 1e7, "registered_at": dt.date(2023, 8, 20)},  # before any entry
        {"revenue_2024": 1e7, "registered_at": None},
        {"revenue_2024": 9999999.99, "registered_at": dt.date(2025, 1, 1)},
    ]
    schema = {"uscc": str, "revenue_2024": float, "registered_at": dt.date}
    assert both(p, rows, DATE, schema=schema) == [
        ("eligible", Decimal("34500.00")),
        ("eligible", Decimal("33500.00")),
        ("eligible", Decimal("31000.00")),
        ("unknown", None),
        ("unknown", None),
        ("ineligible", None),
    ]
    # On the evaluation date (2025-06-30) the threshold is 2000万; on 1 January, 1000万.
    assert run(p, {"revenue": {2024: 1500_0000}, "registered_at": "2025-01-01"}).status == (
        "eligible"
    )


def test_an_input_date_and_an_undated_parameter():
    p = policy(
        "delivery: apply\n"
        "inputs:\n  loan_date: {type: date, label: 贷款发放日}\n"
        "parameters:\n  lpr: {2023-08-21: 3.45%, 2024-07-22: 3.35%}\n  flat: 2%\n"
        "conditions:\n  - {label: a, when: in_zone}\n"
        "benefit:\n  amount: (as_of(lpr, loan_date) + as_of(flat, loan_date)) * 100万\n"
    )
    rows = [{"in_zone": True}]
    assert both(p, rows, DATE, {"loan_date": "2024-07-22"}) == [("eligible", Decimal("53500.00"))]
    assert both(p, rows, DATE) == [("eligible", None)]  # amount waits for the input


def test_date_of_a_computed_year_is_unknown_when_the_year_is():
    p = policy(
        RATES
        + "conditions:\n  - {label: a, when: 'date(year_of(registered_at), 12, 31) < 2024-06-30'}\n"
    )
    schema = {"uscc": str, "registered_at": dt.date}
    rows = [{"registered_at": dt.date(2023, 5, 1)}, {"registered_at": dt.date(2024, 5, 1)}, {}]
    assert [s for s, _ in both(p, rows, DATE, schema=schema)] == [
        "eligible",
        "ineligible",
        "unknown",
    ]


@pytest.mark.parametrize(
    "when, message, col",
    [
        ("as_of(lpx, 2024-01-01) > 0", "as_of() needs the name of a parameter first", 17),
        ("as_of(lpr, revenue[Y-1]) > 0", "as_of() needs a date second", 22),
        ("as_of(lpr) > 0", "as_of() takes 2 arguments", 11),
        ("date(Y, 2, 29) < 2024-01-01", "date() has no day 2-29 in every year", 19),
        ("date(Y, 1.5, 1) < 2024-01-01", "date() needs a whole month number", 19),
        ('date("2024", 1, 1) < 2024-01-01', "date() needs a year first", 16),
    ],
)
def test_checker_locates_as_of_errors(when, message, col):
    body = RATES + f"conditions:\n  - label: a\n    when: {when}\n"
    err = error_of(body)
    assert message in err.message
    assert (err.line, err.col) == (10, col)
    if "lpx" in when:
        assert "did you mean 'lpr'?" in err.hint


def test_plain_chinese():
    p = policy(
        RATES
        + "conditions:\n  - {label: a, when: 'revenue[Y-1] >= as_of(threshold, date(Y, 1, 1))'}\n"
    )
    text = describe(p.conditions[0].when, p, DATE)
    assert text == (
        "营业收入（上一年度） ≥ 评估年度1月1日当日适用的值"
        "（2024-01-01起1,000万元；2025-03-01起2,000万元）"
    )

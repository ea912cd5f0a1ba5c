"""What policies mean: exact boundaries, bands, three-valued logic, money, dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gaoxin.rules import explain

from .helpers import DATE, policy, run, status, when

HTE_TABLE = """\
min_rd_ratio:
  by: revenue[Y-1]
  rows:
    - {upto: 5000万, value: 5%}
    - {upto: 2亿, value: 4%}
    - {else: 3%}
"""


def test_exactly_five_percent_passes():
    p = when("rd_expense[Y-1] / revenue[Y-1] >= 5%")
    # 0.05 is not a binary float: a naive float comparison of 1234567.85/24691357 fails
    assert (
        status(p, {"revenue": {2024: 24691357.00}, "rd_expense": {2024: 1234567.85}}) == "eligible"
    )
    assert (
        status(p, {"revenue": {2024: 24691357.00}, "rd_expense": {2024: 1234567.84}})
        == "ineligible"
    )


@pytest.mark.parametrize(
    "revenue, rd, expected",
    [
        ("5000万", "250万", "eligible"),  # upto is inclusive: 5%
        ("5000万", "2499999.99", "ineligible"),
        ("50000000.01", "2000000.01", "eligible"),  # just above 5000万: 4% band
        ("2亿", "800万", "eligible"),
        ("2亿", "7999999.99", "ineligible"),
        ("200000000.01", "6000001", "eligible"),  # above 2亿: else 3%
    ],
)
def test_revenue_bands(revenue, rd, expected):
    p = when("rd_expense[Y-1] / revenue[Y-1] >= min_rd_ratio", tables=HTE_TABLE)
    assert status(p, {"revenue": {2024: revenue}, "rd_expense": {2024: rd}}) == expected


def test_below_excludes_the_edge():
    p = when(
        "x >= 2",
        tables="x:\n  by: employees\n  rows:\n    - {below: 100, value: 1}\n    - {else: 2}\n",
    )
    assert status(p, {"employees": 99}) == "ineligible"
    assert status(p, {"employees": 100}) == "eligible"


def test_missing_value_is_unknown_and_named():
    p = when("revenue[Y-1] > 1000万 and employees <= 300")
    e = run(p, {"employees": 100})
    assert e.status == "unknown" and e.missing == (("revenue", 2024),)
    assert run(p, {"employees": 500}).status == "ineligible"  # unknown and false = false


def test_kleene_or():
    p = when("revenue[Y-1] > 1000万 or in_zone")
    assert status(p, {"in_zone": True}) == "eligible"  # unknown or true = true
    assert status(p, {"in_zone": False}) == "unknown"
    assert status(when("not in_zone"), {}) == "unknown"


def test_division_by_zero_is_unknown():
    p = when("tech_staff / employees >= 10%")
    e = run(p, {"tech_staff": 0, "employees": 0})
    assert e.status == "unknown"
    assert status(p, {"tech_staff": 1, "employees": 10}) == "eligible"


def test_zero_is_a_value_not_missing():
    assert status(when("rd_expense[Y-1] >= 0"), {"rd_expense": {2024: 0}}) == "eligible"


@pytest.mark.parametrize(
    "base, amount",
    [
        ("0.05", "0.01"),  # 0.005 yuan → 0.01 (half-up, not banker's)
        ("0.04", "0.00"),
        ("0.15", "0.02"),  # 0.015 → 0.02
        ("0.25", "0.03"),  # 0.025 → 0.03 (banker's would give 0.02)
        ("12345.67", "1234.57"),
    ],
)
def test_money_is_rounded_half_up_to_the_fen(base, amount):
    p = policy("conditions: []\nbenefit:\n  amount: 10% * rd_expense[Y-1]\n")
    e = run(p, {"rd_expense": {2024: base}})
    assert e.status == "eligible" and e.amount == Decimal(amount)


def test_dated_parameters_take_the_value_in_force():
    p = policy(
        "parameters:\n  rate: {2021-01-01: 10%, 2025-01-01: 12%}\n"
        "conditions: []\nbenefit:\n  amount: rate * 100万\n"
    )
    assert run(p, {}, dt.date(2024, 12, 31)).amount == Decimal("100000.00")
    assert run(p, {}, dt.date(2025, 1, 1)).amount == Decimal("120000.00")
    # before any value is in force the amount is unknown
    assert run(p, {}, dt.date(2020, 6, 30)).status == "unknown"


def test_year_defaults_to_the_evaluation_year_and_can_be_fixed():
    p = when("revenue[Y-1] > 0")
    assert status(p, {"revenue": {2023: 1}}, dt.date(2024, 3, 1)) == "eligible"
    fixed = policy("year: 2025\nconditions:\n  - {label: a, when: 'revenue[Y-1] > 0'}\n")
    assert status(fixed, {"revenue": {2024: 1}}, dt.date(2026, 3, 1)) == "eligible"


@pytest.mark.parametrize(
    "until, expected",
    [
        ("2025-06-30", "eligible"),  # the day of expiry counts as valid
        ("2025-06-29", "ineligible"),
    ],
)
def test_certificate_valid_on_its_expiry_day(until, expected):
    p = when("has(high_tech_enterprise)")
    ent = {"high_tech_enterprise": "2022-07-01", "high_tech_enterprise_until": until}
    assert status(p, ent) == expected


def test_certificate_without_expiry_uses_the_catalogue_term():
    p = when("has(high_tech_enterprise)")  # 3 years
    assert status(p, {"high_tech_enterprise": "2022-07-01"}) == "eligible"
    assert status(p, {"high_tech_enterprise": "2022-06-30"}) == "ineligible"
    assert status(p, {"high_tech_enterprise": "2025-07-01"}) == "ineligible"  # not yet granted
    assert status(p, {}) == "ineligible"  # no certificate on record
    assert status(when("has(listed)"), {"listed": "1999-01-01"}) == "eligible"  # no expiry


def test_years_since_counts_the_anniversary_and_feb_29():
    p = when("years_since(registered_at) >= 1")
    assert status(p, {"registered_at": "2024-06-30"}) == "eligible"
    assert status(p, {"registered_at": "2024-07-01"}) == "ineligible"
    born = {"registered_at": "2024-02-29"}
    assert status(p, born, dt.date(2025, 2, 28)) == "ineligible"
    assert status(p, born, dt.date(2025, 3, 1)) == "eligible"


def test_shortfall_says_what_would_pass():
    p = when("rd_expense[Y-1] / revenue[Y-1] >= 5%")
    e = run(p, {"revenue": {2024: "1亿"}, "rd_expense": {2024: "460万"}})
    assert e.status == "ineligible"
    s = e.shortfalls[0]
    assert s.text == "rd_expense[Y-1] / revenue[Y-1] 4.6%，需 ≥ 5%"
    assert s.needed == pytest.approx(0.05)


def test_conditions_report_values_with_years():
    p = when("sum(revenue[Y-2..Y-1]) > 0")
    e = run(p, {"revenue": {2023: 1, 2024: 2}})
    assert [(v.field, v.year) for v in e.conditions[0].values] == [
        ("revenue", 2023),
        ("revenue", 2024),
    ]


def test_manual_condition_routes_to_review():
    p = policy(
        "conditions:\n  - {label: a, when: in_zone}\n  - {label: b, manual: true}\n"
        "benefit:\n  amount: 1万\n"
    )
    e = run(p, {"in_zone": True})
    assert e.status == "review" and e.amount == Decimal("10000.00")
    assert run(p, {"in_zone": False}).amount is None


def test_inputs_are_declared_values_from_the_applicant():
    p = policy(
        "delivery: apply\ninputs:\n  fee: {type: money, label: 服务费}\n"
        "conditions: []\nbenefit:\n  amount: 35% * fee\n  cap: 10万\n"
    )
    assert run(p, {}, fee="1万").amount == Decimal("3500.00")
    assert run(p, {}, fee="100万").amount == Decimal("100000.00")
    e = run(p, {})
    assert e.status == "eligible" and e.amount is None and e.notes


def test_functions():
    ent = {"revenue": {2021: 100, 2022: 121, 2023: 0, 2024: 150}}
    cases = {
        "avg(revenue[Y-4..Y-3]) == 110.5": "eligible",
        "count(revenue[Y-6..Y-1]) == 4": "eligible",
        "min(revenue[Y-4..Y-1]) == 0": "eligible",
        "max(revenue[Y-4..Y-1]) == 150": "eligible",
        "growth(revenue, Y-3) == 21%": "eligible",
        "growth(revenue, Y-1) > 0": "unknown",  # previous year is 0
        "cagr(revenue, Y-4, Y-3) >= 21%": "eligible",
        "cagr(revenue, Y-4, Y-3) > 21%": "ineligible",
        "round(revenue[Y-1] / 7, 2) == 21.43": "eligible",
        "min(revenue[Y-4], revenue[Y-3], 50) == 50": "eligible",
        "if(revenue[Y-1] > 100, 1, 2) == 1": "eligible",
        "floor(revenue[Y-1] / 100) == 1 and ceil(revenue[Y-1] / 100) == 2": "eligible",
        "revenue[Y-1] in [150, 160] and not revenue[Y-1] in [1]": "eligible",
        'starts_with(industry, "C39")': "eligible",
        'industry in ["C3974"]': "eligible",
    }
    for expr, expected in cases.items():
        assert status(when(f"'{expr}'"), {**ent, "industry": "C3974"}) == expected, expr


def test_marginal_bands():
    p = policy(
        "tables:\n  t:\n    by: employees\n    rows:\n      - {upto: 10, value: 3}\n"
        "      - {upto: 20, value: 2}\n      - {else: 1}\n"
        "conditions: []\nbenefit:\n  amount: marginal(t)\n"
    )
    assert run(p, {"employees": 25}).amount == Decimal("55.00")  # 10×3 + 10×2 + 5×1
    assert run(p, {"employees": 5}).amount == Decimal("15.00")


def test_outside_the_effective_period_is_ineligible():
    p = policy("effective: {from: 2025-01-01, to: 2025-12-31}\nconditions: []\n")
    assert status(p, {}, dt.date(2026, 1, 1)) == "ineligible"
    assert status(p, {}, dt.date(2025, 12, 31)) == "eligible"


def test_flat_layout_and_chinese_headers_are_read():
    p = when("营业收入[Y-1] >= 5000万 and has(高新技术企业)")
    flat = {
        "营业收入_2024": 50_000_000,
        "高新技术企业": "2024-01-01",
        "高新技术企业_有效期至": "2026-12-31",
    }
    assert explain(p, flat, DATE).status == "eligible"
    assert (
        explain(
            p, {"revenue_2024": 49_999_999.99, "high_tech_enterprise": dt.date(2024, 1, 1)}, DATE
        ).status
        == "ineligible"
    )


def test_refused_values_are_missing():
    p = when("revenue[Y-1] >= 0")
    assert status(p, {"revenue": {2024: -5}}) == "unknown"  # revenue can't be negative
    assert status(when("profit[Y-1] < 0"), {"profit": {2024: -5}}) == "eligible"


def test_year_of_and_y_as_a_number():
    p = when("year_of(registered_at) == Y - 1")
    assert status(p, {"registered_at": "2024-12-31"}) == "eligible"
    assert status(p, {"registered_at": "2025-01-01"}) == "ineligible"
    assert status(p, {}) == "unknown"


def test_explain_all_reads_the_enterprise_once(shipped):
    from gaoxin.rules import explain_all

    ent = {"in_zone": True, "registered_at": "2019-03-01"}
    out = explain_all(shipped, ent, DATE)
    assert [e.policy for e in out] == [p.id for p in shipped]
    assert out == [explain(p, ent, DATE) for p in shipped]

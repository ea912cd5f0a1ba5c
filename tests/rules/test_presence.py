"""present(x), missing(x), coalesce(a, b): "有 A 则按 A，否则按 B" and an explicit "is missing"
test that is never unknown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gaoxin.rules import load_text
from gaoxin.rules.describe import describe

from .agree_helpers import both
from .helpers import DATE, HEADER, error_of, policy, run

SCHEMA = {"uscc": str, "revenue_2024": float, "revenue_2023": float, "in_zone": bool}


def test_missing_is_never_unknown_and_keeps_kleene_logic_right():
    p = policy(
        """\
        conditions:
          - label: 缺上年营收或营收达标
            when: missing(revenue[Y-1]) or revenue[Y-1] >= 1000万
        """
    )
    assert run(p, {}).status == "eligible"  # missing → true, not unknown
    assert run(p, {"revenue": {2024: 1000_0000}}).status == "eligible"
    assert run(p, {"revenue": {2024: 999_9999.99}}).status == "ineligible"
    q = policy("conditions:\n  - {label: a, when: 'present(revenue[Y-1]) and in_zone'}\n")
    assert run(q, {"in_zone": True}).status == "ineligible"  # false and unknown = false
    assert run(q, {"revenue": {2024: 1}}).status == "unknown"  # true and unknown = unknown
    r = policy("conditions:\n  - {label: a, when: 'present(revenue[Y-1] / revenue[Y-2])'}\n")
    assert run(r, {"revenue": {2024: 1, 2023: 0}}).status == "ineligible"  # ÷0 has no value


def test_coalesce_takes_the_first_value_present():
    p = policy(
        """\
        conditions:
          - {label: 有数据, when: 'present(coalesce(revenue[Y-1], revenue[Y-2]))'}
        benefit:
          amount: 1% * coalesce(revenue[Y-1], revenue[Y-2], 0)
        """
    )
    rows = [
        {"revenue_2024": 1e6, "revenue_2023": 2e6},
        {"revenue_2024": None, "revenue_2023": 2e6},
        {"revenue_2024": None, "revenue_2023": None},
        {"revenue_2024": 0.0, "revenue_2023": 2e6},
    ]
    assert both(p, rows, DATE, schema=SCHEMA) == [
        ("eligible", Decimal("10000.00")),
        ("eligible", Decimal("20000.00")),
        ("ineligible", None),
        ("eligible", Decimal("0.00")),
    ]


def test_coalesce_of_dates_text_and_inputs_agree():
    text = HEADER + (
        "delivery: apply\n"
        "inputs:\n  founded: {type: date, label: 成立日期（申报）}\n"
        "conditions:\n"
        "  - {label: a, when: 'coalesce(registered_at, founded) <= 2020-01-01'}\n"
        '  - {label: b, when: \'coalesce(chain, "其他") != "软件"\'}\n'
    )
    p = load_text(text, "p.yaml")
    schema = {"uscc": str, "registered_at": dt.date, "chain": str}
    rows = [
        {"registered_at": dt.date(2019, 1, 1), "chain": None},
        {"registered_at": None, "chain": "软件"},
        {"registered_at": None, "chain": "芯片"},
    ]
    assert [s for s, _ in both(p, rows, DATE, schema=schema)] == [
        "eligible",
        "ineligible",
        "unknown",
    ]
    assert [s for s, _ in both(p, rows, DATE, {"founded": "2018-05-01"}, schema=schema)] == [
        "eligible",
        "ineligible",
        "eligible",
    ]


@pytest.mark.parametrize(
    "when, message, col",
    [
        ("coalesce(revenue[Y-1])", "coalesce() needs two or more values", 11),
        ("coalesce(revenue[Y-1], registered_at) > 0", "coalesce() values differ", 34),
        ("present(revenue[Y-3..Y-1])", "present() needs one value, not a year range", 19),
        ("missing(revenue[Y-1], 1)", "missing() takes 1 argument", 11),
    ],
)
def test_checker_locates_presence_errors(when, message, col):
    err = error_of(f"conditions:\n  - label: a\n    when: {when}\n")
    assert message in err.message
    assert (err.file, err.line, err.col) == ("p.yaml", 7, col)


def test_plain_chinese():
    p = policy(
        """\
        conditions:
          - {label: a, when: 'missing(revenue[Y-1]) or present(rd_expense[Y-1])'}
        benefit:
          amount: coalesce(revenue[Y-1], revenue[Y-2], 0) * 1%
        """
    )
    assert (
        describe(p.conditions[0].when, p, DATE)
        == "营业收入（上一年度）无数据 或 研发费用（上一年度）有数据"
    )
    text = describe(p.benefit, p, DATE, money=True)
    assert "营业收入（上一年度）（无数据时按营业收入（2年前），再无数据时按" in text

"""manual("…") as one branch of an or ("或经认定具有同等水平的"): true when an automatic branch
holds; review (待审核) with the branch's label when only the manual branch can hold; the same
in batch and in the explanation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gaoxin.rules.describe import describe
from gaoxin.rules.testing import run_tests

from .agree_helpers import both
from .helpers import DATE, error_of, policy, run

OR_MANUAL = """\
conditions:
  - label: 上年营业收入1亿元以上或经认定具有同等水平
    when: revenue[Y-1] >= 1亿 or manual("经认定具有同等水平")
  - label: 园区注册
    when: in_zone
benefit:
  amount: 10万
"""
SCHEMA = {"uscc": str, "revenue_2024": float, "in_zone": bool}


def test_or_with_a_manual_branch():
    p = policy(OR_MANUAL)
    rows = [
        {"revenue_2024": 1e8, "in_zone": True},  # the automatic branch holds
        {"revenue_2024": 99999999.99, "in_zone": True},  # only staff can make it hold
        {"revenue_2024": None, "in_zone": True},  # unknown or manual → review
        {"revenue_2024": 1e8, "in_zone": False},  # another condition fails
        {"revenue_2024": 5e7, "in_zone": None},  # review and unknown → unknown
        {"revenue_2024": 2e8, "in_zone": None},
    ]
    ten = Decimal("100000.00")
    assert both(p, rows, DATE, schema=SCHEMA) == [
        ("eligible", ten),
        ("review", ten),
        ("review", ten),
        ("ineligible", None),
        ("unknown", None),
        ("unknown", None),
    ]
    e = run(p, {"revenue": {2024: 5000_0000}, "in_zone": True})
    first = e.conditions[0]
    assert (first.result, first.manual, first.pending) == (None, True, ("经认定具有同等水平",))
    assert "待人工认定：经认定具有同等水平" in e.notes
    assert run(p, {"revenue": {2024: 2_0000_0000}, "in_zone": True}).conditions[0].result is True


def test_and_with_a_manual_branch_and_nesting():
    p = policy(
        """\
        conditions:
          - label: a
            when: >-
              in_zone and (revenue[Y-1] >= 1亿 or manual("甲"))
              and (employees > 10 or manual("乙"))
        """
    )
    rows = [
        {"in_zone": True, "revenue_2024": 2e8, "employees": 20},
        {"in_zone": True, "revenue_2024": 2e7, "employees": 20},
        {"in_zone": True, "revenue_2024": 2e7, "employees": 5},
        {"in_zone": False, "revenue_2024": 2e7, "employees": 5},
        {"in_zone": None, "revenue_2024": 2e8, "employees": 20},
    ]
    schema = {**SCHEMA, "employees": int}
    assert [s for s, _ in both(p, rows, DATE, schema=schema)] == [
        "eligible",
        "review",
        "review",
        "ineligible",
        "unknown",
    ]
    assert run(p, {"in_zone": True, "revenue": {2024: 1}, "employees": 1}).conditions[
        0
    ].pending == ("甲", "乙")


def test_with_a_whole_manual_condition_it_stays_review():
    q = policy(OR_MANUAL.replace("benefit:", "  - {label: 专家评审, manual: true}\nbenefit:"))
    rows = [{"revenue_2024": 1e8, "in_zone": True}, {"revenue_2024": 1.0, "in_zone": True}]
    assert [s for s, _ in both(q, rows, DATE, schema=SCHEMA)] == ["review", "review"]


@pytest.mark.parametrize(
    "when, message, col",
    [
        ('not manual("甲")', "manual() can only be a branch of 'or' / 'and'", 16),
        ('if(manual("甲"), 1, 2) > 0', "manual() can only be a branch of 'or' / 'and'", 15),
        ('in_zone == manual("甲")', "manual() can only be a branch of 'or' / 'and'", 23),
        ("in_zone or manual(甲)", "manual() takes the text staff confirm, in quotes", 30),
        ('in_zone or manual("")', "manual() takes the text staff confirm, in quotes", 30),
    ],
)
def test_checker_locates_misplaced_manual_branches(when, message, col):
    err = error_of(f"conditions:\n  - label: a\n    when: '{when}'\n")
    assert message in err.message
    assert (err.line, err.col) == (7, col)


def test_manual_is_refused_outside_a_condition():
    body = 'parameters:\n  x: if(manual("甲"), 1, 2)\nconditions:\n  - {label: a, when: in_zone}\n'
    err = error_of(body)
    assert "manual() is a branch of a condition" in err.message
    assert (err.line, err.col) == (6, 9)


def test_plain_chinese_and_test_failures_name_the_branch():
    p = policy(OR_MANUAL)
    assert describe(p.conditions[0].when, p, DATE) == (
        "（营业收入（上一年度） ≥ 10,000万元） 或 经认定具有同等水平（须经人工认定）"
    )
    failing = policy(
        OR_MANUAL
        + "tests:\n  - name: x\n    date: 2025-06-30\n"
        + "    enterprise: {in_zone: true, revenue: {2024: 1}}\n    expect: {status: eligible}\n"
    )
    outcomes, _ = run_tests([failing])
    assert "待人工认定 (manual): 经认定具有同等水平" in outcomes[0].message

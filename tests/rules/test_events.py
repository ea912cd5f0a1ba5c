"""Dates relative to an event (rules/events.py): within(d, N年|N个月), months_since, year_after,
first_time — the date arithmetic at month ends and on 29 February, errors located at
file:line:col, plain Chinese, and the batch agreeing with the explanation on every day."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import polars as pl
import pytest

from gaoxin.rules import explain, load_text
from gaoxin.rules.batch import clear_plan_cache, evaluate_wide
from gaoxin.rules.describe import describe
from gaoxin.rules.events import cutoff, months_since, within, year_after
from gaoxin.rules.model import STATUSES
from gaoxin.rules.scalar import years_since

from .helpers import HEADER, error_of, policy, run, status, when

D = dt.date


@pytest.mark.parametrize(
    "start, on, months",
    [
        (D(2025, 1, 31), D(2025, 2, 28), 0),  # February has no 31st: not yet a month
        (D(2025, 1, 31), D(2025, 3, 1), 1),  # … it completes on 1 March
        (D(2024, 1, 31), D(2024, 2, 29), 0),
        (D(2024, 2, 29), D(2025, 2, 28), 11),
        (D(2024, 2, 29), D(2025, 3, 1), 12),  # years_since says 1 the same day
        (D(2025, 3, 31), D(2025, 4, 30), 0),
        (D(2025, 3, 31), D(2025, 5, 1), 1),
        (D(2025, 3, 15), D(2025, 3, 15), 0),
        (D(2025, 3, 15), D(2025, 4, 15), 1),  # the same day of the month counts
        (D(2025, 3, 15), D(2025, 4, 14), 0),
        (D(2025, 6, 30), D(2025, 6, 1), -1),  # before the event
    ],
)
def test_months_since_at_month_ends(start, on, months):
    assert months_since(start, on) == months


def test_months_and_years_agree_on_every_day():
    starts = [D(2024, 2, 29), D(2023, 1, 31), D(2023, 12, 31), D(2024, 3, 1), D(2023, 6, 15)]
    day = D(2023, 1, 1)
    while day <= D(2027, 3, 31):
        for s in starts:
            assert months_since(s, day) // 12 == years_since(s, day), (s, day)
            assert year_after(s, day) == years_since(s, day) + 1
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    "start, n, unit, on, inside",
    [
        (D(2023, 3, 15), 3, "years", D(2023, 3, 15), True),  # the event day itself
        (D(2023, 3, 15), 3, "years", D(2026, 3, 14), True),  # the last day
        (D(2023, 3, 15), 3, "years", D(2026, 3, 15), False),  # the anniversary: outside
        (D(2023, 3, 15), 3, "years", D(2023, 3, 14), False),  # before the event
        (D(2024, 2, 29), 1, "years", D(2025, 2, 28), True),
        (D(2024, 2, 29), 1, "years", D(2025, 3, 1), False),
        (D(2024, 2, 29), 12, "months", D(2025, 2, 28), True),
        (D(2024, 2, 29), 12, "months", D(2025, 3, 1), False),
        (D(2025, 1, 31), 1, "months", D(2025, 2, 28), True),
        (D(2025, 1, 31), 1, "months", D(2025, 3, 1), False),
        (D(2024, 8, 31), 6, "months", D(2025, 2, 28), True),
        (D(2024, 8, 31), 6, "months", D(2025, 3, 1), False),
    ],
)
def test_within_at_its_edges(start, n, unit, on, inside):
    assert within(start, n, unit, on) is inside
    last = cutoff(n, unit, on)
    assert last is not None
    assert (start <= on and start > last) is inside  # what the batch compares


@pytest.mark.parametrize(
    "start, on, k",
    [
        (D(2023, 7, 1), D(2023, 7, 1), 1),
        (D(2023, 7, 1), D(2024, 6, 30), 1),
        (D(2023, 7, 1), D(2024, 7, 1), 2),
        (D(2023, 7, 1), D(2026, 6, 30), 3),
        (D(2023, 7, 1), D(2023, 6, 30), 0),
        (D(2024, 2, 29), D(2025, 2, 28), 1),
        (D(2024, 2, 29), D(2025, 3, 1), 2),
    ],
)
def test_year_after(start, on, k):
    assert year_after(start, on) == k


# -- the language ---------------------------------------------------------------------------


def test_within_a_certificate_and_a_schedule_by_year_after_landing():
    p = policy(
        """\
        tables:
          share:
            by: year_after(landed_at)
            rows:
              - {upto: 0, value: 0}
              - {upto: 1, value: 100%}
              - {upto: 3, value: 50%}
              - {else: 0}
        conditions:
          - label: 自认定之日起三年内
            when: within(high_tech_enterprise, 3年)
        benefit:
          amount: share * 10万
        """
    )
    ent = {"high_tech_enterprise": "2023-03-15", "landed_at": "2024-07-01"}
    assert run(p, ent, D(2025, 7, 1)).amount == Decimal("50000.00")  # the second year
    assert run(p, ent, D(2025, 7, 1)).status == "eligible"
    assert run(p, ent, D(2025, 6, 30)).amount == Decimal("100000.00")  # still the first
    assert run(p, ent, D(2026, 3, 15)).status == "ineligible"  # the third anniversary
    assert run(p, {"landed_at": "2024-07-01"}, D(2025, 6, 30)).status == "unknown"


def test_first_time_reads_the_registrys_flag():
    p = when("has(high_tech_enterprise) and first_time(高新技术企业)")
    granted = {"high_tech_enterprise": "2025-01-02"}
    assert status(p, {**granted, "high_tech_enterprise_first": True}) == "eligible"
    assert status(p, {**granted, "高新技术企业_首次认定": "否"}) == "ineligible"
    e = run(p, granted)
    assert e.status == "unknown"
    assert ("high_tech_enterprise_first", None) in e.missing
    nested = {"high_tech_enterprise": {"granted": "2025-01-02", "first": True}}
    assert status(p, nested) == "eligible"


def test_durations_compare_with_their_own_unit():
    assert status(when("months_since(landed_at) >= 12个月"), {"landed_at": "2024-06-30"}) == (
        "eligible"
    )
    assert status(when("years_since(landed_at) < 2年"), {"landed_at": "2024-06-30"}) == ("eligible")


@pytest.mark.parametrize(
    "expr, col, message",
    [
        ("within(high_tech_enterprise, 3)", 40, "within() needs a length in years or months"),
        ("within(high_tech_enterprise, 0年)", 40, "within() needs a whole number of 年 from 1"),
        ("within(high_tech_enterprise, 1.5年)", 40, "within() needs a whole number of 年"),
        ("within(revenue[Y-1], 3年)", 18, "within() needs a date first"),
        ("within(landed_at)", 11, "within() takes 2 arguments"),
        ("months_since(landed_at) < 1年", 11, "can't compare months with years"),
        ("revenue[Y-1] > 3年", 11, "can't compare money with years"),
        ("first_time(landed_at)", 22, "first_time() needs a qualification, not 'landed_at'"),
        ("year_after(in_zone) > 1", 22, "year_after() needs a date"),
        ("within_years(landed_at, 3)", 11, "unknown function 'within_years'"),
    ],
)
def test_errors_are_located(expr, col, message):
    e = error_of(f"conditions:\n  - label: a\n    when: {expr}\n")
    assert (e.file, e.line, e.col) == ("p.yaml", 7, col)
    assert e.message.startswith(message), e.message


def test_plain_chinese():
    p = policy(
        """\
        conditions:
          - label: a
            when: within(high_tech_enterprise, 3年) and first_time(high_tech_enterprise)
          - label: b
            when: months_since(landed_at) < 12个月 and year_after(落户日期) <= 3
        """
    )
    on = D(2025, 6, 30)
    a, b = (describe(c.when, p, on) for c in p.conditions)  # type: ignore[arg-type]
    assert a == "自认定高新技术企业之日起3年内 且 首次认定高新技术企业（非重新认定）"
    assert b == "（自落户之日起已满月数 < 12个月） 且 （落户后第几年（落户当日起为第1年） ≤ 3）"


# -- batch ≡ explanation, every day of four years, at month ends and leap days ----------------

POLICY = HEADER + (
    "delivery: apply\n"
    "tables:\n"
    "  share:\n"
    "    by: year_after(landed_at)\n"
    "    rows:\n"
    "      - {upto: 0, value: 0}\n"
    "      - {upto: 1, value: 100%}\n"
    "      - {upto: 3, value: 50%}\n"
    "      - {else: 0}\n"
    "conditions:\n"
    "  - label: a\n"
    "    when: >-\n"
    "      within(high_tech_enterprise, 3年) or within(landed_at, 18个月)\n"
    "      or (first_time(high_tech_enterprise) and months_since(landed_at) >= 7)\n"
    "benefit:\n"
    "  amount: share * 10万 + months_since(landed_at) * 100 + year_after(high_tech_enterprise)\n"
)
STARTS = [D(2024, 2, 29), D(2023, 1, 31), D(2023, 8, 31), D(2024, 3, 1), D(2025, 6, 30), None]


def test_batch_agrees_with_the_explanation_on_every_day():
    p = load_text(POLICY, "p.yaml")
    rows = [
        {
            "uscc": f"U{i}",
            "high_tech_enterprise": a,
            "high_tech_enterprise_first": first,
            "landed_at": b,
        }
        for i, (a, b, first) in enumerate(itertools.product(STARTS, STARTS, [True, False, None]))
    ]
    schema = {
        "uscc": pl.String(),
        "high_tech_enterprise": pl.Date(),
        "high_tech_enterprise_first": pl.Boolean(),
        "landed_at": pl.Date(),
    }
    frame = pl.DataFrame(rows, schema=schema)
    days = [D(2024, 2, 28), D(2024, 2, 29), D(2025, 2, 28), D(2025, 3, 1), D(2026, 8, 31)]
    day = D(2024, 1, 1)
    while day <= D(2027, 12, 31):
        days.append(day)
        day += dt.timedelta(days=29)
    for on in days:
        clear_plan_cache()
        wide = evaluate_wide([p], frame, on)
        for i, row in enumerate(rows):
            e = explain(p, row, on)
            fen = wide["amount:t"][i]
            got = (STATUSES[wide["status:t"][i]], None if fen is None else Decimal(fen) / 100)
            assert got == (e.status, e.amount), (on, row, e)

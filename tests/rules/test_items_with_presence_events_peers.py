"""Item tables (sum_over, count_over) beside the constructs that came with them from other
branches: present/coalesce/as_of and event dates inside an item's condition agree in batch and
explanation; peer statistics and manual() are refused where the batch can't evaluate them
(peers are computed from the enterprise frame, without its items; persons are not peers)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from gaoxin.rules import explain
from gaoxin.rules.batch import evaluate

from .helpers import DATE, first_error, policy

PATENTS = [
    {"number": "1", "kind": "发明", "scope": "PCT", "granted_on": dt.date(2025, 1, 3)},
    {"number": "2", "kind": "发明", "scope": "国内", "granted_on": dt.date(2023, 2, 1)},
    {"number": "3", "kind": "发明", "scope": "国内"},
]
RATES = "parameters:\n  rate:\n    2020-01-01: 1\n    2025-01-01: 3\n"


def condition(when: str) -> str:
    return f"conditions:\n  - label: c\n    when: {when}\n"


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            'percentile(count_over(patents, kind == "发明")) >= 50',
            "t.yaml:7:22: count_over() can't be inside percentile()",
        ),
        (
            "count_over(patents, percentile(revenue[Y-1]) >= 50) >= 1",
            "t.yaml:7:31: percentile() can't be inside sum_over() or count_over()",
        ),
        (
            'count_over(patents, manual("经认定")) >= 1 or has(high_tech_enterprise)',
            "t.yaml:7:31: manual() can't be inside sum_over() or count_over()",
        ),
    ],
)
def test_peers_and_manual_do_not_mix_with_item_tables(when: str, message: str) -> None:
    assert first_error(condition(when)).startswith(message)


def test_a_policy_for_persons_does_not_rank_among_enterprises() -> None:
    message = first_error("beneficiary: person\n" + condition("percentile(revenue[Y-1]) >= 50"))
    assert "percentile() compares enterprises: a policy for a person can't use it" in message


@pytest.mark.parametrize(
    "when",
    [
        "count_over(patents, present(granted_on)) >= 2",
        "count_over(patents, missing(granted_on)) >= 1",
        'sum_over(patents, kind == "发明", coalesce(if(scope == "PCT", 10, 1), 0)) >= 12',
        "count_over(patents, coalesce(within(granted_on, 12个月), false)) >= 1",
        "count_over(patents, year_after(granted_on) == 1) >= 1",
        "sum_over(patents, present(granted_on), as_of(rate, granted_on)) >= 4",
        'first_time(high_tech_enterprise) and count_over(patents, kind == "发明") >= 1',
    ],
)
def test_batch_and_explanation_agree_inside_item_conditions(when: str) -> None:
    p = policy(RATES + condition(when) + "benefit:\n  amount: 1万\n")
    enterprises = {
        "A": {"high_tech_enterprise": dt.date(2024, 9, 1), "patents": PATENTS},
        "B": {"patents": PATENTS[:1]},
        "C": {},
    }
    frame = pl.DataFrame(
        {
            "uscc": list(enterprises),
            "high_tech_enterprise": [e.get("high_tech_enterprise") for e in enterprises.values()],
        }
    )
    items = pl.DataFrame(
        [{"uscc": uscc, **item} for uscc, e in enterprises.items() for item in e.get("patents", [])]
    )
    batch = evaluate([p], frame, DATE, items={"patents": items})
    by_batch = dict(zip(batch["uscc"], batch["status"], strict=True))
    by_explanation = {uscc: explain(p, e, DATE).status for uscc, e in enterprises.items()}
    assert by_batch == by_explanation

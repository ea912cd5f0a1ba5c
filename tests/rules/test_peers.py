"""rank(), percentile(), peer_avg(): an enterprise's standing among its peers, computed from
the population evaluated; the explanation reads the same statistics and agrees."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl
import pytest

from gaoxin.rules import evaluate, load_text
from gaoxin.rules.describe import describe
from gaoxin.rules.frame import records
from gaoxin.rules.peers import from_records, population

from .agree_helpers import both
from .helpers import DATE, HEADER, error_of, policy, run

SCHEMA = {"uscc": str, "chain": str, "revenue_2023": float, "revenue_2024": float}
# growth(revenue, Y-1): 软件 50%, 20%, 20%, 10%, unknown; 芯片 30%; none: 40%
ROWS = [
    {"chain": "软件", "revenue_2023": 100.0, "revenue_2024": 150.0},
    {"chain": "软件", "revenue_2023": 100.0, "revenue_2024": 120.0},
    {"chain": "软件", "revenue_2023": 200.0, "revenue_2024": 240.0},
    {"chain": "软件", "revenue_2023": 100.0, "revenue_2024": 110.0},
    {"chain": "软件", "revenue_2023": 0.0, "revenue_2024": 110.0},
    {"chain": "芯片", "revenue_2023": 100.0, "revenue_2024": 130.0},
    {"chain": None, "revenue_2023": 100.0, "revenue_2024": 140.0},
]


def statuses(when: str, rows: list[dict] = ROWS) -> list[str]:
    p = policy(f"conditions:\n  - label: a\n    when: '{when}'\n")
    return [s for s, _ in both(p, rows, DATE, schema=SCHEMA)]


def test_rank_within_a_group_ties_share_the_better_rank():
    # ranks in 软件: 1, 2, 2, 4, unknown; 芯片: 1; no chain: unknown
    assert statuses("rank(growth(revenue, Y-1), chain) <= 2") == [
        "eligible",
        "eligible",
        "eligible",
        "ineligible",
        "unknown",
        "eligible",
        "unknown",
    ]
    assert statuses("rank(growth(revenue, Y-1)) == 3") == [
        "ineligible",
        "ineligible",
        "ineligible",
        "ineligible",
        "unknown",
        "eligible",  # 50%, 40%, then 30%
        "ineligible",
    ]


def test_percentile_and_the_average():
    # 软件 growths 10%, 20%, 20%, 50%: percentiles 100%, 75%, 75%, 25%
    assert statuses("percentile(growth(revenue, Y-1), chain) >= 75%") == [
        "eligible",
        "eligible",
        "eligible",
        "ineligible",
        "unknown",
        "eligible",
        "unknown",
    ]
    # all known growths: 50 20 20 10 30 40 → average 28.333333%
    assert statuses("growth(revenue, Y-1) > peer_avg(growth(revenue, Y-1))") == [
        "eligible",
        "ineligible",
        "ineligible",
        "ineligible",
        "unknown",
        "eligible",
        "eligible",
    ]
    # an enterprise without its own growth still has the average of its chain
    assert statuses("peer_avg(growth(revenue, Y-1), chain) == 25%") == [
        "eligible",
        "eligible",
        "eligible",
        "eligible",
        "eligible",
        "ineligible",
        "unknown",
    ]


def test_the_average_is_rounded_half_up_to_six_decimals():
    df = pl.DataFrame([{"uscc": "a", **r} for r in ROWS], schema=SCHEMA, strict=False)
    p = policy(
        "conditions:\n  - {label: a, when: "
        "'growth(revenue, Y-1) > peer_avg(growth(revenue, Y-1))'}\n"
    )
    stats = population([p], df, DATE)
    (groups,) = stats.groups.values()
    assert groups[()].mean == Fraction(283333, 10**6)
    assert stats.size == 7


def test_statistics_from_a_frame_equal_those_from_records():
    p = policy(
        "conditions:\n  - {label: a, when: 'rank(revenue[Y-1] / revenue[Y-2], chain) <= 1 "
        "and percentile(revenue[Y-1]) > 0'}\n"
    )
    df = pl.DataFrame(
        [{"uscc": str(i), **r} for i, r in enumerate(ROWS)], schema=SCHEMA, strict=False
    )
    assert population([p], df, DATE).groups == from_records([p], records(df), DATE).groups


def test_without_the_population_the_explanation_is_unknown_and_says_why():
    p = policy("conditions:\n  - {label: a, when: 'rank(revenue[Y-1]) <= 10'}\n")
    e = run(p, {"revenue": {2024: 1}})
    assert e.status == "unknown"
    assert any("统计数据" in n for n in e.notes)


def test_evaluate_takes_the_frame_as_the_population():
    p = policy("conditions:\n  - {label: a, when: 'rank(revenue[Y-1]) <= 2'}\n")
    df = pl.DataFrame({"uscc": ["a", "b", "c"], "revenue_2024": [3.0, 2.0, 1.0]})
    out = evaluate([p], df, DATE)
    assert out["status"].cast(pl.String).to_list() == ["eligible", "eligible", "ineligible"]
    # evaluated alone, the third is first among itself
    out = evaluate([p], df[2:], DATE)
    assert out["status"].cast(pl.String).to_list() == ["eligible"]
    # with the whole population's statistics given, a part is ranked among all
    stats = population([p], df, DATE)
    out = evaluate([p], df[2:], DATE, peers=stats)
    assert out["status"].cast(pl.String).to_list() == ["ineligible"]


@pytest.mark.parametrize(
    "when, message, col",
    [
        ("rank(chain) <= 1", "rank() needs a number to compare enterprises by", 17),
        ("rank(revenue[Y-1], employees) <= 1", "groups peers by text, a yes/no or a date", 31),
        ("peer_avg(fee) > 0", "peer_avg() compares registry data: 'fee'", 21),
        ("rank(rank(revenue[Y-1])) <= 1", "rank() can't be inside rank()", 17),
        ("percentile(revenue[Y-1], chain, area) > 0", "percentile() takes 1 or 2 arguments", 12),
    ],
)
def test_checker_locates_peer_errors(when, message, col):
    body = (
        "delivery: apply\ninputs:\n  fee: {type: money, label: 费用}\n"
        f"conditions:\n  - label: a\n    when: '{when}'\n"
    )
    err = error_of(body)
    assert message in err.message
    assert (err.line, err.col) == (10, col)


def test_plain_chinese():
    p = policy(
        "conditions:\n  - {label: a, when: 'rank(growth(revenue, Y-1), chain) <= 10 and "
        "growth(revenue, Y-1) > peer_avg(growth(revenue, Y-1))'}\n"
    )
    assert describe(p.conditions[0].when, p, DATE) == (
        "（营业收入增长率（上一年度）在同产业链的企业中的排名（由高到低，第1名最高） ≤ 10） 且 "
        "（营业收入增长率（上一年度） > 全区企业的营业收入增长率（上一年度）平均值）"
    )


def test_dates_and_booleans_group_peers():
    p = policy(
        "conditions:\n  - {label: a, when: "
        "'rank(employees, in_zone) == 1 and rank(employees, registered_at) == 1'}\n"
    )
    rows = [
        {"employees": 5, "in_zone": True, "registered_at": dt.date(2020, 1, 1)},
        {"employees": 7, "in_zone": True, "registered_at": dt.date(2021, 1, 1)},
        {"employees": 3, "in_zone": False, "registered_at": dt.date(2020, 1, 1)},
    ]
    schema = {"uscc": str, "employees": int, "in_zone": bool, "registered_at": dt.date}
    assert [s for s, _ in both(p, rows, DATE, schema=schema)] == [
        "ineligible",
        "eligible",
        "ineligible",
    ]


@pytest.mark.parametrize("explain", [False, True])
def test_the_command_line_ranks_among_the_whole_file_not_each_chunk(tmp_path, capsys, explain):
    from gaoxin.rules.cli import main

    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "p.yaml").write_text(
        HEADER + "conditions:\n  - {label: a, when: 'rank(revenue[Y-1]) <= 2'}\n"
        "tests:\n  - name: x\n    date: 2025-06-30\n    enterprise: {revenue: {2024: 1}}\n"
        "    expect: {status: eligible}\n",
        encoding="utf-8",
    )
    data = tmp_path / "e.csv"
    pl.DataFrame({"uscc": ["a", "b", "c", "d"], "revenue_2024": [1.0, 4.0, 3.0, 2.0]}).write_csv(
        data
    )
    args = ["evaluate", "--policies", str(folder), "--enterprises", str(data)]
    args += ["--date", "2025-06-30", "--chunk-rows", "1"]
    assert main(args + (["--explain", "--format", "jsonl"] if explain else [])) == 0
    out = capsys.readouterr().out
    found = [line for line in out.splitlines() if '"eligible"' in line or ",eligible," in line]
    assert len(found) == 2 and all(("b" in x or "c" in x) for x in found), out


def test_values_whose_floats_tie_are_ordered_and_counted_exactly():
    import random

    from gaoxin.rules.peers import Group

    big = 10**17
    pairs = [(big + k, big + k + 1) for k in range(5)]  # distinct, one float
    pairs += [(1, 3), (2, 6), (5, 15), (1, 2), (7, 1), (-3, 4)]
    random.Random(3).shuffle(pairs)
    g = Group.of(pairs)
    exact = sorted(Fraction(n, d) for n, d in pairs)
    assert list(g.values) == exact
    for x in [*exact, Fraction(big + 2, big + 3) + Fraction(1, 10**40), Fraction(0), Fraction(9)]:
        assert g.at_most(x.numerator, x.denominator) == sum(1 for v in exact if v <= x)


def test_a_tests_population_is_checked_like_its_enterprise():
    body = (
        "conditions:\n  - {label: a, when: 'rank(revenue[Y-1]) <= 1'}\n"
        "tests:\n  - name: x\n    date: 2025-06-30\n    enterprise: {revenue: {2024: 2}}\n"
        "    population:\n      - {revenue: {2024: 1}}\n      - {revenu: {2024: 3}}\n"
        "    expect: {status: eligible}\n"
    )
    err = error_of(body)
    assert "unknown field 'revenu' in population" in err.message
    assert (err.line, err.col) == (13, 10)
    assert "did you mean 'revenue'?" in err.hint
    ok = load_text(HEADER + body.replace("revenu:", "revenue:"), "p.yaml")
    from gaoxin.rules.testing import run_tests

    outcomes, _ = run_tests([ok])
    assert not outcomes[0].passed and "status ineligible" in outcomes[0].message  # 3 > 2


def test_inputs_have_no_value_among_peers():
    p = policy(
        "delivery: apply\ninputs:\n  fee: {type: money, label: 费用}\n"
        "parameters:\n  base: revenue[Y-1] + fee\n"
        "conditions:\n  - {label: a, when: 'present(rank(base)) or rank(revenue[Y-1]) == 1'}\n"
    )
    rows = [{"revenue_2024": 2.0}, {"revenue_2024": 1.0}]
    assert [s for s, _ in both(p, rows, DATE, {"fee": "3"})] == ["eligible", "ineligible"]

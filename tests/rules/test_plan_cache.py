"""The compiled plan is cached by policy versions, date and inputs: a hit gives the same result
as compiling afresh, and an edited policy (a new version) is compiled again. Shared
sub-expressions staged once give the same answers as the scalar evaluator on policies that
share many of them (the generated 1,000-policy workload)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from gaoxin.rules import load_policies
from gaoxin.rules.batch import _compile, clear_plan_cache, compile_plan, evaluate, evaluate_wide

from .helpers import policy
from .test_agreement import check_agreement, enterprise, schema, settings_

DATE = dt.date(2025, 6, 30)
WORKLOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "workload"


def frame() -> pl.DataFrame:
    rows = [
        {"uscc": "A", "revenue_2024": 3e8, "rd_staff": 12, "employees": 80, "in_zone": True},
        {"uscc": "B", "revenue_2024": 1e8, "rd_staff": 3, "employees": 0, "in_zone": False},
        {"uscc": "C"},
    ]
    return pl.DataFrame(rows, schema=schema())


def test_cached_plan_gives_the_result_of_a_fresh_compile(shipped, bench):
    policies = shipped + bench
    clear_plan_cache()
    first = compile_plan(policies, DATE)
    again = compile_plan(policies, DATE)
    assert again.stages is first.stages  # found in the cache, not compiled again
    assert [pp.policy for pp in again.policies] == policies
    assert all(a.policy is b for a, b in zip(again.policies, policies, strict=True))
    df = frame()
    cached = evaluate_wide(policies, df, DATE)
    fresh = evaluate_wide(policies, df, DATE, plan=_compile(policies, DATE))
    assert cached.equals(fresh)
    assert evaluate(policies, df, DATE).equals(evaluate(policies, df, DATE))


def test_cache_is_keyed_by_version_date_and_inputs():
    clear_plan_cache()
    body = "conditions:\n  - label: 营收\n    when: revenue[2024] > {}\n"
    old, new = policy(body.format("2亿")), policy(body.format("5000万"))
    assert old.id == new.id and old.version != new.version
    df = frame()
    before = evaluate_wide([old], df, DATE)
    after = evaluate_wide([new], df, DATE)
    assert before["status:t"].to_list() == [1, 0, 2]
    assert after["status:t"].to_list() == [1, 1, 2]  # the edit took effect
    b_plan = compile_plan([new], DATE)
    assert b_plan.stages is not compile_plan([old], DATE).stages
    assert compile_plan([new], dt.date(2025, 7, 1)).stages is not b_plan.stages
    with_input = policy(
        "delivery: apply\ninputs:\n  floor: {type: money, label: 门槛}\n"
        "conditions:\n  - label: 营收\n    when: revenue[2024] > floor\n"
    )
    low = evaluate_wide([with_input], df, DATE, {"floor": "1亿"})
    high = evaluate_wide([with_input], df, DATE, {"floor": "5亿"})
    assert low["status:t"].to_list() == [1, 0, 2]
    assert high["status:t"].to_list() == [0, 0, 2]


def test_shared_sub_expressions_are_staged_once(tmp_path):
    sys.path.insert(0, str(WORKLOAD))
    import gen_policies

    policies = load_policies(gen_policies.generate(300, tmp_path / "policies"))
    assert len({p.version for p in policies}) == 300
    plan = _compile(policies, DATE)
    staged = plan.staged
    shared = [name for name in staged if name.startswith("__s")]
    assert shared  # three-year sums, guarded divisors, band parts of marginal tables
    assert len(plan.stages) > 1
    serialized = [e.meta.serialize() for e in staged.values()]
    assert len(set(serialized)) == len(serialized)  # nothing is computed twice


@settings_
@given(st.lists(enterprise(), min_size=1, max_size=4), st.sampled_from([DATE]))
def test_generated_policies_agree_with_explain(generated, rows, date):
    check_agreement(generated, rows, date, {})

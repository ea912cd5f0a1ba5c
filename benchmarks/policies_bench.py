"""200 vs 1,000 policies: how the engine's cost grows with the number of policies.

    .venv/bin/python benchmarks/policies_bench.py                 # 100k and 1M, median of 3
    .venv/bin/python benchmarks/policies_bench.py --rows 100000 --repeat 5

The 200 are the workload's (benchmarks/workload/policies); the 1,000 are those 200 and 800 more
written by workload/gen_policies.py (deterministic, into $BENCH_DATA/policies_1000). Prints the
machine and load, then for each set: compile (resolve and compile every policy for the date,
cold) and a compile that finds the plan in the cache; then, at each size, compute of the wide
result (status and exact amount of every pair) for the two sets run alternately in this one
process, medians and the ratio 1,000 / 200. The enterprises are evaluated in slices of
250,000 rows (as a chunked CLI would: the wide result of 1M × 1,000 would be ~7 GiB) and the
1,000-policy result is checked to equal the 200-policy one on the 200 policies they share."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import machine
import polars as pl

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks" / "workload"
DATA_DIR = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))
EVAL_DATE = dt.date(2025, 6, 30)
SLICE = 250_000


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="200 vs 1,000 policies")
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args(argv)

    from gaoxin.rules import load_policies
    from gaoxin.rules.batch import clear_plan_cache, compile_plan, evaluate_wide

    sys.path.insert(0, str(BENCH))
    import gen_policies

    print(f"machine: {machine.describe()}")
    many_dir = gen_policies.generate(args.count, DATA_DIR / f"policies_{args.count}")
    sets = {
        "200": load_policies(BENCH / "policies"),
        f"{args.count:,}": load_policies(many_dir),
    }
    few, many = sets.values()
    few_key, many_key = sets

    plans = {}
    compile_s: dict[str, list[float]] = {k: [] for k in sets}
    for _ in range(3):
        for key, policies in sets.items():
            for p in policies:
                p.cache.clear()
            clear_plan_cache()
            t = time.perf_counter()
            plans[key] = compile_plan(policies, EVAL_DATE)
            compile_s[key].append(time.perf_counter() - t)
    for key, policies in sets.items():
        plans[key] = compile_plan(policies, EVAL_DATE)
        t = time.perf_counter()
        assert compile_plan(policies, EVAL_DATE).stages is plans[key].stages
        cached = time.perf_counter() - t
        plan = plans[key]
        conds = {c for pp in plan.policies for c in pp.conditions}
        amounts = {pp.amount for pp in plan.policies if pp.amount is not None}
        staged = set(plan.staged)
        known = {pp.amount_known for pp in plan.policies if pp.amount_known is not None}
        print(
            f"{key} policies: compile {statistics.median(compile_s[key]):.3f}s cold, "
            f"{cached * 1000:.1f} ms from the plan cache; {len(staged)} staged columns: "
            f"{len(conds & staged)} conditions, {len(amounts & staged)} amounts (+ {len(known)} "
            f"'amount known'), {len(staged - conds - amounts - known)} shared sub-expressions; "
            f"{len(plan.stages)} stages"
        )
    c_few, c_many = (statistics.median(compile_s[k]) for k in sets)
    print(f"compile {many_key} / 200: {c_many / c_few:.2f}")

    status = 0
    for rows in args.rows:
        path = DATA_DIR / f"enterprises_{rows}.parquet"
        if not path.exists():
            print(f"missing {path}: run benchmarks/workload/gen_data.py --sizes {rows}")
            status = 1
            continue
        df = pl.read_parquet(path)
        times: dict[str, list[float]] = {k: [] for k in sets}
        mismatches = 0
        for rep in range(args.repeat):
            for key, policies in sets.items():
                t = time.perf_counter()
                for start in range(0, df.height, SLICE):
                    part = df.slice(start, SLICE)
                    wide = evaluate_wide(policies, part, EVAL_DATE, plan=plans[key])
                    if rep == 0 and key == many_key:
                        # checked outside the timing below: the shared 200 agree exactly
                        t_check = time.perf_counter()
                        ref = evaluate_wide(few, part, EVAL_DATE, plan=plans[few_key])
                        mismatches += sum(
                            int(
                                (wide[c] != ref[c]).sum()
                                + (wide[c].is_null() != ref[c].is_null()).sum()
                            )
                            for c in ref.columns
                            if c != "uscc"
                        )
                        t += time.perf_counter() - t_check
                    del wide
                times[key].append(time.perf_counter() - t)
        m_few, m_many = (statistics.median(times[k]) for k in sets)
        pairs = df.height * len(many)
        print(
            f"{rows:,} enterprises: compute 200 median {m_few:.3f}s "
            f"({', '.join(f'{x:.3f}' for x in times[few_key])}), {many_key} median {m_many:.3f}s "
            f"({', '.join(f'{x:.3f}' for x in times[many_key])}) → {pairs / m_many / 1e6:.0f} M "
            f"evaluations/s; {many_key} / 200: compute {m_many / m_few:.2f}, compile + compute "
            f"{(m_many + c_many) / (m_few + c_few):.2f}"
        )
        print(
            f"{rows:,}: the 200 shared policies, {many_key}-run vs 200-run: {mismatches} mismatches"
        )
        status |= 1 if mismatches else 0
        del df
    print(f"peak memory (ru_maxrss): {peak_mib():.0f} MiB")
    return status


if __name__ == "__main__":
    raise SystemExit(main())

"""`gaoxin rules check|test|evaluate` — the engine without the web application.

python -m gaoxin.rules.cli check policies/
python -m gaoxin.rules.cli test policies/
python -m gaoxin.rules.cli evaluate --policies policies/ --enterprises e.xlsx --date 2025-06-30
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .errors import PolicyError
from .loader import check_paths, load_policies, policy_files
from .model import Policy


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.run(args))
    except PolicyError as e:
        print(str(e), file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gaoxin rules", description="The policy rules engine.")
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="validate policy files; file:line:col errors")
    c.add_argument("paths", nargs="+")
    c.set_defaults(run=_check)
    t = sub.add_parser("test", help="run every policy's embedded tests")
    t.add_argument("paths", nargs="+")
    t.add_argument("-v", "--verbose", action="store_true", help="list passing tests too")
    t.set_defaults(run=_test)
    e = sub.add_parser("evaluate", help="evaluate enterprises against policies")
    e.add_argument("--policies", required=True, nargs="+")
    e.add_argument("--enterprises", required=True)
    e.add_argument(
        "--date",
        type=dt.date.fromisoformat,
        default=dt.date.today(),
        help="evaluate as of this day (YYYY-MM-DD; default today): sets Y and which policies "
        "are in force",
    )
    e.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    e.add_argument(
        "--explain",
        action="store_true",
        help="add each condition, the missing fields and the shortfalls",
    )
    e.add_argument("--output", help="write here instead of standard output")
    e.set_defaults(run=_evaluate)
    return ap


def _check(args: argparse.Namespace) -> int:
    files = policy_files(args.paths)
    errors = check_paths(files)
    for err in errors:
        print(str(err), file=sys.stderr)
    bad = len({e.file for e in errors})
    print(f"{len(files) - bad} of {len(files)} policy files OK", file=sys.stderr)
    return 1 if errors or not files else 0


def _test(args: argparse.Namespace) -> int:
    from .testing import run_tests

    policies = load_policies(*args.paths)
    outcomes, untested = run_tests(policies)
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if not o.passed:
            print(f"{o.file}:{o.line}: FAIL {o.policy} — {o.test}: {o.message}")
        elif args.verbose:
            print(f"{o.file}:{o.line}: ok {o.policy} — {o.test}")
    for p in untested:
        print(f"{p.file}:1: WARNING policy {p.id} has no tests")
    print(
        f"{len(outcomes) - len(failed)} passed, {len(failed)} failed, "
        f"{len(policies)} policies, {len(untested)} without tests",
        file=sys.stderr,
    )
    return 1 if failed else 0


def _evaluate(args: argparse.Namespace) -> int:
    from .io import check_columns, read_enterprises

    loaded = load_policies(*args.policies)
    policies = _in_force(loaded, args.date)
    if loaded and not policies:
        return 1
    df = read_enterprises(args.enterprises)
    check_columns(df.columns)
    with contextlib.ExitStack() as stack:
        out: TextIO = sys.stdout
        if args.output:
            out = stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
        if args.explain:
            _write_explained(policies, df, args.date, args.format, out)
            return 0
        from .batch import evaluate

        result = evaluate(policies, df, args.date)
        result = result.with_columns(result["status"].cast(str), result["amount"].cast(str))
        if args.format == "csv":
            out.write(result.write_csv())
        else:
            for row in result.iter_rows(named=True):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def _in_force(policies: list[Policy], date: dt.date) -> list[Policy]:
    """The policies in force on the date; each one that isn't is named on stderr (and left
    out of the output) rather than reported as a bare `ineligible` for every enterprise."""
    kept = []
    for p in policies:
        if p.in_force(date):
            kept.append(p)
            continue
        span = f"{p.effective_from or '…'} – {p.effective_to or '…'}"
        print(
            f"{p.file}: 政策 {p.id} 在 {date} 不在有效期内（{span}），未评估 / "
            f"policy {p.id} is not in force on that date ({date}; in force {span}): "
            "not evaluated",
            file=sys.stderr,
        )
    if policies and not kept:
        print(
            f"没有在 {date} 有效的政策：请用 --date 指定政策有效期内的日期 / "
            f"no policy is in force on {date}: pass --date within their dates",
            file=sys.stderr,
        )
    return kept


def _write_explained(policies: list, df: object, date: dt.date, fmt: str, out: TextIO) -> None:
    import csv

    import polars as pl

    from .explain import explain
    from .frame import canonical_names
    from .values import record

    assert isinstance(df, pl.DataFrame)
    df = df.rename({k: v for k, v in canonical_names(df.columns).items() if k != v})
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(
            ["uscc", "policy", "status", "amount", "conditions", "missing", "shortfall"]
        )
    for i, row in enumerate(df.iter_rows(named=True)):
        rec = record(row)
        uscc = row.get("uscc") or str(i)
        for p in policies:
            e = explain(p, rec, date)
            if writer is None:
                d = e.to_dict()
                out.write(json.dumps({"uscc": uscc, **d}, ensure_ascii=False, default=str) + "\n")
                continue
            conds = "; ".join(f"{c.label}: {_tv(c.result, c.manual)}" for c in e.conditions)
            missing = "; ".join(f"{f}[{y}]" if y else f for f, y in e.missing)
            short = "; ".join(s.text for s in e.shortfalls)
            writer.writerow(
                [
                    uscc,
                    p.id,
                    e.status,
                    "" if e.amount is None else str(e.amount),
                    conds,
                    missing,
                    short,
                ]
            )


def _tv(v: bool | None, manual: bool) -> str:
    if manual:
        return "待人工审核"
    return {True: "true", False: "false", None: "unknown"}[v]


if __name__ == "__main__":
    raise SystemExit(main())

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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

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
    except Exception as e:
        if not type(e).__module__.startswith("polars"):
            raise
        print(f"error: {e}", file=sys.stderr)  # e.g. an amount beyond Decimal(18, 2)
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
    e.add_argument(
        "--format",
        choices=("csv", "jsonl", "parquet"),
        help="output format (default: from --output's suffix, else csv)",
    )
    e.add_argument(
        "--layout",
        choices=("long", "wide"),
        default="long",
        help="long: uscc,policy,status,amount (default); wide: one row per enterprise, "
        "status:<id> and amount:<id> per policy",
    )
    e.add_argument(
        "--explain",
        action="store_true",
        help="add each condition, the missing fields and the shortfalls (long csv or jsonl)",
    )
    e.add_argument(
        "--items",
        nargs="+",
        default=[],
        metavar="TABLE=FILE",
        help="item tables that sum_over/count_over read, one row per item with its "
        "enterprise's uscc (patents=patents.csv equipment=equipment.xlsx tenants=…)",
    )
    e.add_argument("--output", help="write here instead of standard output")
    e.add_argument(
        "--chunk-rows",
        type=int,
        default=100_000,
        help="enterprises evaluated at a time (memory grows with it; default 100000)",
    )
    progress = e.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        action="store_true",
        help="show progress on stderr even when it is not a terminal",
    )
    progress.add_argument(
        "--quiet", action="store_true", help="no progress line (the default off a terminal)"
    )
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
    from .io import check_columns, read_items
    from .stream import EnterpriseFile, Progress, evaluate_file, output_format, workdir

    fmt = output_format(args.format, args.output)
    if args.explain and (fmt == "parquet" or args.layout == "wide"):
        raise ValueError("--explain writes the long layout as csv or jsonl")
    loaded = load_policies(*args.policies)
    policies = _in_force(loaded, args.date)
    if loaded and not policies:
        return 1
    show = args.progress or (not args.quiet and sys.stderr.isatty())
    items = read_items(args.items)
    with workdir() as tmp:
        source = EnterpriseFile(args.enterprises, args.chunk_rows, Path(tmp))
        check_columns(source.headers)
        if args.explain:
            with contextlib.ExitStack() as stack:
                out: TextIO = sys.stdout
                if args.output:
                    out = stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
                from .peers import from_source

                population = from_source(policies, source, args.date)
                _write_explained(policies, source.chunks(), args.date, fmt, out, items, population)
            return 0
        evaluate_file(
            policies,
            source,
            args.date,
            fmt=fmt,
            layout=args.layout,
            output=args.output,
            progress=Progress(show),
            items=items,
        )
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


def _write_explained(
    policies: list[Policy],
    chunks: Iterable[Any],
    date: dt.date,
    fmt: str,
    out: TextIO,
    items: dict[str, Any] | None = None,
    peers: Any = None,
) -> None:
    """Per enterprise and policy, as the chunks come: the explanation is per row anyway."""
    from .io import items_by_uscc

    linked = items_by_uscc(items or {})
    import csv

    from .explain import explain
    from .frame import canonical_names
    from .values import record

    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(
            ["uscc", "policy", "status", "amount", "conditions", "missing", "shortfall"]
        )
    i = 0
    for df in chunks:
        df = df.rename({k: v for k, v in canonical_names(df.columns).items() if k != v})
        for row in df.iter_rows(named=True):
            rec = record({**row, **linked.get(str(row.get("uscc")), {})})
            uscc = row.get("uscc") or str(i)
            i += 1
            for p in policies:
                e = explain(p, rec, date, peers=peers)
                if writer is None:
                    d = e.to_dict()
                    out.write(
                        json.dumps({"uscc": uscc, **d}, ensure_ascii=False, default=str) + "\n"
                    )
                    continue
                conds = "; ".join(f"{c.label}: {_tv(c.result, c.manual)}" for c in e.conditions)
                missing = "; ".join(
                    [f"{f}[{y}]" if y else f for f, y in e.missing]
                    + [f"inputs.{name}" for name in e.missing_inputs]
                )
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

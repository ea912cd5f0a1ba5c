"""Every figure of the scale work (issue #11) in one run, one benchmark after another, each
printing its machine line first:

    python benchmarks/run_all.py --postgres postgres://postgres@127.0.0.1:5432/gaoxin_bench

1. the engine against hand-written Polars, 1M × 200 (rules_bench);
2. 200 against 1,000 policies (policies_bench);
3. the rules CLI end to end at 100k and 1M: time and peak memory (cli_bench);
4. zone re-match with storage at 3,000 and 5,000, SQLite then PostgreSQL (matching_bench);
5. a province on two workers (province_bench; `--province N` enterprises, default 1,000,000);
6. the demo built at 50,000 and pages under 50 users (load_bench);
7. an Excel import of 100,000 enterprises, SQLite (import_bench; the file is written once).

`--quick` runs each at a small size, to check the runner itself. The PostgreSQL databases
named `<database>_<step>` are dropped and created.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import cli_bench
import import_bench
import load_bench
import matching_bench
import policies_bench
import province_bench
import rules_bench


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="postgres://…/database (a prefix)")
    parser.add_argument("--province", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    url = args.postgres
    quick = args.quick
    steps: list[tuple[str, Callable[[], None]]] = [
        (
            "engine vs hand-written Polars",
            lambda: rules_bench.main(
                ["--rows", "20000" if quick else "1000000", "--repeat", "1" if quick else "3"]
            ),
        ),
        (
            "200 vs 1,000 policies",
            lambda: policies_bench.main(
                ["--rows", "20000"] if quick else ["--rows", "100000", "1000000"]
            ),
        ),
        ("rules CLI end to end", lambda: cli_bench.main(["--quick"] if quick else [])),
        (
            "zone re-match, SQLite",
            lambda: matching_bench.main(
                ["--enterprises", *(["500"] if quick else ["3000", "5000"])]
            ),
        ),
        (
            "zone re-match, PostgreSQL",
            lambda: matching_bench.main(
                [
                    "--enterprises",
                    *(["500"] if quick else ["3000", "5000"]),
                    "--postgres",
                    f"{url}_zone",
                ]
            ),
        ),
        (
            "province on two workers",
            lambda: province_bench.main(
                [
                    "--postgres",
                    f"{url}_province",
                    "--enterprises",
                    "2000" if quick else str(args.province),
                    "--workers",
                    "2",
                ]
            ),
        ),
        (
            "demo at 50,000 and pages under 50 users",
            lambda: load_bench.main(
                ["--postgres", f"{url}_load", "--enterprises", "1000" if quick else "50000"]
                + (["--users", "5", "--duration", "10", "--warmup", "2"] if quick else [])
            ),
        ),
        (
            "Excel import",
            lambda: import_bench.main(["--rows", "2000" if quick else "100000"]),
        ),
    ]
    for title, run in steps:
        print(f"\n##### {title}", flush=True)
        started = time.perf_counter()
        run()
        print(f"##### {title}: {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

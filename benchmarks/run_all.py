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
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="postgres://…/database (a prefix)")
    parser.add_argument("--province", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    url = args.postgres
    quick = args.quick
    zone = ["500"] if quick else ["3000", "5000"]
    # Each benchmark in a process of its own: peak memory is then that benchmark's, and a
    # child it starts does not inherit this process's high-water mark (Linux carries it
    # across fork and exec into the child's ru_maxrss).
    steps: list[tuple[str, list[str]]] = [
        (
            "engine vs hand-written Polars",
            [
                "rules_bench.py",
                *("--rows", "20000" if quick else "1000000"),
                *("--repeat", "1" if quick else "3"),
            ],
        ),
        (
            "200 vs 1,000 policies",
            ["policies_bench.py", "--rows", *(["20000"] if quick else ["100000", "1000000"])],
        ),
        ("rules CLI end to end", ["cli_bench.py", *(["--quick"] if quick else [])]),
        ("zone re-match, SQLite", ["matching_bench.py", "--enterprises", *zone]),
        (
            "zone re-match, PostgreSQL",
            ["matching_bench.py", "--enterprises", *zone, "--postgres", f"{url}_zone"],
        ),
        (
            "province on two workers",
            [
                "province_bench.py",
                *("--postgres", f"{url}_province", "--workers", "2"),
                *("--enterprises", "2000" if quick else str(args.province)),
            ],
        ),
        (
            "demo at 50,000 and pages under 50 users",
            ["load_bench.py", "--postgres", f"{url}_load"]
            + ["--enterprises", "1000" if quick else "50000"]
            + (["--users", "5", "--duration", "10", "--warmup", "2"] if quick else []),
        ),
        ("Excel import", ["import_bench.py", "--rows", "2000" if quick else "100000"]),
    ]
    failed = []
    for title, (script, *options) in steps:
        print(f"\n##### {title}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / script), *options], check=False)
        if done.returncode:
            failed.append(title)
        outcome = "" if not done.returncode else f" (FAILED: exit {done.returncode})"
        print(f"##### {title}: {time.perf_counter() - started:.0f} s{outcome}", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

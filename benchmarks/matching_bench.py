"""Policy matching: the whole registry after a publish, and one enterprise after its data
changed (docs/rules-contract.md, issue: seconds for the zone; under 100 ms for one enterprise).

    python benchmarks/matching_bench.py [--enterprises 3000] [--postgres postgres://…/db]

Builds the demo zone (the shipped policy library published) in a temporary database, then
times: matching one policy against every enterprise (what publishing queues), all published
policies at once, and `match_enterprise` for sample enterprises (registry read, every policy
explained, matches replaced).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import machine


def child(n: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gaoxin.demo import build_demo_zone
    from gaoxin.enterprises.models import Enterprise
    from gaoxin.policies import matching
    from gaoxin.policies.models import Policy, PolicyMatch

    started = time.perf_counter()
    build_demo_zone(enterprises=n, reset=True)
    print(f"demo zone of {n:,} built in {time.perf_counter() - started:.0f} s")
    published = list(Policy.objects.filter(status="published").select_related("current"))
    print(f"{len(published)} published policies, {PolicyMatch.objects.count():,} stored matches")

    policy = next(p for p in published if p.slug == "hte-recognition")
    run = matching.plan_run(policy.current)
    started = time.perf_counter()
    for partition in range(run.partitions):
        matching.match_partition(run, partition)
    print(
        f"one policy (高企认定) over {run.enterprises:,} enterprises: "
        f"{time.perf_counter() - started:.2f} s"
    )

    started = time.perf_counter()
    runs = matching.match_published()
    print(
        f"all {len(runs)} published policies over the registry: "
        f"{time.perf_counter() - started:.2f} s"
    )

    ids = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:50])
    matching.match_enterprise(ids[0])  # warm the loaded policies
    times = []
    for pk in ids:
        started = time.perf_counter()
        matching.match_enterprise(pk)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"one enterprise against {len(published)} policies: median "
        f"{statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms, "
        f"max {times[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=3000)
    parser.add_argument("--postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.enterprises)
        return
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gaoxin.settings",
            "DEBUG": "1",
            "GAOXIN_DATA_DIR": folder,
        }
        if args.postgres:
            name = args.postgres.rsplit("/", 1)[1]
            server = args.postgres.rsplit("/", 1)[0] + "/postgres"
            for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
                subprocess.run(["psql", server, "-qc", sql], check=True)
            env["DATABASE_URL"] = args.postgres
        subprocess.run(
            [sys.executable, __file__, "--child", "--enterprises", str(args.enterprises)],
            env=env,
            check=True,
        )


if __name__ == "__main__":
    main()

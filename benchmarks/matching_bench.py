"""Zone re-match with storage: every policy of the shipped library over the registry, one
policy, one enterprise — on SQLite or PostgreSQL.

    python benchmarks/matching_bench.py [--enterprises 3000 5000] [--postgres postgres://…/db]

For each size, in a fresh database: the demo zone's registry (synthetic enterprises with
three years of figures and certificates) and every shipped policy in force published, then:

- all policies, first run: no stored matches, every kept row inserted;
- all policies again, nothing changed: rows compared, none written;
- all policies after a tenth of the enterprises changed a yearly figure;
- the engine's own compute over the same registry (the batch alone), and the ratio;
- reading the registry into Polars (one SQL query per table);
- one policy (高企认定) over the registry, first run and again;
- one enterprise whose data changed, against every policy (median, p95).

Each size runs in its own process, so the peak memory printed is the run's own.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

import machine


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def child(n: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.utils import timezone

    from gaoxin.core.audit import Actor
    from gaoxin.enterprises.flat import registry_frame
    from gaoxin.enterprises.models import Enterprise
    from gaoxin.policies import matching
    from gaoxin.policies.models import Policy, PolicyMatch
    from gaoxin.rules.batch import compile_plan, evaluate_wide

    actor = Actor.system("bench")
    today = timezone.localdate()
    seconds, _ = timed(lambda: _build(n, actor, today))
    published = list(
        Policy.objects.filter(status="published").select_related("current", "current__policy")
    )
    print(f"  registry of {n:,} enterprises and {len(published)} policies built in {seconds:.0f} s")

    def all_policies() -> int:
        return sum(run.partitions for run in matching.match_published(push=False))

    PolicyMatch.objects.all().delete()
    first, _ = timed(all_policies)
    stored = PolicyMatch.objects.count()
    print(f"  all {len(published)} policies, first run ({stored:,} rows inserted): {first:.2f} s")
    again, _ = timed(all_policies)
    print(f"  all policies again, nothing changed (no row written): {again:.2f} s")
    changed = _change_a_tenth()
    after, _ = timed(all_policies)
    print(f"  all policies after {changed:,} enterprises changed a figure: {after:.2f} s")

    read, frame = timed(lambda: registry_frame(today))
    versions = [p.current for p in published]
    loaded = [matching.rules_policy(v) for v in versions]
    compute = []
    for _ in range(3):
        seconds, _ = timed(
            lambda: evaluate_wide(
                loaded, frame, today, near_miss=True, plan=compile_plan(loaded, today)
            )
        )
        compute.append(seconds)
    engine = statistics.median(compute)
    print(f"  registry read into Polars (one query per table): {read:.2f} s")
    print(
        f"  engine compute alone (batch, {len(loaded)} policies, median of 3): {engine:.3f} s; "
        f"first run / engine = {first / engine:.0f}×, unchanged / engine = {again / engine:.0f}×"
    )

    policy = next(p for p in published if p.slug == "hte-recognition")

    def one_policy() -> None:
        run = matching.plan_run(policy.current)
        for partition in range(run.partitions):
            matching.match_partition(run, partition, push=False)

    PolicyMatch.objects.filter(policy=policy).delete()
    one_first, _ = timed(one_policy)
    one_again, _ = timed(one_policy)
    print(f"  one policy (高企认定): first run {one_first:.2f} s, again {one_again:.2f} s")

    ids = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:60])
    matching.match_enterprise(ids[0])
    times = sorted(timed(lambda pk=pk: matching.match_enterprise(pk))[0] * 1000 for pk in ids)
    print(
        f"  one enterprise against {len(published)} policies: median "
        f"{statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of the run: {peak:,.0f} MiB ({connection.vendor})", flush=True)


def _build(n: int, actor: object, today: object) -> None:
    from django.db import transaction

    from gaoxin.accounts import demo as accounts_demo
    from gaoxin.accounts.models import User
    from gaoxin.enterprises import demo as enterprises_demo
    from gaoxin.enterprises import synthetic
    from gaoxin.policies import library
    from gaoxin.policies import services as policy_services
    from gaoxin.rules.errors import PolicyError

    with transaction.atomic():
        departments = accounts_demo.build(actor)  # type: ignore[arg-type]
        enterprises_demo.build(
            actor,  # type: ignore[arg-type]
            departments=departments,
            commissioner=User.objects.get(username="commissioner"),
            enterprises=n,
            seed=synthetic.DEFAULT_SEED,
            today=today,
        )
        for path, loaded in library.shipped_policies(None):
            if loaded.effective_to is not None and loaded.effective_to < today:
                continue
            text = path.read_text(encoding="utf-8")
            try:
                policy = policy_services.save_policy(actor=actor, text=text)  # type: ignore[arg-type]
                policy_services.publish(actor=actor, policy=policy, match=False)  # type: ignore[arg-type]
            except PolicyError:
                continue


def _change_a_tenth() -> int:
    """A tenth of the enterprises report a higher revenue for their latest year (as an
    import would write it)."""
    from django.db.models import F

    from gaoxin.enterprises.models import YearlyFigures

    latest = YearlyFigures.objects.order_by("-year").values_list("year", flat=True).first()
    rows = YearlyFigures.objects.annotate(tenth=F("enterprise_id") % 10).filter(
        year=latest, tenth=3, revenue__isnull=False
    )
    return rows.update(revenue=F("revenue") * 1.2)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, nargs="+", default=[3000, 5000])
    parser.add_argument("--postgres", help="postgres://…/database (dropped and created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.enterprises[0])
        return
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    for n in args.enterprises:
        print(f"zone of {n:,} enterprises on {'PostgreSQL' if args.postgres else 'SQLite'}:")
        with tempfile.TemporaryDirectory() as folder:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "gaoxin.settings",
                "DEBUG": "1",
                "GAOXIN_DATA_DIR": folder,
            }
            if args.postgres:
                machine.fresh_database(args.postgres)
                env["DATABASE_URL"] = args.postgres
            subprocess.run(
                [sys.executable, __file__, "--child", "--enterprises", str(n)],
                env=env,
                check=True,
            )


if __name__ == "__main__":
    main()

"""A province on several workers: N synthetic enterprises × the 200 workload policies matched
and stored on PostgreSQL by `gaoxin worker` processes taking partitions (policies.partitions).

    python benchmarks/province_bench.py --postgres postgres://…/gx_bench [--enterprises 1000000]
        [--workers 2] [--partition-size 20000] [--reuse] [--verify 3000]

Setup (timed apart): the database is created and migrated, the enterprises of the rules
workload ($BENCH_DATA/enterprises_1000000.parquet, benchmarks/workload/gen_data.py; the first N
rows) are written into the registry tables with COPY, and the 200 workload policies are saved
and published (as of the workload's date, 2025-06-30, which they are in force on). `--reuse`
keeps a database already set up with the same N.

The run: `gaoxin manage match_all` plans the job and queues its tasks; the workers start
together in batch mode and end when the queue is empty. Printed: the wall time from their start
to the last one's end, the job's own time (plan to last partition), partitions, rows stored,
partitions and peak RSS per worker, and where the time went: each partition's phases (read,
evaluate, keep, explain, compare, write, commit; `MatchPartition.phases`) summed over the job.
`--probe` prints one partition's phases stored three ways (through a temporary table and an
upsert with synchronous commit; copied straight in; a re-run that changes nothing).
`--verify N` first checks, in a database of its own at N enterprises, that the rows the
workers store equal a single-process run's.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import machine

DATA_DIR = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))
WORKLOAD = Path(__file__).resolve().parent / "workload"
ON = "2025-06-30"
YEARS = (2022, 2023, 2024)
QUALIFICATION = "high_tech_enterprise"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="postgres://…/database (recreated)")
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition-size", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database set up before")
    parser.add_argument("--verify", type=int, metavar="N", help="first compare at N enterprises")
    parser.add_argument(
        "--probe",
        action="store_true",
        help="instead of the whole run: plan, one partition's read and batch, one partition "
        "stored three ways with its phases, the claim cost",
    )
    parser.add_argument(
        "--child",
        choices=["load", "size", "reset", "report", "dump", "probe"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--job", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.enterprises, args.job, args.partition_size)
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        if args.verify:
            verify(args.postgres + "_verify", args.verify, args.workers, Path(folder))
        env = environment(args.postgres, Path(folder))
        if not (args.reuse and loaded(env) == args.enterprises):
            set_up(args.postgres, args.enterprises, env)
        if args.probe:
            this("--postgres", "-", "--child", "reset", env=env)
            sized = ["--partition-size", str(args.partition_size)]
            print(this("--postgres", "-", "--child", "probe", *sized, env=env), end="")
            return 0
        run(env, args.workers, args.partition_size, Path(folder))
    return 0


def environment(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": url,
        "GAOXIN_DATA_DIR": str(folder),
        "DB_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }


def gaoxin(*argv: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gaoxin.cli", *argv], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"gaoxin {' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def this(*argv: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, __file__, *argv], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def loaded(env: dict[str, str]) -> int:
    try:
        return int(this("--postgres", "-", "--child", "size", env=env))
    except SystemExit:
        return -1


def set_up(url: str, n: int, env: dict[str, str]) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", server, "-qc", sql], check=True)
    started = time.perf_counter()
    gaoxin("manage", "migrate", "-v0", env=env)
    migrated = time.perf_counter()
    print(this("--postgres", "-", "--child", "load", "--enterprises", str(n), env=env), end="")
    print(
        f"setup (not in the figures): migrate {migrated - started:.0f} s, "
        f"load and publish {time.perf_counter() - migrated:.0f} s",
        flush=True,
    )


def run(env: dict[str, str], workers: int, size: int, folder: Path) -> dict[str, object]:
    this("--postgres", "-", "--child", "reset", env=env)  # no stored matches, no tasks
    planned = gaoxin(
        "manage", "match_all", "--date", ON, "--no-push", "--partition-size", str(size), env=env
    )
    job = int(re.search(r"job (\d+):", planned)[1])  # type: ignore[index]
    print(planned.strip().splitlines()[0], flush=True)
    started = time.perf_counter()
    processes = []
    for k in range(workers):
        log = (folder / f"worker{k}.log").open("w")
        command = ["manage", "worker", "--batch", "--no-reload", "--no-startup-delay"]
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gaoxin.cli", *command, "--interval", "0.2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    peaks = {}
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        peaks[process.pid] = usage.ru_maxrss / 1024
        if process.returncode:
            log = (folder / f"worker{processes.index(process)}.log").read_text()
            raise SystemExit(f"a worker failed:\n{log[-3000:]}")
    wall = time.perf_counter() - started
    report = this("--postgres", "-", "--child", "report", "--job", str(job), env=env)
    print(f"{workers} workers, from their start to the last one's end: {wall:.1f} s")
    print(report, end="")
    for pid, peak in peaks.items():
        print(f"  worker pid {pid}: peak RSS {peak:.0f} MiB")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    return {"wall": wall}


def verify(url: str, n: int, workers: int, folder: Path) -> None:
    """The rows stored by the workers in small partitions equal a single-process run's."""
    env = environment(url, folder)
    set_up(url, n, env)
    gaoxin(
        "manage", "match_all", "--date", ON, "--no-push", "--here", "--partition-size",
        str(10**9), env=env,
    )  # fmt: skip
    single = this("--postgres", "-", "--child", "dump", env=env)
    run(env, workers, max(1, n // 7), folder)
    parts = this("--postgres", "-", "--child", "dump", env=env)
    rows = single.count("\n")
    same = "identical" if single == parts else "DIFFERENT"
    print(
        f"verify at {n:,}: {workers} workers in partitions vs one process: {same} ({rows:,} rows)"
    )
    if single != parts:
        raise SystemExit("the partitioned run stored other rows than the single-process run")
    subprocess.run(
        ["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc",
         f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'],
        check=True,
    )  # fmt: skip


def child(what: str, n: int, job: int | None, size: int) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoxin.settings")
    django.setup()
    from django.db import connection

    from gaoxin.enterprises.models import Enterprise

    if what == "load":
        load(n)
    elif what == "size":
        print(Enterprise.objects.count())
    elif what == "reset":
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE policies_policymatch, policies_matchjob, "
                "django_tasks_database_dbtaskresult CASCADE"
            )
    elif what == "report":
        assert job is not None
        report(job)
    elif what == "probe":
        probe(size)
    else:
        dump()
    return 0


def report(job: int) -> None:
    from django.db.models import Count, Sum

    from gaoxin.policies.models import MatchJob, PolicyMatch

    found = MatchJob.objects.get(pk=job)
    rows = PolicyMatch.objects.count()
    print(
        f"job {job} {found.status}: {found.partitions} partitions, {rows:,} rows stored, "
        f"job time (plan to last partition) {found.seconds or 0:.1f} s"
    )
    by_worker = found.parts.values("worker").annotate(n=Count("id"), s=Sum("seconds"))
    for w in by_worker.order_by("worker"):
        print(f"  {w['worker']}: {w['n']} partitions, {w['s']:.1f} s in them")
    print_phases(
        [p.phases for p in found.parts.all()], f"phases summed over {found.partitions} partitions"
    )


# The phases of a partition (core.phases) in the order the work goes.
PHASES = {
    "claim": "claim (SELECT … FOR UPDATE SKIP LOCKED)",
    "read": "registry read (ids + registry_frame)",
    "evaluate": "batch evaluate (compile + wide result)",
    "keep": "keep (vectorised selection of rows)",
    "explain": "explain (per-row Python: unknowns, unmeasured near misses)",
    "stored": "read stored rows",
    "compare": "compare with stored rows",
    "delete": "delete rows no longer kept",
    "write.prepare": "write: prepare (frame → text, temp table)",
    "write.copy": "write: COPY",
    "write.upsert": "write: INSERT … ON CONFLICT (incl. index maintenance)",
    "counters": "mark done: partition, job and runs' counters",
    "commit": "commit",
}


def print_phases(each: Sequence[dict[str, float]], title: str) -> None:
    total: dict[str, float] = {}
    for phases in each:
        for name, seconds in (phases or {}).items():
            total[name] = total.get(name, 0.0) + seconds
    whole = sum(total.values()) or 1.0
    print(f"  {title}: {whole:.1f} s")
    names = [n for n in PHASES if n in total] + sorted(set(total) - set(PHASES))
    for name in names:
        share = total[name] / whole * 100
        print(f"    {PHASES.get(name, name):<62} {total[name]:8.2f} s {share:5.1f} %")


def probe(size: int) -> None:
    """What a partition costs apart from matching: planning the job, reading one partition of
    the registry, and the coordinator's own work per partition (claim, mark done, count), with
    matching replaced by nothing."""
    import datetime as dt

    from django.utils import timezone

    from gaoxin.enterprises.flat import registry_frame
    from gaoxin.policies import matching, partitions

    on = dt.date.fromisoformat(ON)
    versions = partitions.published_versions()
    started = time.perf_counter()
    job = partitions.plan_matching(versions, on, size)
    planned = time.perf_counter()
    print(
        f"plan: {job.partitions} partitions of {size:,} over {job.enterprises:,} enterprises, "
        f"{len(versions)} runs: {planned - started:.2f} s"
    )
    run = job.runs.get(version=versions[0])
    ids = matching.partition_ids(run, 1)
    frame = registry_frame(on, ids[0], ids[-1])
    read = time.perf_counter()
    print(f"one partition's ids and registry frame ({frame.height:,} rows): {read - planned:.2f} s")
    rows = matching.match_rows(versions, frame, on)
    print(
        f"one partition matched (not stored): {rows.height:,} rows to store, "
        f"{time.perf_counter() - read:.1f} s"
    )
    # The whole partition, matched and stored, first with nothing stored, then again with
    # every row stored and unchanged (a re-run): each phase timed (core.phases).
    from django.db import connection

    from gaoxin.policies import match_store
    from gaoxin.policies.models import MatchPartition

    MatchPartition.objects.filter(job=job).exclude(number=1).update(done_at=timezone.now())
    for title, copy_new, sync, truncate in (
        ("first run, temporary table and upsert, synchronous commit", False, True, True),
        ("first run, copied straight in, asynchronous commit", True, False, True),
        ("re-run, every row stored and unchanged", True, False, False),
    ):
        if truncate:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE policies_policymatch")
        match_store.COPY_NEW, partitions.ASYNC_COMMIT = copy_new, not sync
        MatchPartition.objects.filter(job=job, number=1).update(done_at=None)
        partitions.take_one(job.pk, push=False)
        part = MatchPartition.objects.get(job=job, number=1)
        print_phases([part.phases], f"one partition matched and stored, {title}")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"    ({part.matches:,} rows; load average {load})", flush=True)
    claims = partitions.plan_matching(versions, on, max(1, job.enterprises // 1000))
    real = matching.match_partitions
    matching.match_partitions = lambda runs, partition, push=True, phases=None: 0  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        partitions.work(claims.pk, push=False)
        took = time.perf_counter() - started
    finally:
        matching.match_partitions = real  # type: ignore[assignment]
    print(
        f"coordinator alone: {claims.partitions} partitions claimed and marked done in "
        f"{took:.2f} s, {took / claims.partitions * 1000:.1f} ms each"
    )


def dump() -> None:
    from gaoxin.policies.models import PolicyMatch

    columns = ("policy__slug", "enterprise_id", "status", "amount", "gap", "missing")
    rows = PolicyMatch.objects.values_list(*columns).order_by("policy__slug", "enterprise_id")
    out = io.StringIO()
    for row in rows.iterator(chunk_size=20_000):
        out.write("\t".join(map(str, row)) + "\n")
    sys.stdout.write(out.getvalue())


def load(n: int) -> None:
    """The workload's first n enterprises into the registry tables, by COPY; the policies
    saved and published."""
    import polars as pl
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()
    source = DATA_DIR / "enterprises_1000000.parquet"
    if n <= 100_000 and (DATA_DIR / "enterprises_100000.parquet").exists():
        source = DATA_DIR / "enterprises_100000.parquet"
    if not source.exists():
        raise SystemExit(f"{source} is missing: python benchmarks/workload/gen_data.py")
    frame = pl.scan_parquet(source).head(n).collect().with_row_index("id", offset=1)
    if frame.height < n:
        raise SystemExit(f"{source} has {frame.height:,} rows, fewer than {n:,}")
    now = timezone.now().isoformat()
    enterprises = frame.select(
        "id",
        "uscc",
        pl.format("基准企业{}", "id").alias("name"),
        "registered_at",
        "in_zone",
        "employees",
        "tech_staff",
        "rd_staff",
        *(pl.lit(v).alias(c) for c, v in BLANK.items()),
        pl.lit(now).alias("created_at"),
        pl.lit(now).alias("updated_at"),
    )
    yearly = pl.concat(
        frame.select(
            pl.col("id").alias("enterprise_id"),
            pl.lit(year).alias("year"),
            *(
                (pl.col(f"{f}_{year}").round(2) if f"{f}_{year}" in frame.columns else pl.lit(None))
                .cast(pl.Float64)
                .alias(f)
                for f in ("revenue", "rd_expense", "rd_expense_domestic", "high_tech_revenue")
            ),
            pl.lit("{}").alias("sources"),
        )
        for year in YEARS
    )
    certificates = frame.filter(pl.col(QUALIFICATION).is_not_null()).select(
        pl.col("id").alias("enterprise_id"),
        pl.lit(QUALIFICATION).alias("kind"),
        pl.col(QUALIFICATION).alias("granted_on"),
        pl.col(f"{QUALIFICATION}_until").alias("valid_until"),
        pl.lit("").alias("certificate_no"),
        pl.lit("verified").alias("source"),
        pl.lit(now).alias("recorded_at"),
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table, part in (
            ("enterprises_enterprise", enterprises),
            ("enterprises_yearlyfigures", yearly),
            ("enterprises_qualification", certificates),
        ):
            columns = ", ".join(part.columns)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                for start in range(0, part.height, 200_000):
                    copy.write(part.slice(start, 200_000).write_csv(include_header=False))
        for table in ("enterprises_enterprise", "enterprises_yearlyfigures"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    copied = time.perf_counter()
    print(
        f"loaded {n:,} enterprises ({yearly.height:,} yearly rows, {certificates.height:,} "
        f"certificates) by COPY in {copied - started:.1f} s"
    )
    publish_workload()
    print(f"saved and published 200 policies in {time.perf_counter() - copied:.1f} s")


BLANK = {
    "legal_representative": "",
    "industry": "",
    "area": "",
    "chain": "",
    "segment": "",
    "size_band": "unknown",
    "field_sources": "{}",
}


def publish_workload() -> None:
    """Saved through the service (checked, versioned); published by setting the status, since
    the service refuses to publish a policy that ended (these did, on 2025-12-31)."""
    from django.utils import timezone

    from gaoxin.core.audit import Actor
    from gaoxin.policies.choices import PolicyStatus
    from gaoxin.policies.models import Policy
    from gaoxin.policies.services import save_policy

    actor = Actor.system("benchmark")
    for path in sorted((WORKLOAD / "policies").glob("*.yaml")):
        save_policy(actor=actor, text=path.read_text(encoding="utf-8"))
    Policy.objects.update(status=PolicyStatus.PUBLISHED, published_at=timezone.now())


if __name__ == "__main__":
    sys.exit(main())

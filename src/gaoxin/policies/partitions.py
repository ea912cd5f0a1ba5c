"""Matching jobs in partitions, taken by workers through the database alone.

A job is runs planned together over one partition plan: ranges of enterprise ids stored as
rows (MatchPartition). A worker takes a partition in one transaction: it locks the first undone
row nobody holds (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL), matches that range against
every run of the job (`matching.match_partitions`), marks the row done and commits. The row
lock is the claim: a worker that dies mid-partition has its transaction rolled back — the
matches it was writing and the counts it was bumping go with it — and its lock released with
its connection, so the partition is free and undone again and the next worker takes it. No
heartbeats, no leases, no scheduler: PostgreSQL is the coordinator.

A worker that finds every undone partition held waits for the first of them: its holder
either commits (the partition is done; look again) or dies (the partition is this worker's).
So a job finishes as long as one of its tasks is alive, and the job queues one task more than
it has partitions: a worker's death costs one task.

On SQLite `select_for_update` is a no-op, but a writing transaction holds the whole database:
workers take partitions one at a time, which is all a single file allows anyway.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import time
from collections.abc import Sequence
from enum import Enum

from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks_db.utils import is_locked_database_exception

from gaoxin.core.phases import Phases
from gaoxin.enterprises.models import Enterprise
from gaoxin.policies import matching, peer_stats
from gaoxin.policies.choices import PolicyStatus, RunStatus
from gaoxin.policies.models import MatchJob, MatchPartition, MatchRun, Policy, PolicyVersion

# A test stops a worker inside this partition, its claim held, so that it can be killed
# mid-partition (tests/policies/test_partitions.py). Before matching rather than after: the
# runs' counters that matching bumps are rows every partition updates, and a worker asleep
# holding them would stop the others too.
HOLD_FOR_TESTS = "GAOXIN_TEST_HOLD_PARTITION"
# A partition's transaction commits without waiting for its WAL to reach the disk (PostgreSQL's
# `synchronous_commit = off`, for that transaction alone): a server crash may lose the last
# fraction of a second of commits, whole and in order, and a partition lost so is one whose
# worker died before committing — undone, retaken (docs/scale.md). False: benchmarks compare.
ASYNC_COMMIT = True


class Took(Enum):
    PARTITION = "partition"  # matched and stored one
    WAITED = "waited"  # waited for a partition another worker held; look again
    NOTHING = "nothing"  # every partition is done


def plan_job(on: dt.date, size: int = matching.PARTITION_SIZE) -> MatchJob:
    """Cut the registry into ranges of `size` enterprises by id, in one query, and store
    them: every worker reads the same plan, each range by the primary key's index."""
    ranges = id_ranges(size)
    job = MatchJob.objects.create(
        evaluated_on=on,
        partitions=max(1, len(ranges)),
        enterprises=sum(n for _, _, n in ranges),
    )
    parts = [
        MatchPartition(job=job, number=k, first_id=first, last_id=last, enterprises=n)
        for k, (first, last, n) in enumerate(ranges)
    ] or [MatchPartition(job=job, number=0, first_id=1, last_id=0)]  # an empty registry
    MatchPartition.objects.bulk_create(parts)
    return job


def id_ranges(size: int) -> list[tuple[int, int, int]]:
    """(first id, last id, count) of the registry cut into ranges of `size` enterprises."""
    table = connection.ops.quote_name(Enterprise._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id), MAX(id), COUNT(*) FROM ("
            f"  SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS part FROM {table}"
            f") numbered GROUP BY part ORDER BY part",
            [size],
        )
        return [(int(a), int(b), int(n)) for a, b, n in cursor.fetchall()]


def plan_matching(
    versions: Sequence[PolicyVersion], on: dt.date | None = None, size: int | None = None
) -> MatchJob:
    """One job for these versions: every partition is read once for all of them, and the
    statistics of those that rank enterprises among peers are computed once, for all the
    partitions (policies.peer_stats)."""
    job = plan_job(on or timezone.localdate(), size or matching.PARTITION_SIZE)
    for version in versions:
        matching.plan_run(version, job=job)
    peer_stats.store(job, versions)
    return job


def published_versions() -> list[PolicyVersion]:
    policies = Policy.objects.filter(status=PolicyStatus.PUBLISHED, current__isnull=False)
    return [
        p.current for p in policies.select_related("current__policy").order_by("pk") if p.current
    ]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def work(job_id: int, push: bool = True, worker: str | None = None) -> int:
    """Take partitions of the job until all are done; the number this worker stored."""
    worker = worker or worker_name()
    runs = job_runs(job_id)  # read once: a job's runs and versions don't change
    taken = 0
    while True:
        try:
            took = take_one(job_id, push=push, worker=worker, runs=runs)
        except OperationalError as error:
            # SQLite: another worker's partition holds the database longer than the busy
            # timeout. Wait for it as PostgreSQL would.
            if not is_locked_database_exception(error):
                raise
            time.sleep(0.1)
            continue
        if took is Took.NOTHING:
            return taken
        taken += took is Took.PARTITION


def job_runs(job_id: int) -> list[MatchRun]:
    return list(
        MatchRun.objects.filter(job_id=job_id)
        .select_related("version", "version__policy")
        .order_by("pk")  # every worker bumps the runs' counts in one order: no deadlock
    )


def take_one(
    job_id: int, push: bool = True, worker: str = "", runs: Sequence[MatchRun] | None = None
) -> Took:
    """Claim one partition of the job, match it against the job's runs and store it, all in
    one transaction. The partition's phases (`core.phases`) are stored with it: where a job's
    time goes is the sum over its partitions."""
    phases = Phases()
    started = time.perf_counter()
    with transaction.atomic():
        if ASYNC_COMMIT and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        undone = MatchPartition.objects.filter(job_id=job_id, done_at__isnull=True)
        part = undone.order_by("number").select_for_update(skip_locked=True).first()
        if part is None:
            if not undone.exists():
                return Took.NOTHING
            # Every undone partition is held: wait for the first holder to commit or die.
            part = undone.order_by("number").select_for_update().first()
            if part is None:
                return Took.WAITED
        phases.add("claim", time.perf_counter() - started)
        started = time.perf_counter()
        _hold_for_tests(part, worker)
        stored = matching.match_partitions(
            runs if runs is not None else job_runs(job_id), part.number, push=push, phases=phases
        )
        with phases("counters"):
            part.done_at = timezone.now()
            part.worker = worker[:100]
            part.seconds = time.perf_counter() - started
            part.matches = stored
            part.phases = phases.rounded()
            part.save(update_fields=["done_at", "worker", "seconds", "matches", "phases"])
            _partition_done(job_id, stored)
        committing = time.perf_counter()
    phases.add("commit", time.perf_counter() - committing)
    # The commit's own time is known only after it: stored on its own (a lost update costs
    # nothing but this figure).
    MatchPartition.objects.filter(pk=part.pk).update(phases=phases.rounded())
    return Took.PARTITION


def _partition_done(job_id: int, stored: int) -> None:
    MatchJob.objects.filter(pk=job_id).update(
        partitions_done=F("partitions_done") + 1, matches=F("matches") + stored
    )
    # Its row is locked by the update until commit; its statistics are not read here.
    job = MatchJob.objects.defer("peers").get(pk=job_id)
    if job.partitions_done >= job.partitions and job.status != RunStatus.DONE:
        job.status, job.finished_at = RunStatus.DONE, timezone.now()
        job.seconds = (job.finished_at - job.started_at).total_seconds()
        job.save(update_fields=["status", "finished_at", "seconds"])


def _hold_for_tests(part: MatchPartition, worker: str) -> None:
    if os.environ.get(HOLD_FOR_TESTS) == str(part.number):
        print(f"holding partition {part.number} of job {part.job_id} as {worker}", file=sys.stderr)
        sys.stderr.flush()
        time.sleep(3600)


def enqueue(job: MatchJob, push: bool = True) -> int:
    """Queue the job's tasks once its plan is committed; the number queued."""
    from gaoxin.policies.tasks import match_job_task

    count = job.partitions + 1

    def queue() -> None:
        for _ in range(count):
            match_job_task.enqueue(job.pk, push)

    transaction.on_commit(queue)
    return count

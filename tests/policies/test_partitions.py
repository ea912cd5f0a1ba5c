"""Matching jobs in partitions taken by workers (policies.partitions): the stored matches are
those of one process matching the whole registry at once, whoever takes the partitions, and
a worker killed in the middle of a partition leaves it to another.

The last test runs real `gaoxin worker` processes against this test's database: on
PostgreSQL the test database itself (its rows committed: a transactional test); on SQLite,
whose test database lives in this process's memory, a copy of it in a file."""

from __future__ import annotations

import itertools
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from gaoxin.accounts import demo as accounts_demo
from gaoxin.accounts.models import User
from gaoxin.core.audit import Actor
from gaoxin.enterprises import demo as enterprises_demo
from gaoxin.enterprises import synthetic
from gaoxin.policies import demo as policies_demo
from gaoxin.policies import partitions
from gaoxin.policies.models import MatchJob, MatchPartition, MatchRun, PolicyMatch
from tests.test_cli import environment

ACTOR = Actor.system("test")
ENTERPRISES = 120
BATCH = ("--batch", "--no-reload", "--no-startup-delay", "--interval", "0.2")
# What a stored match says; `updated_at` and ids aside (the explanation and the gap in words are
# made when opened, from the rest and the registry).
COLUMNS = (
    "policy_id",
    "version_id",
    "enterprise_id",
    "status",
    "amount",
    "gap",
    "missing",
    "evaluated_on",
)


def build_zone(enterprises: int = ENTERPRISES) -> None:
    """Synthetic enterprises (the demo's generator) and the shipped library published."""
    from django.utils import timezone

    today = timezone.localdate()
    departments = accounts_demo.build(ACTOR)
    enterprises_demo.build(
        ACTOR,
        departments=departments,
        commissioner=User.objects.get(username="commissioner"),
        enterprises=enterprises,
        seed=synthetic.DEFAULT_SEED,
        today=today,
    )
    policies_demo.publish_library(ACTOR)


def stored(cursor: Any) -> list[tuple[str, ...]]:
    cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {PolicyMatch._meta.db_table}")
    return sorted(tuple(plain(v) for v in row) for row in cursor.fetchall())


def plain(value: Any) -> str:
    """A stored value as text, whichever driver read it (a decimal, a float or a string)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return f"{Decimal(str(value)).normalize():f}"
    return str(value)


def stored_here() -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        return stored(cursor)


def one_process() -> list[tuple[str, ...]]:
    """The whole registry in one partition, in this process: what partitioned runs must equal."""
    job = partitions.plan_matching(partitions.published_versions(), size=10**9)
    assert job.partitions == 1
    partitions.work(job.pk, push=False)
    matches = stored_here()
    statuses = {row[COLUMNS.index("status")] for row in matches}
    assert len(matches) > ENTERPRISES and {"eligible", "ineligible", "unknown"} <= statuses
    PolicyMatch.objects.all().delete()
    return matches


def assert_done(job: MatchJob, workers: set[str]) -> None:
    job.refresh_from_db()
    parts = list(job.parts.all())
    assert job.status == "done" and job.finished_at is not None
    assert job.partitions_done == job.partitions == len(parts)
    assert all(p.done_at and p.worker in workers for p in parts)
    assert sum(p.matches for p in parts) == job.matches == PolicyMatch.objects.count()
    assert sum(p.enterprises for p in parts) == job.enterprises == ENTERPRISES
    runs = MatchRun.objects.filter(job=job)
    assert runs.count() == len(partitions.published_versions())
    assert {(r.status, r.partitions_done, r.partitions) for r in runs} == {
        ("done", job.partitions, job.partitions)
    }


@pytest.mark.django_db(transaction=True)
def test_two_workers_store_what_one_process_stores() -> None:
    build_zone()
    expected = one_process()

    job = partitions.plan_matching(partitions.published_versions(), size=25)
    assert job.partitions == 5
    ranges = list(job.parts.values_list("first_id", "last_id"))
    assert all(a <= b < c for (a, b), (c, _) in itertools.pairwise(ranges))
    failures: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            partitions.work(job.pk, push=False, worker=name)
        except BaseException as error:  # surfaced below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures and not any(t.is_alive() for t in threads), failures
    assert_done(job, {"w1", "w2"})
    assert stored_here() == expected


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_partition_leaves_it_to_another(tmp_path: Path) -> None:
    build_zone()
    expected = one_process()
    database = worker_database(tmp_path)
    env = environment(tmp_path, DEBUG="1", DATABASE_URL=database["url"])

    planned = gaoxin("manage", "match_all", "--partition-size", "30", "--no-push", env=env)
    assert planned.returncode == 0, planned.stderr
    job_id = int(re.search(r"job (\d+): .* in 4 partitions", planned.stdout)[1])  # type: ignore[index]
    assert "queued 5 tasks" in planned.stdout

    # Worker A takes partitions in order and stops inside the third, its claim held.
    held = subprocess.Popen(
        [sys.executable, "-m", "gaoxin.cli", "worker"],
        env={**env, partitions.HOLD_FOR_TESTS: "2"},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    other: subprocess.Popen[str] | None = None
    try:
        line = wait_for_line(held, "holding partition 2", seconds=240)
        assert line.strip().endswith(f":{held.pid}"), line
        # Worker B: everything left, then it ends (--batch).
        other = subprocess.Popen(
            [sys.executable, "-m", "gaoxin.cli", "manage", "worker", *BATCH],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if database["vendor"] == "postgresql":
            # SKIP LOCKED: B takes the partition after the one A holds, then waits for A's.
            deadline = time.monotonic() + 240
            while done_numbers(database, job_id) != [0, 1, 3]:
                assert time.monotonic() < deadline, done_numbers(database, job_id)
                assert other.poll() is None, other.communicate()[0]
                time.sleep(0.2)
        os.kill(held.pid, signal.SIGKILL)
        held.wait(timeout=30)
        output = other.communicate(timeout=300)[0]
        assert other.returncode == 0, output
    finally:
        for process in (held, other):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    results = read_back(database, job_id)
    workers = {number: worker for number, worker, _ in results["parts"]}
    assert workers[2] != line.split(" as ")[1].strip(), "A's partition was not retaken"
    assert workers[0] == workers[1] == line.split(" as ")[1].strip()
    assert workers[2] == workers[3]
    assert results["job"] == ("done", 4, 4)
    assert results["runs"] == {("done", 4, 4)}
    assert results["matches"] == expected


def gaoxin(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gaoxin.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def wait_for_line(process: subprocess.Popen[str], start: str, seconds: float) -> str:
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith(start):
            return line
    raise AssertionError(f"worker never held the partition: {''.join(seen)[-3000:]}")


def worker_database(tmp_path: Path) -> dict[str, str]:
    """Where worker processes reach this test's data: PostgreSQL's test database, or a file
    copy of SQLite's in-memory one."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host, port = settings["USER"], settings["HOST"], settings["PORT"]
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        url = f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
        return {"vendor": "postgresql", "url": url}
    assert connection.vendor == "sqlite"
    path = tmp_path / "workers.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    copy.close()
    return {"vendor": "sqlite", "url": f"sqlite:///{path}", "path": str(path)}


def query(database: dict[str, str], sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if database["vendor"] == "sqlite":
        with sqlite3.connect(database["path"]) as reading:
            return reading.execute(sql, params).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall()


def done_numbers(database: dict[str, str], job_id: int) -> list[int]:
    table = MatchPartition._meta.db_table
    rows = query(
        database,
        f"SELECT number FROM {table} WHERE job_id = ? AND done_at IS NOT NULL ORDER BY number",
        [job_id],
    )
    return [n for (n,) in rows]


def read_back(database: dict[str, str], job_id: int) -> dict[str, Any]:
    job_table, run_table = MatchJob._meta.db_table, MatchRun._meta.db_table
    parts = query(
        database,
        f"SELECT number, worker, matches FROM {MatchPartition._meta.db_table} "
        "WHERE job_id = ? ORDER BY number",
        [job_id],
    )
    (job,) = query(
        database,
        f"SELECT status, partitions_done, partitions FROM {job_table} WHERE id = ?",
        [job_id],
    )
    runs = query(
        database,
        f"SELECT status, partitions_done, partitions FROM {run_table} WHERE job_id = ?",
        [job_id],
    )
    if database["vendor"] == "sqlite":
        with sqlite3.connect(database["path"]) as reading:
            matches = stored(reading.cursor())
    else:
        matches = stored_here()
    return {"parts": parts, "job": tuple(job), "runs": {tuple(r) for r in runs}, "matches": matches}

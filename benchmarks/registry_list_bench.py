"""Registry list pages over a large registry: time per page for the filters people use.

    python benchmarks/registry_list_bench.py --enterprises 50000 \
        --postgres postgres://postgres@127.0.0.1:5432/gaoxin_list_bench
    python benchmarks/registry_list_bench.py --enterprises 50000          # SQLite

Builds the registry once with the demo generator through the import (the database is reused
when it already holds that many enterprises), then requests each page through Django's full
stack (middleware, session, templates) as the zone administrator and prints the median and
95th percentile over repeated requests, and the number of SQL queries per page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import machine

PAGES = [
    ("first page, sorted by revenue", "/enterprises/"),
    ("search by name", "/enterprises/?q=%E7%A7%91%E6%8A%80"),
    ("chain + area", "/enterprises/?chain=ic&area=torch"),
    ("valid high-tech certificate", "/enterprises/?qualification=high_tech_enterprise"),
    ("size band, sorted by name", "/enterprises/?size=small&sort=name"),
    ("page 200 of 100 rows", "/enterprises/?size=100&page=200"),
    ("HTMX table only", "/enterprises/?chain=software"),
    ("API list", "/api/enterprises?page_size=50"),
    ("dashboard", "/"),
]


def build(n: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gaoxin.enterprises.models import Enterprise

    if Enterprise.objects.count() == n:
        return
    from gaoxin.demo import build_demo_zone

    started = time.perf_counter()
    build_demo_zone(enterprises=n, reset=True)
    _analyze()
    print(f"built {n:,} enterprises in {time.perf_counter() - started:.0f} s")


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(repeat: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gaoxin.accounts.models import User
    from gaoxin.enterprises.models import Enterprise

    client = Client()
    client.force_login(User.objects.get(username="admin"))
    print(
        f"{Enterprise.objects.count():,} enterprises; {connection.vendor}; "
        f"{repeat} requests per page after one warm-up\n"
    )
    print(f"{'page':36} {'median':>9} {'p95':>9} {'queries':>8}")
    for label, path in PAGES:
        headers = {"HTTP_HX_REQUEST": "true"} if label.startswith("HTMX") else {}
        assert client.get(path, **headers).status_code == 200
        times = []
        for _ in range(repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path, **headers)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{label:36} {statistics.median(times):7.1f}ms {p95:7.1f}ms {len(queries):8}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import django

        django.setup()
        build(args.enterprises)
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)  # as `gaoxin serve` does
        measure(args.repeat)
        return 0
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gaoxin.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-" + "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "60",
    }
    if args.postgres:
        name = args.postgres.rsplit("/", 1)[1]
        server = args.postgres.rsplit("/", 1)[0] + "/postgres"
        exists = subprocess.run(
            ["psql", server, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
        env["DATABASE_URL"] = args.postgres
    else:
        folder = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))
        env["GAOXIN_DATA_DIR"] = str(folder / f"list-{args.enterprises}")
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--enterprises",
            str(args.enterprises),
            "--repeat",
            str(args.repeat),
        ],
        env=env,
        check=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

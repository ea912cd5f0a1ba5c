"""What a benchmark ran on, read from the machine itself, printed at the top of every run so
that docs/performance.md quotes the machine rather than remembering it."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _postgres_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0]}" if row else "PostgreSQL ?"
    except Exception as e:  # a benchmark still runs; the header says why the version is missing
        return f"PostgreSQL (version unknown: {type(e).__name__})"


def describe(postgres_url: str | None = None) -> str:
    """`2 cores (AMD EPYC 7B13), 23.5 GiB RAM, Linux 6.1, Python 3.11.7, Polars 1.x,
    SQLite 3.40.1, PostgreSQL 15.14; load 1.9 2.0 2.1; 2026-12-04 15:50 UTC`."""
    parts = [f"{os.cpu_count()} cores ({_cpu_model()})"]
    ram = _ram_gib()
    if ram is not None:
        parts.append(f"{ram:.1f} GiB RAM")
    parts.append(f"{platform.system()} {platform.release().split('-')[0]}")
    parts.append(f"Python {platform.python_version()}")
    try:
        import polars

        parts.append(f"Polars {polars.__version__}")
    except ImportError:
        pass
    parts.append(f"SQLite {sqlite3.sqlite_version}")
    if postgres_url:
        parts.append(_postgres_version(postgres_url))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    now = dt.datetime.now(dt.UTC)
    return ", ".join(parts) + f"; load average {load}; {now:%Y-%m-%d %H:%M} UTC"


if __name__ == "__main__":
    print(describe(os.environ.get("DATABASE_URL")))


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database a benchmark runs in (`postgres://…/name`)."""
    import subprocess

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", server, "-qc", sql], check=True)

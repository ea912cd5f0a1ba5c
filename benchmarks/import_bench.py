"""Import N enterprises from XLSX (or CSV): time to read and check, time to write, peak memory.

    python benchmarks/import_bench.py --rows 100000                 # SQLite in a temp folder
    python benchmarks/import_bench.py --rows 100000 --postgres postgres://postgres@127.0.0.1/x

The file is the demo generator's (71 columns: static fields, three years of figures, eight
qualifications), written once to $BENCH_DATA (default ~/.cache/gaoxin-bench). The import runs
in a fresh process so that its peak memory (ru_maxrss) is the import's alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine

DATA_DIR = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))


def ensure_file(rows: int, suffix: str) -> Path:
    path = DATA_DIR / f"import_{rows}{suffix}"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        from gaoxin.enterprises.synthetic import write_flat_file

        started = time.perf_counter()
        write_flat_file(rows, path)
        print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    return path


def child(path: Path, update: bool = False) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gaoxin.core.audit import Actor
    from gaoxin.enterprises.choices import DataSource
    from gaoxin.enterprises.importing import commit_import, read_import
    from gaoxin.enterprises.models import Enterprise, YearlyFigures

    t0 = time.perf_counter()
    preview = read_import(path, path.name)
    t1 = time.perf_counter()
    assert preview.ok, preview.errors[:3]
    result = commit_import(preview, actor=Actor.system("benchmark"), source=DataSource.VERIFIED)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows: {len(preview.rows):,}  columns: {len(preview.headers)}")
    print(f"read and check: {t1 - t0:.1f} s   write: {t2 - t1:.1f} s   total: {t2 - t0:.1f} s")
    print(f"peak memory (ru_maxrss): {rss:.0f} MiB")
    print(
        f"enterprises: {Enterprise.objects.count():,}  yearly rows: "
        f"{YearlyFigures.objects.count():,}  created: {result.created:,}"
    )
    if update:
        _update(path)


def _update(path: Path) -> None:
    """The same enterprises again, in update mode, with one yearly figure changed each: what a
    zone does when the tax bureau's figures arrive."""
    import polars as pl

    from gaoxin.core.audit import Actor
    from gaoxin.enterprises.choices import DataSource
    from gaoxin.enterprises.importing import Mode, commit_import, read_import

    frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    column = next(c for c in frame.columns if c.startswith("revenue_"))
    changed = path.with_name(path.stem + "-update.csv")
    frame.with_columns((pl.col(column).cast(pl.Float64) + 1).round(2)).write_csv(changed)
    t0 = time.perf_counter()
    preview = read_import(changed, changed.name, mode=Mode.UPSERT, source=DataSource.GOVERNMENT)
    t1 = time.perf_counter()
    assert preview.ok, preview.errors[:3]
    result = commit_import(
        preview, actor=Actor.system("benchmark"), source=DataSource.GOVERNMENT, mode=Mode.UPSERT
    )
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"update import: read and check {t1 - t0:.1f} s   write {t2 - t1:.1f} s   "
        f"({result.updated:,} enterprises updated, {result.reports:,} reports written); "
        f"peak memory now {rss:.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--postgres", help="a DATABASE_URL; the database is dropped and created")
    parser.add_argument(
        "--update", action="store_true", help="then import the same file again in update mode"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, update=args.update)
        return 0
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    path = ensure_file(args.rows, "." + args.format)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gaoxin.settings", "DEBUG": "1"}
    with tempfile.TemporaryDirectory() as folder:
        env["GAOXIN_DATA_DIR"] = folder
        if args.postgres:
            machine.fresh_database(args.postgres)
            env["DATABASE_URL"] = args.postgres
        print(
            f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; file: {path} "
            f"({path.stat().st_size / 1048576:.1f} MiB)"
        )
        command = [sys.executable, __file__, "--child", str(path)]
        subprocess.run(command + (["--update"] if args.update else []), env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

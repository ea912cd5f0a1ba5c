"""The demo's voucher year (`vouchers.demo.build_vouchers`) on an existing demo zone: its time,
its queries per order, and what it built.

    GAOXIN_DATA_DIR=… python benchmarks/demo_vouchers_bench.py [--profile] [--dump FILE]
    DATABASE_URL=postgres://…/db python benchmarks/demo_vouchers_bench.py

Needs a demo zone built by `gaoxin demo --no-serve` in that database. The step runs in a
transaction rolled back at the end (the zone is left as it was, so runs can be repeated), as
of a fixed moment (`--at`, default 1 December of this year, 15:00 local: a year gone far
enough for every state of an order and three quarters' settlements), with uploads in a
temporary directory. `--dump FILE` writes what the step built (orders, ledger entries and
postings, reservations, ratings, settlements, notifications, audit entries; with their ids
on SQLite, where a rolled-back run leaves the ids as they were) as JSON lines, so two runs
can be compared with `cmp`; `--profile` prints the step's profile (cProfile: by cumulative
and by own time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import machine  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--at", help="the moment the year is built as of (ISO, local time)")
    parser.add_argument("--dump", type=Path, help="write what the step built to this file")
    parser.add_argument("--queries", type=int, default=0, help="print the N commonest queries")
    parser.add_argument("--profile", action="store_true", help="print the step's profile")
    args = parser.parse_args(argv)
    media = tempfile.mkdtemp(prefix="gaoxin-demo-vouchers-")
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoxin.settings")
    os.environ.setdefault("GAOXIN_INSECURE_DEV_KEY", "1")  # DEBUG off, as `gaoxin demo` runs
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from gaoxin.vouchers import demo

    url = os.environ.get("DATABASE_URL")
    print(f"machine: {machine.describe(url if url and url.startswith('postgres') else None)}")
    at = (
        timezone.make_aware(dt.datetime.fromisoformat(args.at))
        if args.at
        else timezone.make_aware(dt.datetime(timezone.localdate().year, 12, 1, 15, 0))
    )
    queries = Counter[str]()
    shapes = Counter[str]()

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[sql.split(None, 1)[0].upper()] += 1
        if args.queries:
            shapes[re.sub(r"\bIN \([^)]*\)", "IN (…)", sql)[:400]] += 1
        return execute(sql, params, many, context)

    real_now = timezone.now
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    with transaction.atomic():
        demo.reset()
        timezone.now = lambda: at  # type: ignore[assignment]
        try:
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                summary = demo.build_vouchers()
                if profiler is not None:
                    profiler.disable()
                took = time.perf_counter() - started
        finally:
            timezone.now = real_now  # type: ignore[assignment]
        if summary is None:
            raise SystemExit("no demo zone here (run `gaoxin demo --no-serve` first)")
        total = sum(queries.values())
        print(
            f"as of {at:%Y-%m-%d %H:%M}: {summary.orders} orders in {took:.1f} s "
            f"({took / summary.orders * 1000:.1f} ms per order), {total:,} queries "
            f"({total / summary.orders:.1f} per order: "
            + ", ".join(f"{k} {v:,}" for k, v in queries.most_common())
            + ")"
        )
        for sql, n in shapes.most_common(args.queries):
            print(f"{n:7,} {sql}")
        if args.dump:
            with args.dump.open("w") as out:
                for line in _built(keep_ids=connection.vendor == "sqlite"):
                    out.write(line + "\n")
            print(f"wrote {args.dump}")
        transaction.set_rollback(True)
    if profiler is not None:
        import pstats

        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(25)
    return 0


def _built(*, keep_ids: bool) -> list[str]:
    """What the voucher step wrote, one JSON line per row, in a stable order; without ids
    (on PostgreSQL, where sequences are not rolled back) as counts and sums only."""
    from django.db.models import Count, Sum

    from gaoxin.core.models import AuditEntry
    from gaoxin.ledger.models import JournalEntry, Posting, Reservation
    from gaoxin.notifications.models import Delivery, Message
    from gaoxin.vouchers import services
    from gaoxin.vouchers.models import (
        ProviderReview,
        VoucherOrder,
        VoucherQuota,
        VoucherScheme,
        VoucherSettlement,
    )

    scheme = VoucherScheme.objects.get()
    pool = services.pool_of(scheme)
    orders = VoucherOrder.objects.filter(scheme=scheme)
    entries = JournalEntry.objects.filter(pool=pool)
    lines = [
        {"orders by state": dict(Counter(orders.values_list("state", flat=True)))},
        {
            "order sums": orders.aggregate(
                fee=Sum("contract_fee_fen"),
                invoice=Sum("invoice_fee_fen"),
                reserved=Sum("reserved_fen"),
                deduction=Sum("deduction_fen"),
            )
        },
        {
            "ledger by account": dict(
                Posting.objects.filter(account__pool=pool)
                .values_list("account__kind")
                .annotate(s=Sum("amount_fen"))
                .order_by("account__kind")
            )
        },
        {
            "entries by kind": dict(
                entries.values_list("kind").annotate(n=Count("pk")).order_by("kind")
            )
        },
        {"reservations": Reservation.objects.filter(pool=pool).count()},
        {"quotas": VoucherQuota.objects.filter(scheme=scheme).count()},
        {"ratings": ProviderReview.objects.filter(order__scheme=scheme).count()},
        {"settlements": VoucherSettlement.objects.filter(scheme=scheme).count()},
        {
            "audit by action": dict(
                AuditEntry.objects.values_list("action").annotate(n=Count("pk")).order_by("action")
            )
        },
        {"messages": Message.objects.count(), "deliveries": Delivery.objects.count()},
    ]
    if keep_ids:
        lines += [{"order": o} for o in orders.order_by("pk").values()]
        lines += [{"entry": e} for e in entries.order_by("pk").values()]
        lines += [
            {"posting": p} for p in Posting.objects.filter(entry__pool=pool).order_by("pk").values()
        ]
        lines += [{"reservation": r} for r in Reservation.objects.filter(pool=pool).values()]
        lines += [
            {"rating": r} for r in ProviderReview.objects.filter(order__scheme=scheme).values()
        ]
        lines += [{"settlement": s} for s in VoucherSettlement.objects.order_by("pk").values()]
        lines += [{"message": m} for m in Message.objects.order_by("pk").values()]
        lines += [{"delivery": d} for d in Delivery.objects.order_by("pk").values()]
        lines += [{"audit": a} for a in AuditEntry.objects.order_by("pk").values()]
    return [json.dumps(line, sort_keys=True, default=str, ensure_ascii=False) for line in lines]


if __name__ == "__main__":
    sys.exit(main())

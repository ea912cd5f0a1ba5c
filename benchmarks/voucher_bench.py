"""Innovation vouchers: how long an order, a review and a settlement take, alone and under load.

    python benchmarks/voucher_bench.py [--enterprises 1000] [--orders 200] [--postgres URL]

Builds the demo zone (with its voucher year) in a temporary database, then times through the
real services: placing orders one after another (each computes its deduction under the quota's
and the budget's locks, evaluating the voucher policy), taking each through accept → delivery →
redemption → review, issuing and paying the quarter's settlements, and 50 orders placed at the
same moment from 50 threads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import machine


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def child(n: int, count: int) -> None:
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from gaoxin.accounts.models import User
    from gaoxin.core.audit import Actor
    from gaoxin.core.errors import DomainError
    from gaoxin.demo import build_demo_zone
    from gaoxin.supermarket.choices import ListingStatus, ProviderStatus
    from gaoxin.supermarket.models import ServiceListing
    from gaoxin.vouchers import orders, settlements
    from gaoxin.vouchers.models import VoucherOrder, VoucherQuota, VoucherScheme
    from gaoxin.vouchers.services import used_fen

    started = time.perf_counter()
    build_demo_zone(enterprises=n, reset=True)
    print(f"demo zone of {n:,} built in {time.perf_counter() - started:.0f} s")
    scheme = VoucherScheme.objects.get(year=timezone.localdate().year)
    listings = list(
        ServiceListing.objects.filter(
            status=ListingStatus.APPROVED, provider__status=ProviderStatus.APPROVED
        ).select_related("provider__organisation")
    )
    quotas = [
        q
        for q in VoucherQuota.objects.filter(scheme=scheme).select_related("enterprise")
        if q.granted_fen - used_fen(q) > 100_000
    ]
    users = {
        u.organisation_id: u
        for u in User.objects.filter(
            organisation_id__in=[q.enterprise.organisation_id for q in quotas]
        )
    }
    quotas = [q for q in quotas if q.enterprise.organisation_id in users]
    print(f"{len(quotas)} enterprises with quota left and a user, {len(listings)} listings")

    def place(i: int) -> Any:
        quota = quotas[i % len(quotas)]
        listing = listings[i % len(listings)]
        return orders.place(
            actor=Actor.for_user(users[quota.enterprise.organisation_id]),
            enterprise=quota.enterprise,
            listing=listing,
            contract_fee_fen=listing.price_min_fen,
            contract_file=SimpleUploadedFile("bench.pdf", b"%PDF-1.4 bench"),
        )

    placed, times = [], []
    for i in range(count):
        t0 = time.perf_counter()
        try:
            placed.append(place(i))
        except DomainError:
            continue
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"place an order ({len(placed)} of {count}): median {statistics.median(times):.1f} ms, "
        f"p95 {percentile(times, 0.95):.1f} ms"
    )

    staff = [u for u in User.objects.filter(is_active=True) if u.has_perm(orders.REVIEW)][:2]
    steps = []
    for order in placed:
        provider = Actor.for_user(
            User.objects.filter(organisation_id=order.provider.organisation_id).first()  # type: ignore[arg-type]
        )
        enterprise = Actor.for_user(users[order.enterprise.organisation_id])
        t0 = time.perf_counter()
        orders.accept(actor=provider, order=order)
        orders.confirm_delivery(actor=enterprise, order=order)
        orders.redeem(actor=provider, order=order, invoice_fee_fen=order.contract_fee_fen)
        order = orders.review(actor=Actor.for_user(staff[0]), order=order, decision="approve")
        if order.state == "first_approved":
            orders.review(actor=Actor.for_user(staff[1]), order=order, decision="approve")
        steps.append((time.perf_counter() - t0) * 1000)
    print(
        f"accept → delivery → redemption → review: median {statistics.median(steps):.1f} ms, "
        f"p95 {percentile(steps, 0.95):.1f} ms"
    )

    admin = Actor.for_user(User.objects.get(username="admin"))
    period = settlements.quarter_of(timezone.localdate())
    t0 = time.perf_counter()
    issued = settlements.issue_all(actor=admin, scheme=scheme, period=period)
    issue_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for statement in issued:
        settlements.pay(actor=admin, settlement=statement)
    pay_s = time.perf_counter() - t0
    paid_orders = sum(s.order_count for s in issued)
    print(
        f"settlement of {period}: {len(issued)} statements, {paid_orders} orders; "
        f"issue {issue_s:.2f} s, pay {pay_s:.2f} s"
    )

    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def burst(i: int) -> None:
        barrier.wait()
        try:
            place(1000 + i)
            outcomes.append("placed")
        except DomainError as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:  # SQLite answers "database is locked" under a burst
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(50)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    tally = {k: outcomes.count(k) for k in sorted(set(outcomes))}
    print(f"50 orders at once: {wall:.2f} s wall, {tally}")
    print(f"orders in the database: {VoucherOrder.objects.count():,}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL URL of a scratch database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.enterprises, args.orders)
        return 0
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gaoxin-voucher-bench-") as data:
        env = dict(os.environ, GAOXIN_DATA_DIR=data, DEBUG="1")
        env.pop("DATABASE_URL", None)
        env.setdefault("DJANGO_SETTINGS_MODULE", "gaoxin.settings")
        if args.postgres:
            machine.fresh_database(args.postgres)
            env["DATABASE_URL"] = args.postgres
        command = [
            sys.executable,
            __file__,
            "--child",
            "--enterprises",
            str(args.enterprises),
            "--orders",
            str(args.orders),
        ]
        subprocess.run(command, env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

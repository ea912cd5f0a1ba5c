"""`gaoxin demo`: the demo zone (Xiamen Torch), built app by app.

This module sits above the apps: each app owns its demo data in its own `demo` module and
builds it through its public services; here they are only called in the order their data
depends on, and reset in the reverse order. A new app adds its `demo.build`/`demo.reset`
beside its code and one line here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from gaoxin.accounts import demo as accounts_demo
from gaoxin.accounts.models import User
from gaoxin.core.audit import Actor
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises import demo as enterprises_demo
from gaoxin.enterprises import synthetic
from gaoxin.enterprises.models import Enterprise
from gaoxin.ledger import demo as ledger_demo
from gaoxin.policies import demo as policies_demo
from gaoxin.supermarket import demo as supermarket_demo
from gaoxin.vouchers import demo as vouchers_demo

ACTOR = Actor.system("command:gaoxin demo")
DEMO_PASSWORD = accounts_demo.DEMO_PASSWORD


def demo_exists() -> bool:
    return User.objects.filter(username="admin").exists() and Enterprise.objects.exists()


def build_demo_zone(
    *, enterprises: int = 3000, seed: int | None = None, reset: bool = False
) -> None:
    """The demo zone with `enterprises` enterprises; the volumes that grow with a zone (payout
    budget, voucher orders and budget, declarations) grow with it beyond the 3,000 of the
    standard demo. Each step prints its time, so that a large zone shows where it goes."""
    today = timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        if reset:
            with _step("reset"):
                reset_demo_zone()
        with _step("accounts"):
            departments = accounts_demo.build(ACTOR)
        with _step("registry"):
            enterprises_demo.build(
                ACTOR,
                departments=departments,
                commissioner=User.objects.get(username="commissioner"),
                enterprises=enterprises,
                seed=synthetic.DEFAULT_SEED if seed is None else seed,
                today=today,
            )
        with _step("service supermarket"):
            supermarket_demo.build(ACTOR)
        with _step("policy library"):
            policies_demo.publish_library(ACTOR)
    with _step("matching"):
        policies_demo.match_and_push()
    with _step("payouts"):
        policies_demo.pay_a_year(staff=Actor.system("staff"), chief=Actor.system("admin"))
    with _step("vouchers"):
        vouchers_demo.build_vouchers()
    print(
        f"demo zone: {Enterprise.objects.count():,} enterprises, {User.objects.count()} users "
        f"({time.perf_counter() - started:.1f} s)"
    )


@contextmanager
def _step(name: str) -> Iterator[None]:
    # The CPU time of this process beside the wall time: on a busy machine the wall time
    # stretches, the CPU time much less (the database is in-process on SQLite).
    started, cpu = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  [{name}: {wall:.1f} s, CPU {cpu:.1f} s]", flush=True)


def reset_demo_zone() -> None:
    """Everything the demo built, the apps that refer to others first."""
    vouchers_demo.reset()
    policies_demo.reset()
    ledger_demo.reset()
    enterprises_demo.reset()
    accounts_demo.reset()
    AuditEntry.objects.all().delete()


def print_logins() -> None:
    rows = accounts_demo.logins()
    rows[len(accounts_demo.STAFF) : len(accounts_demo.STAFF)] = enterprises_demo.logins()
    print(f"\n演示账号 / demo logins (password 密码: {DEMO_PASSWORD})")
    for username, note in rows:
        print(f"  {username:<13} {note}")
    print()

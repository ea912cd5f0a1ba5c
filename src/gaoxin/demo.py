"""`gaoxin demo`: the demo zone (Xiamen Torch), built app by app.

This module sits above the apps: each app owns its demo data in its own `demo` module and
builds it through its public services; here they are only called in the order their data
depends on, and reset in the reverse order. A new app adds its `demo.build`/`demo.reset`
beside its code and one line here.
"""

from __future__ import annotations

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
    today = timezone.localdate()
    with transaction.atomic():
        if reset:
            reset_demo_zone()
        departments = accounts_demo.build(ACTOR)
        enterprises_demo.build(
            ACTOR,
            departments=departments,
            commissioner=User.objects.get(username="commissioner"),
            enterprises=enterprises,
            seed=synthetic.DEFAULT_SEED if seed is None else seed,
            today=today,
        )
        supermarket_demo.build(ACTOR)
        policies_demo.publish_library(ACTOR)
    policies_demo.match_and_push()
    policies_demo.pay_a_year(staff=Actor.system("staff"), chief=Actor.system("admin"))
    vouchers_demo.build_vouchers()
    print(f"demo zone: {Enterprise.objects.count():,} enterprises, {User.objects.count()} users")


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

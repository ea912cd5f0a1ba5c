"""免申即享 payouts: the state machine, the budget, idempotent payment, and who may do what."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.ledger.models import JournalEntry
from gaoxin.ledger.money import to_fen
from gaoxin.ledger.selectors import pool_balances
from gaoxin.notifications.models import Message
from gaoxin.policies import matching, payouts, services
from gaoxin.policies.models import Payout, PayoutBatch, PolicyMatch
from tests.factories import EnterpriseFactory, OrganisationFactory
from tests.policies.test_policies import TEXT

YEAR = dt.date.today().year
LAST = YEAR - 1
STAFF = Actor.system("staff-li")
CHIEF = Actor.system("chief-wang")


def published(zone: Any, rd: dict[Any, str]) -> Any:
    for enterprise, value in rd.items():
        registry.report_figures(
            actor=STAFF,
            enterprise=enterprise,
            year=LAST,
            source=DataSource.VERIFIED,
            values={"rd_expense": value},
        )
    policy = services.save_policy(actor=STAFF, text=TEXT)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published()
    return policy


def fund_for(policy: Any, fen: int) -> None:
    """Budget enough for what the test identifies (identification over budget is refused)."""
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=fen)


def confirm_as(zone: Any, role: str, payout: Payout) -> Payout:
    enterprise = payout.enterprise
    return payouts.confirm(
        actor=Actor.for_user(zone.users[role]),
        payout=payout,
        bank_name="建设银行厦门分行",
        account_name=enterprise.name,
        account_number="35150198010100001234",
    )


@pytest.mark.django_db
def test_the_whole_way_with_exact_money(zone: Any) -> None:
    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "123.45万"})
    pool = payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=100_000_000)
    assert payouts.identify(actor=STAFF, policy=policy, year=YEAR) == 2
    assert payouts.identify(actor=STAFF, policy=policy, year=YEAR) == 0  # once per year
    a = Payout.objects.get(enterprise=zone.enterprise_a)
    b = Payout.objects.get(enterprise=zone.enterprise_b)
    assert (a.state, a.amount_fen, b.amount_fen) == ("pushed", 30_000_000, 12_345_000)
    assert Message.objects.filter(dedupe_key=f"payout:{a.pk}").count() == 1

    for role, payout in (("enterprise_a", a), ("enterprise_b", b)):
        confirm_as(zone, role, payout)
        payouts.verify(actor=STAFF, payout=payout, accept=True)
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[a, b])
    assert pool_balances(pool).reserved_fen == 42_345_000
    with pytest.raises(PermissionDenied):
        payouts.approve_batch(actor=STAFF, batch=batch)  # four eyes: not the creator
    payouts.approve_batch(actor=CHIEF, batch=batch)
    payouts.approve_batch(actor=CHIEF, batch=batch)  # twice: settled once
    payouts.pay_batch(actor=CHIEF, batch=batch)
    payouts.publish_batch(actor=CHIEF, batch=batch)
    balances = pool_balances(pool)
    assert (
        balances.paid_fen,
        balances.reserved_fen,
        balances.payable_fen,
        balances.available_fen,
    ) == (42_345_000, 0, 0, 100_000_000 - 42_345_000)
    a.refresh_from_db()
    assert a.state == "published"
    steps = list(
        AuditEntry.objects.filter(model="policies.payout", object_id=str(a.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert steps == [
        "payout_identified",
        "payout_pushed",
        "payout_confirmed",
        "payout_verified",
        "payout_approved",
        "payout_paid",
        "payout_published",
    ]


@pytest.mark.django_db
def test_illegal_moves_are_refused(zone: Any) -> None:
    policy = published(zone, {zone.enterprise_a: "300万"})
    fund_for(policy, 100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR)
    a = Payout.objects.get()
    with pytest.raises(Conflict):
        payouts.verify(actor=STAFF, payout=a, accept=True)  # not confirmed yet
    with pytest.raises(PermissionDenied):
        confirm_as(zone, "enterprise_b", a)  # another enterprise
    with pytest.raises(ValidationFailed, match="账户名称须与企业名称一致"):
        payouts.confirm(
            actor=Actor.for_user(zone.users["enterprise_a"]),
            payout=a,
            bank_name="x",
            account_name="别的公司",
            account_number="1234567890",
        )
    confirm_as(zone, "enterprise_a", a)
    with pytest.raises(ValidationFailed, match="说明理由"):
        payouts.verify(actor=STAFF, payout=a, accept=False)
    payouts.verify(actor=STAFF, payout=a, accept=False, note="注册地不在园区")
    with pytest.raises(Conflict):
        payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[a])
    with pytest.raises(Conflict):
        confirm_as(zone, "enterprise_a", a)
    assert not JournalEntry.objects.exclude(kind="fund").exists()


@pytest.mark.django_db
def test_staff_record_a_written_confirmation_with_its_evidence(zone: Any) -> None:
    policy = published(zone, {zone.enterprise_a: "300万"})
    fund_for(policy, 100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    a = Payout.objects.get()
    account = {
        "bank_name": "建设银行厦门分行",
        "account_name": zone.enterprise_a.name,
        "account_number": "35150198010100001234",
    }
    for role in ("enterprise_a", "enterprise_b", "provider", "bank"):
        with pytest.raises(PermissionDenied):
            payouts.record_offline_confirmation(
                actor=Actor.for_user(zone.users[role]), payout=a, evidence="确认书", **account
            )
    with pytest.raises(ValidationFailed, match="书面确认的依据"):
        payouts.record_offline_confirmation(
            actor=Actor.for_user(zone.users["staff"]), payout=a, evidence="  ", **account
        )
    a.refresh_from_db()
    assert a.state == "identified"
    payouts.record_offline_confirmation(
        actor=Actor.for_user(zone.users["staff"]),
        payout=a,
        evidence="企业盖章的收款账户确认书",
        **account,
    )
    a.refresh_from_db()
    assert (a.state, a.account_number) == ("confirmed", "35150198010100001234")
    entry = AuditEntry.objects.filter(action="payout_confirmed").get()
    assert (entry.actor_label, entry.note) == ("staff", "企业盖章的收款账户确认书")


@pytest.mark.django_db
def test_declared_only_figures_are_high_risk(zone: Any) -> None:
    registry.report_figures(
        actor=Actor.for_user(zone.users["enterprise_a"]),
        enterprise=zone.enterprise_a,
        year=LAST,
        source=DataSource.DECLARED,
        values={"rd_expense": "300万"},
    )
    policy = published(zone, {})
    fund_for(policy, 100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    a = Payout.objects.get()
    assert a.risk == "high" and "仅有企业申报数据" in a.risk_reasons[0]
    payouts.confirm(
        actor=Actor.for_user(zone.users["enterprise_a"]),
        payout=a,
        bank_name="建设银行",
        account_name=a.enterprise.name,
        account_number="35150198010100001234",
    )
    with pytest.raises(ValidationFailed, match="复核意见"):
        payouts.verify(actor=STAFF, payout=a, accept=True)
    assert (
        payouts.verify(actor=STAFF, payout=a, accept=True, note="已核对纳税申报").state
        == "verified"
    )


@pytest.mark.django_db
def test_a_pay_run_retried_after_a_crash_pays_each_once(zone: Any, monkeypatch: Any) -> None:
    enterprises = {
        EnterpriseFactory(organisation=OrganisationFactory(kind="enterprise")): "200万"
        for _ in range(4)
    }
    policy = published(zone, enterprises)
    pool = payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=10**9)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    chosen = list(Payout.objects.all())
    for payout in chosen:
        payout.state = "confirmed"
        payout.save()
        payouts.verify(actor=STAFF, payout=payout, accept=True)
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=chosen)
    payouts.approve_batch(actor=CHIEF, batch=batch)

    real_pay = payouts.ledger.pay
    calls = {"n": 0}

    def crashing_pay(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the machine went down")
        return real_pay(**kwargs)

    monkeypatch.setattr(payouts.ledger, "pay", crashing_pay)
    with pytest.raises(RuntimeError):
        payouts.pay_batch(actor=CHIEF, batch=batch)
    assert Payout.objects.filter(state="paid").count() == 2
    monkeypatch.setattr(payouts.ledger, "pay", real_pay)
    payouts.pay_batch(actor=CHIEF, batch=batch)
    payouts.pay_batch(actor=CHIEF, batch=batch)  # and once more, for good measure
    assert Payout.objects.filter(state="paid").count() == 4
    assert JournalEntry.objects.filter(kind="pay").count() == 4
    assert pool_balances(pool).paid_fen == 4 * 20_000_000
    batch.refresh_from_db()
    assert batch.state == "paid"


@pytest.mark.django_db(transaction=True)
def test_parallel_batches_never_overspend_the_budget(zone: Any) -> None:
    count = 20
    enterprises = {EnterpriseFactory(): "100万" for _ in range(count)}  # 10万 each
    policy = published(zone, enterprises)
    pool = payouts.fund(
        actor=STAFF, policy=policy, year=YEAR, amount_fen=13 * 10_000_000
    )  # affords 13 of the 20
    eligible = PolicyMatch.objects.filter(policy=policy, status="eligible", amount__gt=0)
    for match in eligible.select_related("enterprise"):
        Payout.objects.create(  # as identified before the budget shrank to 13 of them
            policy=policy,
            version=match.version,
            enterprise=match.enterprise,
            year=YEAR,
            amount_fen=to_fen(match.amount),
        )
    chosen = list(Payout.objects.all())
    assert len(chosen) == count
    Payout.objects.update(state="verified")
    results: list[str] = []

    def make_batch(payout: Payout) -> None:
        # The in-memory SQLite test database answers "table is locked" at once instead of
        # waiting for the busy timeout; a client retries, as here (PostgreSQL waits on the lock).
        try:
            for _attempt in range(200):
                try:
                    payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[payout])
                    results.append("ok")
                    return
                except DomainError as exc:
                    results.append(exc.code)
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.02)
            results.append("gave up")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=make_batch, args=(p,)) for p in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    balances = pool_balances(pool)
    assert results.count("ok") == 13, results
    assert balances.reserved_fen == 13 * 10_000_000 and balances.available_fen == 0
    assert PayoutBatch.objects.count() == 13
    assert connection.vendor in ("sqlite", "postgresql")


ALL_ROLES = [
    "anonymous",
    "enterprise_a",
    "enterprise_b",
    "provider",
    "bank",
    "staff_other",
    "staff",
    "commissioner",
    "leader",
    "zone_admin",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_payout_pages_by_role(zone: Any, role: str) -> None:
    from django.test import Client

    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=10**9)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    a = Payout.objects.get(enterprise=zone.enterprise_a)
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    runners = {"staff", "staff_other", "zone_admin"}
    page = client.get(f"/policies/{policy.pk}/payouts/")
    assert page.status_code == (302 if role == "anonymous" else 200 if role in runners else 403), (
        role
    )
    if role == "staff_other":  # sees only its department's enterprise
        body = page.content.decode()
        assert zone.enterprise_b.name in body and zone.enterprise_a.name not in body
    # confirming A's payout: only A's own users
    confirm = client.post(
        f"/my/payouts/{a.pk}/confirm/",
        {
            "bank_name": "建设银行",
            "account_name": zone.enterprise_a.name,
            "account_number": "35150198010100001234",
        },
    )
    a.refresh_from_db()
    assert a.state == ("confirmed" if role == "enterprise_a" else "identified"), role
    assert confirm.status_code in (302, 404)
    mine = client.get("/my/payouts/")
    if role == "enterprise_b":
        assert zone.enterprise_a.name not in mine.content.decode()
    report = client.get("/payouts/report/")
    assert report.status_code == (
        302 if role == "anonymous" else 200 if role in runners | {"commissioner", "leader"} else 403
    )
    assert client.get("/notices/").status_code == 200  # public
    # approving a batch needs the approval permission
    a.state = "verified"
    a.save()
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[a])
    client.post(f"/policies/{policy.pk}/batches/{batch.pk}/approve/")
    batch.refresh_from_db()
    assert batch.state == ("approved" if role == "zone_admin" else "draft"), role


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_policy_api_by_role(zone: Any, role: str) -> None:
    from django.test import Client

    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    fund_for(policy, 100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    a = Payout.objects.get(enterprise=zone.enterprise_a)
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    listing = client.get("/api/policies")
    assert listing.status_code == (401 if role == "anonymous" else 200)
    matches = client.get(f"/api/policies/{policy.pk}/matches")
    staff = {"staff", "staff_other", "commissioner", "leader", "zone_admin"}
    assert matches.status_code == (401 if role == "anonymous" else 200 if role in staff else 403), (
        role
    )
    if role in staff:
        seen = {m["enterprise_id"] for m in matches.json()}
        assert seen == {
            "staff": {zone.enterprise_a.pk},
            "commissioner": {zone.enterprise_a.pk},
            "staff_other": {zone.enterprise_b.pk},
        }.get(role, {zone.enterprise_a.pk, zone.enterprise_b.pk})
    mine = client.get("/api/policies/mine/matches")
    if role in ("enterprise_a", "enterprise_b"):
        own = zone.enterprise_a if role == "enterprise_a" else zone.enterprise_b
        assert {m["enterprise_id"] for m in mine.json()} == {own.pk}
    else:
        assert mine.status_code in (401, 404)
    confirm = client.post(
        f"/api/policies/mine/payouts/{a.pk}/confirm",
        {
            "bank_name": "建设银行",
            "account_name": zone.enterprise_a.name,
            "account_number": "35150198010100001234",
        },
        content_type="application/json",
    )
    a.refresh_from_db()
    if role == "enterprise_a":
        assert confirm.status_code == 200 and a.state == "confirmed"
    else:
        assert confirm.status_code in (401, 404) and a.state == "identified"


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_approvals_settle_a_batch_once(zone: Any) -> None:
    enterprises = {EnterpriseFactory(): "100万" for _ in range(5)}
    policy = published(zone, enterprises)
    pool = payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=10**9)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    Payout.objects.update(state="verified")
    batch = payouts.create_batch(
        actor=STAFF, policy=policy, year=YEAR, payouts=list(Payout.objects.all())
    )
    errors: list[Exception] = []

    def approve() -> None:
        try:
            for _attempt in range(200):
                try:
                    payouts.approve_batch(actor=CHIEF, batch=batch)
                    return
                except OperationalError as exc:  # SQLite's in-memory test database: retry
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.02)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    balances = pool_balances(pool)
    assert (balances.payable_fen, balances.reserved_fen) == (5 * 10_000_000, 0)
    assert JournalEntry.objects.filter(kind="settle").count() == 5
    assert AuditEntry.objects.filter(action="batch_approve").count() == 1

"""Voucher orders, redemptions and settlements under real concurrency: threads started together
behind a barrier, each with its own database connection (see tests/ledger/test_concurrency.py
for why SQLite calls are retried on "locked")."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core.audit import Actor
from gaoxin.core.errors import ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Enterprise
from gaoxin.ledger.models import JournalEntry, Posting, Reservation
from gaoxin.ledger.selectors import pool_balances, reservation_balances
from gaoxin.vouchers import orders, selectors, services, settlements
from gaoxin.vouchers.choices import OrderState, SettlementState
from gaoxin.vouchers.models import VoucherOrder, VoucherSettlement
from tests.factories import EnterpriseFactory, OrganisationFactory, UserFactory
from tests.ledger.test_concurrency import in_threads
from tests.vouchers.conftest import VoucherYear, as_, contract, open_year

pytestmark = pytest.mark.django_db(transaction=True)

FEE = 1_000_000  # 10,000.00 元: 35% is 3,500.00 元
SHARE = 350_000


@dataclass(frozen=True)
class Refused:
    """A refusal returned by a worker (in_threads counts a returned exception as a failure)."""

    error: ValidationFailed


def more_enterprises(zone: Any, n: int) -> list[tuple[Enterprise, Actor]]:
    """n more enterprises (in the service centre's section), each with its admin user."""
    out = []
    for i in range(n):
        org = OrganisationFactory(kind=OrganisationKind.ENTERPRISE, name=f"并发企业{i}")
        user: Any = UserFactory(username=f"ent_x{i}", organisation=org, roles=["enterprise_admin"])
        enterprise: Any = EnterpriseFactory(organisation=org, department=zone.section)
        out.append((enterprise, Actor.for_user(user)))
    return out


def place(year: VoucherYear, fee_fen: int = FEE) -> VoucherOrder:
    return orders.place(
        actor=as_(year.zone, "enterprise_a"),
        enterprise=year.zone.enterprise_a,
        listing=year.listing,
        contract_fee_fen=fee_fen,
        contract_file=contract(),
    )


def approved(year: VoucherYear, fee_fen: int = FEE) -> VoucherOrder:
    zone = year.zone
    order = place(year, fee_fen)
    orders.accept(actor=as_(zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=order)
    orders.redeem(actor=as_(zone, "provider"), order=order, invoice_fee_fen=fee_fen)
    return orders.review(actor=as_(zone, "staff"), order=order, decision="approve")


def ledger_sums_to_zero() -> None:
    per_entry = (
        Posting.objects.values("entry_id").annotate(s=Sum("amount_fen")).exclude(s=0).count()
    )
    assert per_entry == 0
    assert (Posting.objects.aggregate(s=Sum("amount_fen"))["s"] or 0) == 0


def test_fifty_parallel_orders_never_overspend_the_budget_or_a_quota(zone: Any) -> None:
    # Each quota affords 7 orders and 500.00 元 of an eighth, not 10; the budget of
    # 100,000.00 元 affords 28 orders and 2,000.00 元, not 50 (the quotas add up to 125,000.00).
    quota_fen, budget_fen = 7 * SHARE + 50_000, 28 * SHARE + 200_000
    year = open_year(zone, budget_fen=budget_fen, quota_fen=quota_fen)
    admin = as_(zone, "zone_admin")
    buyers = [
        (zone.enterprise_a, as_(zone, "enterprise_a")),
        (zone.enterprise_b, as_(zone, "enterprise_b")),
        *more_enterprises(zone, 3),
    ]
    for enterprise, _actor in buyers[1:]:
        services.grant_quota(
            actor=admin,
            scheme=year.scheme,
            enterprise=enterprise,
            amount_fen=quota_fen,
            note="并发测试",
        )
    pool = services.pool_of(year.scheme)
    entries_before = JournalEntry.objects.count()

    def work(i: int) -> VoucherOrder | Refused:
        enterprise, actor = buyers[i % len(buyers)]
        try:
            return orders.place(
                actor=actor,
                enterprise=enterprise,
                listing=year.listing,
                contract_fee_fen=FEE,
                contract_file=contract(),
            )
        except ValidationFailed as exc:
            return Refused(exc)

    results = in_threads(50, work)
    won = [r for r in results if isinstance(r, VoucherOrder)]
    refused = [r.error for r in results if isinstance(r, Refused)]
    assert len(won) + len(refused) == 50
    assert refused, "the budget and the quotas afford fewer than 50 orders"
    assert {str(r) for r in refused} <= {"本企业的创新券额度已用完", "本年度创新券预算已用完"}

    # Refused orders wrote nothing: one order row, one reservation, one reserve entry and one
    # audit entry per placed order, and no more.
    stored = list(VoucherOrder.objects.all())
    assert sorted(o.pk for o in stored) == sorted(o.pk for o in won)
    assert set(Reservation.objects.values_list("key", flat=True)) == {
        o.reservation_key for o in stored
    }
    assert JournalEntry.objects.count() - entries_before == len(won)
    assert AuditEntry.objects.filter(action="voucher_placed").count() == len(won)

    # The budget is never exceeded, and the ledger holds exactly what the orders claim.
    balances = pool_balances(pool)
    assert balances.available_fen >= 0
    assert balances.total_fen == budget_fen
    assert balances.total_fen == (
        balances.available_fen + balances.reserved_fen + balances.payable_fen + balances.paid_fen
    )
    claims = sum(o.deduction_fen for o in stored)
    assert balances.reserved_fen == claims
    for order in stored:
        assert order.state == OrderState.PLACED
        assert 0 < order.deduction_fen == order.reserved_fen <= SHARE
        money = reservation_balances(Reservation.objects.get(key=order.reservation_key))
        assert money.reserved_fen == order.reserved_fen
    # The quotas add up to more than the budget, so the budget is used to the last fen.
    assert (balances.reserved_fen, balances.available_fen) == (budget_fen, 0)

    # No enterprise claims more than its quota; one refused for its quota has used all of it.
    used = {}
    for enterprise, _actor in buyers:
        mine = [o for o in stored if o.enterprise_id == enterprise.pk]
        used[enterprise.pk] = sum(o.deduction_fen for o in mine)
        assert used[enterprise.pk] <= quota_fen
        quota = year.scheme.quotas.get(enterprise=enterprise)
        assert services.used_fen(quota) == used[enterprise.pk]
    for i, result in enumerate(results):
        if isinstance(result, Refused) and "额度" in str(result.error):
            assert used[buyers[i % len(buyers)][0].pk] == quota_fen
    ledger_sums_to_zero()
    connection.close()


def test_one_redemption_sent_by_ten_threads_is_applied_once(zone: Any) -> None:
    year = open_year(zone)
    order = place(year)
    orders.accept(actor=as_(zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=order)
    provider = as_(zone, "provider")
    entries = JournalEntry.objects.count()

    results = in_threads(
        10, lambda i: orders.redeem(actor=provider, order=order, invoice_fee_fen=900_001)
    )
    assert {(r.pk, r.state, r.deduction_fen, r.redeemed_at) for r in results} == {
        (order.pk, OrderState.REDEEMED, 315_000, results[0].redeemed_at)
    }
    order.refresh_from_db()
    assert (order.state, order.invoice_fee_fen, order.deduction_fen) == (
        OrderState.REDEEMED,
        900_001,
        315_000,
    )
    assert AuditEntry.objects.filter(action="voucher_redeemed").count() == 1
    assert JournalEntry.objects.count() == entries  # a redemption moves no money by itself

    order = orders.review(actor=as_(zone, "staff"), order=order, decision="approve")
    money = reservation_balances(Reservation.objects.get(key=order.reservation_key))
    assert (money.reserved_fen, money.payable_fen, money.released_fen) == (0, 315_000, 35_000)
    ledger_sums_to_zero()
    connection.close()


def test_one_settlement_paid_by_ten_threads_pays_each_order_once(zone: Any) -> None:
    year = open_year(zone)
    done = [approved(year, fee) for fee in (1_000_000, 500_000, 300_001)]
    admin = as_(zone, "zone_admin")
    statement = settlements.issue(
        actor=admin,
        scheme=year.scheme,
        provider=year.provider,
        period=settlements.quarter_of(timezone.localdate()),
    )
    total = 350_000 + 175_000 + 105_000
    assert (statement.total_fen, statement.order_count) == (total, 3)

    results = in_threads(10, lambda i: settlements.pay(actor=admin, settlement=statement))
    assert {(r.pk, r.state) for r in results} == {(statement.pk, SettlementState.PAID)}
    pays = Counter(
        JournalEntry.objects.filter(kind="pay").values_list("reservation__key", flat=True)
    )
    assert pays == Counter({o.reservation_key: 1 for o in done})
    assert AuditEntry.objects.filter(action="voucher_settlement_paid").count() == 1
    statement.refresh_from_db()
    assert statement.state == SettlementState.PAID
    assert selectors.paid_on_ledger(statement) == statement.total_fen == total
    balances = pool_balances(services.pool_of(year.scheme))
    assert (balances.paid_fen, balances.payable_fen, balances.reserved_fen) == (total, 0, 0)
    for order in done:
        order.refresh_from_db()
        assert order.state == OrderState.SETTLED
        money = reservation_balances(Reservation.objects.get(key=order.reservation_key))
        assert (money.paid_fen, money.payable_fen) == (order.deduction_fen, 0)
    ledger_sums_to_zero()
    connection.close()


class LateStarters:
    """Stands in for `transaction` in the settlements module: the first transaction each
    thread opens waits until every thread has got that far (so all of them have looked for an
    existing statement and found none), then one thread goes first and the others begin only
    after it has committed — the interleaving in which two requests issue the same statement
    at the same moment. Later transactions (a retry) are not held."""

    def __init__(self, n: int) -> None:
        self.arrived = threading.Barrier(n)
        self.first_done = threading.Event()
        self.lock = threading.Lock()
        self.first: int | None = None
        self.seen = threading.local()

    def atomic(self, *args: Any, **kwargs: Any) -> Any:
        real = transaction.atomic(*args, **kwargs)
        if getattr(self.seen, "held", False):
            return real
        self.seen.held = True
        self.arrived.wait(timeout=30)
        with self.lock:
            leads = self.first is None
            if leads:
                self.first = threading.get_ident()
        if not leads:
            self.first_done.wait(timeout=30)
            return real
        return self._leading(real)

    @contextmanager
    def _leading(self, real: Any) -> Iterator[None]:
        try:
            with real:
                yield
        finally:
            self.first_done.set()


def test_one_settlement_issued_by_ten_threads_is_the_same_one(
    zone: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = open_year(zone)
    done = [approved(year) for _ in range(3)]
    admin = as_(zone, "zone_admin")
    period = settlements.quarter_of(timezone.localdate())
    monkeypatch.setattr(settlements, "transaction", LateStarters(10))

    results = in_threads(
        10,
        lambda i: settlements.issue(
            actor=admin, scheme=year.scheme, provider=year.provider, period=period
        ),
    )
    statement = VoucherSettlement.objects.get()
    assert {r.pk for r in results} == {statement.pk}
    assert (statement.order_count, statement.total_fen) == (3, 3 * SHARE)
    assert set(statement.orders.values_list("pk", flat=True)) == {o.pk for o in done}
    assert AuditEntry.objects.filter(action="voucher_settlement_issued").count() == 1
    connection.close()

"""Real threads, each with its own database connection, against one budget.

On PostgreSQL the pool's row lock serialises the budget checks. On SQLite (the test database
is an in-memory, shared-cache database) a writer that finds the database locked gets
"database table is locked" at once rather than waiting for the busy timeout, so the workers
retry such a call with the same idempotency key — which is exactly what a retried request does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict
from gaoxin.ledger import services
from gaoxin.ledger.models import BudgetPool, JournalEntry, Posting, Reservation
from gaoxin.ledger.selectors import check_balances, pool_balances, reservation_balances
from gaoxin.ledger.services import InsufficientBudget, credit, debit

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor.system("finance-office")
THREADS = 20


def retrying(call: Callable[[], Any], patience: float = 90.0) -> Any:
    """SQLite lets one writer in at a time: a thread retries while others write, for as long
    as the whole queue of writers may take on a slow machine (PostgreSQL waits on its own)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return call()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise AssertionError("the database stayed locked") from exc
            time.sleep(0.01)


def in_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..n-1) in n threads started together; each result or the domain error."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = retrying(lambda: work(i))
        except Conflict as exc:
            results[i] = exc
        except BaseException as exc:  # surfaced by the assertions below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)
    ]
    assert not unexpected, unexpected
    return results


def funded_pool(fen: int) -> BudgetPool:
    pool = services.create_pool(
        actor=STAFF, name="研发补助", owner=("policies.policy", 1), year=2025
    )
    services.fund_budget(pool=pool, amount_fen=fen, actor=STAFF, key="fund")
    return pool


def test_concurrent_reservations_cannot_overspend() -> None:
    # 1,000.00 元 affords 13 reservations of 75.00 元, not 20.
    pool = funded_pool(100_000)
    results = in_threads(
        THREADS,
        lambda i: services.reserve(pool=pool, amount_fen=7_500, actor=STAFF, key=f"payout-{i}"),
    )
    won = [r for r in results if isinstance(r, JournalEntry)]
    refused = [r for r in results if isinstance(r, InsufficientBudget)]
    assert (len(won), len(refused)) == (13, 7)
    assert Reservation.objects.count() == 13
    balances = pool_balances(pool)
    assert (balances.reserved_fen, balances.available_fen) == (97_500, 2_500)
    assert balances.reserved_fen <= balances.total_fen
    assert {str(r) for r in refused} == {"预算余额不足：可用 25.00 元，需 75.00 元"}
    assert check_balances() == []
    connection.close()


def test_concurrent_retries_with_one_key_write_one_entry() -> None:
    pool = funded_pool(100_000)
    results = in_threads(
        10, lambda i: services.reserve(pool=pool, amount_fen=1_000, actor=STAFF, key="same")
    )
    assert {r.pk for r in results} == {JournalEntry.objects.get(idempotency_key="same").pk}
    assert pool_balances(pool).reserved_fen == 1_000
    connection.close()


def test_concurrent_manual_entries_with_one_key_write_one_entry() -> None:
    """No pool lock here: the unique key decides, and the losers read the winner's entry."""
    bank = services.open_account(actor=STAFF, code="bank", name="银行存款", kind="other")
    grant = services.open_account(actor=STAFF, code="grant", name="专项资金", kind="funding")
    results = in_threads(
        10,
        lambda i: services.post_entry(
            actor=STAFF, lines=[debit(bank, 500), credit(grant, 500)], key="wire-1"
        ),
    )
    assert len({r.pk for r in results}) == 1
    assert JournalEntry.objects.count() == 1
    assert Posting.objects.count() == 2
    connection.close()


def test_concurrent_settlements_of_one_reservation_settle_once() -> None:
    pool = funded_pool(100_000)
    services.reserve(pool=pool, amount_fen=30_000, actor=STAFF, key="r")
    results = in_threads(
        10, lambda i: services.settle(reservation_key="r", actor=STAFF, key=f"settle-{i}")
    )
    assert len([r for r in results if isinstance(r, JournalEntry)]) == 1
    rb = reservation_balances(Reservation.objects.get(key="r"))
    assert (rb.reserved_fen, rb.payable_fen) == (0, 30_000)
    connection.close()


def test_concurrent_fundings_are_numbered_apart() -> None:
    """Ten fundings at once without a key: each adds once, named fund:<pool>:<n> under the
    pool's lock, so no two share a name and none is taken for a retry of another."""
    pool = services.create_pool(
        actor=STAFF, name="研发补助", owner=("policies.policy", 1), year=2025
    )
    results = in_threads(
        10, lambda i: services.fund_budget(pool=pool, amount_fen=1_000 + i, actor=STAFF)
    )
    keys = sorted(r.idempotency_key for r in results)
    assert keys == sorted(f"fund:{pool.pk}:{n}" for n in range(1, 11))
    pool.refresh_from_db()
    assert pool.total_fen == sum(1_000 + i for i in range(10)) == pool_balances(pool).total_fen
    connection.close()

"""Property: for any sequence of fund / reserve / release / settle / pay calls (and retries of
earlier calls), every entry sums to zero, the whole ledger sums to zero, each balance is the
sum of its postings, the pools agree with a plain Python model, and no budget goes negative."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gaoxin.core.errors import Conflict
from gaoxin.ledger import services
from gaoxin.ledger.models import BudgetPool, JournalEntry, LedgerAccount, Posting, Reservation
from gaoxin.ledger.selectors import (
    balance,
    check_balances,
    pool_balances,
    reservation_balances,
    sign,
)
from gaoxin.ledger.services import InsufficientBudget
from tests.ledger.conftest import STAFF

pytestmark = pytest.mark.django_db

amount = st.integers(min_value=1, max_value=40_000)
# settle / pay: everything still there, half of it, one fen more than there is, or a small sum
part = st.sampled_from(["all", "half", "over"]) | st.integers(min_value=1, max_value=500)
index = st.integers(min_value=0, max_value=3)  # few reservations: more steps on each
pool_index = st.integers(min_value=0, max_value=1)
operation = st.one_of(
    st.tuples(st.just("fund"), pool_index, amount),
    st.tuples(st.just("reserve"), pool_index, amount),
    st.tuples(st.just("reserve"), pool_index, st.integers(min_value=1, max_value=5_000)),
    st.tuples(st.just("release"), index),
    st.tuples(st.just("settle"), index, part),
    st.tuples(st.just("pay"), index, part),
    st.tuples(st.just("settle"), index, st.just("all")),
    st.tuples(st.just("pay"), index, st.just("all")),
    st.tuples(st.just("retry"), index),
)


@dataclass
class Model:
    """What the books should say, kept in plain Python."""

    total: list[int] = field(default_factory=lambda: [0, 0])
    available: list[int] = field(default_factory=lambda: [0, 0])
    # reservation key -> [pool index, reserved, payable, paid]
    reservations: dict[str, list[int]] = field(default_factory=dict)


def check_books(pools: list[BudgetPool], model: Model) -> None:
    for i, pool in enumerate(pools):
        b = pool_balances(pool)
        assert b.available_fen >= 0
        assert b.available_fen == model.available[i]
        assert b.total_fen == model.total[i]
        assert b.total_fen == b.available_fen + b.reserved_fen + b.payable_fen + b.paid_fen
        pool.refresh_from_db()
        assert pool.total_fen == b.total_fen  # the cached column equals the postings
    for key, (_pool, reserved, payable, paid) in model.reservations.items():
        rb = reservation_balances(Reservation.objects.get(key=key))
        assert (rb.reserved_fen, rb.payable_fen, rb.paid_fen) == (reserved, payable, paid)
        assert rb.released_fen >= 0


def check_ledger() -> None:
    per_entry: dict[int, int] = defaultdict(int)
    per_account: dict[int, int] = defaultdict(int)
    overall = 0
    for entry_id, account_id, fen in Posting.objects.values_list(
        "entry_id", "account_id", "amount_fen"
    ):
        assert fen != 0
        per_entry[entry_id] += fen
        per_account[account_id] += fen
        overall += fen
    assert set(per_entry) == set(JournalEntry.objects.values_list("pk", flat=True))
    assert all(total == 0 for total in per_entry.values())
    assert overall == 0
    assert (Posting.objects.aggregate(s=Sum("amount_fen"))["s"] or 0) == 0
    for account in LedgerAccount.objects.all():
        assert balance(account) == sign(account.normal_side) * per_account[account.pk]
    assert check_balances() == []  # the running balances equal the postings' sums


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.lists(st.just(0) | st.integers(10_000, 100_000), min_size=2, max_size=2),
    operations=st.lists(operation, min_size=8, max_size=30),
)
def test_any_sequence_keeps_the_books_balanced(
    db: Any, start: list[int], operations: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        run([("fund", i, fen) for i, fen in enumerate(start) if fen] + operations)
        transaction.set_rollback(True)


def run(operations: list[tuple[Any, ...]]) -> None:
    pools = [
        services.create_pool(actor=STAFF, name=f"预算{i}", owner=("policies.policy", i), year=2025)
        for i in range(2)
    ]
    model = Model()
    done: list[tuple[Callable[[], Any], int]] = []  # successful calls, to retry
    keys = iter(range(10**6))

    def call(fn: Callable[[], Any]) -> Any:
        entry = fn()
        done.append((fn, entry.pk))
        return entry

    def pick(i: int) -> str | None:
        return list(model.reservations)[i % len(model.reservations)] if model.reservations else None

    for op, *args in operations:
        key = f"k{next(keys)}"
        if op == "fund":
            p, fen = args
            call(partial(services.fund_budget, pool=pools[p], amount_fen=fen, actor=STAFF, key=key))
            model.total[p] += fen
            model.available[p] += fen
        elif op == "reserve":
            p, fen = args
            fn: Callable[[], Any] = partial(
                services.reserve, pool=pools[p], amount_fen=fen, actor=STAFF, key=key
            )
            if fen > model.available[p]:
                with pytest.raises(InsufficientBudget):
                    fn()
                event("reserve refused")
            else:
                call(fn)
                event("reserve done")
                model.available[p] -= fen
                model.reservations[key] = [p, fen, 0, 0]
        elif op == "release":
            r = pick(args[0])
            if r is None:
                continue
            state = model.reservations[r]
            fn = partial(services.release, reservation_key=r, actor=STAFF, key=key)
            if state[1] == 0:
                with pytest.raises(Conflict):
                    fn()
            else:
                call(fn)
                event("release done")
                model.available[state[0]] += state[1]
                state[1] = 0
        elif op in ("settle", "pay"):
            r = pick(args[0])
            if r is None:
                continue
            state = model.reservations[r]
            source = 1 if op == "settle" else 2
            there = state[source]
            asked = {"all": None, "half": max(there // 2, 1), "over": there + 1}.get(
                args[1], args[1]
            )
            fen = there if asked is None else asked
            service = services.settle if op == "settle" else services.pay
            fn = partial(service, reservation_key=r, actor=STAFF, key=key, amount_fen=asked)
            if state[source] == 0 or fen > state[source]:
                with pytest.raises(Conflict):
                    fn()
                event(f"{op} refused")
            else:
                call(fn)
                event(f"{op} done")
                state[source] -= fen
                state[source + 1] += fen
        elif op == "retry" and done:
            again, pk = done[args[0] % len(done)]
            count = Posting.objects.count()
            assert again().pk == pk
            event("retry")
            assert Posting.objects.count() == count
        check_books(pools, model)
    check_ledger()

"""The demo zone's year of innovation vouchers: built through the services, it holds together —
the budget on the ledger, quotas, orders, reviews and settlements agree with one another, and
the timestamps tell a year that unfolded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gaoxin.accounts.models import User
from gaoxin.demo import build_demo_zone
from gaoxin.ledger.choices import AccountKind
from gaoxin.ledger.models import BudgetPool, JournalEntry, Posting, Reservation
from gaoxin.ledger.selectors import pool_balances, reservation_balances
from gaoxin.vouchers import demo, selectors, services
from gaoxin.vouchers.choices import ACTIVE_STATES, OrderState, SettlementState
from gaoxin.vouchers.models import (
    ProviderReview,
    VoucherOrder,
    VoucherQuota,
    VoucherScheme,
    VoucherSettlement,
)
from gaoxin.vouchers.settlements import period_end, quarter_of

pytestmark = pytest.mark.django_db
OPEN = (
    OrderState.PLACED,
    OrderState.ACCEPTED,
    OrderState.DELIVERED,
    OrderState.REDEEMED,
    OrderState.FIRST_APPROVED,
)


# The demo is built as of 22 November of last year, whatever day the tests run: the year has
# gone far enough for orders in every state and three quarters' statements.
BUILT_AT = timezone.make_aware(dt.datetime(timezone.localdate().year - 1, 11, 22, 15, 0))


@pytest.fixture(scope="module")
def built(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """A small demo zone, built once for the module and rolled back after it."""
    with (
        pytest.MonkeyPatch.context() as clock,
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        build_demo_zone(enterprises=400)
        demo.reset()
        clock.setattr(timezone, "now", lambda: BUILT_AT)
        demo.build_vouchers()
        clock.undo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def scheme(built: None) -> VoucherScheme:
    return VoucherScheme.objects.get(year=BUILT_AT.year)


def test_the_year_is_open_funded_and_linked_to_the_policy(scheme: VoucherScheme) -> None:
    assert scheme.status == "open"
    assert scheme.policy is not None and scheme.policy.slug == demo.POLICY_SLUG
    pool = services.pool_of(scheme)
    expected = demo.BUDGET_FEN
    # The ledger names each funding fund:<pool>:<n>; the second is the supplement (追加).
    if JournalEntry.objects.filter(idempotency_key=f"fund:{pool.pk}:2", pool=pool).exists():
        expected += demo.SUPPLEMENT_FEN
    assert pool.total_fen == expected == pool_balances(pool).total_fen
    # Quotas were granted by the policy: each one is a row of its table, with its basis.
    quotas = VoucherQuota.objects.filter(scheme=scheme)
    assert quotas.exists()
    assert set(quotas.values_list("granted_fen", flat=True)) <= {10_000_000, 20_000_000, 30_000_000}
    assert all(q.basis.get("policy") == demo.POLICY_SLUG for q in quotas)


def test_the_ledger_balances_and_matches_the_orders(scheme: VoucherScheme) -> None:
    assert Posting.objects.aggregate(s=Sum("amount_fen"))["s"] == 0
    pool = services.pool_of(scheme)
    for entry in JournalEntry.objects.filter(pool=pool).prefetch_related("postings"):
        assert sum(p.amount_fen for p in entry.postings.all()) == 0, entry
    money = pool_balances(pool)
    by_kind = dict(
        Posting.objects.filter(account__pool=pool)
        .values_list("account__kind")
        .annotate(s=Sum("amount_fen"))
        .order_by()
    )
    assert -by_kind[AccountKind.FUNDING] == sum(
        by_kind.get(k, 0)
        for k in (AccountKind.BUDGET, AccountKind.RESERVED, AccountKind.PAYABLE, AccountKind.PAID)
    )
    orders = VoucherOrder.objects.filter(scheme=scheme)

    def total(states: tuple[str, ...], field: str) -> int:
        return int(orders.filter(state__in=states).aggregate(s=Sum(field))["s"] or 0)

    assert money.reserved_fen == total(OPEN, "reserved_fen")
    assert money.payable_fen == total((OrderState.APPROVED,), "deduction_fen")
    assert money.paid_fen == total((OrderState.SETTLED,), "deduction_fen")
    # Cancelled and rejected orders gave everything back.
    for order in orders.filter(state__in=(OrderState.CANCELLED, OrderState.REJECTED)):
        left = reservation_balances(Reservation.objects.get(key=order.reservation_key))
        assert (left.reserved_fen, left.payable_fen, left.paid_fen) == (0, 0, 0)


def test_settled_orders_are_in_paid_settlements_of_their_quarter(scheme: VoucherScheme) -> None:
    settled = VoucherOrder.objects.filter(scheme=scheme, state=OrderState.SETTLED)
    for order in settled.select_related("settlement"):
        statement = order.settlement
        assert statement is not None and statement.state == SettlementState.PAID
        assert order.approved_at is not None
        assert statement.period == quarter_of(timezone.localtime(order.approved_at).date())
    for statement in VoucherSettlement.objects.filter(scheme=scheme):
        assert statement.total_fen == sum(o.deduction_fen for o in statement.orders.all())
        assert statement.order_count == statement.orders.count()
        assert statement.period_end == period_end(statement.period)
        assert timezone.localtime(statement.issued_at).date() > statement.period_end
        if statement.state == SettlementState.PAID:
            assert statement.paid_at is not None and statement.paid_at > statement.issued_at
            assert selectors.paid_on_ledger(statement) == statement.total_fen
            assert not statement.orders.exclude(state=OrderState.SETTLED).exists()
        else:
            assert not statement.orders.exclude(state=OrderState.APPROVED).exists()
    assert settled.exists()  # built in late November: three quarters are settled


def test_no_enterprise_exceeds_its_quota_and_each_acts_through_its_own_login(
    scheme: VoucherScheme,
) -> None:
    for quota in VoucherQuota.objects.filter(scheme=scheme):
        assert services.used_fen(quota) <= quota.granted_fen
    for order in VoucherOrder.objects.filter(scheme=scheme).select_related(
        "enterprise", "quota", "listing"
    ):
        assert order.quota.enterprise_id == order.enterprise_id
        user = User.objects.get(username=order.placed_by)
        assert user.organisation_id == order.enterprise.organisation_id
        assert user.roles.filter(code="enterprise_admin").exists()
        assert order.listing.price_min_fen <= order.contract_fee_fen <= order.listing.price_max_fen
        assert order.contract_file.open("rb").read(5) == b"%PDF-"
        order.contract_file.close()


def test_the_demo_logins_keep_half_their_quota_to_order_with(scheme: VoucherScheme) -> None:
    """Whoever signs in as ent1 or ent2 can still order a service with a voucher."""
    logins = User.objects.filter(username__in=("ent1", "ent2")).values("organisation_id")
    quotas = VoucherQuota.objects.filter(scheme=scheme, enterprise__organisation__in=logins)
    assert quotas.exists()  # the logins in the service centre's care
    for quota in quotas:
        assert VoucherOrder.objects.filter(quota=quota).exists()
        assert quota.granted_fen - services.used_fen(quota) >= quota.granted_fen // 2


def test_orders_move_through_the_year_in_order(scheme: VoucherScheme) -> None:
    now = timezone.now()
    opened = timezone.make_aware(dt.datetime.combine(scheme.opens_on, dt.time()))
    orders = list(VoucherOrder.objects.filter(scheme=scheme))
    for order in orders:
        steps = [
            order.placed_at,
            order.accepted_at,
            order.delivered_at,
            order.redeemed_at,
            order.approved_at,
            order.closed_at,
        ]
        done = [t for t in steps if t is not None]
        assert done == sorted(done), order
        assert opened <= done[0] and done[-1] <= now
        entries = JournalEntry.objects.filter(reservation__key=order.reservation_key)
        assert entries.get(kind="reserve").at == order.placed_at
        if order.state in (OrderState.APPROVED, OrderState.SETTLED):
            assert entries.get(kind="settle").at == order.approved_at
            levels = [r["level"] for r in order.reviews if r["decision"] == "approve"]
            if order.deduction_fen >= scheme.second_review_from_fen:
                assert levels == [1, 2]
                assert order.reviews[0]["by"] != order.reviews[1]["by"]
            else:
                assert levels == [1]
        if order.state in (OrderState.CANCELLED, OrderState.REJECTED):
            assert order.note
    # Placing spread over the months: not all on one day.
    assert len({timezone.localtime(o.placed_at).date() for o in orders}) > len(orders) // 3


def test_the_year_has_orders_in_many_states_and_ratings(scheme: VoucherScheme) -> None:
    states = set(VoucherOrder.objects.filter(scheme=scheme).values_list("state", flat=True))
    assert {OrderState.SETTLED, OrderState.APPROVED, OrderState.ACCEPTED} <= states
    assert len(states) >= 5
    assert states & set(OPEN)
    ratings = ProviderReview.objects.filter(order__scheme=scheme)
    assert ratings.exists()
    assert all(r.order.delivered_at is not None for r in ratings.select_related("order"))
    assert all(r.created_at >= r.order.delivered_at for r in ratings.select_related("order"))
    active = VoucherOrder.objects.filter(scheme=scheme, state__in=ACTIVE_STATES)
    assert active.count() > VoucherOrder.objects.filter(scheme=scheme).count() // 2


def test_reset_clears_the_vouchers_and_a_rebuild_works(scheme: VoucherScheme) -> None:
    demo.reset()
    assert not VoucherOrder.objects.exists() and not VoucherScheme.objects.exists()
    assert not BudgetPool.objects.filter(owner_type=services.OWNER_TYPE).exists()
    summary = demo.build_vouchers(orders_per_year=12)
    assert summary is not None
    assert VoucherScheme.objects.get().pk != scheme.pk
    assert demo.build_vouchers() is None  # the year's scheme exists: nothing more

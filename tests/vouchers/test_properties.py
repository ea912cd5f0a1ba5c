"""Property: for any sequence of voucher operations — orders placed with fees inside and outside
the listing's price range, accepted, declined, cancelled, delivered, redeemed (also again, with
the same or another fee), reviewed at one or two levels, settled and paid for the quarter (also
again) — the service answers as a plain Python model says, and after every step:

- every journal entry sums to zero;
- the pool's funding = available + reserved + payable + paid, and available ≥ 0;
- each enterprise's active orders claim no more than its quota;
- what the ledger holds for each order (reserved + payable + paid of its reservation) is what
  the order claims: what it reserved while open, its deduction once approved, nothing once
  cancelled or rejected; summed over the orders, too;
- each order's deduction is the smallest of its limits and never above ratio × fee, rounded
  half up;
- each statement's total is the sum of its orders, and what the ledger paid is the total of the
  paid statements.

The world: three enterprises with different quotas (B is outside the data scope of the staff
reviewer), two providers each with one listing (one priced in thousands of yuan, one in fen, so
that rounding and a zero deduction occur), and a budget that runs out part way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Enterprise
from gaoxin.ledger.models import JournalEntry, Posting, Reservation
from gaoxin.ledger.selectors import pool_balances, reservation_balances
from gaoxin.supermarket.models import ServiceListing
from gaoxin.vouchers import orders, selectors, services, settlements
from gaoxin.vouchers.choices import ACTIVE_STATES, OrderState, SettlementState
from gaoxin.vouchers.models import VoucherOrder, VoucherScheme, VoucherSettlement
from tests.factories import EnterpriseFactory, OrganisationFactory, UserFactory
from tests.supermarket.test_supermarket import approved_provider, live_listing, second_provider
from tests.vouchers.conftest import VoucherYear, as_, contract, open_year

pytestmark = pytest.mark.django_db

S = OrderState
OPEN = (S.PLACED, S.ACCEPTED, S.DELIVERED, S.REDEEMED, S.FIRST_APPROVED)
SPENT = (S.APPROVED, S.SETTLED)
CLOSED = (S.CANCELLED, S.REJECTED)
PRICES = [(300_000, 1_800_000), (10, 60_000)]  # listing 0: 3,000–18,000 元; listing 1: 0.10–600 元


@dataclass
class World:
    """What stays the same in every example: who acts, and what can be ordered."""

    enterprises: list[Enterprise]  # A, B, C
    buyers: list[Actor]  # each enterprise's admin
    listings: list[ServiceListing]  # listing i is provider i's
    sellers: list[Actor]  # each provider's admin
    reviewers: list[Actor]  # staff (sees A and C, not B), zone_admin (sees all)
    sees: list[set[int]]  # per reviewer: the enterprise indexes it may review
    admin: Actor


@pytest.fixture
def world(zone: Any) -> World:
    provider = approved_provider(zone)
    other_user, other = second_provider(zone)
    listings = [
        live_listing(zone, provider),
        live_listing(zone, other, title="小额检测", price_min_fen=10, price_max_fen=60_000),
    ]
    assert [(x.price_min_fen, x.price_max_fen) for x in listings] == PRICES
    org_c = OrganisationFactory(kind=OrganisationKind.ENTERPRISE, name="企业C")
    user_c: Any = UserFactory(username="ent_c", organisation=org_c, roles=["enterprise_admin"])
    c: Any = EnterpriseFactory(
        name="厦门丙科技有限公司", organisation=org_c, department=zone.section
    )
    return World(
        enterprises=[zone.enterprise_a, zone.enterprise_b, c],
        buyers=[as_(zone, "enterprise_a"), as_(zone, "enterprise_b"), Actor.for_user(user_c)],
        listings=listings,
        sellers=[as_(zone, "provider"), Actor.for_user(other_user)],
        reviewers=[as_(zone, "staff"), as_(zone, "zone_admin")],
        sees=[{0, 2}, {0, 1, 2}],
        admin=as_(zone, "zone_admin"),
    )


# -- the model ----------------------------------------------------------------------------


@dataclass
class ModelOrder:
    pk: int
    enterprise: int
    listing: int  # also the provider's index
    fee: int
    reserved: int
    deduction: int
    state: str = S.PLACED
    invoice: int | None = None
    delivered: bool = False
    approvers: list[str] = field(default_factory=list)
    statement: int | None = None  # the pk of the statement it is on

    @property
    def under_way(self) -> bool:
        return self.state in OPEN or self.state == S.APPROVED

    @property
    def claim(self) -> int:
        """What the ledger should hold for the order."""
        if self.state in OPEN:
            return self.reserved
        return self.deduction if self.state in SPENT else 0


@dataclass
class ModelStatement:
    pk: int
    orders: list[int]
    total: int
    listing: int
    paid: bool = False


@dataclass
class Model:
    ratio: Fraction
    order_cap: int
    second_review_from: int
    budget: int
    quotas: list[int]
    orders: list[ModelOrder] = field(default_factory=list)
    statements: dict[int, ModelStatement] = field(default_factory=dict)  # by statement pk
    latest: dict[int, int] = field(default_factory=dict)  # provider's listing → statement pk

    def share(self, fee: int) -> int:
        """ratio × fee to the fen, half up (fee > 0)."""
        r = self.ratio
        return (2 * fee * r.numerator + r.denominator) // (2 * r.denominator)

    def in_state(self, states: tuple[str, ...]) -> list[ModelOrder]:
        return [o for o in self.orders if o.state in states]

    @property
    def reserved(self) -> int:
        return sum(o.reserved for o in self.in_state(OPEN))

    @property
    def payable(self) -> int:
        return sum(o.deduction for o in self.in_state((S.APPROVED,)))

    @property
    def paid(self) -> int:
        return sum(o.deduction for o in self.in_state((S.SETTLED,)))

    @property
    def available(self) -> int:
        return self.budget - self.reserved - self.payable - self.paid

    def used(self, enterprise: int) -> int:
        return sum(o.deduction for o in self.in_state(ACTIVE_STATES) if o.enterprise == enterprise)


# -- operations -----------------------------------------------------------------------------

order_index = st.integers(min_value=0, max_value=7)
# The contract fee: somewhere inside the listing's price range (per ten thousand of the way
# from its lowest to its highest price), or a fixed amount that may lie outside either range.
fee = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(lambda at: ("inside", at)),
    st.integers(min_value=0, max_value=10_000).map(lambda at: ("inside", at)),
    st.sampled_from(
        [0, -1, -500_000, 1, 9, 10, 11, 60_000, 60_001, 299_999, 300_000, 1_800_000, 1_800_001]
    ).map(lambda fen: ("fixed", fen)),
)
# The fee actually invoiced: the contract fee, the fee of the earlier redemption (a retry), one
# fen over the contract, 0, 1 fen, or a share of the contract in per cent.
invoice = st.sampled_from(["contract", "again", "over", "zero", "one"]) | st.integers(1, 99)
decision = st.sampled_from(["approve", "approve", "reject", "reject without comment"])
provider_index = st.integers(min_value=0, max_value=1)
STEPS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "place": st.tuples(st.just("place"), st.integers(0, 2), provider_index, fee),
    # moves an order that is still under way one step on towards being paid
    "advance": st.tuples(st.just("advance"), order_index, invoice, st.integers(0, 1)),
    "accept": st.tuples(st.just("accept"), order_index),
    "decline": st.tuples(st.just("decline"), order_index),
    "cancel": st.tuples(st.just("cancel"), order_index),
    "deliver": st.tuples(st.just("deliver"), order_index),
    "redeem": st.tuples(st.just("redeem"), order_index, invoice),
    "review": st.tuples(st.just("review"), order_index, st.integers(0, 1), decision),
    # a review of an order that is waiting for one
    "judge": st.tuples(st.just("judge"), order_index, st.integers(0, 1), decision),
    "issue": st.tuples(st.just("issue"), provider_index),
    "pay": st.tuples(st.just("pay"), provider_index),
}
WEIGHTS = {"place": 3, "advance": 6, "judge": 2}
operation = st.sampled_from([name for name in STEPS for _ in range(WEIGHTS.get(name, 1))]).flatmap(
    STEPS.__getitem__
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    budget=st.integers(min_value=100_000, max_value=2_500_000),
    quotas=st.lists(st.integers(min_value=50_000, max_value=1_500_000), min_size=3, max_size=3),
    order_cap=st.sampled_from([250_000, 100_000_000]),
    second_review_from=st.sampled_from([0, 100_000, 300_000, 10**9]),
    operations=st.lists(operation, min_size=15, max_size=40),
)
def test_any_sequence_of_voucher_operations_keeps_the_books(
    world: World,
    budget: int,
    quotas: list[int],
    order_cap: int,
    second_review_from: int,
    operations: list[tuple[Any, ...]],
) -> None:
    with transaction.atomic():
        Run(world, budget, quotas, order_cap, second_review_from).run(operations)
        transaction.set_rollback(True)


ORDER_STEPS = ("accept", "decline", "cancel", "deliver", "redeem", "review")


class Run:
    def __init__(
        self, world: World, budget: int, quotas: list[int], order_cap: int, second_from: int
    ) -> None:
        self.world = world
        admin = world.admin
        data = services.default_scheme(timezone.localdate().year)
        data.order_cap_fen, data.second_review_from_fen = order_cap, second_from
        self.scheme = services.create_scheme(actor=admin, data=data)
        services.set_status(actor=admin, scheme=self.scheme, status="open")
        services.fund(actor=admin, scheme=self.scheme, amount_fen=budget)
        self.quotas = [
            services.grant_quota(
                actor=admin, scheme=self.scheme, enterprise=e, amount_fen=q, note="测试核定"
            )
            for e, q in zip(world.enterprises, quotas, strict=True)
        ]
        self.pool = services.pool_of(self.scheme)
        self.period = settlements.quarter_of(timezone.localdate())
        self.model = Model(
            ratio=Fraction(str(self.scheme.ratio)),
            order_cap=order_cap,
            second_review_from=second_from,
            budget=budget,
            quotas=quotas,
        )

    def run(self, operations: list[tuple[Any, ...]]) -> None:
        self.check()
        for op, *args in operations:
            if op == "place":
                self.place(*args)
            elif op == "advance":
                under_way = [o for o in self.model.orders if o.under_way]
                if under_way:
                    self.advance(under_way[args[0] % len(under_way)], *args[1:])
            elif op == "judge":
                waiting = self.model.in_state((S.REDEEMED, S.FIRST_APPROVED))
                if waiting:
                    self.review(waiting[args[0] % len(waiting)], *args[1:])
            elif op in ORDER_STEPS and self.model.orders:
                getattr(self, op)(self.pick(args[0]), *args[1:])
            elif op in ("issue", "pay"):
                getattr(self, op)(args[0])
            self.check()

    def pick(self, i: int) -> ModelOrder:
        return self.model.orders[i % len(self.model.orders)]

    def db(self, o: ModelOrder) -> VoucherOrder:
        return VoucherOrder.objects.get(pk=o.pk)

    def expect(self, error: type[Exception] | None, call: Callable[[], Any], what: str) -> Any:
        """Call, expecting `error` (then nothing is written and None is returned) or success
        (the call's result)."""
        counts = (JournalEntry.objects.count(), AuditEntry.objects.count())
        if error is not None:
            with pytest.raises(error):
                call()
            event(f"{what}: {error.__name__}")
            assert (JournalEntry.objects.count(), AuditEntry.objects.count()) == counts
            return None
        result = call()
        event(f"{what}: done")
        return result

    def unchanged(self, call: Callable[[], Any], what: str) -> Any:
        """A step repeated: it answers and writes nothing."""
        counts = (JournalEntry.objects.count(), AuditEntry.objects.count())
        result = call()
        event(f"{what}: repeated")
        assert (JournalEntry.objects.count(), AuditEntry.objects.count()) == counts
        return result

    # -- the steps --------------------------------------------------------------------------

    def place(self, e: int, p: int, fee: tuple[str, int]) -> None:
        m, w = self.model, self.world
        low, high = PRICES[p]
        kind, value = fee
        fee_fen = low + (high - low) * value // 10_000 if kind == "inside" else value
        deduction, binding = 0, ""
        if fee_fen > 0 and low <= fee_fen <= high:
            limits = {  # in the order the service names them: the first smallest binds
                "ratio": m.share(fee_fen),
                "order_cap": m.order_cap,
                "quota_left": max(m.quotas[e] - m.used(e), 0),
                "budget_left": max(m.available, 0),
            }
            binding = min(limits, key=limits.__getitem__)
            deduction = limits[binding]
            event(f"place: bound by {binding}" + (" (refused)" if deduction <= 0 else ""))
        orders_before = VoucherOrder.objects.count()
        placed = self.expect(
            None if deduction > 0 else ValidationFailed,
            lambda: orders.place(
                actor=w.buyers[e],
                enterprise=w.enterprises[e],
                listing=w.listings[p],
                contract_fee_fen=fee_fen,
                contract_file=contract(),
            ),
            "place",
        )
        if placed is None:
            assert VoucherOrder.objects.count() == orders_before
            return
        assert (placed.reserved_fen, placed.deduction_fen) == (deduction, deduction)
        assert placed.basis["binding"] == binding
        m.orders.append(ModelOrder(placed.pk, e, p, fee_fen, deduction, deduction))

    def advance(self, o: ModelOrder, invoice_kind: Any, reviewer: int) -> None:
        if o.state == S.PLACED:
            self.accept(o)
        elif o.state == S.ACCEPTED:
            self.deliver(o)
        elif o.state == S.DELIVERED:
            self.redeem(o, invoice_kind)
            if invoice_kind == "again":  # the provider sends the same request twice
                self.redeem(o, invoice_kind)
        elif o.state in (S.REDEEMED, S.FIRST_APPROVED):
            others = [i for i, r in enumerate(self.world.reviewers) if r.label not in o.approvers]
            self.review(o, others[reviewer % len(others)], "approve")
        elif o.state == S.APPROVED and o.statement is None:
            self.issue(o.listing)
        elif o.state in (S.APPROVED, S.SETTLED):
            self.pay(o.listing)

    def accept(self, o: ModelOrder) -> None:
        def call() -> Any:
            return orders.accept(actor=self.world.sellers[o.listing], order=self.db(o))

        if o.state == S.ACCEPTED:
            self.unchanged(call, "accept")
        elif o.state == S.PLACED:
            self.expect(None, call, "accept")
            o.state = S.ACCEPTED
        else:
            self.expect(Conflict, call, "accept")

    def decline(self, o: ModelOrder) -> None:
        def call() -> Any:
            return orders.decline(
                actor=self.world.sellers[o.listing], order=self.db(o), reason="排期已满"
            )

        if o.state == S.CANCELLED:
            self.unchanged(call, "decline")
        elif o.state == S.PLACED:
            self.expect(None, call, "decline")
            o.state = S.CANCELLED
        else:
            self.expect(Conflict, call, "decline")

    def cancel(self, o: ModelOrder) -> None:
        def call() -> Any:
            return orders.cancel(
                actor=self.world.buyers[o.enterprise], order=self.db(o), reason="改期"
            )

        if o.state == S.CANCELLED:
            self.unchanged(call, "cancel")
        elif o.state in (S.PLACED, S.ACCEPTED):
            self.expect(None, call, "cancel")
            o.state = S.CANCELLED
        else:
            self.expect(Conflict, call, "cancel")

    def deliver(self, o: ModelOrder) -> None:
        def call() -> Any:
            return orders.confirm_delivery(actor=self.world.buyers[o.enterprise], order=self.db(o))

        if o.state == S.DELIVERED or o.delivered:
            self.unchanged(call, "deliver")
        elif o.state == S.ACCEPTED:
            self.expect(None, call, "deliver")
            o.state, o.delivered = S.DELIVERED, True
        else:
            self.expect(Conflict, call, "deliver")

    def redeem(self, o: ModelOrder, kind: Any) -> None:
        m = self.model
        fee_fen = {
            "contract": o.fee,
            "again": o.invoice if o.invoice is not None else o.fee,
            "over": o.fee + 1,
            "zero": 0,
            "one": 1,
        }.get(kind, o.fee * kind // 100 if isinstance(kind, int) else 0)

        def call() -> Any:
            return orders.redeem(
                actor=self.world.sellers[o.listing], order=self.db(o), invoice_fee_fen=fee_fen
            )

        if o.invoice is not None:
            if fee_fen == o.invoice:
                self.unchanged(call, "redeem")
            else:
                self.expect(Conflict, call, "redeem again with another fee")
            return
        if o.state != S.DELIVERED:
            self.expect(Conflict, call, "redeem")
            return
        if fee_fen <= 0 or fee_fen > o.fee:
            self.expect(ValidationFailed, call, "redeem")
            return
        deduction = min(m.share(fee_fen), m.order_cap, o.reserved)
        if deduction <= 0:
            self.expect(ValidationFailed, call, "redeem")
            return
        self.expect(
            None, call, "redeem below the reservation" if deduction < o.reserved else "redeem"
        )
        o.state, o.invoice, o.deduction = S.REDEEMED, fee_fen, deduction

    def review(self, o: ModelOrder, reviewer: int, decision: str) -> None:
        actor = self.world.reviewers[reviewer]
        comment = "" if decision == "reject without comment" else "发票与合同不符"
        verdict = "reject" if decision.startswith("reject") else "approve"

        def call() -> Any:
            return orders.review(actor=actor, order=self.db(o), decision=verdict, comment=comment)

        if o.enterprise not in self.world.sees[reviewer]:
            self.expect(NotFound, call, "review outside the data scope")
        elif o.state not in (S.REDEEMED, S.FIRST_APPROVED):
            self.expect(Conflict, call, "review")
        elif verdict == "reject" and not comment:
            self.expect(ValidationFailed, call, "review")
        elif o.state == S.FIRST_APPROVED and actor.label in o.approvers:
            self.expect(PermissionDenied, call, "second review by the first reviewer")
        elif verdict == "reject":
            self.expect(None, call, f"reject at {o.state}")
            o.state = S.REJECTED
        elif o.state == S.REDEEMED and o.deduction >= self.model.second_review_from:
            self.expect(None, call, "first approval")
            o.state = S.FIRST_APPROVED
            o.approvers.append(actor.label)
        else:
            self.expect(None, call, f"approve at {o.state}")
            o.state = S.APPROVED

    def issue(self, p: int) -> None:
        m = self.model
        provider = self.world.listings[p].provider

        def call() -> VoucherSettlement:
            return settlements.issue(
                actor=self.world.admin, scheme=self.scheme, provider=provider, period=self.period
            )

        due = [
            o for o in m.orders if o.listing == p and o.state == S.APPROVED and o.statement is None
        ]
        if not due:
            # Nothing new: the period's statement, if there is one, is answered again.
            if p in m.latest:
                assert self.unchanged(call, "issue").pk == m.latest[p]
            else:
                self.expect(ValidationFailed, call, "issue")
            return
        # Approved since the last statement of the period: a supplementary one.
        statement = self.expect(None, call, "issue")
        m.statements[statement.pk] = ModelStatement(
            statement.pk, [o.pk for o in due], sum(o.deduction for o in due), p
        )
        m.latest[p] = statement.pk
        for o in due:
            o.statement = statement.pk

    def pay(self, p: int) -> None:
        if p not in self.model.latest:
            return
        statement = self.model.statements[self.model.latest[p]]

        def call() -> VoucherSettlement:
            return settlements.pay(
                actor=self.world.admin, settlement=VoucherSettlement.objects.get(pk=statement.pk)
            )

        if statement.paid:
            self.unchanged(call, "pay")
            return
        self.expect(None, call, "pay")
        statement.paid = True
        for o in self.model.orders:
            if o.pk in statement.orders:
                o.state = S.SETTLED

    # -- after every step -------------------------------------------------------------------

    def check(self) -> None:
        m = self.model
        # Every journal entry sums to zero.
        assert not (
            Posting.objects.values("entry_id").annotate(s=Sum("amount_fen")).exclude(s=0).exists()
        )
        # The pool: funding = available + reserved + payable + paid, available ≥ 0, as modelled.
        b = pool_balances(self.pool)
        assert b.total_fen == b.available_fen + b.reserved_fen + b.payable_fen + b.paid_fen
        assert b.available_fen >= 0
        assert (b.total_fen, b.available_fen, b.reserved_fen, b.payable_fen, b.paid_fen) == (
            m.budget,
            m.available,
            m.reserved,
            m.payable,
            m.paid,
        )
        # The orders, each as modelled, and what the ledger holds for each.
        stored = {o.pk: o for o in VoucherOrder.objects.filter(scheme=self.scheme)}
        assert set(stored) == {o.pk for o in m.orders}
        held_total = 0
        for o in m.orders:
            row = stored[o.pk]
            statement = m.statements[o.statement].pk if o.statement is not None else None
            assert (
                row.state,
                row.reserved_fen,
                row.deduction_fen,
                row.invoice_fee_fen,
                row.settlement_id,
            ) == (o.state, o.reserved, o.deduction, o.invoice, statement)
            self.check_share(row)
            money = reservation_balances(Reservation.objects.get(key=row.reservation_key))
            held = money.reserved_fen + money.payable_fen + money.paid_fen
            assert held == o.claim
            assert money.amount_fen == o.reserved
            assert money.released_fen == o.reserved - o.claim
            if o.state == S.APPROVED:
                assert (money.reserved_fen, money.payable_fen, money.paid_fen) == (
                    0,
                    o.deduction,
                    0,
                )
            if o.state == S.SETTLED:
                assert (money.reserved_fen, money.payable_fen, money.paid_fen) == (
                    0,
                    0,
                    o.deduction,
                )
            held_total += held
        assert held_total == sum(o.claim for o in m.orders) == b.reserved_fen + b.spent_fen
        # No enterprise's active orders claim more than its quota.
        for i, quota in enumerate(self.quotas):
            claims = sum(
                r.deduction_fen
                for r in stored.values()
                if r.enterprise_id == quota.enterprise_id and r.state in ACTIVE_STATES
            )
            assert claims == services.used_fen(quota) == m.used(i)
            assert claims <= m.quotas[i]
        # Statements: total = its orders' deductions; paid on the ledger = the paid totals.
        paid_total = 0
        for s in m.statements.values():
            sheet = VoucherSettlement.objects.get(pk=s.pk)
            assert sheet.provider_id == self.world.listings[s.listing].provider_id
            assert set(sheet.orders.values_list("pk", flat=True)) == set(s.orders)
            assert sheet.total_fen == settlements.settled_total(sheet) == s.total
            assert sheet.order_count == len(s.orders)
            assert sheet.state == (SettlementState.PAID if s.paid else SettlementState.ISSUED)
            assert selectors.paid_on_ledger(sheet) == (s.total if s.paid else 0)
            paid_total += s.total if s.paid else 0
        assert VoucherSettlement.objects.filter(scheme=self.scheme).count() == len(m.statements)
        assert paid_total == b.paid_fen

    def check_share(self, row: VoucherOrder) -> None:
        """The deduction is the smallest of its limits, never above ratio × fee half up."""
        m = self.model
        limits = row.basis["limits"]
        assert row.reserved_fen == min(limits.values()) == limits[row.basis["binding"]]
        assert limits["ratio"] == m.share(row.contract_fee_fen) >= row.reserved_fen
        assert limits["order_cap"] == m.order_cap
        assert 0 < row.reserved_fen <= row.contract_fee_fen
        if row.invoice_fee_fen is None:
            assert row.deduction_fen == row.reserved_fen
            return
        redeemed = row.basis["redeemed"]["limits"]
        assert row.deduction_fen == min(redeemed.values())
        assert redeemed["ratio"] == m.share(row.invoice_fee_fen) >= row.deduction_fen
        assert 0 < row.deduction_fen <= row.reserved_fen


# -- settlements: every approved order is paid at last ----------------------------------------


def approved(year: VoucherYear) -> VoucherOrder:
    zone = year.zone
    order = orders.place(
        actor=as_(zone, "enterprise_a"),
        enterprise=zone.enterprise_a,
        listing=year.listing,
        contract_fee_fen=1_000_000,
        contract_file=contract(),
    )
    orders.accept(actor=as_(zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=order)
    orders.redeem(actor=as_(zone, "provider"), order=order, invoice_fee_fen=1_000_000)
    return orders.review(actor=as_(zone, "staff"), order=order, decision="approve")


def test_an_order_approved_after_the_last_statement_of_the_year_is_still_settled(
    zone: Any,
) -> None:
    year = open_year(zone)
    scheme: VoucherScheme = year.scheme
    admin = as_(zone, "zone_admin")
    first = approved(year)
    q4 = f"{scheme.year}Q4"
    statement = settlements.issue(actor=admin, scheme=scheme, provider=year.provider, period=q4)
    assert list(statement.orders.all()) == [first]
    settlements.pay(actor=admin, settlement=statement)
    # Approved on 20 December, after the statement of 15 December.
    late = approved(year)
    late_approval = timezone.make_aware(dt.datetime(scheme.year, 12, 20, 10))
    VoucherOrder.objects.filter(pk=late.pk).update(approved_at=late_approval)

    # Whatever period the settler tries, the order should end up on a statement.
    periods = [*[f"{scheme.year}Q{q}" for q in range(1, 5)], f"{scheme.year + 1}Q1"]
    for period in periods:
        try:
            settlements.issue(actor=admin, scheme=scheme, provider=year.provider, period=period)
        except ValidationFailed:
            continue
    late.refresh_from_db()
    assert late.settlement_id is not None

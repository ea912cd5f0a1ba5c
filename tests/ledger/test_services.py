"""Each ledger service with exact amounts, its refusals, its audit entry and its idempotency."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, NotFound, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.ledger import services
from gaoxin.ledger.choices import AccountKind, EntryKind, Side
from gaoxin.ledger.models import BudgetPool, JournalEntry, LedgerAccount, Posting, Reservation
from gaoxin.ledger.selectors import (
    PoolBalances,
    balance,
    pool_balances,
    reservation_balances,
)
from gaoxin.ledger.services import IdempotencyConflict, InsufficientBudget, credit, debit
from tests.ledger.conftest import POLICY, STAFF

pytestmark = pytest.mark.django_db
ENTERPRISE_7 = ("enterprises.enterprise", 7)


def counts() -> tuple[int, int, int, int]:
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        Reservation.objects.count(),
        AuditEntry.objects.count(),
    )


# --- pools and accounts ---------------------------------------------------------------------


def test_create_pool_opens_its_five_accounts(db: Any) -> None:
    pool = services.create_pool(actor=STAFF, name="研发费用补助", owner=POLICY, year=2025)
    accounts = {a.kind: a for a in pool.accounts.all()}
    assert sorted(accounts) == sorted(["funding", "budget", "reserved", "payable", "paid"])
    assert accounts["funding"].normal_side == Side.CREDIT
    assert {accounts[k].normal_side for k in accounts if k != "funding"} == {Side.DEBIT}
    assert accounts["budget"].code == f"pool-{pool.pk}-budget"
    assert accounts["budget"].name == "研发费用补助（2025）可用预算"
    assert (accounts["paid"].owner_type, accounts["paid"].owner_id) == ("policies.policy", "3")
    assert pool_balances(pool) == PoolBalances(0, 0, 0, 0, 0)
    assert AuditEntry.objects.filter(subject_id=str(pool.pk), action="create").count() == 6


def test_one_pool_per_owner_and_year(pool: BudgetPool) -> None:
    with pytest.raises(Conflict, match="2025 年度的预算池已存在"):
        services.create_pool(actor=STAFF, name="另一个", owner=POLICY, year=2025)
    services.create_pool(actor=STAFF, name="研发费用补助", owner=POLICY, year=2026)
    with pytest.raises(ValidationFailed, match="所属对象"):
        services.create_pool(actor=STAFF, name="x", owner=("policy", 1), year=2025)
    with pytest.raises(ValidationFailed, match="预算年度"):
        services.create_pool(actor=STAFF, name="x", owner=POLICY, year=1999)
    with pytest.raises(ValidationFailed, match="预算名称必填"):
        services.create_pool(actor=STAFF, name=" ", owner=POLICY, year=2027)


def test_open_account_defaults_and_refusals(db: Any) -> None:
    acc = services.open_account(
        actor=STAFF, code="bank-1", name="财政零余额账户", kind=AccountKind.FUNDING
    )
    assert (acc.normal_side, acc.owner_type, acc.owner_id, acc.pool) == ("credit", "", "", None)
    with pytest.raises(Conflict, match="科目代码 bank-1 已存在"):
        services.open_account(actor=STAFF, code="bank-1", name="重复", kind="funding")
    with pytest.raises(ValidationFailed, match="未知科目类别"):
        services.open_account(actor=STAFF, code="x", name="x", kind="asset")
    with pytest.raises(ValidationFailed, match="代码不超过 100 字"):
        services.open_account(actor=STAFF, code="x" * 101, name="x", kind="other")
    with pytest.raises(ValidationFailed, match="余额方向"):
        services.open_account(actor=STAFF, code="x", name="x", kind="other", normal_side="left")
    owned = services.open_account(
        actor=STAFF, code="ent-7", name="企业7应收", kind="receivable", owner=ENTERPRISE_7
    )
    assert (owned.owner_type, owned.owner_id, owned.normal_side) == (
        "enterprises.enterprise",
        "7",
        "debit",
    )


# --- fund -----------------------------------------------------------------------------------


def test_fund_budget_exact(pool: BudgetPool) -> None:
    entry = services.fund_budget(pool=pool, amount_fen=2_345, actor=STAFF, key="fund-extra")
    assert entry.kind == EntryKind.FUND
    assert sorted(entry.postings.values_list("account__kind", "amount_fen")) == [
        ("budget", 2_345),
        ("funding", -2_345),
    ]
    pool.refresh_from_db()
    assert pool.total_fen == 102_345
    assert pool_balances(pool) == PoolBalances(102_345, 102_345, 0, 0, 0)
    audit = AuditEntry.objects.filter(model="ledger.budgetpool", action="update").first()
    assert audit is not None
    assert (audit.before, audit.after, audit.note) == (
        {"total_fen": 100_000},
        {"total_fen": 102_345},
        "fund-extra",
    )
    entry_audit = AuditEntry.objects.get(model="ledger.journalentry", object_id=str(entry.pk))
    assert entry_audit.action == "fund"
    assert entry_audit.actor_label == "finance-office"
    assert entry_audit.subject_id == str(pool.pk)
    assert entry_audit.after is not None
    assert entry_audit.after["amount_fen"] == 2_345


@pytest.mark.parametrize("amount", [0, -1, 10**15 + 1, 1.5, True, "100"])
def test_amounts_must_be_positive_integer_fen(pool: BudgetPool, amount: Any) -> None:
    before = counts()
    with pytest.raises(ValidationFailed, match="金额"):
        services.fund_budget(pool=pool, amount_fen=amount, actor=STAFF, key="bad")
    with pytest.raises(ValidationFailed, match="金额"):
        services.reserve(pool=pool, amount_fen=amount, actor=STAFF, key="bad")
    assert counts() == before


def test_key_is_required(pool: BudgetPool) -> None:
    for key in ("", "  ", "k" * 201):
        with pytest.raises(ValidationFailed, match="幂等键必填"):
            services.reserve(pool=pool, amount_fen=1, actor=STAFF, key=key)


# --- reserve --------------------------------------------------------------------------------


def test_reserve_exact_and_refuses_overspending(pool: BudgetPool) -> None:
    entry = services.reserve(
        pool=pool, amount_fen=60_000, actor=STAFF, key="payout-1", memo="企业7", payee=ENTERPRISE_7
    )
    assert sorted(entry.postings.values_list("account__kind", "amount_fen")) == [
        ("budget", -60_000),
        ("reserved", 60_000),
    ]
    r = Reservation.objects.get(key="payout-1")
    assert (r.pool, r.amount_fen, r.payee_type, r.payee_id, r.memo) == (
        pool,
        60_000,
        "enterprises.enterprise",
        "7",
        "企业7",
    )
    assert entry.reservation == r
    assert pool_balances(pool) == PoolBalances(100_000, 40_000, 60_000, 0, 0)

    before = counts()
    with pytest.raises(InsufficientBudget) as refused:
        services.reserve(pool=pool, amount_fen=40_001, actor=STAFF, key="payout-2")
    assert str(refused.value) == "预算余额不足：可用 400.00 元，需 400.01 元"
    assert refused.value.status == 409
    assert refused.value.as_dict()["details"] == {"available_fen": 40_000, "needed_fen": 40_001}
    assert counts() == before

    services.reserve(pool=pool, amount_fen=40_000, actor=STAFF, key="payout-2")  # exactly all
    assert pool_balances(pool).available_fen == 0
    with pytest.raises(InsufficientBudget, match=re.escape("可用 0.00 元，需 0.01 元")):
        services.reserve(pool=pool, amount_fen=1, actor=STAFF, key="payout-3")


def test_reserve_on_an_unfunded_pool(db: Any) -> None:
    empty = services.create_pool(actor=STAFF, name="空", owner=POLICY, year=2024)
    with pytest.raises(InsufficientBudget, match=re.escape("可用 0.00 元，需 1.00 元")):
        services.reserve(pool=empty, amount_fen=100, actor=STAFF, key="r")


# --- release --------------------------------------------------------------------------------


def test_release_gives_back_exactly_what_was_reserved(pool: BudgetPool) -> None:
    services.reserve(pool=pool, amount_fen=33_333, actor=STAFF, key="r1")
    entry = services.release(reservation_key="r1", actor=STAFF)
    assert entry.idempotency_key == "release:r1"
    assert sorted(entry.postings.values_list("account__kind", "amount_fen")) == [
        ("budget", 33_333),
        ("reserved", -33_333),
    ]
    assert pool_balances(pool) == PoolBalances(100_000, 100_000, 0, 0, 0)
    before = counts()
    again = services.release(reservation_key="r1", actor=STAFF)  # idempotent
    assert again.pk == entry.pk
    assert counts() == before
    with pytest.raises(Conflict, match="已无可释放的金额"):
        services.release(reservation_key="r1", actor=STAFF, key="another-release")
    with pytest.raises(NotFound, match="预留不存在：nope"):
        services.release(reservation_key="nope", actor=STAFF)


def test_release_after_partial_settlement_releases_the_rest(pool: BudgetPool) -> None:
    # A voucher order reserved 350.00 元; the provider redeemed 280.00 元.
    services.reserve(pool=pool, amount_fen=35_000, actor=STAFF, key="order-9")
    services.settle(reservation_key="order-9", actor=STAFF, key="redeem-9", amount_fen=28_000)
    entry = services.release(reservation_key="order-9", actor=STAFF)
    assert entry.postings.get(account__kind="budget").amount_fen == 7_000
    r = Reservation.objects.get(key="order-9")
    rb = reservation_balances(r)
    assert (rb.amount_fen, rb.reserved_fen, rb.payable_fen, rb.paid_fen, rb.released_fen) == (
        35_000,
        0,
        28_000,
        0,
        7_000,
    )
    assert pool_balances(pool) == PoolBalances(100_000, 72_000, 0, 28_000, 0)


# --- settle and pay -------------------------------------------------------------------------


def test_payout_moves_reserved_to_payable_to_paid(pool: BudgetPool) -> None:
    services.reserve(pool=pool, amount_fen=12_345, actor=STAFF, key="p", payee=ENTERPRISE_7)
    settled = services.settle(reservation_key="p", actor=STAFF, key="approve-p")
    assert sorted(settled.postings.values_list("account__kind", "amount_fen")) == [
        ("payable", 12_345),
        ("reserved", -12_345),
    ]
    assert pool_balances(pool) == PoolBalances(100_000, 87_655, 0, 12_345, 0)
    paid = services.pay(reservation_key="p", actor=STAFF, key="bank-transfer-p")
    assert sorted(paid.postings.values_list("account__kind", "amount_fen")) == [
        ("paid", 12_345),
        ("payable", -12_345),
    ]
    balances = pool_balances(pool)
    assert balances == PoolBalances(100_000, 87_655, 0, 0, 12_345)
    assert balances.spent_fen == 12_345
    # The batch is paid twice: it pays once.
    before = counts()
    assert services.pay(reservation_key="p", actor=STAFF, key="bank-transfer-p").pk == paid.pk
    assert counts() == before
    with pytest.raises(Conflict, match="没有待支付的应付金额"):
        services.pay(reservation_key="p", actor=STAFF, key="bank-transfer-again")
    with pytest.raises(Conflict, match="已无可结算的金额"):
        services.settle(reservation_key="p", actor=STAFF, key="approve-again")
    with pytest.raises(Conflict, match="已无可释放的金额"):
        services.release(reservation_key="p", actor=STAFF)


def test_settle_and_pay_refuse_more_than_there_is(pool: BudgetPool) -> None:
    services.reserve(pool=pool, amount_fen=10_000, actor=STAFF, key="p")
    with pytest.raises(Conflict, match=re.escape("预留余额 100.00 元，结算 100.01 元")):
        services.settle(reservation_key="p", actor=STAFF, key="s", amount_fen=10_001)
    with pytest.raises(Conflict, match="没有待支付的应付金额"):
        services.pay(reservation_key="p", actor=STAFF, key="pay")
    services.settle(reservation_key="p", actor=STAFF, key="s1", amount_fen=6_000)
    services.settle(reservation_key="p", actor=STAFF, key="s2", amount_fen=4_000)
    with pytest.raises(Conflict, match=re.escape("应付 100.00 元，支付 100.01 元")):
        services.pay(reservation_key="p", actor=STAFF, key="pay", amount_fen=10_001)
    services.pay(reservation_key="p", actor=STAFF, key="pay1", amount_fen=2_500)
    services.pay(reservation_key="p", actor=STAFF, key="pay2")
    rb = reservation_balances(Reservation.objects.get(key="p"))
    assert (rb.reserved_fen, rb.payable_fen, rb.paid_fen, rb.released_fen) == (0, 0, 10_000, 0)


# --- idempotency ------------------------------------------------------------------------------


def test_same_key_twice_is_one_entry(pool: BudgetPool) -> None:
    first = services.reserve(pool=pool, amount_fen=5_000, actor=STAFF, key="k")
    before = counts()
    # The caller crashed after the commit and retries (even from another process label).
    second = services.reserve(
        pool=pool, amount_fen=5_000, actor=Actor.system("retry-job"), key="k", memo="重试"
    )
    assert second.pk == first.pk
    assert counts() == before
    assert pool_balances(pool).reserved_fen == 5_000


def test_same_key_different_request_is_a_conflict(pool: BudgetPool) -> None:
    services.reserve(pool=pool, amount_fen=5_000, actor=STAFF, key="k")
    before = counts()
    with pytest.raises(IdempotencyConflict, match="幂等键 k 已用于另一笔不同的记账请求") as err:
        services.reserve(pool=pool, amount_fen=5_001, actor=STAFF, key="k")
    assert isinstance(err.value, Conflict)
    assert err.value.status == 409
    with pytest.raises(IdempotencyConflict):
        services.reserve(pool=pool, amount_fen=5_000, actor=STAFF, key="k", payee=ENTERPRISE_7)
    with pytest.raises(IdempotencyConflict):
        services.fund_budget(pool=pool, amount_fen=5_000, actor=STAFF, key="k")
    with pytest.raises(IdempotencyConflict):
        services.fund_budget(pool=pool, amount_fen=100_001, actor=STAFF, key="fund-2025")
    with pytest.raises(IdempotencyConflict):
        services.settle(reservation_key="k", actor=STAFF, key="k")
    assert counts() == before


def test_idempotent_inside_a_callers_transaction(pool: BudgetPool) -> None:
    """A payout service calls the ledger inside its own atomic block."""
    with transaction.atomic():
        a = services.reserve(pool=pool, amount_fen=1_000, actor=STAFF, key="batch-1/ent-7")
        b = services.reserve(pool=pool, amount_fen=1_000, actor=STAFF, key="batch-1/ent-7")
    assert a.pk == b.pk
    assert pool_balances(pool).reserved_fen == 1_000


# --- post_entry ---------------------------------------------------------------------------------


@pytest.fixture
def cash(db: Any) -> tuple[LedgerAccount, LedgerAccount]:
    bank = services.open_account(actor=STAFF, code="bank", name="银行存款", kind="other")
    grant = services.open_account(actor=STAFF, code="grant", name="专项资金", kind="funding")
    return bank, grant


def test_post_entry_balanced(cash: tuple[LedgerAccount, LedgerAccount]) -> None:
    bank, grant = cash
    entry = services.post_entry(
        actor=STAFF,
        lines=[debit(bank, 700), debit("bank", 300), credit("grant", 1_000)],
        key="manual-1",
        memo="拨款到账",
    )
    assert entry.kind == EntryKind.MANUAL
    assert sorted(entry.postings.values_list("amount_fen", flat=True)) == [-1_000, 300, 700]
    assert (balance(bank), balance(grant)) == (1_000, 1_000)
    again = services.post_entry(
        actor=STAFF,
        lines=[credit(grant, 1_000), debit(bank, 300), debit(bank, 700)],
        key="manual-1",
    )
    assert again.pk == entry.pk  # same lines in another order: the same request
    with pytest.raises(IdempotencyConflict):
        services.post_entry(
            actor=STAFF, lines=[debit(bank, 1_001), credit(grant, 1_001)], key="manual-1"
        )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (lambda b, g: [debit(b, 100), credit(g, 99)], "借贷不平衡：借方 1.00 元，贷方 0.99 元"),
        (lambda b, g: [debit(b, 100)], "至少有两行"),
        (lambda b, g: [], "至少有两行"),
        (lambda b, g: [debit(b, 0), credit(g, 0)], "金额应大于 0"),
        (lambda b, g: [debit(b, -5), credit(g, -5)], "金额应大于 0"),
        (lambda b, g: [debit(b, 100), credit("missing", 100)], "账户不存在：missing"),
        (lambda b, g: [debit(b, 100), credit(g, 100), debit(b, 1)], "借贷不平衡"),
    ],
)
def test_post_entry_refusals(
    cash: tuple[LedgerAccount, LedgerAccount], lines: Any, message: str
) -> None:
    before = counts()
    with pytest.raises(ValidationFailed, match=re.escape(message)):
        services.post_entry(actor=STAFF, lines=lines(*cash), key="bad")
    assert counts() == before


def test_post_entry_leaves_pool_accounts_to_the_services(pool: BudgetPool) -> None:
    budget = pool.accounts.get(kind="budget")
    outside = services.open_account(actor=STAFF, code="o", name="其他", kind="other")
    with pytest.raises(ValidationFailed, match="预算池账户只能通过预算服务记账"):
        services.post_entry(actor=STAFF, lines=[debit(outside, 1), credit(budget, 1)], key="sneak")


def test_database_refuses_zero_postings(cash: tuple[LedgerAccount, LedgerAccount]) -> None:
    bank, grant = cash
    entry = services.post_entry(
        actor=STAFF, lines=[debit(bank, 1), credit(grant, 1)], key="manual-2"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(entry=entry, account=bank, amount_fen=0)

"""A voucher order from contract to settlement: exact amounts, ledger postings, refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.ledger.models import JournalEntry, Posting, Reservation
from gaoxin.ledger.selectors import pool_balances, reservation_balances
from gaoxin.supermarket import services as supermarket
from gaoxin.vouchers import orders, selectors, services, settlements
from gaoxin.vouchers.choices import OrderState, SettlementState
from gaoxin.vouchers.models import VoucherOrder
from tests.conftest import ROLES
from tests.vouchers.conftest import VoucherYear, as_, contract, open_year, place

pytestmark = pytest.mark.django_db


def delivered(year: VoucherYear, fee_fen: int = 1_000_000) -> VoucherOrder:
    order = place(year, fee_fen)
    orders.accept(actor=as_(year.zone, "provider"), order=order)
    return orders.confirm_delivery(actor=as_(year.zone, "enterprise_a"), order=order)


def approved(year: VoucherYear, fee_fen: int = 1_000_000) -> VoucherOrder:
    order = delivered(year, fee_fen)
    orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=fee_fen)
    return orders.review(actor=as_(year.zone, "staff"), order=order, decision="approve")


def nothing_written() -> None:
    assert VoucherOrder.objects.count() == 0
    assert Reservation.objects.count() == 0


def test_the_whole_way_with_exact_amounts_on_the_ledger(year: VoucherYear) -> None:
    zone = year.zone
    pool = services.pool_of(year.scheme)
    order = place(year, 1_000_000)  # 10,000.00 元
    assert order.number == f"CX{year.scheme.year}{order.pk:06d}"
    assert (order.reserved_fen, order.deduction_fen) == (350_000, 350_000)
    assert order.basis["binding"] == "ratio"
    assert pool_balances(pool).reserved_fen == 350_000

    orders.accept(actor=as_(zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=order)
    # The fee actually invoiced is lower: the deduction follows it, never above the reservation.
    order = orders.redeem(actor=as_(zone, "provider"), order=order, invoice_fee_fen=900_001)
    assert order.deduction_fen == 315_000  # 0.35 × 9,000.01 = 3,150.0035 → 3,150.00
    assert order.self_pay_fen == 900_001 - 315_000
    order = orders.review(actor=as_(zone, "staff"), order=order, decision="approve")
    assert order.state == OrderState.APPROVED
    money = reservation_balances(Reservation.objects.get(key=order.reservation_key))
    assert (money.payable_fen, money.reserved_fen, money.released_fen) == (315_000, 0, 35_000)

    statement = settlements.issue(
        actor=as_(zone, "zone_admin"),
        scheme=year.scheme,
        provider=year.provider,
        period=settlements.quarter_of(timezone.localdate()),
    )
    assert (statement.total_fen, statement.order_count) == (315_000, 1)
    statement = settlements.pay(actor=as_(zone, "zone_admin"), settlement=statement)
    assert statement.state == SettlementState.PAID
    assert selectors.paid_on_ledger(statement) == statement.total_fen
    balances = pool_balances(pool)
    assert (balances.paid_fen, balances.reserved_fen, balances.payable_fen) == (315_000, 0, 0)
    assert balances.available_fen == 100_000_000 - 315_000
    order.refresh_from_db()
    assert order.state == OrderState.SETTLED
    kinds = list(
        JournalEntry.objects.filter(reservation__key=order.reservation_key)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["reserve", "settle", "release", "pay"]
    assert sum(Posting.objects.values_list("amount_fen", flat=True)) == 0
    actions = set(
        AuditEntry.objects.filter(model="vouchers.voucherorder").values_list("action", flat=True)
    )
    assert {
        "voucher_placed",
        "voucher_accepted",
        "voucher_delivered",
        "voucher_redeemed",
        "voucher_approved",
    } <= actions


@pytest.mark.parametrize(
    ("changes", "quota_fen", "budget_fen", "binding", "deduction"),
    [
        ({}, 30_000_000, 100_000_000, "ratio", 350_000),
        ({"order_cap_fen": 200_000}, 30_000_000, 100_000_000, "order_cap", 200_000),
        ({}, 120_000, 100_000_000, "quota_left", 120_000),
        ({}, 30_000_000, 99_999, "budget_left", 99_999),
    ],
)
def test_the_deduction_is_the_smallest_limit(
    zone: Any,
    changes: dict[str, Any],
    quota_fen: int,
    budget_fen: int,
    binding: str,
    deduction: int,
) -> None:
    year = open_year(zone, quota_fen=quota_fen, budget_fen=budget_fen, **changes)
    order = place(year)
    assert (order.basis["binding"], order.deduction_fen) == (binding, deduction)


def test_ratio_rounds_half_up_to_the_fen(year: VoucherYear) -> None:
    assert services.ratio_share(year.scheme, 300_001) == 105_000  # 1,050.0035 元
    assert services.ratio_share(year.scheme, 300_003) == 105_001  # 1,050.0105 元
    assert services.ratio_share(year.scheme, 10) == 4  # 3.5 分 → 4 分


def test_quota_and_budget_run_out_with_a_clear_answer(zone: Any) -> None:
    year = open_year(zone, quota_fen=400_000)
    place(year)
    second = place(year)
    assert second.deduction_fen == 50_000  # what was left of 4,000.00 元
    with pytest.raises(ValidationFailed, match="额度已用完"):
        place(year)


@pytest.mark.parametrize(
    ("fee_fen", "message"),
    [
        (0, "须大于 0"),
        (-100, "须大于 0"),
        (1_800_001, "不在这项服务的价格区间"),
        (299_999, "价格区间"),
    ],
)
def test_bad_fees_are_refused_with_nothing_written(
    year: VoucherYear, fee_fen: int, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        place(year, fee_fen)
    assert caught.value.field == "contract_fee"
    nothing_written()


def test_an_expired_scheme_takes_no_orders(
    year: VoucherYear, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scheme closed on 1 January and it is now the 2nd, whatever day the test runs on.
    data = services.default_scheme(year.scheme.year)
    data.opens_on = data.closes_on = dt.date(year.scheme.year, 1, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *_: dt.date(year.scheme.year, 1, 2))
    services.update_scheme(actor=as_(year.zone, "zone_admin"), scheme=year.scheme, data=data)
    with pytest.raises(ValidationFailed, match=r"已于 .* 截止"):
        place(year)
    services.set_status(actor=as_(year.zone, "zone_admin"), scheme=year.scheme, status="closed")
    with pytest.raises(ValidationFailed, match="截止"):
        place(year)
    nothing_written()


def test_a_suspended_provider_takes_no_orders(year: VoucherYear) -> None:
    supermarket.suspend_provider(
        actor=as_(year.zone, "staff"), profile=year.provider, reason="资质到期"
    )
    with pytest.raises(ValidationFailed, match="已暂停服务") as caught:
        place(year)
    assert caught.value.field == "listing"
    nothing_written()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("合同.txt", b"plain text", "类型不支持"),
        ("合同.exe", b"MZ\x90\x00", "类型不支持"),
        ("合同.pdf", b"MZ\x90\x00 renamed", "内容与扩展名不符"),
        ("合同.xlsx", b"PK\x03\x04", "类型不支持"),
    ],
)
def test_a_file_that_is_not_a_contract_is_refused(
    year: VoucherYear, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        place(year, contract_file=contract(name, content))
    assert caught.value.field == "contract_file"
    nothing_written()


@pytest.mark.parametrize("role", ["enterprise_b", "provider", "staff", "zone_admin"])
def test_nobody_orders_for_another_enterprise(year: VoucherYear, role: str) -> None:
    with pytest.raises(PermissionDenied):
        place(year, role=role)
    nothing_written()


def test_an_enterprise_without_a_quota_cannot_order(year: VoucherYear) -> None:
    with pytest.raises(ValidationFailed, match=r"没有 \d{4} 年度的创新券额度"):
        orders.place(
            actor=as_(year.zone, "enterprise_b"),
            enterprise=year.zone.enterprise_b,
            listing=year.listing,
            contract_fee_fen=1_000_000,
            contract_file=contract(),
        )
    nothing_written()


def test_cancelling_releases_exactly_what_was_reserved_once(year: VoucherYear) -> None:
    pool = services.pool_of(year.scheme)
    order = place(year)
    orders.cancel(actor=as_(year.zone, "enterprise_a"), order=order, reason="改期")
    again = orders.cancel(actor=as_(year.zone, "enterprise_a"), order=order, reason="改期")
    assert again.state == OrderState.CANCELLED
    balances = pool_balances(pool)
    assert (balances.reserved_fen, balances.available_fen) == (0, 100_000_000)
    assert JournalEntry.objects.filter(kind="release").count() == 1
    assert services.used_fen(year.quota) == 0
    with pytest.raises(ValidationFailed, match="请填写原因"):
        orders.cancel(actor=as_(year.zone, "enterprise_a"), order=order, reason=" ")


def test_only_the_provider_accepts_and_only_the_enterprise_confirms(year: VoucherYear) -> None:
    order = place(year)
    for role in ("enterprise_a", "enterprise_b", "staff"):
        with pytest.raises(PermissionDenied):
            orders.accept(actor=as_(year.zone, role), order=order)
    orders.accept(actor=as_(year.zone, "provider"), order=order)
    for role in ("provider", "enterprise_b"):
        with pytest.raises(PermissionDenied):
            orders.confirm_delivery(actor=as_(year.zone, role), order=order)
    with pytest.raises(Conflict, match="确认交付后"):
        orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=1_000_000)


def test_a_declined_order_gives_the_quota_back(year: VoucherYear) -> None:
    order = place(year)
    orders.decline(actor=as_(year.zone, "provider"), order=order, reason="排期已满")
    assert services.used_fen(year.quota) == 0
    assert pool_balances(services.pool_of(year.scheme)).reserved_fen == 0


def test_a_redemption_sent_twice_is_applied_once(year: VoucherYear) -> None:
    order = delivered(year)
    provider = as_(year.zone, "provider")
    first = orders.redeem(actor=provider, order=order, invoice_fee_fen=800_000)
    entries = JournalEntry.objects.count()
    audits = AuditEntry.objects.count()
    second = orders.redeem(actor=provider, order=order, invoice_fee_fen=800_000)
    assert (second.deduction_fen, second.redeemed_at) == (first.deduction_fen, first.redeemed_at)
    assert (JournalEntry.objects.count(), AuditEntry.objects.count()) == (entries, audits)
    with pytest.raises(Conflict, match="已申请兑付"):
        orders.redeem(actor=provider, order=order, invoice_fee_fen=700_000)


@pytest.mark.parametrize(
    ("invoice", "message"), [(0, "须大于 0"), (1_000_001, "不能超过合同金额"), (1, "过小")]
)
def test_bad_redemptions_are_refused(year: VoucherYear, invoice: int, message: str) -> None:
    order = delivered(year)
    with pytest.raises(ValidationFailed, match=message):
        orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=invoice)
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED


def test_large_deductions_need_a_second_reviewer(zone: Any) -> None:
    year = open_year(zone, second_review_from_fen=300_000)
    order = delivered(year)
    orders.redeem(actor=as_(zone, "provider"), order=order, invoice_fee_fen=1_000_000)
    order = orders.review(actor=as_(zone, "staff"), order=order, decision="approve")
    assert order.state == OrderState.FIRST_APPROVED
    assert pool_balances(services.pool_of(year.scheme)).payable_fen == 0
    with pytest.raises(PermissionDenied, match="初审以外"):
        orders.review(actor=as_(zone, "staff"), order=order, decision="approve")
    order = orders.review(actor=as_(zone, "zone_admin"), order=order, decision="approve")
    assert order.state == OrderState.APPROVED
    assert [r["level"] for r in order.reviews] == [1, 2]


def test_a_rejected_redemption_releases_everything(year: VoucherYear) -> None:
    order = delivered(year)
    orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=1_000_000)
    with pytest.raises(ValidationFailed, match="须填写意见"):
        orders.review(actor=as_(year.zone, "staff"), order=order, decision="reject")
    order = orders.review(
        actor=as_(year.zone, "staff"), order=order, decision="reject", comment="发票与合同不符"
    )
    assert order.state == OrderState.REJECTED
    assert pool_balances(services.pool_of(year.scheme)).available_fen == 100_000_000
    assert services.used_fen(year.quota) == 0


@pytest.mark.parametrize("role", ["enterprise_a", "provider", "leader", "commissioner", "bank"])
def test_only_reviewers_review(year: VoucherYear, role: str) -> None:
    order = delivered(year)
    orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=1_000_000)
    with pytest.raises(PermissionDenied):
        orders.review(actor=as_(year.zone, role), order=order, decision="approve")


def test_a_reviewer_outside_the_data_scope_cannot_review(year: VoucherYear) -> None:
    order = delivered(year)
    orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=1_000_000)
    # staff_other works in another department; enterprise A is not in its scope.
    from gaoxin.core.errors import NotFound

    with pytest.raises(NotFound):
        orders.review(actor=as_(year.zone, "staff_other"), order=order, decision="approve")


def test_a_settlement_cut_off_midway_and_retried_pays_each_order_once(
    year: VoucherYear, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        approved(year)
    admin = as_(year.zone, "zone_admin")
    period = settlements.quarter_of(timezone.localdate())
    statement = settlements.issue(
        actor=admin, scheme=year.scheme, provider=year.provider, period=period
    )
    assert (
        settlements.issue(actor=admin, scheme=year.scheme, provider=year.provider, period=period)
        == statement
    )
    real_pay = settlements.ledger.pay
    calls = {"n": 0}

    def crash_on_the_second(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_pay(**kwargs)

    monkeypatch.setattr(settlements.ledger, "pay", crash_on_the_second)
    with pytest.raises(RuntimeError):
        settlements.pay(actor=admin, settlement=statement)
    assert JournalEntry.objects.filter(kind="pay").count() == 0
    monkeypatch.setattr(settlements.ledger, "pay", real_pay)
    settlements.pay(actor=admin, settlement=statement)
    entries = JournalEntry.objects.count()
    settlements.pay(actor=admin, settlement=statement)  # once more, after it succeeded
    assert JournalEntry.objects.count() == entries
    assert JournalEntry.objects.filter(kind="pay").count() == 3
    assert selectors.paid_on_ledger(statement) == statement.total_fen == 3 * 350_000


def test_only_settlers_settle(year: VoucherYear) -> None:
    approved(year)
    period = settlements.quarter_of(timezone.localdate())
    for role in ("staff", "leader", "provider", "enterprise_a"):
        with pytest.raises(PermissionDenied):
            settlements.issue(
                actor=as_(year.zone, role),
                scheme=year.scheme,
                provider=year.provider,
                period=period,
            )
    with pytest.raises(ValidationFailed, match="格式"):
        settlements.issue(
            actor=as_(year.zone, "zone_admin"),
            scheme=year.scheme,
            provider=year.provider,
            period="2026-3",
        )


def test_ratings_after_delivery_once(year: VoucherYear) -> None:
    order = place(year)
    with pytest.raises(Conflict, match="确认交付后"):
        orders.rate(actor=as_(year.zone, "enterprise_a"), order=order, stars=5)
    orders.accept(actor=as_(year.zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(year.zone, "enterprise_a"), order=order)
    with pytest.raises(ValidationFailed):
        orders.rate(actor=as_(year.zone, "enterprise_a"), order=order, stars=6)
    with pytest.raises(PermissionDenied):
        orders.rate(actor=as_(year.zone, "provider"), order=order, stars=5)
    orders.rate(actor=as_(year.zone, "enterprise_a"), order=order, stars=4, comment="报告及时")
    with pytest.raises(Conflict, match="已经评价"):
        orders.rate(actor=as_(year.zone, "enterprise_a"), order=order, stars=5)
    assert selectors.provider_rating(year.provider) == {"count": 1, "average": 4.0}


def test_text_with_nul_huge_fees_and_boolean_stars_are_bad_input(year: VoucherYear) -> None:
    with pytest.raises(ValidationFailed, match="过大"):
        place(year, 10**30)
    nothing_written()
    order = place(year)
    with pytest.raises(ValidationFailed, match="NUL"):
        orders.cancel(actor=as_(year.zone, "enterprise_a"), order=order, reason="a\x00b")
    orders.accept(actor=as_(year.zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(year.zone, "enterprise_a"), order=order)
    with pytest.raises(ValidationFailed, match="评分"):
        orders.rate(actor=as_(year.zone, "enterprise_a"), order=order, stars=True)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="过大"):
        orders.redeem(actor=as_(year.zone, "provider"), order=order, invoice_fee_fen=10**30)
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED


@pytest.mark.parametrize("role", ROLES)
def test_seeing_one_order_agrees_with_the_scoped_list(year: VoucherYear, role: str) -> None:
    """sees_order (the review's check, without the scope's enterprises as a subquery) answers
    as orders_visible_to does, for every role, an order of A and one of B."""
    a = place(year)
    services.grant_quota(
        actor=as_(year.zone, "zone_admin"),
        scheme=year.scheme,
        enterprise=year.zone.enterprise_b,
        amount_fen=10_000_000,
        note="测试核定",
    )
    b = orders.place(
        actor=as_(year.zone, "enterprise_b"),
        enterprise=year.zone.enterprise_b,
        listing=year.listing,
        contract_fee_fen=1_000_000,
        contract_file=contract(),
    )
    user = year.zone.users.get(role) or AnonymousUser()
    for order in (a, b):
        listed = selectors.orders_visible_to(user).filter(pk=order.pk).exists()
        assert selectors.sees_order(user, order) == listed

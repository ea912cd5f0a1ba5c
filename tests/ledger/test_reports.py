"""Totals per account kind, per owner and per budget year; per payee."""

from __future__ import annotations

from typing import Any

import pytest

from gaoxin.ledger import services
from gaoxin.ledger.selectors import Total, totals, totals_by_payee
from tests.ledger.conftest import STAFF

pytestmark = pytest.mark.django_db
POLICY = ("policies.policy", 3)
VOUCHERS = ("vouchers.programme", 1)
ENT_7 = ("enterprises.enterprise", 7)
ENT_8 = ("enterprises.enterprise", 8)


@pytest.fixture
def books(db: Any) -> None:
    p24 = services.create_pool(actor=STAFF, name="研发补助", owner=POLICY, year=2024)
    p25 = services.create_pool(actor=STAFF, name="研发补助", owner=POLICY, year=2025)
    v25 = services.create_pool(actor=STAFF, name="创新券", owner=VOUCHERS, year=2025)
    services.fund_budget(pool=p24, amount_fen=50_000, actor=STAFF, key="f24")
    services.fund_budget(pool=p25, amount_fen=80_000, actor=STAFF, key="f25")
    services.fund_budget(pool=v25, amount_fen=30_000, actor=STAFF, key="v25")
    # 2024: 200 元 paid to enterprise 7.
    services.reserve(pool=p24, amount_fen=20_000, actor=STAFF, key="a", payee=ENT_7)
    services.settle(reservation_key="a", actor=STAFF, key="a-s")
    services.pay(reservation_key="a", actor=STAFF, key="a-p")
    # 2025: 300 元 owed to enterprise 7, 100 元 reserved for enterprise 8, 50 元 released.
    services.reserve(pool=p25, amount_fen=30_000, actor=STAFF, key="b", payee=ENT_7)
    services.settle(reservation_key="b", actor=STAFF, key="b-s")
    services.reserve(pool=p25, amount_fen=10_000, actor=STAFF, key="c", payee=ENT_8)
    services.reserve(pool=p25, amount_fen=5_000, actor=STAFF, key="d", payee=ENT_8)
    services.release(reservation_key="d", actor=STAFF)
    # Vouchers 2025: an order of 120 元 at a provider, 90 元 redeemed and paid.
    services.reserve(pool=v25, amount_fen=12_000, actor=STAFF, key="o", payee=ENT_8)
    services.settle(reservation_key="o", actor=STAFF, key="o-s", amount_fen=9_000)
    services.pay(reservation_key="o", actor=STAFF, key="o-p")


def amounts(rows: list[Total]) -> dict[tuple[Any, ...], int]:
    return {(r.year, r.owner_type, r.owner_id, r.kind): r.amount_fen for r in rows}


def test_totals_per_kind(books: None) -> None:
    assert amounts(totals()) == {
        (None, None, None, "funding"): 160_000,
        (None, None, None, "budget"): 160_000 - 20_000 - 30_000 - 10_000 - 12_000,
        (None, None, None, "reserved"): 10_000 + 3_000,
        (None, None, None, "payable"): 30_000,
        (None, None, None, "paid"): 20_000 + 9_000,
    }


def test_totals_per_year(books: None) -> None:
    got = amounts(totals(by=("kind", "year")))
    assert got[(2024, None, None, "paid")] == 20_000
    assert got[(2025, None, None, "paid")] == 9_000
    assert got[(2025, None, None, "budget")] == 110_000 - 30_000 - 10_000 - 12_000
    assert amounts(totals(year=2024)) == {
        (None, None, None, "funding"): 50_000,
        (None, None, None, "budget"): 30_000,
        (None, None, None, "reserved"): 0,
        (None, None, None, "paid"): 20_000,
        (None, None, None, "payable"): 0,
    }


def test_totals_per_owner(books: None) -> None:
    got = amounts(totals(by=("kind", "owner"), kinds=["funding", "paid"]))
    assert got == {
        (None, "policies.policy", "3", "funding"): 130_000,
        (None, "policies.policy", "3", "paid"): 20_000,
        (None, "vouchers.programme", "1", "funding"): 30_000,
        (None, "vouchers.programme", "1", "paid"): 9_000,
    }
    mine = amounts(totals(by=("kind", "year"), owner=POLICY, year=2025, kinds=["payable"]))
    assert mine == {(2025, None, None, "payable"): 30_000}


def test_totals_per_payee(books: None) -> None:
    got = {
        payee: (b.amount_fen, b.reserved_fen, b.payable_fen, b.paid_fen, b.released_fen)
        for payee, b in totals_by_payee().items()
    }
    assert got == {
        ("enterprises.enterprise", "7"): (50_000, 0, 30_000, 20_000, 0),
        ("enterprises.enterprise", "8"): (27_000, 13_000, 0, 9_000, 5_000),
    }
    in_2024 = totals_by_payee(year=2024)
    assert list(in_2024) == [("enterprises.enterprise", "7")]
    assert in_2024[("enterprises.enterprise", "7")].paid_fen == 20_000

"""/api/vouchers: every endpoint requested by every role (who gets what, that nothing of another
enterprise leaks, that a refused request writes nothing), the whole way from contract to paid
settlement through the API with exact amounts, and bad input answered as 4xx JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gaoxin.core.audit import Actor
from gaoxin.core.models import AuditEntry
from gaoxin.ledger.models import JournalEntry, Reservation
from gaoxin.ledger.selectors import pool_balances
from gaoxin.supermarket import services as supermarket
from gaoxin.vouchers import orders, services, settlements
from gaoxin.vouchers.models import ProviderReview, VoucherOrder, VoucherSettlement
from tests.clients import client_for, post_json
from tests.conftest import ROLES
from tests.supermarket.test_supermarket import listing_data, live_listing, second_provider
from tests.vouchers.conftest import VoucherYear, as_, contract, open_year, place

pytestmark = pytest.mark.django_db

ALL = set(ROLES) - {"anonymous"}
# Who sees enterprise A's orders: A itself, the provider that took them, and the zone staff
# whose data scope holds A (staff_other's department serves B only).
SEES_A = {"enterprise_a", "provider", "staff", "commissioner", "leader", "zone_admin"}
SCHEME_VIEWERS = {"staff", "staff_other", "leader", "zone_admin"}
SETTLEMENT_VIEWERS = {"provider", "leader", "zone_admin"}
SETTLERS = {"zone_admin"}
FEE = 1_000_000  # 10,000.00 元
DEDUCTION = 350_000  # 0.35 × FEE


def accepted(year: VoucherYear) -> VoucherOrder:
    return orders.accept(actor=as_(year.zone, "provider"), order=place(year))


def delivered(year: VoucherYear) -> VoucherOrder:
    return orders.confirm_delivery(actor=as_(year.zone, "enterprise_a"), order=accepted(year))


def redeemed(year: VoucherYear) -> VoucherOrder:
    return orders.redeem(
        actor=as_(year.zone, "provider"), order=delivered(year), invoice_fee_fen=FEE
    )


def approved(year: VoucherYear) -> VoucherOrder:
    return orders.review(actor=as_(year.zone, "staff"), order=redeemed(year), decision="approve")


def issued(year: VoucherYear) -> VoucherSettlement:
    approved(year)
    return settlements.issue(
        actor=as_(year.zone, "zone_admin"),
        scheme=year.scheme,
        provider=year.provider,
        period=settlements.quarter_of(timezone.localdate()),
    )


def written() -> tuple[Any, ...]:
    """Everything a voucher request could write."""
    return (
        list(
            VoucherOrder.objects.order_by("pk").values_list(
                "pk", "enterprise_id", "state", "deduction_fen", "invoice_fee_fen", "note"
            )
        ),
        list(VoucherSettlement.objects.order_by("pk").values_list("pk", "state")),
        Reservation.objects.count(),
        JournalEntry.objects.count(),
        ProviderReview.objects.count(),
        AuditEntry.objects.count(),
    )


def refused(response: Any, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["code"] and body["message"], body


def field_of(response: Any) -> str:
    """The field an error names (multipart fields come as form.… and file.…)."""
    return str(response.json()["field"]).removeprefix("form.").removeprefix("file.")


def expected(role: str, allowed: set[str], visible: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 401
    if role in allowed:
        return ok
    return 403 if role in visible else 404


def no_leak(zone: Any, role: str, response: Any) -> None:
    body = response.content.decode()
    if role not in SEES_A:
        assert zone.enterprise_a.name not in body, role
        assert zone.enterprise_a.uscc not in body, role


# -- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_quotas(year: VoucherYear, role: str) -> None:
    place(year)
    response = client_for(year.zone, role).get("/api/vouchers/quotas")
    if role == "anonymous":
        refused(response, 401)
    elif role == "enterprise_a":
        assert response.status_code == 200
        assert response.json() == [
            {
                "scheme_id": year.scheme.pk,
                "year": year.scheme.year,
                "scheme": year.scheme.name,
                "scheme_status": "open",
                "granted_fen": 30_000_000,
                "used_fen": DEDUCTION,
                "pending_fen": DEDUCTION,
                "left_fen": 30_000_000 - DEDUCTION,
            }
        ]
    elif role == "enterprise_b":
        assert (response.status_code, response.json()) == (200, [])
    else:
        refused(response, 403)
    no_leak(year.zone, role, response)


@pytest.mark.parametrize("role", ROLES)
def test_order_list_and_detail(year: VoucherYear, role: str) -> None:
    order = place(year)
    client = client_for(year.zone, role)
    before = written()
    listing = client.get("/api/vouchers/orders")
    detail = client.get(f"/api/vouchers/orders/{order.pk}")
    assert written() == before, "a read must not write"
    if role == "anonymous":
        refused(listing, 401)
        refused(detail, 401)
        return
    assert listing.status_code == 200
    ids = [item["id"] for item in listing.json()["items"]]
    assert ids == ([order.pk] if role in SEES_A else [])
    assert listing.json()["count"] == len(ids)
    if role in SEES_A:
        assert detail.status_code == 200
        body = detail.json()
        assert body["enterprise"] == {"id": year.zone.enterprise_a.pk, "name": "厦门甲科技有限公司"}
        assert (body["state"], body["contract_fee_fen"], body["deduction_fen"]) == (
            "placed",
            FEE,
            DEDUCTION,
        )
        assert body["basis"]["binding"] == "ratio"
    else:
        refused(detail, 404)
    no_leak(year.zone, role, listing)
    no_leak(year.zone, role, detail)


@pytest.mark.parametrize("role", ROLES)
def test_schemes(year: VoucherYear, role: str) -> None:
    place(year)
    client = client_for(year.zone, role)
    listing = client.get("/api/vouchers/schemes")
    detail = client.get(f"/api/vouchers/schemes/{year.scheme.pk}")
    if role == "anonymous":
        refused(listing, 401)
        refused(detail, 401)
        return
    assert listing.status_code == 200
    assert [s["id"] for s in listing.json()] == ([year.scheme.pk] if role in SCHEME_VIEWERS else [])
    if role not in SCHEME_VIEWERS:
        refused(detail, 404)
        return
    body = detail.json()
    assert (body["ratio"], body["order_cap_fen"], body["enterprise_cap_fen"]) == (
        "0.3500",
        10_000_000,
        30_000_000,
    )
    # The pool's own budget for whole-zone scopes; for scoped staff their scope's share of it
    # (A's order is in the staff's scope, not in staff_other's), without the zone's totals.
    if role in ("leader", "zone_admin"):
        assert body["budget"] == {
            "scope": "zone",
            "total_fen": 100_000_000,
            "available_fen": 100_000_000 - DEDUCTION,
            "reserved_fen": DEDUCTION,
            "payable_fen": 0,
            "paid_fen": 0,
        }
    else:
        assert body["budget"] == {
            "scope": "scope",
            "total_fen": None,
            "available_fen": None,
            "reserved_fen": DEDUCTION if role == "staff" else 0,
            "payable_fen": 0,
            "paid_fen": 0,
        }
    assert body["report"]["by_state"]["placed"] == (0 if role == "staff_other" else 1)


@pytest.mark.parametrize("role", ROLES)
def test_settlement_list_and_detail(year: VoucherYear, role: str) -> None:
    statement = issued(year)
    client = client_for(year.zone, role)
    listing = client.get("/api/vouchers/settlements")
    detail = client.get(f"/api/vouchers/settlements/{statement.pk}")
    if role == "anonymous":
        refused(listing, 401)
        refused(detail, 401)
        return
    assert listing.status_code == 200
    ids = [s["id"] for s in listing.json()["items"]]
    assert ids == ([statement.pk] if role in SETTLEMENT_VIEWERS else [])
    if role in SETTLEMENT_VIEWERS:
        body = detail.json()
        assert (body["total_fen"], body["order_count"], body["state"]) == (DEDUCTION, 1, "issued")
        assert [o["deduction_fen"] for o in body["orders"]] == [DEDUCTION]
        assert body["paid_on_ledger_fen"] == 0
    else:
        refused(detail, 404)
    no_leak(year.zone, role, listing)
    no_leak(year.zone, role, detail)


# -- writes ----------------------------------------------------------------------------------

# (step, how far the order must be, who may, body, the state it leads to)
STEPS: list[tuple[str, Callable[[VoucherYear], VoucherOrder], set[str], Any, str]] = [
    ("accept", place, {"provider"}, None, "accepted"),
    ("decline", place, {"provider"}, {"reason": "排期已满"}, "cancelled"),
    ("cancel", place, {"enterprise_a"}, {"reason": "改期"}, "cancelled"),
    ("confirm-delivery", accepted, {"enterprise_a"}, None, "delivered"),
    ("redeem", delivered, {"provider"}, {"invoice_fee_fen": 900_000}, "redeemed"),
    ("review", redeemed, {"staff", "zone_admin"}, {"decision": "approve"}, "approved"),
    ("rate", delivered, {"enterprise_a"}, {"stars": 4, "comment": "报告及时"}, "delivered"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("step", "prepare", "allowed", "data", "after"), STEPS, ids=[s[0] for s in STEPS]
)
def test_order_steps(
    year: VoucherYear,
    role: str,
    step: str,
    prepare: Callable[[VoucherYear], VoucherOrder],
    allowed: set[str],
    data: Any,
    after: str,
) -> None:
    order = prepare(year)
    state = order.state
    before = written()
    response = post_json(
        client_for(year.zone, role), f"/api/vouchers/orders/{order.pk}/{step}", data
    )
    status = expected(role, allowed, SEES_A, ok=201 if step == "rate" else 200)
    order.refresh_from_db()
    if status in (200, 201):
        assert response.status_code == status, (role, response.content)
        assert order.state == after
        assert AuditEntry.objects.count() > before[-1]
        if step == "rate":
            assert (response.json()["stars"], response.json()["order_id"]) == (4, order.pk)
        else:
            assert (response.json()["id"], response.json()["state"]) == (order.pk, after)
    else:
        refused(response, status)
        assert order.state == state
        assert written() == before
    no_leak(year.zone, role, response)


@pytest.mark.parametrize("role", ROLES)
def test_placing_an_order(year: VoucherYear, role: str) -> None:
    before = written()
    response = client_for(year.zone, role).post(
        "/api/vouchers/orders",
        {"listing_id": year.listing.pk, "contract_fee_fen": FEE, "contract_file": contract()},
    )
    if role == "enterprise_a":
        assert response.status_code == 201, response.content
        order = VoucherOrder.objects.get()
        assert (order.enterprise, order.deduction_fen) == (year.zone.enterprise_a, DEDUCTION)
        assert response.json()["number"] == order.number
        return
    if role == "anonymous":
        refused(response, 401)
    elif role == "enterprise_b":  # orders for itself only, and has no quota
        refused(response, 422)
        assert "没有" in response.json()["message"] and "额度" in response.json()["message"]
    else:
        refused(response, 403)
    assert written() == before


@pytest.mark.parametrize("role", ROLES)
def test_issuing_a_settlement(year: VoucherYear, role: str) -> None:
    order = approved(year)
    before = written()
    response = post_json(
        client_for(year.zone, role),
        "/api/vouchers/settlements",
        {
            "scheme_id": year.scheme.pk,
            "provider_id": year.provider.pk,
            "period": settlements.quarter_of(timezone.localdate()),
        },
    )
    if role in SETTLERS:
        assert response.status_code == 201, response.content
        statement = VoucherSettlement.objects.get()
        assert (response.json()["id"], response.json()["total_fen"]) == (statement.pk, DEDUCTION)
        assert [o["id"] for o in response.json()["orders"]] == [order.pk]
    else:
        refused(response, 401 if role == "anonymous" else 403)
        assert written() == before


@pytest.mark.parametrize("role", ROLES)
def test_paying_a_settlement(year: VoucherYear, role: str) -> None:
    statement = issued(year)
    before = written()
    response = post_json(
        client_for(year.zone, role), f"/api/vouchers/settlements/{statement.pk}/pay"
    )
    statement.refresh_from_db()
    status = expected(role, SETTLERS, SETTLEMENT_VIEWERS)
    if status == 200:
        assert response.status_code == 200, response.content
        assert (statement.state, response.json()["paid_on_ledger_fen"]) == ("paid", DEDUCTION)
    else:
        refused(response, status)
        assert statement.state == "issued"
        assert written() == before


# -- scope -----------------------------------------------------------------------------------


def two_enterprises_ordering(zone: Any) -> tuple[VoucherYear, Any, VoucherOrder, VoucherOrder]:
    """Enterprise A orders from the zone's provider, B from another provider."""
    year = open_year(zone)
    provider_user, other_provider = second_provider(zone)
    other_listing = live_listing(zone, other_provider, title="知识产权贯标")
    services.grant_quota(
        actor=as_(zone, "zone_admin"),
        scheme=year.scheme,
        enterprise=zone.enterprise_b,
        amount_fen=1_000_000,
        note="测试核定",
    )
    order_a = place(year)
    order_b = orders.place(
        actor=as_(zone, "enterprise_b"),
        enterprise=zone.enterprise_b,
        listing=other_listing,
        contract_fee_fen=400_000,
        contract_file=contract(),
    )
    return year, provider_user, order_a, order_b


def test_each_caller_sees_its_own_orders_only(zone: Any) -> None:
    year, provider_user, order_a, order_b = two_enterprises_ordering(zone)
    a, b = order_a.pk, order_b.pk
    expected_ids = {
        "enterprise_a": [a],
        "enterprise_b": [b],
        "provider": [a],
        "bank": [],
        "staff_other": [b],
        "staff": [a],
        "commissioner": [a],
        "leader": [b, a],
        "zone_admin": [b, a],
    }
    for role, ids in expected_ids.items():
        response = client_for(zone, role).get("/api/vouchers/orders")
        assert [o["id"] for o in response.json()["items"]] == ids, role
    other = Client()
    other.force_login(provider_user)
    assert [o["id"] for o in other.get("/api/vouchers/orders").json()["items"]] == [b]
    assert other.get(f"/api/vouchers/orders/{a}").status_code == 404
    body = client_for(zone, "enterprise_b").get("/api/vouchers/orders").content.decode()
    assert zone.enterprise_a.name not in body and year.listing.title not in body


def test_out_of_scope_is_answered_exactly_as_missing(zone: Any) -> None:
    _, _, order_a, _ = two_enterprises_ordering(zone)
    client = client_for(zone, "staff_other")
    outside = client.get(f"/api/vouchers/orders/{order_a.pk}")
    missing = client.get("/api/vouchers/orders/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    for step in ("accept", "confirm-delivery"):
        response = client.post(f"/api/vouchers/orders/{order_a.pk}/{step}")
        assert response.json() == missing.json()
    review = post_json(client, f"/api/vouchers/orders/{order_a.pk}/review", {"decision": "approve"})
    assert review.status_code == 404


def test_the_enterprise_always_comes_from_the_caller(zone: Any) -> None:
    year, _, order_a, _ = two_enterprises_ordering(zone)
    used_by_a = services.used_fen(year.quota)
    # B names A's enterprise: the field is not the API's, and the order is B's own.
    response = client_for(zone, "enterprise_b").post(
        "/api/vouchers/orders",
        {
            "listing_id": year.listing.pk,
            "contract_fee_fen": 300_000,
            "contract_file": contract(),
            "enterprise_id": zone.enterprise_a.pk,
            "enterprise": zone.enterprise_a.pk,
        },
    )
    assert response.status_code == 201, response.content
    order = VoucherOrder.objects.get(pk=response.json()["id"])
    assert order.enterprise == zone.enterprise_b
    assert response.json()["enterprise"]["id"] == zone.enterprise_b.pk
    assert services.used_fen(year.quota) == used_by_a
    # B can see, but not touch, A's order: it is not there for B.
    for step in ("cancel", "confirm-delivery", "rate"):
        response = post_json(
            client_for(zone, "enterprise_b"),
            f"/api/vouchers/orders/{order_a.pk}/{step}",
            {"reason": "x"} if step == "cancel" else {"stars": 5} if step == "rate" else None,
        )
        assert response.status_code == 404


def test_a_provider_not_on_the_order_cannot_take_steps(zone: Any) -> None:
    _, provider_user, order_a, _ = two_enterprises_ordering(zone)
    other = Client()
    other.force_login(provider_user)
    before = written()
    assert other.post(f"/api/vouchers/orders/{order_a.pk}/accept").status_code == 404
    assert written() == before


# -- the whole way ---------------------------------------------------------------------------


def test_the_whole_way_through_the_api_with_exact_amounts(year: VoucherYear) -> None:
    zone = year.zone
    enterprise = client_for(zone, "enterprise_a")
    provider = client_for(zone, "provider")
    staff = client_for(zone, "staff")
    admin = client_for(zone, "zone_admin")

    placed = enterprise.post(
        "/api/vouchers/orders",
        {"listing_id": year.listing.pk, "contract_fee_fen": FEE, "contract_file": contract()},
    )
    assert placed.status_code == 201, placed.content
    order = placed.json()
    pk = order["id"]
    assert order["number"] == f"CX{year.scheme.year}{pk:06d}"
    assert (order["state"], order["reserved_fen"], order["deduction_fen"]) == (
        "placed",
        DEDUCTION,
        DEDUCTION,
    )
    assert (order["self_pay_fen"], order["invoice_fee_fen"]) == (FEE - DEDUCTION, None)
    assert order["contract_name"] == "服务合同.pdf"
    assert order["provider"] == {"id": year.provider.pk, "name": "服务机构"}
    quota = enterprise.get("/api/vouchers/quotas").json()[0]
    assert (quota["used_fen"], quota["left_fen"]) == (DEDUCTION, 30_000_000 - DEDUCTION)

    assert provider.post(f"/api/vouchers/orders/{pk}/accept").json()["state"] == "accepted"
    delivered_ = enterprise.post(f"/api/vouchers/orders/{pk}/confirm-delivery").json()
    assert delivered_["state"] == "delivered" and delivered_["delivered_at"]
    # The fee actually invoiced is lower: the deduction follows it, never above the reservation.
    redeemed_ = post_json(
        provider, f"/api/vouchers/orders/{pk}/redeem", {"invoice_fee_fen": 900_001}
    )
    assert redeemed_.status_code == 200, redeemed_.content
    assert (
        redeemed_.json()["state"],
        redeemed_.json()["invoice_fee_fen"],
        redeemed_.json()["deduction_fen"],
        redeemed_.json()["reserved_fen"],
        redeemed_.json()["self_pay_fen"],
    ) == ("redeemed", 900_001, 315_000, DEDUCTION, 900_001 - 315_000)
    # Sent again with the same fee: the same answer, nothing written.
    before = written()
    again = post_json(provider, f"/api/vouchers/orders/{pk}/redeem", {"invoice_fee_fen": 900_001})
    assert again.status_code == 200 and again.json()["deduction_fen"] == 315_000
    assert written() == before

    reviewed = post_json(
        staff, f"/api/vouchers/orders/{pk}/review", {"decision": "approve", "comment": "材料齐全"}
    )
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["state"] == "approved"
    assert [(r["decision"], r["level"], r["comment"]) for r in reviewed.json()["reviews"]] == [
        ("approve", 1, "材料齐全")
    ]
    rated = post_json(enterprise, f"/api/vouchers/orders/{pk}/rate", {"stars": 5, "comment": "好"})
    assert rated.status_code == 201
    provider_page = enterprise.get(f"/api/supermarket/providers/{year.provider.pk}").json()
    assert provider_page["rating"] == {"count": 1, "average": 5.0}

    period = settlements.quarter_of(timezone.localdate())
    issue = {"scheme_id": year.scheme.pk, "provider_id": year.provider.pk, "period": period}
    statement = post_json(admin, "/api/vouchers/settlements", issue)
    assert statement.status_code == 201, statement.content
    body = statement.json()
    assert (body["number"], body["total_fen"], body["order_count"], body["state"]) == (
        f"JS{period}-{year.provider.pk:04d}",
        315_000,
        1,
        "issued",
    )
    assert body["orders"] == [
        {
            "id": pk,
            "number": order["number"],
            "enterprise": "厦门甲科技有限公司",
            "invoice_fee_fen": 900_001,
            "deduction_fen": 315_000,
        }
    ]
    # Issued again: the same statement, answered 200.
    same = post_json(admin, "/api/vouchers/settlements", issue)
    assert (same.status_code, same.json()["id"]) == (200, body["id"])
    assert VoucherSettlement.objects.count() == 1

    paid = post_json(admin, f"/api/vouchers/settlements/{body['id']}/pay")
    assert paid.status_code == 200, paid.content
    assert (paid.json()["state"], paid.json()["paid_on_ledger_fen"]) == ("paid", 315_000)
    assert paid.json()["paid_at"]
    entries = JournalEntry.objects.count()
    assert post_json(admin, f"/api/vouchers/settlements/{body['id']}/pay").status_code == 200
    assert JournalEntry.objects.count() == entries

    final = enterprise.get(f"/api/vouchers/orders/{pk}").json()
    assert (final["state"], final["settlement_id"], final["deduction_fen"]) == (
        "settled",
        body["id"],
        315_000,
    )
    assert final["rating"]["stars"] == 5
    quota = enterprise.get("/api/vouchers/quotas").json()[0]
    assert (quota["used_fen"], quota["pending_fen"], quota["left_fen"]) == (
        315_000,
        0,
        30_000_000 - 315_000,
    )
    budget = admin.get(f"/api/vouchers/schemes/{year.scheme.pk}").json()["budget"]
    assert budget == {
        "scope": "zone",
        "total_fen": 100_000_000,
        "available_fen": 100_000_000 - 315_000,
        "reserved_fen": 0,
        "payable_fen": 0,
        "paid_fen": 315_000,
    }
    assert pool_balances(services.pool_of(year.scheme)).paid_fen == 315_000
    report = admin.get(f"/api/vouchers/schemes/{year.scheme.pk}").json()["report"]
    assert (report["deduction_fen"], report["invoice_fee_fen"], report["orders"]) == (
        315_000,
        900_001,
        1,
    )
    settled = provider.get("/api/vouchers/orders?state=settled").json()
    assert [o["id"] for o in settled["items"]] == [pk]


def test_cancel_and_reject_give_back_exactly_what_was_reserved(year: VoucherYear) -> None:
    zone = year.zone
    first = place(year)
    cancelled = post_json(
        client_for(zone, "enterprise_a"),
        f"/api/vouchers/orders/{first.pk}/cancel",
        {"reason": "改期"},
    )
    assert (cancelled.json()["state"], cancelled.json()["note"]) == ("cancelled", "改期")
    second = redeemed(year)
    staff = client_for(zone, "staff")
    no_comment = post_json(
        staff, f"/api/vouchers/orders/{second.pk}/review", {"decision": "reject"}
    )
    refused(no_comment, 422)
    assert field_of(no_comment) == "comment"
    rejected = post_json(
        staff,
        f"/api/vouchers/orders/{second.pk}/review",
        {"decision": "reject", "comment": "发票与合同不符"},
    )
    assert rejected.json()["state"] == "rejected"
    balances = pool_balances(services.pool_of(year.scheme))
    assert (balances.reserved_fen, balances.available_fen) == (0, 100_000_000)
    quota = client_for(zone, "enterprise_a").get("/api/vouchers/quotas").json()[0]
    assert (quota["used_fen"], quota["left_fen"]) == (0, 30_000_000)


def test_a_step_out_of_turn_is_a_conflict(year: VoucherYear) -> None:
    order = place(year)
    before = written()
    response = client_for(year.zone, "enterprise_a").post(
        f"/api/vouchers/orders/{order.pk}/confirm-delivery"
    )
    refused(response, 409)
    response = post_json(
        client_for(year.zone, "provider"),
        f"/api/vouchers/orders/{order.pk}/redeem",
        {"invoice_fee_fen": FEE},
    )
    refused(response, 409)
    assert written() == before


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"contract_fee_fen": 0}, 422, "contract_fee"),
        ({"contract_fee_fen": -100}, 422, "contract_fee_fen"),  # fen are never negative
        ({"contract_fee_fen": 1_800_001}, 422, "contract_fee"),  # above the listing's range
        ({"contract_fee_fen": 299_999}, 422, "contract_fee"),  # below it
        ({"contract_fee_fen": 10**30}, 422, "contract_fee_fen"),  # beyond any database column
        ({"contract_fee_fen": "abc"}, 422, "contract_fee_fen"),
        ({"contract_fee_fen": "10000.50"}, 422, "contract_fee_fen"),
        ({"contract_fee_fen": ""}, 422, "contract_fee_fen"),
        ({"contract_file": contract("合同.txt", b"plain text")}, 422, "contract_file"),
        ({"contract_file": contract("合同.pdf", b"MZ\x90\x00")}, 422, "contract_file"),
        ({"contract_file": None}, 422, "contract_file"),
        ({"contract_file": "not a file"}, 422, "contract_file"),
        ({"listing_id": "abc"}, 422, "listing_id"),
        ({"listing_id": 999_999}, 404, None),
        ({"listing_id": 10**30}, 404, None),
        ({"listing_id": -1}, 404, None),
    ],
)
def test_bad_orders_are_refused_with_nothing_written(
    year: VoucherYear, fields: dict[str, Any], status: int, field: str | None
) -> None:
    data: dict[str, Any] = {
        "listing_id": year.listing.pk,
        "contract_fee_fen": FEE,
        "contract_file": contract(),
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    before = written()
    response = client_for(year.zone, "enterprise_a").post("/api/vouchers/orders", data)
    refused(response, status)
    if field:
        assert field_of(response) == field
    assert written() == before


def test_a_file_name_with_nul_is_stored_without_it(year: VoucherYear) -> None:
    """PostgreSQL text cannot hold NUL; the upload's name arrives without it (raw multipart,
    not the test client's encoding)."""
    boundary = "gx-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="listing_id"\r\n\r\n'
        f"{year.listing.pk}\r\n".encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="contract_fee_fen"\r\n\r\n'
        f"{FEE}\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="contract_file"; filename="合\x00同.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + b"%PDF-1.4\n% contract\n\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    response = client_for(year.zone, "enterprise_a").post(
        "/api/vouchers/orders",
        b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["contract_name"] == "合同.pdf"
    assert VoucherOrder.objects.get().contract_name == "合同.pdf"


def test_orders_of_listings_not_on_sale_are_refused(year: VoucherYear) -> None:
    zone = year.zone
    draft = supermarket.create_listing(
        actor=as_(zone, "provider"), profile=year.provider, data=listing_data()
    )
    submitted = supermarket.create_listing(
        actor=as_(zone, "provider"), profile=year.provider, data=listing_data(), submit=True
    )
    client = client_for(zone, "enterprise_a")
    before = written()
    for listing in (draft, submitted):
        response = client.post(
            "/api/vouchers/orders",
            {"listing_id": listing.pk, "contract_fee_fen": FEE, "contract_file": contract()},
        )
        refused(response, 404)
    supermarket.suspend_provider(actor=as_(zone, "staff"), profile=year.provider, reason="资质到期")
    response = client.post(
        "/api/vouchers/orders",
        {"listing_id": year.listing.pk, "contract_fee_fen": FEE, "contract_file": contract()},
    )
    refused(response, 404)  # a suspended provider's listings are off the catalogue
    assert written()[:-1] == before[:-1]  # (the suspension itself is audited)


def test_an_order_sent_as_json_is_refused(year: VoucherYear) -> None:
    response = client_for(year.zone, "enterprise_a").post(
        "/api/vouchers/orders",
        {"listing_id": year.listing.pk, "contract_fee_fen": FEE},
        content_type="application/json",
    )
    refused(response, 422)
    assert VoucherOrder.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"invoice_fee_fen": 0}, 422),
        ({"invoice_fee_fen": -1}, 422),
        ({"invoice_fee_fen": FEE + 1}, 422),  # more than the contract
        ({"invoice_fee_fen": 10**30}, 422),
        ({"invoice_fee_fen": 1}, 422),  # a deduction of 0
        ({"invoice_fee_fen": "900000"}, 422),  # fen are integers, not text
        ({"invoice_fee_fen": 900_000.5}, 422),
        ({"invoice_fee_fen": 900_000.0}, 422),
        ({"invoice_fee_fen": True}, 422),
        ({"invoice_fee_fen": None}, 422),
        ({}, 422),
        ({"invoice_fee_fen": 900_000, "deduction_fen": 900_000}, 422),  # not the caller's
        ([900_000], 422),
        ("900000", 422),
    ],
)
def test_bad_redemptions_are_refused_with_nothing_written(
    year: VoucherYear, body: Any, status: int
) -> None:
    order = delivered(year)
    before = written()
    response = post_json(
        client_for(year.zone, "provider"), f"/api/vouchers/orders/{order.pk}/redeem", body
    )
    refused(response, status)
    assert written() == before


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"invoice_fee_fen": }', b"\xff\xfe", b"null"])
def test_unreadable_json_is_a_json_4xx(year: VoucherYear, raw: bytes) -> None:
    order = delivered(year)
    before = written()
    response = client_for(year.zone, "provider").post(
        f"/api/vouchers/orders/{order.pk}/redeem", raw, content_type="application/json"
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["message"]
    assert written() == before


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("cancel", {}, "reason"),
        ("cancel", {"reason": "   "}, "reason"),
        ("cancel", {"reason": "a\x00b"}, "reason"),
        ("cancel", {"reason": "x" * 301}, "reason"),
        ("cancel", {"reason": 5}, "reason"),
        ("decline", {}, "reason"),
    ],
)
def test_reasons_are_required(year: VoucherYear, step: str, body: Any, field: str) -> None:
    order = place(year)
    role = "enterprise_a" if step == "cancel" else "provider"
    before = written()
    response = post_json(
        client_for(year.zone, role), f"/api/vouchers/orders/{order.pk}/{step}", body
    )
    refused(response, 422)
    assert field_of(response) == field
    assert written() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stars": 6}, "stars"),
        ({"stars": 0}, "stars"),
        ({"stars": "5"}, "stars"),
        ({"stars": 4.5}, "stars"),
        ({"comment": "好"}, "stars"),
        ({"stars": 5, "comment": "x" * 501}, "comment"),
    ],
)
def test_bad_ratings(year: VoucherYear, body: Any, field: str) -> None:
    order = delivered(year)
    before = written()
    response = post_json(
        client_for(year.zone, "enterprise_a"), f"/api/vouchers/orders/{order.pk}/rate", body
    )
    refused(response, 422)
    assert field_of(response) == field
    assert written() == before


@pytest.mark.parametrize(
    "body", [{"decision": "maybe"}, {"decision": ""}, {}, {"decision": "approve", "level": 2}]
)
def test_bad_reviews(year: VoucherYear, body: Any) -> None:
    order = redeemed(year)
    before = written()
    response = post_json(
        client_for(year.zone, "staff"), f"/api/vouchers/orders/{order.pk}/review", body
    )
    refused(response, 422)
    assert written() == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"period": "2026-3"}, 422, "period"),
        ({"period": ""}, 422, "period"),
        ({"period": "1999Q1"}, 422, "period"),  # outside the scheme's year
        ({"period": "2026Q4\x00"}, 422, "period"),
        ({"period": "{q}\n"}, 422, "period"),  # the same quarter spelt anew
        ({"period": "２０２６Q4"}, 422, "period"),
        ({"period": 2026}, 422, "period"),
        ({"scheme_id": "1"}, 422, "scheme_id"),
        ({"provider_id": 1.0}, 422, "provider_id"),
        ({"scheme_id": 999_999}, 404, None),
        ({"provider_id": 999_999}, 404, None),
        ({"provider_id": 10**30}, 404, None),
        ({"total_fen": 1}, 422, "total_fen"),
    ],
)
def test_bad_settlements_are_refused(
    year: VoucherYear, body: dict[str, Any], status: int, field: str | None
) -> None:
    approved(year)
    quarter = settlements.quarter_of(timezone.localdate())
    data = {"scheme_id": year.scheme.pk, "provider_id": year.provider.pk, "period": quarter} | {
        k: v.replace("{q}", quarter) if isinstance(v, str) else v for k, v in body.items()
    }
    before = written()
    response = post_json(client_for(year.zone, "zone_admin"), "/api/vouchers/settlements", data)
    refused(response, status)
    if field:
        assert field_of(response) == field
    assert written() == before


def test_a_settlement_without_due_orders_is_refused(year: VoucherYear) -> None:
    place(year)  # placed, not approved: nothing is due
    response = post_json(
        client_for(year.zone, "zone_admin"),
        "/api/vouchers/settlements",
        {
            "scheme_id": year.scheme.pk,
            "provider_id": year.provider.pk,
            "period": settlements.quarter_of(timezone.localdate()),
        },
    )
    refused(response, 422)
    assert "没有待结算的订单" in response.json()["message"]
    assert VoucherSettlement.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/vouchers/orders/abc",
        "/api/vouchers/orders/-1",
        "/api/vouchers/orders/1.5",
        "/api/vouchers/orders/0x1",
        "/api/vouchers/orders/99999999999999999999999999",
        "/api/vouchers/orders/%EF%BC%91",  # a full-width digit
        "/api/vouchers/schemes/abc",
        "/api/vouchers/schemes/99999999999999999999999999",
        "/api/vouchers/settlements/abc",
        "/api/vouchers/settlements/9223372036854775808",
    ],
)
def test_bad_ids_are_a_json_404(year: VoucherYear, path: str) -> None:
    refused(client_for(year.zone, "zone_admin").get(path), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/vouchers/orders/abc/accept",
        "/api/vouchers/orders/99999999999999999999999999/confirm-delivery",
        "/api/vouchers/settlements/abc/pay",
    ],
)
def test_bad_ids_in_steps_are_a_json_404(year: VoucherYear, path: str) -> None:
    before = written()
    refused(client_for(year.zone, "zone_admin").post(path), 404)
    assert written() == before


@pytest.mark.parametrize(
    "query",
    [
        "state=bogus",
        "page=abc",
        "page_size=many",
        "state=%00",
        "q=%00",
    ],
)
def test_bad_list_filters_are_a_json_422(year: VoucherYear, query: str) -> None:
    refused(client_for(year.zone, "zone_admin").get(f"/api/vouchers/orders?{query}"), 422)


def test_pages_out_of_range_are_clamped(year: VoucherYear) -> None:
    ids = [place(year).pk for _ in range(3)]
    client = client_for(year.zone, "enterprise_a")
    first = client.get("/api/vouchers/orders?page_size=2").json()
    assert (first["count"], first["pages"], [o["id"] for o in first["items"]]) == (
        3,
        2,
        ids[::-1][:2],
    )
    last = client.get(f"/api/vouchers/orders?page_size=2&page={10**30}").json()
    assert (last["page"], [o["id"] for o in last["items"]]) == (2, [ids[0]])
    assert client.get("/api/vouchers/orders?page=-5&page_size=0").json()["page"] == 1
    assert client.get("/api/vouchers/orders?state=placed&q=CX").json()["count"] == 3
    assert client.get("/api/vouchers/orders?state=approved").json()["count"] == 0


def test_lists_take_the_same_queries_for_one_order_or_many(year: VoucherYear) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(year.zone, "staff")
    place(year)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/vouchers/orders").status_code == 200
        return len(captured)

    one = queries()
    for _ in range(4):
        place(year)
    assert queries() == one
    assert client.get("/api/vouchers/orders").json()["count"] == 5


def test_token_authentication_reaches_the_vouchers(year: VoucherYear) -> None:
    from gaoxin.accounts.services import issue_token

    place(year)
    _, key = issue_token(
        actor=Actor.system("test"), user=year.zone.users["enterprise_a"], name="ERP"
    )
    response = Client().get("/api/vouchers/orders", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert Client().get("/api/vouchers/orders").status_code == 401


def test_openapi_documents_fen() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/vouchers/orders/{order_id}/redeem" in schema["paths"]
    redeem = schema["components"]["schemas"]["RedeemIn"]["properties"]["invoice_fee_fen"]
    assert redeem["type"] == "integer" and "fen" in redeem["description"]
    upload = schema["paths"]["/api/vouchers/orders"]["post"]["requestBody"]["content"]
    assert set(upload["multipart/form-data"]["schema"]["required"]) == {
        "listing_id",
        "contract_fee_fen",
        "contract_file",
    }

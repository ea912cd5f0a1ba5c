"""Every voucher page for every role, and the whole flow through the pages."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gaoxin.ledger.models import Reservation
from gaoxin.ledger.money import to_yuan
from gaoxin.vouchers import orders, settlements
from gaoxin.vouchers.choices import OrderState
from gaoxin.vouchers.models import VoucherOrder, VoucherSettlement
from gaoxin.vouchers.selectors import paid_on_ledger
from tests.clients import client_for
from tests.conftest import ROLES
from tests.vouchers.conftest import VoucherYear, as_, contract, open_year, place

pytestmark = pytest.mark.django_db

ORDER_VIEWERS = {"enterprise_a", "provider", "staff", "commissioner", "leader", "zone_admin"}
STAFF_VIEWERS = {"staff", "staff_other", "commissioner", "leader", "zone_admin"}
SCHEME_VIEWERS = {"staff", "staff_other", "leader", "zone_admin"}
SETTLEMENT_VIEWERS = {"provider", "leader", "zone_admin"}


def settled_order(year: VoucherYear) -> tuple[VoucherOrder, VoucherSettlement]:
    zone = year.zone
    order = place(year)
    orders.accept(actor=as_(zone, "provider"), order=order)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=order)
    orders.redeem(actor=as_(zone, "provider"), order=order, invoice_fee_fen=1_000_000)
    orders.review(actor=as_(zone, "staff"), order=order, decision="approve")
    statement = settlements.issue(
        actor=as_(zone, "zone_admin"),
        scheme=year.scheme,
        provider=year.provider,
        period=settlements.quarter_of(timezone.localdate()),
    )
    return order, statement


def expected(role: str, allowed: set[str], denied: int) -> int:
    if role == "anonymous":
        return 302
    return 200 if role in allowed else denied


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(year: VoucherYear, role: str) -> None:
    order, statement = settled_order(year)
    client = client_for(year.zone, role)
    n, scheme, settlement = order.number, year.scheme.name, statement.number
    pages = {
        "/vouchers/": ({"enterprise_a", "enterprise_b"}, 404, "我的创新券"),
        f"/vouchers/order/{year.listing.pk}/": (
            {"enterprise_a", "enterprise_b"},
            404,
            year.listing.title,
        ),
        f"/vouchers/orders/{order.pk}/": (ORDER_VIEWERS, 404, n),
        f"/vouchers/orders/{order.pk}/contract/": (ORDER_VIEWERS, 404, None),
        "/vouchers/provider/": ({"provider"}, 403, n),
        "/vouchers/manage/": (SCHEME_VIEWERS, 403, scheme),
        "/vouchers/manage/scheme/": ({"zone_admin"}, 403, scheme),
        "/vouchers/review/": (STAFF_VIEWERS, 403, "创新券订单"),
        "/vouchers/report/": (STAFF_VIEWERS, 403, "创新券报表"),
        "/vouchers/settlements/": (SETTLEMENT_VIEWERS, 403, settlement),
        f"/vouchers/settlements/{statement.pk}/": (SETTLEMENT_VIEWERS, 404, n),
        f"/vouchers/settlements/{statement.pk}/statement.xlsx": (SETTLEMENT_VIEWERS, 404, None),
    }
    for url, (allowed, denied, marker) in pages.items():
        response = client.get(url)
        assert response.status_code == expected(role, allowed, denied), url
        if response.status_code == 200 and marker is not None:
            assert marker in response.content.decode(), url
    # an order page links its statement only for those who may open it
    if role in ORDER_VIEWERS:
        link = f'href="/vouchers/settlements/{statement.pk}/"'
        page = client.get(f"/vouchers/orders/{order.pk}/").content.decode()
        assert (link in page) == (role in SETTLEMENT_VIEWERS), role
        assert settlement in page, role
    # orders in the data scope only: staff_other's list does not show enterprise A's order
    if role in ("staff_other",):
        assert n not in client.get("/vouchers/review/").content.decode()
    if role in ("staff", "commissioner", "zone_admin", "leader"):
        assert n in client.get("/vouchers/review/").content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_order_actions_by_role(year: VoucherYear, role: str) -> None:
    """Only the provider accepts; anyone else gets 403, or 404 when the order is out of sight."""
    zone = year.zone
    order = place(year)
    response = client_for(zone, role).post(f"/vouchers/orders/{order.pk}/accept/")
    order.refresh_from_db()
    if role == "provider":
        assert response.status_code == 302
        assert order.state == OrderState.ACCEPTED
    else:
        assert response.status_code == (
            302 if role == "anonymous" else 403 if role in ORDER_VIEWERS else 404
        )
        assert order.state == OrderState.PLACED


def test_the_whole_flow_through_the_pages_and_the_statement(year: VoucherYear) -> None:
    zone = year.zone
    enterprise = client_for(zone, "enterprise_a")
    response = enterprise.get(f"/supermarket/{year.listing.pk}/")
    assert "使用创新券下单" in response.content.decode()
    # bad input first: text in the fee, then a file that is not a contract
    response = enterprise.post(
        f"/vouchers/order/{year.listing.pk}/",
        {"contract_fee": "一万", "contract_file": contract()},
    )
    assert response.status_code == 200
    assert "应为金额（元）" in response.content.decode()
    response = enterprise.post(
        f"/vouchers/order/{year.listing.pk}/",
        {"contract_fee": "12,000", "contract_file": contract("合同.txt", b"hello")},
    )
    assert "类型不支持" in response.content.decode()
    assert VoucherOrder.objects.count() == 0
    response = enterprise.post(
        f"/vouchers/order/{year.listing.pk}/",
        {"contract_fee": "12,000.00", "contract_file": contract()},
    )
    order = VoucherOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/vouchers/orders/{order.pk}/"
    assert order.deduction_fen == 420_000
    provider = client_for(zone, "provider")
    provider.post(f"/vouchers/orders/{order.pk}/accept/")
    enterprise.post(f"/vouchers/orders/{order.pk}/deliver/")
    provider.post(f"/vouchers/orders/{order.pk}/redeem/", {"invoice_fee": "11000"})
    client_for(zone, "staff").post(
        f"/vouchers/orders/{order.pk}/review/", {"decision": "approve", "comment": "材料齐全"}
    )
    enterprise.post(f"/vouchers/orders/{order.pk}/rate/", {"stars": "5", "comment": "很专业"})
    order.refresh_from_db()
    assert (order.state, order.deduction_fen) == (OrderState.APPROVED, 385_000)
    admin = client_for(zone, "zone_admin")
    period = settlements.quarter_of(timezone.localdate())
    assert "3,850.00" in admin.get(f"/vouchers/settlements/?period={period}").content.decode()
    admin.post("/vouchers/settlements/issue/", {"period": period})
    statement = VoucherSettlement.objects.get()
    admin.post(f"/vouchers/settlements/{statement.pk}/pay/")
    statement.refresh_from_db()
    assert statement.state == "paid"
    download = provider.get(f"/vouchers/settlements/{statement.pk}/statement.xlsx")
    sheet = load_workbook(BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    totals = next(r for r in rows if r[0] == "合计")
    ledger_paid = paid_on_ledger(statement)
    assert totals[9] == to_yuan(ledger_paid) == to_yuan(statement.total_fen)
    assert next(r for r in rows if r[0] == "账簿已支付（元）")[1] == to_yuan(ledger_paid)
    assert next(r for r in rows if r[0] == "核对")[1] == "一致"
    assert Reservation.objects.get(key=order.reservation_key).amount_fen == 420_000
    assert "★ 5.0" in enterprise.get(f"/supermarket/{year.listing.pk}/").content.decode()


def test_a_suspended_provider_is_refused_at_the_form(year: VoucherYear) -> None:
    from gaoxin.supermarket import services as supermarket

    zone = year.zone
    enterprise = client_for(zone, "enterprise_a")
    supermarket.suspend_provider(actor=as_(zone, "staff"), profile=year.provider, reason="整改")
    response = enterprise.post(
        f"/vouchers/order/{year.listing.pk}/",
        {"contract_fee": "12000", "contract_file": contract()},
    )
    # the listing is no longer public: the enterprise cannot even open it
    assert response.status_code == 404
    assert VoucherOrder.objects.count() == 0


def test_scheme_page_funds_and_grants(year: VoucherYear) -> None:
    admin = client_for(year.zone, "zone_admin")
    admin.post(f"/vouchers/manage/{year.scheme.pk}/fund/", {"amount": "500000"})
    page = admin.get("/vouchers/manage/").content.decode()
    assert "150.00 万元" in page  # 100 万元 at the start, 50 万元 more
    response = admin.post(
        f"/vouchers/manage/{year.scheme.pk}/fund/", {"amount": "abc"}, follow=True
    )
    assert "应为金额（元）" in response.content.decode()
    assert "150.00 万元" in response.content.decode()
    admin.post(
        f"/vouchers/manage/{year.scheme.pk}/grant_one/",
        {"enterprise": year.zone.enterprise_b.uscc, "amount": "50000", "note": "申诉后核定"},
    )
    assert "厦门乙科技有限公司" in admin.get("/vouchers/manage/").content.decode()


def test_a_nul_in_a_query_or_form_is_bad_input_not_a_crash(year: VoucherYear) -> None:
    order = place(year)
    enterprise = client_for(year.zone, "enterprise_a")
    assert enterprise.get("/supermarket/?q=%00").status_code == 400
    response = enterprise.post(f"/vouchers/orders/{order.pk}/cancel/", {"reason": "a\x00b"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.PLACED
    assert client_for(year.zone, "zone_admin").get("/vouchers/review/?q=%00").status_code == 400


def test_the_service_page_says_when_the_quota_is_used_up(zone: Any) -> None:
    year = open_year(zone, quota_fen=350_000)
    place(year)  # 10,000.00 元 × 35% takes the whole 3,500.00 元
    page = client_for(zone, "enterprise_a").get(f"/supermarket/{year.listing.pk}/")
    html = page.content.decode()
    assert "额度已用完" in html
    assert "order-with-voucher" not in html

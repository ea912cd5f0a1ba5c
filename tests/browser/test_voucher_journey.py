"""火炬创新券 end to end in headless Chromium: a provider lists a service, staff approve it,
the zone grants quotas, an eligible enterprise orders with its voucher, confirms delivery, the
provider redeems, staff approve and settle, and the Excel statement agrees with the ledger."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gaoxin.core.audit import Actor
from gaoxin.ledger.money import to_yuan
from gaoxin.ledger.selectors import pool_balances
from gaoxin.supermarket import services as supermarket
from gaoxin.vouchers import services
from gaoxin.vouchers.models import VoucherOrder, VoucherSettlement
from gaoxin.vouchers.selectors import paid_on_ledger
from tests.browser.test_registry import sign_in
from tests.factories import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_voucher_journey(zone: Any, live_server: Any, browser: Any) -> None:
    admin = Actor.for_user(zone.users["zone_admin"])
    scheme = services.create_scheme(
        actor=admin, data=services.default_scheme(timezone.localdate().year)
    )
    services.set_status(actor=admin, scheme=scheme, status="open")
    services.fund(actor=admin, scheme=scheme, amount_fen=500_000_000)
    profile = supermarket.register_provider(
        actor=Actor.system("test"),
        organisation=zone.users["provider"].organisation,
        data=supermarket.ProfileData(
            uscc=make_uscc(961),
            contact_name="林工",
            contact_phone="0592-5700002",
            categories=["simulation"],
        ),
    )
    supermarket.approve_provider(actor=Actor.system("test"), profile=profile)

    # The provider lists a service.
    page = sign_in(browser, live_server, "provider")
    page.click("text=我的服务")
    page.click("#new-listing")
    page.fill("#title", "电机电磁场仿真分析")
    page.select_option("#category", "simulation")
    page.fill("#description", "永磁电机电磁场、温升与噪声仿真，出具仿真报告")
    page.fill("#unit", "项")
    page.fill("#price_min", "10000")
    page.fill("#price_max", "50000")
    page.click("#submit-listing")
    page.wait_for_url("**/supermarket/mine/")
    page.close()

    # Staff approve it.
    page = sign_in(browser, live_server, "staff")
    page.click("text=服务审核")
    page.locator("#review-listings tr", has_text="电机电磁场仿真分析").locator(
        "button[value=approve]"
    ).click()
    page.wait_for_url("**/supermarket/review/")
    page.close()

    # The zone grants the year's quotas.
    page = sign_in(browser, live_server, "zone_admin")
    page.click("nav >> text=创新券")
    page.click("#grant-quotas")
    page.wait_for_url("**/vouchers/manage/**")
    assert "新核定 2 家" in page.content()
    assert "厦门甲科技有限公司" in page.locator("#quota-table").inner_text()
    page.close()

    # The enterprise orders with its voucher; a bad fee is answered at the field first.
    page = sign_in(browser, live_server, "ent_a")
    page.click("text=科技服务超市")
    page.click("text=电机电磁场仿真分析")
    assert "最多可抵扣" in page.locator("#voucher-offer").inner_text()
    page.click("#order-with-voucher")
    page.fill("#contract_fee", "60000")
    page.set_input_files(
        "#contract_file",
        {"name": "仿真服务合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"},
    )
    page.click("#place-order")
    assert "不在这项服务的价格区间" in page.locator("#form-error").inner_text()
    assert VoucherOrder.objects.count() == 0
    page.fill("#contract_fee", "20000")
    page.set_input_files(
        "#contract_file",
        {"name": "仿真服务合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"},
    )
    page.click("#place-order")
    page.wait_for_url("**/vouchers/orders/*/")
    assert "7,000.00" in page.locator("#order-deduction").inner_text()
    order_url = page.url
    page.close()

    page = sign_in(browser, live_server, "provider")
    page.click("nav >> text=创新券订单")
    page.click("#order-table a")
    page.click("#accept-order")
    page.wait_for_url(order_url)
    page.close()

    page = sign_in(browser, live_server, "ent_a")
    page.goto(order_url)
    page.click("#confirm-delivery")
    page.wait_for_url(order_url)
    page.click("#rate-submit")
    page.wait_for_url(order_url)
    assert "★★★★★" in page.locator("#order-rating").inner_text()
    page.close()

    page = sign_in(browser, live_server, "provider")
    page.goto(order_url)
    page.fill("#invoice_fee", "20000")
    page.click("#redeem-order")
    page.wait_for_url(order_url)
    assert "园区审核" in page.locator("#order-actions").inner_text()
    page.close()

    page = sign_in(browser, live_server, "staff")
    page.click("nav >> text=创新券订单")
    page.locator("#review-queue .queue-approve").click()
    page.wait_for_url("**/vouchers/review/")
    assert "没有待审核的兑付" in page.locator("#review-queue").inner_text()
    page.close()

    # The zone settles with the provider and downloads the statement.
    page = sign_in(browser, live_server, "zone_admin")
    page.click("nav >> text=创新券结算")
    assert "7,000.00" in page.locator("#due-table").inner_text()
    page.click("#issue-settlements")
    page.wait_for_url("**/vouchers/settlements/**")
    page.click("#settlement-table a")
    page.click("#pay-settlement")
    page.wait_for_url("**/vouchers/settlements/*/")
    assert "已付款" in page.locator("#statement-state").inner_text()
    with page.expect_download() as caught:
        page.click("#download-statement")
    content = open(caught.value.path(), "rb").read()  # noqa: SIM115
    page.close()

    statement = VoucherSettlement.objects.get()
    rows = list(load_workbook(BytesIO(content)).active.iter_rows(values_only=True))
    totals = next(r for r in rows if r[0] == "合计")
    balances = pool_balances(services.pool_of(scheme))
    assert totals[9] == to_yuan(paid_on_ledger(statement)) == to_yuan(balances.paid_fen)
    assert to_yuan(balances.paid_fen) == to_yuan(700_000)
    assert next(r for r in rows if r[0] == "核对")[1] == "一致"

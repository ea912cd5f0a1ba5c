"""科技服务超市 in headless Chromium: a provider lists a service, staff approve it, an
enterprise finds it by search and opens its page."""

from __future__ import annotations

from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.supermarket import services
from gaoxin.supermarket.models import ServiceListing
from tests.browser.test_registry import sign_in
from tests.factories import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_list_approve_find_open(zone: Any, live_server: Any, browser: Any) -> None:
    profile = services.register_provider(
        actor=Actor.system("test"),
        organisation=zone.users["provider"].organisation,
        data=services.ProfileData(
            uscc=make_uscc(951),
            contact_name="吴工",
            contact_phone="0592-5700001",
            categories=["simulation"],
        ),
    )
    services.approve_provider(actor=Actor.system("test"), profile=profile)

    page = sign_in(browser, live_server, "provider")
    page.click("text=我的服务")
    page.click("#new-listing")
    page.fill("#title", "新能源汽车电池包流体与热仿真")
    page.select_option("#category", "simulation")
    page.fill("#description", "CFD 流场与散热仿真，比选风冷和液冷方案")
    page.fill("#unit", "项")
    page.fill("#price_min", "0")
    page.fill("#price_max", "80000")
    page.click("#submit-listing")
    assert "最低价必须大于 0 元" in page.locator("#form-error").inner_text()
    page.fill("#price_min", "12000")
    page.click("#submit-listing")
    page.wait_for_url("**/supermarket/mine/")
    assert "待审核" in page.locator("#my-listings").inner_text()
    page.close()

    page = sign_in(browser, live_server, "staff")
    page.click("text=服务审核")
    row = page.locator("#review-listings tr", has_text="新能源汽车电池包流体与热仿真")
    row.locator("button[value=approve]").click()
    page.wait_for_url("**/supermarket/review/")
    assert "没有待审核的服务" in page.locator("#review-listings").inner_text()
    page.close()

    page = sign_in(browser, live_server, "ent_a")
    page.click("text=科技服务超市")
    page.fill("#q", "电池包")
    page.click("#search-button")
    page.wait_for_url("**q=*")
    page.click("text=新能源汽车电池包流体与热仿真")
    listing = ServiceListing.objects.get()
    page.wait_for_url(f"**/supermarket/{listing.pk}/")
    assert "12,000" in page.locator("#listing-price").inner_text()
    assert "服务机构" in page.content() and "吴工" in page.content()
    page.close()

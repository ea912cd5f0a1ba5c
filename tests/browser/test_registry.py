"""What people do in the registry, in headless Chromium against a live server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures
from tests.factories import PASSWORD, make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser: Any, live_server: Any, username: str) -> Any:
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")
    return page


def with_figures(zone: Any) -> None:
    a = zone.enterprise_a
    for year, revenue, rd in ((2022, 3000, 150), (2023, 3600, 200), (2024, 4100, 260)):
        YearlyFigures.objects.create(
            enterprise=a,
            year=year,
            revenue=Decimal(revenue * 10000),
            rd_expense=Decimal(rd * 10000),
            sources={},
        )
    Qualification.objects.create(
        enterprise=a,
        kind="high_tech_enterprise",
        granted_on=dt.date(2024, 11, 1),
        valid_until=dt.date(2027, 10, 31),
    )
    Enterprise.objects.filter(pk=zone.enterprise_b.pk).update(chain="software")


def test_staff_filters_opens_and_sees_charts(zone: Any, live_server: Any, browser: Any) -> None:
    with_figures(zone)
    page = sign_in(browser, live_server, "leader")
    page.click("text=企业库")
    table = page.locator("#registry-table tbody")
    assert table.locator("tr").count() == 2
    page.select_option("#chain", "ic")
    page.wait_for_function("document.querySelectorAll('#registry-table tbody tr').length === 1")
    assert "chain=ic" in page.url  # the filter is in the address, so it can be shared
    assert zone.enterprise_b.name not in table.inner_text()
    page.click(f"text={zone.enterprise_a.name}")
    page.wait_for_url(f"**/enterprises/{zone.enterprise_a.pk}/")
    page.click("#tab-figures")
    page.wait_for_selector("#chart-money svg")
    page.wait_for_selector("#chart-intensity svg")
    assert "4,100.00" in page.inner_text("#figures-table")  # 4100万 in the 万元 table
    assert "6.34%" in page.inner_text("#figures-table")  # 260 / 4100
    page.close()


def test_import_with_errors_lists_them_and_writes_nothing(
    zone: Any, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["统一社会信用代码", "企业名称", "职工总数", "营业收入_2024"])
    good = make_uscc(500)
    sheet.append([good, "厦门好企业有限公司", 10, "100万"])
    sheet.append([good[:-1] + ("0" if good[-1] != "0" else "1"), "厦门错码有限公司", 5, 1])
    sheet.append([make_uscc(501), "厦门负数有限公司", -1, "很多"])
    path = tmp_path / "有错误的企业.xlsx"
    workbook.save(path)
    before = (Enterprise.objects.count(), AuditEntry.objects.count())

    page = sign_in(browser, live_server, "zone_admin")
    page.click("text=数据导入")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=上传并预览")
    page.wait_for_selector("#import-errors")
    rows = [
        [c.strip() for c in r.split("\t")]
        for r in page.locator("#import-errors tbody tr").all_inner_texts()
    ]
    assert [r[:2] for r in rows] == [["3", "A"], ["4", "C"], ["4", "D"]]
    assert "校验位错误" in rows[0][3] and "不能为负数" in rows[1][3] and "应为金额" in rows[2][3]
    assert page.inner_text("#error-count") == "3"
    assert page.locator("#commit").count() == 0  # nothing to confirm while errors remain
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before
    page.close()


def test_good_import_previews_then_commits(
    zone: Any, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    path = tmp_path / "good.csv"
    path.write_bytes(
        (f"统一社会信用代码,企业名称,职工总数\n{make_uscc(700)},厦门新企业有限公司,12\n").encode(
            "gbk"
        )
    )
    page = sign_in(browser, live_server, "zone_admin")
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=上传并预览")
    page.wait_for_selector("#commit")
    assert not Enterprise.objects.filter(uscc=make_uscc(700)).exists()
    page.click("#commit")
    page.wait_for_url("**/enterprises/")
    assert "导入完成：新增 1 家" in page.inner_text("body")
    assert Enterprise.objects.get(uscc=make_uscc(700)).employees == 12
    page.close()


def test_enterprise_user_sees_its_own_and_not_anothers(
    zone: Any, live_server: Any, browser: Any
) -> None:
    with_figures(zone)
    page = sign_in(browser, live_server, "ent_a")
    assert page.url.endswith("/my/enterprise/")
    body = page.inner_text("body")
    assert zone.enterprise_a.name in body and zone.enterprise_a.uscc in body
    assert "企业库" not in page.inner_text("nav")  # the menu offers only what it may open
    for path in (
        f"/enterprises/{zone.enterprise_b.pk}/",
        f"/enterprises/{zone.enterprise_a.pk}/",
        "/enterprises/",
        f"/api/enterprises/{zone.enterprise_b.pk}",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status in (403, 404), path
        assert zone.enterprise_b.name not in page.content()
    page.close()


def test_phone_layout_keeps_the_table_usable(zone: Any, live_server: Any, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/enterprises/")
    assert page.locator(".gx-sidebar").bounding_box()["x"] < 0  # type: ignore[index]
    page.click(".gx-menu-toggle")
    page.wait_for_timeout(300)
    assert page.locator(".gx-sidebar").bounding_box()["x"] == 0  # type: ignore[index]
    page.close()

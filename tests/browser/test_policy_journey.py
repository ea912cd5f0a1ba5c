"""Policy service in headless Chromium: staff write and publish a policy; the matched
enterprise sees it with its amount and reasons; another enterprise sees what it lacks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from tests.browser.test_registry import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAST = dt.date.today().year - 1
TEXT = f"""id: browser-rd-award
title: 研发投入奖励（浏览器测试）
issuer: 园区管委会
source: 测试文件
category: award
effective: {{from: 2020-01-01}}
delivery: auto
conditions:
  - label: 上年研发费用不低于 100 万元
    when: rd_expense[Y-1] >= 100万
benefit:
  amount: min(rd_expense[Y-1] * 10%, 50万)
tests:
  - name: 研发 200 万 → 20 万
    date: {LAST + 1}-06-30
    enterprise: {{rd_expense: {{{LAST}: 200万}}}}
    expect: {{status: eligible, amount: 20万}}
"""


def test_publish_then_the_enterprise_sees_amount_and_reasons(zone: Any, live_server: Any,
                                                             browser: Any) -> None:
    actor = Actor.system("test")
    for enterprise, rd in ((zone.enterprise_a, "300万"), (zone.enterprise_b, "90万")):
        registry.report_figures(actor=actor, enterprise=enterprise, year=LAST,
                                source=DataSource.VERIFIED, values={"rd_expense": rd})

    staff = sign_in(browser, live_server, "zone_admin")
    staff.goto(f"{live_server.url}/policies/new/")
    staff.fill("#id_text", TEXT.replace("rd_expense[Y-1] >=", "rd_expence[Y-1] >="))
    staff.wait_for_selector("#problem-list")  # the misspelt field is flagged while typing
    assert "rd_expence" in staff.inner_text("#problem-list")
    staff.fill("#id_text", TEXT)
    staff.wait_for_selector("#no-problems")
    staff.click("text=运行测试")
    staff.wait_for_selector("#tests .bi-check-circle")
    staff.click("button[type=submit]")
    staff.wait_for_url("**/policies/*/")
    staff.click("#publish")  # matching runs as a task (the immediate backend in tests)
    staff.wait_for_selector("#run-status[data-status=done]")
    assert staff.inner_text("#count-eligible") == "1"
    staff.close()

    page = sign_in(browser, live_server, "ent_a")
    page.goto(f"{live_server.url}/my/policies/")
    card = page.locator(".policy-card[data-status=eligible]")
    assert "研发投入奖励（浏览器测试）" in card.inner_text()
    assert "30.00 万元" in card.inner_text() and "上年研发费用不低于 100 万元" in card.inner_text()
    page.close()

    other = sign_in(browser, live_server, "ent_b")
    other.goto(f"{live_server.url}/my/policies/")
    near = other.locator(".policy-card[data-status=ineligible]")
    assert "研发费用（%s年） 90.00 万元，需 ≥ 100.00 万元" % LAST in near.inner_text()
    assert zone.enterprise_a.name not in other.content()
    other.close()

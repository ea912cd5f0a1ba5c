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


def test_publish_then_the_enterprise_sees_amount_and_reasons(
    zone: Any, live_server: Any, browser: Any
) -> None:
    actor = Actor.system("test")
    for enterprise, rd in ((zone.enterprise_a, "300万"), (zone.enterprise_b, "90万")):
        registry.report_figures(
            actor=actor,
            enterprise=enterprise,
            year=LAST,
            source=DataSource.VERIFIED,
            values={"rd_expense": rd},
        )

    staff = sign_in(browser, live_server, "staff")
    staff.goto(f"{live_server.url}/policies/new/")
    staff.fill("#id_text", TEXT.replace("rd_expense[Y-1] >=", "rd_expence[Y-1] >="))
    staff.wait_for_selector("#problem-list")  # the misspelt field is flagged while typing
    assert "rd_expence" in staff.inner_text("#problem-list")
    staff.fill("#id_text", TEXT)
    staff.wait_for_selector("#no-problems")
    staff.click("text=运行测试")
    staff.wait_for_selector("#tests .bi-check-circle")
    staff.click("button[type=submit]")
    staff.wait_for_url("**/policies/*/versions/*/")  # saved as a draft version
    staff.click("#submit-version")
    version_url = staff.url
    staff.close()

    staff = sign_in(browser, live_server, "zone_admin")  # another person approves, publishes
    staff.goto(version_url)
    staff.click("#approve-version")
    staff.click("#publish")  # first, what publishing will do
    assert staff.inner_text("#preview-enterprises") == "1"
    assert "30.00 万元" in staff.inner_text("#preview-total")
    staff.click("#confirm-publish")  # matching runs as a task (the immediate backend in tests)
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
    assert f"研发费用（{LAST}年） 90.00 万元，需 ≥ 100.00 万元" in near.inner_text()
    assert zone.enterprise_a.name not in other.content()
    other.close()


def test_no_application_payout_from_publish_to_public_notice(
    zone: Any, live_server: Any, browser: Any
) -> None:
    from gaoxin.ledger.models import JournalEntry
    from gaoxin.policies.models import Payout

    registry.report_figures(
        actor=Actor.system("test"),
        enterprise=zone.enterprise_a,
        year=LAST,
        source=DataSource.VERIFIED,
        values={"rd_expense": "300万"},
    )
    staff = sign_in(browser, live_server, "staff")
    staff.goto(f"{live_server.url}/policies/new/")
    staff.fill("#id_text", TEXT)
    staff.wait_for_selector("#no-problems")
    staff.click("button[type=submit]")
    staff.wait_for_url("**/policies/*/versions/*/")
    staff.click("#submit-version")
    version_url = staff.url
    policy_url = version_url.split("versions/")[0]
    staff.close()

    chief = sign_in(browser, live_server, "zone_admin")  # publishing and approving are theirs
    chief.goto(version_url)
    chief.click("#approve-version")
    chief.click("#publish")
    chief.click("#confirm-publish")
    chief.wait_for_selector("#run-status[data-status=done]")
    chief.close()

    staff = sign_in(browser, live_server, "staff")
    staff.goto(policy_url)
    staff.click("#payouts-link")
    staff.fill("#id_amount", "1000000")
    staff.click("#fund")
    # staff of a department read their scope's share, not the zone's budget and balance
    staff.wait_for_selector("#budget[data-scope=scope]")
    assert staff.locator("#available").count() == 0
    # the list and the budget are the zone's: a whole-zone account identifies
    assert staff.locator("#identify").count() == 0 and staff.locator("#identify-zone-only").count()
    payouts_url = staff.url
    chief = sign_in(browser, live_server, "zone_admin")
    chief.goto(payouts_url)
    chief.click("#identify")  # the list, its channels and the budget left, then confirm
    assert "100.00 万元" in chief.inner_text("#preview-budget")
    chief.click("#confirm-identify")
    chief.wait_for_selector("#payout-table .payout-state")
    assert "已推送" in chief.inner_text("#payout-table")
    chief.close()

    firm = sign_in(browser, live_server, "ent_a")
    firm.goto(f"{live_server.url}/my/payouts/")
    card = firm.locator(".payout-card")
    assert "30.00 万元" in card.inner_text() and "上年研发费用不低于 100 万元" in card.inner_text()
    firm.fill("input[name=bank_name]", "建设银行厦门分行")
    firm.fill("input[name=account_number]", "35150198010100001234")
    firm.click(".confirm-form button")
    firm.wait_for_selector(".payout-card[data-state=confirmed]")
    firm.close()

    staff.goto(payouts_url)
    staff.click(".verify-accept")
    staff.wait_for_selector("input[name=payout]")
    staff.check("input[name=payout]")
    staff.click("#make-batch")
    staff.wait_for_selector("#batches")
    assert staff.locator(".batch-approve").count() == 0  # staff may not approve
    staff.close()

    chief = sign_in(browser, live_server, "zone_admin")
    chief.goto(payouts_url)
    for button in (".batch-approve", ".batch-pay", ".batch-publish"):
        chief.click(button)
        chief.wait_for_load_state("networkidle")
    assert "已公示" in chief.inner_text("#batches")
    assert chief.inner_text("#available") == "70.00 万元"  # 100万 budget, 30万 paid
    chief.goto(f"{live_server.url}/payouts/report/")
    assert chief.inner_text("#paid-total") == "30.00 万元"
    chief.close()

    public = browser.new_page()
    public.goto(f"{live_server.url}/notices/")
    table = public.inner_text("#notice-table")
    assert "研发投入奖励（浏览器测试）" in table and "300,000.00" in table
    assert zone.enterprise_a.name not in table and zone.enterprise_a.uscc not in table
    assert zone.enterprise_a.uscc[:4] + "****" in table
    public.close()
    assert Payout.objects.get().state == "published"
    assert JournalEntry.objects.filter(kind="pay").count() == 1


def test_online_application_from_form_to_approval(
    zone: Any, live_server: Any, browser: Any, tmp_path: Any
) -> None:
    from gaoxin.policies import matching, services
    from gaoxin.policies.models import Application, Payout
    from tests.policies.test_applications import VOUCHER

    registry.update_enterprise(
        actor=Actor.system("t"),
        enterprise=zone.enterprise_a,
        values={"in_zone": True},
        source=DataSource.VERIFIED,
    )
    policy = services.save_policy(actor=Actor.system("t"), text=VOUCHER)
    services.publish(actor=Actor.system("t"), policy=policy, match=False)
    matching.match_published(push=False)
    contract = tmp_path / "服务合同.pdf"
    contract.write_bytes(b"%PDF-1.4 a contract")

    firm = sign_in(browser, live_server, "ent_a")
    firm.goto(f"{live_server.url}/my/policies/")
    firm.click(".apply-link")
    firm.fill("#in-service_fee", "很多")
    firm.click("#submit-application")
    assert "服务合同金额" in firm.inner_text("#apply-error")  # told what is wrong, kept the form
    firm.fill("#in-service_fee", "10万")
    firm.set_input_files("#attachments", str(contract))
    firm.click("#submit-application")
    firm.wait_for_url("**/my/applications/")
    assert "已提交，待审核" in firm.inner_text("#my-applications")
    mine = firm.inner_text("#my-applications")
    assert "测算金额（万元）" in mine and "\t3.50\t" in mine  # one unit, in the header
    firm.close()

    staff = sign_in(browser, live_server, "staff")
    staff.goto(f"{live_server.url}/applications/")
    staff.click(f"text={zone.enterprise_a.name}")
    assert "服务合同.pdf" in staff.inner_text("body")
    staff.fill("#comment", "合同与发票一致")
    staff.click("#approve")
    staff.wait_for_selector("text=已生成兑现事项")
    assert staff.inner_text("#app-state") == "已通过"
    staff.close()
    assert Application.objects.get().state == "approved"
    assert Payout.objects.get().amount_fen == 3_500_000

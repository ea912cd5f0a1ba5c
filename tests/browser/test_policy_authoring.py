"""Policy authoring in headless Chromium: staff write a policy by form, run its tests and
submit it; another person approves it; publishing shows the dry run, then publishes. The form,
the version page and the publish confirmation are photographed at desktop and phone size
(`GAOXIN_SHOTS`, default /tmp/shots-authoring)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.policies.models import Policy
from tests.browser.test_registry import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAST = dt.date.today().year - 1
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def shoot(page: Any, name: str) -> None:
    folder = Path(os.environ.get("GAOXIN_SHOTS", "/tmp/shots-authoring"))
    folder.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, (name, size, width)  # nothing off the side
    page.set_viewport_size(DESKTOP)


def test_author_by_form_submit_approve_and_publish_after_the_dry_run(
    zone: Any, live_server: Any, browser: Any
) -> None:
    for enterprise, rd in ((zone.enterprise_a, "300万"), (zone.enterprise_b, "90万")):
        registry.report_figures(
            actor=Actor.system("test"),
            enterprise=enterprise,
            year=LAST,
            source=DataSource.VERIFIED,
            values={"rd_expense": rd},
        )

    staff = sign_in(browser, live_server, "staff")
    staff.goto(f"{live_server.url}/policies/")
    staff.click("#create-form")
    staff.fill("#f-id", "form-rd-award")
    staff.fill("#f-title", "研发投入奖励（表单）")
    staff.fill("#f-issuer", "园区管委会")
    staff.fill("#f-source", "厦高管〔2026〕8号")
    staff.fill("#f-effective_from", "2020-01-01")
    staff.fill("#f-effective_to", "")
    staff.select_option("#f-category", "award")
    staff.fill("#g0-label", "上年研发费用不低于 100 万元")
    staff.select_option("select[name=g0-r0-field]", "rd_expense")
    staff.select_option("select[name=g0-r0-year]", "Y-1")
    staff.select_option("select[name=g0-r0-op]", ">=")
    staff.fill("input[name=g0-r0-value]", "一百万")  # not an amount: said on the field
    staff.select_option("#benefit-template", "rate")
    staff.select_option("#benefit-base", "rd_expense")
    staff.fill("#f-benefit-rate", "10%")
    staff.fill("#f-benefit-cap", "50万")
    staff.click("#save-form")
    staff.wait_for_selector("#error-g0-r0-value")
    assert "金额" in staff.inner_text("#error-g0-r0-value")
    assert not Policy.objects.exists()
    staff.fill("input[name=g0-r0-value]", "100万")
    staff.fill(
        "#f-tests",
        f"- name: 研发 200 万 → 20 万\n  date: {LAST + 1}-06-30\n"
        f"  enterprise: {{rd_expense: {{{LAST}: 200万}}}}\n"
        "  expect: {status: eligible, amount: 20万}\n",
    )
    staff.click("#run-tests")
    staff.wait_for_selector("#tests .bi-check-circle")
    staff.wait_for_function(
        "document.querySelector('#preview-yaml')"
        " && document.querySelector('#preview-yaml').innerText.includes('rd_expense[Y-1] >= 100万')"
    )
    assert "研发费用" in staff.inner_text("#plain-preview")
    shoot(staff, "1-form")
    staff.click("#save-form")
    staff.wait_for_url("**/policies/*/versions/*/")
    staff.click("#submit-version")
    staff.wait_for_selector("#version-state[data-state=submitted]")
    assert staff.locator("#approve-version").count() == 0  # not theirs to approve
    version_url = staff.url
    staff.close()

    chief = sign_in(browser, live_server, "zone_admin")
    chief.goto(version_url)
    chief.click("#approve-version")
    chief.wait_for_selector("#version-state[data-state=approved]")
    assert "staff" in chief.inner_text("#moves") and "zone_admin" in chief.inner_text("#moves")
    shoot(chief, "2-version")
    chief.click("#publish")
    chief.wait_for_selector("#confirm-publish")
    assert chief.inner_text("#preview-enterprises") == "1"  # the dry run: a is matched, b not
    assert chief.inner_text("#preview-total") == "30.00 万元"  # 10% of 300万, under the cap
    assert Policy.objects.get().status == "draft"  # nothing published before the confirmation
    shoot(chief, "3-publish-confirmation")
    chief.click("#confirm-publish")
    chief.wait_for_selector("#run-status[data-status=done]")
    assert chief.inner_text("#count-eligible") == "1"
    assert Policy.objects.get().status == "published"
    chief.close()

    # A change goes the same way, and its confirmation shows what changed.
    staff = sign_in(browser, live_server, "staff")
    staff.goto(f"{live_server.url}/policies/{Policy.objects.get().pk}/")
    staff.click("#edit-form")
    assert staff.input_value("#f-benefit-rate") == "10%"  # the published text, back in the form
    staff.fill("#f-benefit-rate", "12%")
    staff.click("#save-form")
    staff.wait_for_url("**/policies/*/versions/*/")
    staff.click("#submit-version")
    version_url = staff.url
    staff.close()
    chief = sign_in(browser, live_server, "zone_admin")
    chief.goto(version_url)
    chief.click("#approve-version")
    chief.click("#publish")
    chief.wait_for_selector("#diff-fields")
    assert "12%" in chief.inner_text("#diff-fields") and "10%" in chief.inner_text("#diff-fields")
    assert chief.inner_text("#preview-total") == "36.00 万元"
    assert Policy.objects.get().current.text.count("10%") == 1  # still the version in force
    shoot(chief, "4-publish-a-change")
    chief.click("#confirm-publish")
    chief.wait_for_selector("#run-status[data-status=done]")
    assert "12%" in Policy.objects.get().current.text
    chief.close()


def test_a_text_goes_from_the_editor_to_the_form_and_back(
    zone: Any, live_server: Any, browser: Any
) -> None:
    from gaoxin.policies.library import shipped_library
    from gaoxin.policies.views import TEMPLATE

    folder = shipped_library()
    assert folder is not None
    rows = (folder / "examples" / "b6-fujian-little-giant.yaml").read_text(encoding="utf-8")
    staff = sign_in(browser, live_server, "staff")
    staff.goto(f"{live_server.url}/policies/new/")
    staff.fill("#id_text", rows)
    staff.click("#to-form")
    staff.wait_for_selector("#policy-form #conditions")
    assert staff.locator("select[name=g0-r1-year]").is_visible()  # 取得年份为 当年
    assert not staff.locator("input[name=g0-r1-value]").is_visible()
    assert not staff.locator("select[name=g0-r0-year]").is_visible()  # has(…): no year
    shoot(staff, "5-form-from-text")
    staff.click("#to-text")  # and back, as the form writes it
    staff.wait_for_selector("#id_text")
    assert "year_of(little_giant) == Y" in staff.input_value("#id_text")
    staff.fill("#id_text", TEMPLATE)  # min(…) is no template of the form
    staff.click("#to-form")
    staff.wait_for_selector("#not-in-form")
    assert "min(rd_expense[Y-1] * 10%, 50万)" in staff.input_value("#id_text")
    shoot(staff, "6-not-in-form")
    staff.close()

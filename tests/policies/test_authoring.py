"""Policy authoring by form: every benefit template and every kind of row written as a text
and read back the same; a text the form can't represent opens in the text editor with the
reasons; the form's problems are located on its fields; the pages by role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from gaoxin.policies import authoring as au
from gaoxin.policies import versions
from gaoxin.policies.library import parse, problems_of
from gaoxin.policies.models import Policy
from tests.clients import client_for
from tests.conftest import ROLES

LAST = dt.date.today().year - 1
TESTS = f"""- name: 研发 200 万 → 20 万
  date: {LAST + 1}-06-30
  enterprise: {{in_zone: true, rd_expense: {{{LAST}: 200万}}}}
  expect: {{status: eligible, amount: 20万}}
"""


def base(**benefit: Any) -> au.Draft:
    return au.Draft(
        id="form-policy-2026",
        title="研发投入补助（表单）",
        issuer="园区管委会",
        source="厦高管〔2026〕1号",
        category="subsidy",
        delivery="auto",
        effective_from="2020-01-01",
        effective_to="",
        notify=["legal_rep"],
        stack_group="rd",
        groups=[
            au.Group(
                "在园区注册，上年研发费用不低于 100 万元",
                "and",
                [au.Row("in_zone", "", au.YES, ""), au.Row("rd_expense", "Y-1", ">=", "100万")],
            ),
            au.Group(
                "高新技术企业或科技型中小企业",
                "or",
                [au.Row("high_tech_enterprise", "", au.HAS, ""), au.Row("tech_sme", "", au.HAS)],
            ),
            au.Group(
                "成立满一年、行业不是 C3974、在 2000 年后成立",
                "and",
                [
                    au.Row("registered_at", "", au.YEARS_AT_LEAST, "1"),
                    au.Row("industry", "", "!=", "C3974"),
                    au.Row("registered_at", "", ">", "2000-01-01"),
                    au.Row("employees", "", "<", "1000"),
                ],
            ),
            au.Group(
                "当年认定的小巨人、三年前认定的高企，成立不超过 10 年，或经认定的同等企业",
                "or",
                [
                    au.Row("little_giant", "Y", au.YEAR_IS, ""),
                    au.Row("high_tech_enterprise", "Y-3", au.YEAR_BY, ""),
                    au.Row("registered_at", "", au.YEARS_AT_MOST, "10"),
                    au.Row(au.MANUAL, "", au.MANUAL, "经认定的市级专精特新企业"),
                ],
            ),
            au.Group("经专家评审", manual=True, rows=[], note="由专家评审"),
        ],
        benefit=au.Benefit(**benefit),
        description="表单测试用",
    )


TEMPLATES = {
    "fixed": {"template": au.FIXED, "amount": "10万"},
    "rate with a cap": {
        "template": au.RATE,
        "base": "rd_expense",
        "base_year": "Y-1",
        "rate": "10%",
        "cap": "50万",
    },
    "bands": {
        "template": au.BANDS,
        "base": "revenue",
        "base_year": "Y-1",
        "bands": [au.Band("below", "1000万", "5万"), au.Band("upto", "1亿", "20万")],
        "otherwise": "50万",
    },
    "per item": {
        "template": au.PER_ITEM,
        "table": "patents",
        "item_field": "kind",
        "item_op": "==",
        "item_value": "发明",
        "per_item": "1万",
        "cap": "100万",
    },
    "per item, a rate of each": {
        "template": au.PER_ITEM,
        "table": "equipment",
        "per_item_field": "amount",
        "per_item_rate": "10%",
    },
    "none": {"template": au.NONE},
}
if au.UPTO in au.templates():  # once the engine knows `benefit.upto`: written, loaded, read back
    TEMPLATES["up to a bound decided by a person"] = {"template": au.UPTO, "amount": "30万"}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_template_goes_to_text_and_back(name: str) -> None:
    draft = base(**TEMPLATES[name])
    draft.tests = TESTS if name == "rate with a cap" else ""
    assert au.check(draft) == {}
    written = au.to_yaml(draft)
    assert problems_of(written.text) == [], written.text
    again = au.from_yaml(written.text)
    assert yaml.safe_load(again.tests or "null") == yaml.safe_load(draft.tests or "null")
    again.tests = draft.tests  # the same tests, as YAML writes them
    assert again == draft
    assert au.to_yaml(again).text == written.text


def test_once_per_enterprise_excludes_and_a_lifetime_cap_go_to_text_and_back() -> None:
    """The payout history's keys a form can hold: 每家企业限享受一次, 不得同时享受, 累计最高."""
    draft = base(template=au.RATE, base="rd_expense", base_year="Y-1", rate="10%")
    draft.benefit.lifetime_cap = "200万"
    draft.once_per, draft.excludes = "enterprise", "other-award, third-award"
    assert au.check(draft) == {}
    written = au.to_yaml(draft)
    assert problems_of(written.text) == [], written.text
    loaded = parse(written.text)
    assert "此前未获得本政策资金（每家企业限享受一次）" in [c.label for c in loaded.conditions]
    assert loaded.excludes == ("other-award", "third-award")
    again = au.from_yaml(written.text)
    assert (again.once_per, again.excludes, again.benefit.lifetime_cap) == (
        "enterprise",
        "other-award, third-award",
        "200万",
    )
    draft.excludes = "Other Award"
    draft.benefit.lifetime_cap = "很多"
    assert set(au.check(draft)) == {"excludes", "benefit-lifetime_cap"}


def test_the_written_policy_computes_what_the_form_says() -> None:
    from gaoxin.rules import run_tests

    draft = base(**TEMPLATES["rate with a cap"])
    draft.groups = draft.groups[:1]
    draft.tests = TESTS
    outcomes, _untested = run_tests([parse(au.to_yaml(draft).text)])
    assert [o.passed for o in outcomes] == [True]


def test_a_bound_decided_by_a_person_is_offered_only_when_the_engine_knows_it() -> None:
    from gaoxin.rules.loader import BENEFIT_KEYS

    assert (au.UPTO in au.templates()) == ("upto" in BENEFIT_KEYS)
    if au.UPTO not in au.templates():
        assert "benefit-template" in au.check(base(template=au.UPTO, amount="10万"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("parameters: {rate: 10%}\n", "parameters"),
        ("", "金额公式"),  # min(...) is not a template
    ],
)
def test_a_text_the_form_cannot_show_is_refused_with_reasons(text: str, reason: str) -> None:
    written = au.to_yaml(base(**TEMPLATES["rate with a cap"])).text
    written = written.replace(
        "  amount: rd_expense[Y-1] * 10%\n  cap: 50万\n",
        "  amount: min(rd_expense[Y-1] * 10%, 50万)\n",
    )
    assert problems_of(text + written) == []
    with pytest.raises(au.Unrepresentable) as caught:
        au.from_yaml(text + written)
    assert any(reason in r for r in caught.value.reasons)


def test_mixed_and_or_and_brackets_are_not_rows() -> None:
    written = au.to_yaml(base(**TEMPLATES["fixed"])).text
    mixed = written.replace(
        "when: in_zone and rd_expense[Y-1] >= 100万",
        "when: in_zone and rd_expense[Y-1] >= 100万 or employees > 5",
    )
    with pytest.raises(au.Unrepresentable, match="并且"):
        au.from_yaml(mixed)
    bracket = written.replace(
        "when: in_zone and rd_expense[Y-1] >= 100万",
        "when: in_zone and (rd_expense[Y-1] >= 100万 or employees > 5)",
    )
    with pytest.raises(au.Unrepresentable):
        au.from_yaml(bracket)


def test_spacing_written_by_hand_is_still_the_form() -> None:
    written = au.to_yaml(base(**TEMPLATES["fixed"])).text
    assert au.from_yaml(written.replace(">= 100万", ">=100万")).groups[0].rows[1].value == "100万"


def test_every_problem_is_on_its_field() -> None:
    draft = base(**TEMPLATES["bands"])
    draft.id = "Bad Id"
    draft.effective_from = "2020-13-01"
    draft.groups[0].rows[1].value = "很多"
    draft.groups[0].rows.append(au.Row("nonsense", "", ">=", "1"))
    draft.groups[1].rows[0].op = ">="
    draft.benefit.bands[0].bound = "x"
    draft.tests = "- name: [unclosed"
    errors = au.check(draft)
    assert set(errors) == {
        "id",
        "effective_from",
        "g0-r1-value",
        "g0-r2-field",
        "g1-r0-op",
        "benefit-band0-bound",
        "tests",
    }


# -- the pages ---------------------------------------------------------------------------------


def posted(draft: au.Draft) -> dict[str, Any]:
    """The form's fields as the page posts them."""
    data: dict[str, Any] = {
        k: getattr(draft, k)
        for k in (
            "id",
            "title",
            "issuer",
            "source",
            "category",
            "delivery",
            "effective_from",
            "effective_to",
            "stack_group",
            "region",
            "stage",
            "budget",
            "notes",
            "tests",
        )
    }
    data["notify"] = draft.notify
    for g, group in enumerate(draft.groups):
        data[f"g{g}-label"], data[f"g{g}-join"] = group.label, group.join
        if group.manual:
            data[f"g{g}-manual"], data[f"g{g}-note"] = "on", group.note
        for r, row in enumerate(group.rows):
            for k in ("field", "year", "op", "value"):
                data[f"g{g}-r{r}-{k}"] = getattr(row, k)
    b = draft.benefit
    for k, v in vars(b).items():
        if k != "bands":
            data[f"benefit-{k}"] = v
    for i, band in enumerate(b.bands):
        data[f"benefit-band{i}-op"] = band.op
        data[f"benefit-band{i}-bound"] = band.bound
        data[f"benefit-band{i}-amount"] = band.amount
    return data


@pytest.mark.django_db
def test_a_new_form_marks_nothing_until_it_is_saved(zone: Any) -> None:
    client = client_for(zone, "staff")
    page = client.get("/policies/new/form/").content.decode()
    assert "is-invalid" not in page and "处问题" not in page
    saved = client.post("/policies/new/form/", {"op": "save"}).content.decode()
    assert "is-invalid" in saved and "请修改标出的问题后再保存" in saved


@pytest.mark.django_db
def test_saving_the_form_makes_a_draft_version_and_the_form_reopens_it(zone: Any) -> None:
    client = client_for(zone, "staff")
    draft = base(**TEMPLATES["bands"])
    response = client.post("/policies/new/form/", {**posted(draft), "op": "save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = Policy.objects.get()
    version = versions.pending(policy)
    assert version is not None and version.state == "draft"
    assert response.url == f"/policies/{policy.pk}/versions/{version.pk}/"
    assert au.to_yaml(au.from_yaml(version.text)).text == version.text
    page = client.get(f"/policies/{policy.pk}/form/").content.decode()
    assert 'value="研发投入补助（表单）"' in page and 'value="1000万"' in page


@pytest.mark.django_db
def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(zone: Any) -> None:
    client = client_for(zone, "staff")
    draft = base(**TEMPLATES["fixed"])
    draft.groups[0].rows[1].value = "很多"
    draft.benefit.amount = "十万"
    page = client.post("/policies/new/form/", {**posted(draft), "op": "save"})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="form-failed"' in body
    assert 'id="error-g0-r1-value"' in body and 'id="error-benefit-amount"' in body
    assert not Policy.objects.exists()
    garbage = client.post("/policies/new/form/", {"op": "del_row:x:9", "g0-label": "x"})
    assert garbage.status_code == 200


@pytest.mark.django_db
def test_rows_and_bands_are_added_and_removed(zone: Any) -> None:
    client = client_for(zone, "staff")
    data = posted(base(**TEMPLATES["bands"]))
    body = client.post("/policies/new/form/", {**data, "op": "add_row:0"}).content.decode()
    assert 'name="g0-r2-field"' in body
    body = client.post("/policies/new/form/", {**data, "op": "del_group:0"}).content.decode()
    assert "在园区注册，上年研发费用" not in body
    body = client.post("/policies/new/form/", {**data, "op": "add_band"}).content.decode()
    assert 'name="benefit-band2-op"' in body


@pytest.mark.django_db
def test_a_text_beyond_the_form_opens_in_the_text_editor_with_nothing_lost(zone: Any) -> None:
    from gaoxin.policies.views import TEMPLATE

    client = client_for(zone, "staff")
    page = client.post("/policies/new/form/", {"draft": TEMPLATE}).content.decode()
    assert 'id="not-in-form"' in page and "min(rd_expense[Y-1] * 10%, 50万)" in page
    assert 'action="/policies/new/"' in page  # saving it is the text editor's, not the form's
    written = au.to_yaml(base(**TEMPLATES["fixed"])).text
    form = client.post("/policies/new/form/", {"text": written, "draft-to-form": ""})
    assert 'id="policy-form"' in form.content.decode()
    back = client.post("/policies/new/form/", {**posted(base(**TEMPLATES["fixed"])), "op": "text"})
    assert "rd_expense[Y-1] &gt;= 100万" in back.content.decode()


@pytest.mark.django_db
def test_preview_and_tests_from_the_form(zone: Any) -> None:
    client = client_for(zone, "staff")
    draft = base(**TEMPLATES["rate with a cap"])
    draft.groups = draft.groups[:1]
    draft.tests = TESTS
    preview = client.post("/policies/form/preview/", posted(draft)).content.decode()
    assert "研发费用" in preview and "amount: rd_expense[Y-1] * 10%" in preview
    tests = client.post("/policies/form/run-tests/", posted(draft)).content.decode()
    assert "bi-check-circle" in tests


WRITERS = {"staff", "staff_other", "zone_admin"}
READERS = WRITERS | {"commissioner", "leader"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_form_pages_by_role(zone: Any, role: str) -> None:
    client = client_for(zone, role)
    data = posted(base(**TEMPLATES["fixed"]))
    new = client.get("/policies/new/form/")
    preview = client.post("/policies/form/preview/", data)
    saved = client.post("/policies/new/form/", {**data, "op": "save"})
    if role == "anonymous":
        assert {new.status_code, preview.status_code, saved.status_code} == {302}
        assert not Policy.objects.exists()
        return
    assert new.status_code == (200 if role in WRITERS else 403), role
    assert preview.status_code == (200 if role in READERS else 403), role
    assert saved.status_code == (302 if role in WRITERS else 403), role
    assert Policy.objects.exists() == (role in WRITERS)
    if role in WRITERS:
        policy = Policy.objects.get()
        assert client.get(f"/policies/{policy.pk}/form/").status_code == 200


@pytest.mark.parametrize("bad", ["2024-13-45", "0000-00-00", "- {a: 2024-02-30}"])
def test_a_date_that_is_no_date_is_a_problem_not_a_crash(bad: str) -> None:
    draft = base(**TEMPLATES["fixed"])
    draft.tests = bad
    draft.title = bad
    assert "tests" in au.check(draft)
    with pytest.raises(au.Unrepresentable):
        au.from_yaml(f"id: x\ntests: {bad}\n")


@pytest.mark.django_db
def test_a_hand_written_policy_opens_in_the_text_editor_that_saves_it(zone: Any) -> None:
    from gaoxin.core.audit import Actor
    from gaoxin.policies import services
    from gaoxin.policies.views import TEMPLATE

    policy = services.save_policy(actor=Actor.system("test"), text=TEMPLATE)
    client = client_for(zone, "staff")
    page = client.get(f"/policies/{policy.pk}/form/").content.decode()
    assert 'id="not-in-form"' in page and f'action="/policies/{policy.pk}/edit/"' in page
    edited = TEMPLATE.replace("10%", "11%")
    assert client.post(f"/policies/{policy.pk}/edit/", {"text": edited}).status_code == 302
    latest = versions.pending(policy)
    assert latest is not None and "11%" in latest.text


def test_a_problem_the_engine_finds_is_shown_on_the_field_that_wrote_it() -> None:
    from gaoxin.policies.form_views import reading

    draft = base(**TEMPLATES["fixed"])
    draft.tests = "- name: x\n  enterprise: {rd_expence: {2025: 1}}\n  expect: {status: eligible}\n"
    assert au.check(draft) == {}
    found = reading(draft)
    assert "rd_expence" in found["errors"]["tests"]
    assert found["plain"] is None


def test_a_shipped_policy_of_rows_opens_in_the_form() -> None:
    from gaoxin.policies.library import shipped_library

    folder = shipped_library()
    assert folder is not None
    text = (folder / "examples" / "b6-fujian-little-giant.yaml").read_text(encoding="utf-8")
    draft = au.from_yaml(text)
    assert any(r.op == au.YEAR_IS for g in draft.groups for r in g.rows)
    written, original = parse(au.to_yaml(draft).text), parse(text)
    assert [c.label for c in written.conditions] == [c.label for c in original.conditions]
    assert [t.name for t in written.tests] == [t.name for t in original.tests]

"""The payout service's side of the payout history (policies/history.py) and of bounds
(benefit.upto): the history read in one query as the `payouts` item table, a policy paid once
per enterprise seeing what was paid, payouts identified under a bound waiting for staff to
decide the amount (within the bound and the budget, audited, by role), and policies that may
not be paid together kept apart in one run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.people import item_lists
from gaoxin.policies import matching, payouts, services
from gaoxin.policies.history import payout_rows
from gaoxin.policies.models import Payout, PolicyMatch
from tests.policies.test_payouts import ALL_ROLES, CHIEF, LAST, STAFF, YEAR, confirm_as, published

BOUND = f"""id: rd-bound-test
title: 研发补助（最高不超过50万元，金额核定）
issuer: 园区管委会
source: 测试文件
category: subsidy
effective: {{from: 2020-01-01}}
delivery: auto
conditions:
  - label: 上年研发费用不低于 100 万元
    when: rd_expense[Y-1] >= 100万
benefit:
  upto: min(rd_expense[Y-1] * 10%, 50万)
tests:
  - name: 研发 200 万 → 最高 20 万
    date: {LAST + 1}-06-30
    enterprise: {{rd_expense: {{{LAST}: 200万}}}}
    expect: {{status: eligible, amount: null, bound: 20万}}
"""

ONCE = f"""id: rd-once-test
title: 研发奖励（每家企业限一次）
issuer: 园区管委会
source: 测试文件
category: award
effective: {{from: 2020-01-01}}
delivery: auto
once_per: enterprise
excludes: [rd-subsidy-test]
conditions:
  - label: 上年研发费用不低于 100 万元
    when: rd_expense[Y-1] >= 100万
benefit:
  amount: 1万
tests:
  - name: 研发 200 万 → 1 万
    date: {LAST + 1}-06-30
    enterprise: {{rd_expense: {{{LAST}: 200万}}}}
    expect: {{status: eligible, amount: 1万}}
"""


def _publish(text: str) -> Any:
    policy = services.save_policy(actor=STAFF, text=text)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published()
    return policy


def _paid(payout: Payout, state: str = "paid") -> Payout:
    payout.state = state
    payout.save()
    return payout


@pytest.mark.django_db
def test_the_history_counts_confirmed_payouts_on_in_one_query(zone: Any) -> None:
    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=10**9)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    a = _paid(Payout.objects.get(enterprise=zone.enterprise_a))
    ids = [zone.enterprise_a.pk, zone.enterprise_b.pk]
    with CaptureQueriesContext(connection) as queries:
        rows = payout_rows(("in", ids))
    assert len(queries) == 1
    # B's payout is only identified: not yet received
    assert [(r["enterprise_id"], r["policy"], r["year"], r["item"]) for r in rows] == [
        (a.enterprise_id, "rd-subsidy-test", YEAR, None)
    ]
    assert rows[0]["amount"] * 100 == a.amount_fen
    assert item_lists(ids)[a.enterprise_id]["payouts"] == [
        {"policy": "rd-subsidy-test", "year": YEAR, "amount": rows[0]["amount"], "item": None}
    ]
    row = flat_rows([a.enterprise_id], dt.date.today(), items=True)[a.enterprise_id]
    assert row["payouts"][0]["policy"] == "rd-subsidy-test"


@pytest.mark.django_db
def test_once_per_enterprise_and_excludes_read_what_was_paid(zone: Any) -> None:
    first = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    payouts.fund(actor=CHIEF, policy=first, year=YEAR, amount_fen=10**9)
    payouts.identify(actor=STAFF, policy=first, year=YEAR, push=False)
    _paid(Payout.objects.get(enterprise=zone.enterprise_a))
    once = _publish(ONCE)
    status = dict(PolicyMatch.objects.filter(policy=once).values_list("enterprise_id", "status"))
    # A was paid under the policy ONCE excludes; B's payout is only identified
    assert status.get(zone.enterprise_a.pk, "ineligible") == "ineligible"  # only kept if near
    assert status[zone.enterprise_b.pk] == "eligible"
    # … and the payout service won't list B under both in one run
    from gaoxin.policies.preview import identify_preview

    payouts.fund(actor=CHIEF, policy=once, year=YEAR, amount_fen=10**9)
    assert identify_preview(once, YEAR).enterprises == 0  # the preview says so too
    assert payouts.identify(actor=STAFF, policy=once, year=YEAR, push=False) == 0
    Payout.objects.filter(policy=first, enterprise=zone.enterprise_b).update(state="rejected")
    assert payouts.identify(actor=STAFF, policy=once, year=YEAR, push=False) == 1


def _bounded(zone: Any, budget: int = 10**9) -> tuple[Any, Payout]:
    from tests.policies.test_policies import figures

    figures(zone.enterprise_a, "200万")
    policy = _publish(BOUND)
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=budget)
    assert payouts.identify(actor=STAFF, policy=policy, year=YEAR) == 1
    return policy, Payout.objects.get(policy=policy)


@pytest.mark.django_db
def test_a_bound_waits_for_staff_to_decide_the_amount(zone: Any) -> None:
    policy, payout = _bounded(zone, budget=15_000_000)
    assert (payout.state, payout.amount_fen, payout.bound_fen) == ("identified", None, 20_000_000)
    with pytest.raises(Conflict, match="金额待核定"):
        confirm_as(zone, "enterprise_a", payout)  # nothing to confirm before the amount
    staff = Actor.for_user(zone.users["staff"])
    with pytest.raises(ValidationFailed, match="不能超过上限"):
        payouts.decide_amount(actor=staff, payout=payout, amount_fen=20_000_001)
    with pytest.raises(ValidationFailed, match="超出剩余预算"):
        payouts.decide_amount(actor=staff, payout=payout, amount_fen=15_000_001)
    with pytest.raises(ValidationFailed, match="大于零"):
        payouts.decide_amount(actor=staff, payout=payout, amount_fen=0)
    with pytest.raises(PermissionDenied):
        payouts.decide_amount(
            actor=Actor.for_user(zone.users["enterprise_a"]), payout=payout, amount_fen=100
        )
    payouts.decide_amount(actor=staff, payout=payout, amount_fen=12_000_000, note="专家评审")
    payout.refresh_from_db()
    assert (payout.state, payout.amount_fen, payout.bound_fen) == ("pushed", 12_000_000, 20_000_000)
    entry = AuditEntry.objects.get(model="policies.payout", action="payout_amount_decided")
    assert entry.note == "专家评审"
    with pytest.raises(Conflict, match="金额已核定"):
        payouts.decide_amount(actor=staff, payout=payout, amount_fen=1)
    confirm_as(zone, "enterprise_a", payout)
    payouts.verify(actor=STAFF, payout=payout, accept=True)
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[payout])
    assert batch.payouts.get().amount_fen == 12_000_000


@pytest.mark.django_db
def test_the_payout_page_shows_bounds_apart_and_decides_by_role(zone: Any) -> None:
    from django.test import Client

    policy, payout = _bounded(zone)
    for role in ALL_ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(zone.users[role])
        page = client.get(f"/policies/{policy.pk}/payouts/")
        if role in ("staff", "zone_admin"):
            body = page.content.decode()
            assert "最高 200,000.00" in body and "金额待核定" in body, role
            assert "1 项金额待核定" in body, role
        response = client.post(
            f"/policies/{policy.pk}/payouts/{payout.pk}/decide/", {"amount": "1"}
        )
        assert response.status_code in (302, 403, 404), (role, response.status_code)
        payout.refresh_from_db()
        # staff_other's department doesn't see enterprise A: not found, nothing decided
        assert payout.amount_fen is None or role in ("staff", "zone_admin"), role
        if payout.amount_fen is not None:
            assert payout.amount_fen == 100
            break
    assert payout.amount_fen == 100
    export = Client()
    export.force_login(zone.users["staff"])
    sheet = export.get(f"/policies/{policy.pk}/payouts/export/?format=csv")
    assert "上限（元）" in sheet.content.decode("utf-8-sig")


STAGES = """id: listing-stages-test
title: 上市分阶段奖励（每阶段一次，最高给予）
issuer: 园区管委会
source: 测试文件
category: award
effective: {from: 2020-01-01}
delivery: apply
item: stage
once_per: item
inputs:
  stage: {type: text, label: 达到的阶段}
conditions:
  - label: 达到可奖励的阶段
    when: stage in ["股改", "上市"]
benefit:
  upto: if(stage == "股改", 60万, 100万)
tests:
  - name: 股改 → 最高 60 万
    date: 2026-06-30
    enterprise: {}
    inputs: {stage: 股改}
    expect: {status: eligible, amount: null, bound: 60万}
"""


@pytest.mark.django_db
def test_an_application_per_stage_paid_once_with_the_amount_decided(zone: Any) -> None:
    from gaoxin.policies import applications

    policy = services.save_policy(actor=STAFF, text=STAGES)
    services.publish(actor=STAFF, policy=policy, match=False)
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=10**9)
    applicant = Actor.for_user(zone.users["enterprise_a"])

    def apply(stage: str) -> Any:
        return applications.submit(
            actor=applicant,
            enterprise=zone.enterprise_a,
            policy=policy,
            inputs={"stage": stage},
            attachments=(),
        )

    first = apply("股改")
    assert (first.item, first.amount_fen, first.bound_fen) == ("股改", None, 60_000_000)
    with pytest.raises(Conflict, match="本年度已申报"):
        apply("股改")
    second = apply("上市")  # another stage, the same year
    assert second.pk != first.pk and second.bound_fen == 100_000_000
    from django.test import Client

    pages = {"staff": ("/applications/", f"/applications/{first.pk}/")}
    pages["enterprise_a"] = ("/my/applications/",)
    for role, urls in pages.items():
        client = Client()
        client.force_login(zone.users[role])
        for url in urls:
            body = client.get(url).content.decode()
            assert 'class="application-bound">最高' in body, (role, url)
    # 60万 reaches the two-level threshold as a bound: a second reviewer approves
    applications.review(actor=STAFF, application=first, decision="approve")
    applications.review(actor=CHIEF, application=first, decision="approve")
    payout = Payout.objects.get(policy=policy, item="股改")
    assert (payout.state, payout.amount_fen, payout.bound_fen) == ("verified", None, 60_000_000)
    with pytest.raises(Conflict, match="金额待核定"):
        payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[payout])
    staff = Actor.for_user(zone.users["staff"])
    payouts.decide_amount(actor=staff, payout=payout, amount_fen=50_000_000)
    payout.refresh_from_db()
    assert payout.state == "verified"  # decided: nothing to push, the batch may take it
    payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[payout])
    # the stage paid (from 已核验 on) is not paid again, another year either
    from gaoxin.enterprises.flat import flat_rows
    from gaoxin.policies.matching import rules_policy
    from gaoxin.rules import explain

    loaded = rules_policy(policy.current)
    record = flat_rows([zone.enterprise_a.pk], dt.date.today(), items=True)[zone.enterprise_a.pk]
    assert explain(loaded, record, dt.date.today(), {"stage": "股改"}).status == "ineligible"
    assert explain(loaded, record, dt.date.today(), {"stage": "上市"}).status == "eligible"


@pytest.mark.django_db
def test_the_identify_preview_lists_bounds_awaiting_decision(zone: Any) -> None:
    from gaoxin.policies.preview import identify_preview
    from tests.policies.test_policies import figures

    figures(zone.enterprise_a, "200万")
    policy = _publish(BOUND)
    preview = identify_preview(policy, YEAR)
    assert (preview.items, preview.review, preview.enterprises) == ([], 1, 1)
    assert "上限内核定" in preview.notes[0]


def test_a_bound_for_persons_is_refused_where_written() -> None:
    from gaoxin.rules import PolicyErrors, load_text

    text = BOUND.replace("delivery: auto", "delivery: auto\nbeneficiary: person")
    with pytest.raises(PolicyErrors, match=r"upto .* is not available for persons yet"):
        load_text(text, "p.yaml")

"""Operator safeguards before money and mass messages move: the confirmation of publish and
"识别并推送" (enterprises, channels, amount against the budget left), the explicit choice for
an over-budget list, the end of a policy's life, and drafts for comment never paid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Contact
from gaoxin.notifications.models import Message, WebhookEndpoint
from gaoxin.policies import matching, payouts, services
from gaoxin.policies.models import Payout, Policy
from gaoxin.policies.preview import identify_preview, publish_preview
from tests.clients import client_for
from tests.factories import EnterpriseFactory
from tests.policies.test_payouts import CHIEF, STAFF, YEAR, fund_for, published
from tests.policies.test_policies import TEXT, figures
from tests.policies.test_versions import approved

pytestmark = pytest.mark.django_db


def three(zone: Any) -> Policy:
    """Three eligible enterprises: 30万, 20万 and 10万 (rd 300万, 200万, 100万 × 10%)."""
    c = EnterpriseFactory(name="厦门丙科技有限公司")
    return published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万", c: "100万"})


def test_identify_preview_counts_enterprises_channels_amount_and_budget(zone: Any) -> None:
    policy = three(zone)
    Contact.objects.create(
        enterprise=zone.enterprise_a, role="legal_rep", name="张三", email="z@example.com"
    )
    Contact.objects.create(enterprise=zone.enterprise_a, role="finance_head", name="李四")
    Contact.objects.create(
        enterprise=zone.enterprise_b, role="legal_rep", name="王五", receives_push=False
    )
    WebhookEndpoint.objects.create(name="园区群", url="https://qyapi.example/x", kind="wecom")
    fund_for(policy, 50_000_000)  # 50万 for a 60万 list
    preview = identify_preview(policy, YEAR)
    assert preview.enterprises == 3
    assert preview.total_fen == 60_000_000 and preview.budget_left_fen == 50_000_000
    assert preview.over_budget and preview.shortfall_fen == 10_000_000
    # a: two contacts in the inbox, one with email; b: opted out; c: no contact → its inbox
    assert dict(preview.channels) == {"站内消息": 3, "邮件": 1, "企业微信群机器人": 3}


def test_an_over_budget_list_needs_an_explicit_choice(zone: Any) -> None:
    policy = three(zone)
    fund_for(policy, 50_000_000)
    with pytest.raises(Conflict) as refused:
        payouts.identify(actor=STAFF, policy=policy, year=YEAR)
    assert "超出剩余预算" in str(refused.value.message)
    assert not Payout.objects.exists() and not Message.objects.exists()


def test_prorate_fits_the_budget_to_the_fen_and_is_audited(zone: Any) -> None:
    policy = three(zone)
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=10_000_001)
    assert payouts.identify(actor=STAFF, policy=policy, year=YEAR, allocation="prorate") == 3
    paid = sorted(Payout.objects.values_list("amount_fen", flat=True))
    assert sum(paid) == 10_000_001  # 1/6 of the list; the 2 fen left go to the largest
    assert paid == [1_666_667, 3_333_334, 5_000_000]  # remainders (5/6 and 4/6 of a fen)
    entry = AuditEntry.objects.get(action="payout_allocation")
    assert entry.after["requested_fen"] == 60_000_000
    assert entry.after["allocated_fen"] == 10_000_001
    # the budget left is now spoken for: a new list can't be paid from it twice
    assert identify_preview(policy, YEAR).budget_left_fen == 0


def test_rank_and_cut_pays_in_the_stated_order(zone: Any) -> None:
    policy = three(zone)
    fund_for(policy, 45_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, allocation="rank", order="amount_asc")
    assert sorted(Payout.objects.values_list("amount_fen", flat=True)) == [
        10_000_000,
        20_000_000,
    ]  # 10万 + 20万; 30万 no longer fits in the 15万 left
    assert AuditEntry.objects.get(action="payout_allocation").after["order"] == "amount_asc"


def test_raising_the_budget_needs_no_choice(zone: Any) -> None:
    policy = three(zone)
    fund_for(policy, 50_000_000)
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=10_000_000)
    assert payouts.identify(actor=STAFF, policy=policy, year=YEAR) == 3


def test_a_confirmation_of_another_list_is_refused(zone: Any) -> None:
    policy = three(zone)
    fund_for(policy, 200_000_000)
    seen = identify_preview(policy, YEAR).fingerprint
    figures(EnterpriseFactory(), "500万")
    matching.match_published()  # the list grew after the operator looked
    with pytest.raises(Conflict):
        payouts.identify(actor=STAFF, policy=policy, year=YEAR, expected=seen)
    fresh = identify_preview(policy, YEAR).fingerprint
    assert payouts.identify(actor=STAFF, policy=policy, year=YEAR, expected=fresh) == 4


def test_identify_page_shows_the_preview_and_the_choice(zone: Any) -> None:
    policy = three(zone)
    fund_for(policy, 50_000_000)
    client = client_for(zone, "zone_admin")
    page = client.get(f"/policies/{policy.pk}/payouts/identify/").content.decode()
    assert 'id="over-budget"' in page and 'name="allocation"' in page
    assert "60.00 万元" in page and "50.00 万元" in page
    expected = identify_preview(policy, YEAR).fingerprint
    url = f"/policies/{policy.pk}/payouts/identify/"
    client.post(url, {"expected": expected})  # no choice: nothing happens
    assert not Payout.objects.exists()
    client.post(url, {"expected": expected, "allocation": "prorate"})
    assert Payout.objects.count() == 3


def test_publish_shows_what_will_happen_and_needs_the_confirmation(zone: Any) -> None:
    figures(zone.enterprise_a, "300万")
    version = approved(zone)
    policy = version.policy
    preview = publish_preview(policy)
    assert (preview.enterprises, preview.total_fen) == (1, 30_000_000)
    client = client_for(zone, "zone_admin")
    url = client.get(f"/policies/{policy.pk}/publish/").url  # the approved version's
    page = client.get(url).content.decode()
    assert 'id="confirm-publish"' in page and "30.00 万元" in page
    client.post(url, {"expected": "stale"})
    assert Policy.objects.get(pk=policy.pk).status == "draft"
    client.post(url, {"expected": preview.fingerprint})
    assert Policy.objects.get(pk=policy.pk).status == "published"


ENDED = TEXT.replace("effective: {from: 2020-01-01}", "effective: {from: 2020-01-01, to: END}")


def test_a_policy_past_its_end_date_expires_by_itself_and_pushes_nothing(zone: Any) -> None:
    figures(zone.enterprise_a, "300万")
    policy = services.save_policy(
        actor=STAFF, text=ENDED.replace("END", dt.date.today().isoformat())
    )
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published(push=False)
    fund_for(policy, 100_000_000)
    # The day after its end date: nothing more is pushed, even before the job has run …
    with pytest.MonkeyPatch.context() as mp:
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        mp.setattr("django.utils.timezone.localdate", lambda *a, **k: tomorrow)
        version = Policy.objects.get(pk=policy.pk).current
        assert matching.push_matches(version.pk, [zone.enterprise_a.pk]) == 0
        with pytest.raises(Conflict):
            payouts.identify(actor=STAFF, policy=policy, year=YEAR)
        # … and the daily job sets it 已失效, with the reason in the audit log
        call_command("expire_policies")
    policy.refresh_from_db()
    assert policy.status == "expired"
    assert "自动失效" in AuditEntry.objects.get(action="expire", object_id=str(policy.pk)).note
    assert not Message.objects.exists() and not Payout.objects.exists()


def test_the_expiry_task_and_a_policy_on_its_last_day(zone: Any) -> None:
    from gaoxin.policies.tasks import expire_ended_task

    today = dt.date.today()
    last_day = services.save_policy(actor=STAFF, text=ENDED.replace("END", today.isoformat()))
    services.publish(actor=STAFF, policy=last_day, match=False)
    expire_ended_task.call()
    assert Policy.objects.get(pk=last_day.pk).status == "published"  # the end date counts
    with pytest.raises(Conflict):  # and an ended one can't be published again
        services.publish(
            actor=STAFF,
            policy=services.save_policy(
                actor=STAFF,
                text=ENDED.replace("END", (today - dt.timedelta(days=1)).isoformat()).replace(
                    "rd-subsidy-test", "rd-subsidy-ended"
                ),
            ),
        )


FOR_COMMENT = TEXT.replace("category: subsidy", "category: subsidy\nstage: for_comment")


def test_a_draft_for_comment_is_matched_but_never_pushed_or_paid(zone: Any) -> None:
    figures(zone.enterprise_a, "300万")
    policy = services.save_policy(actor=STAFF, text=FOR_COMMENT)
    assert policy.for_comment
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published(push=False)
    assert policy.matches.filter(status="eligible").count() == 1  # staff see who it would reach
    assert publish_preview(policy).enterprises == 0
    version = Policy.objects.get(pk=policy.pk).current
    assert matching.push_matches(version.pk, [zone.enterprise_a.pk]) == 0
    fund_for(policy, 100_000_000)
    with pytest.raises(Conflict) as refused:
        payouts.identify(actor=STAFF, policy=policy, year=YEAR)
    assert "征求意见稿" in str(refused.value.message)
    page = client_for(zone, "zone_admin").get(f"/policies/{policy.pk}/").content.decode()
    assert 'id="for-comment"' in page


def test_a_batch_of_a_policy_turned_draft_for_comment_is_refused(zone: Any) -> None:
    policy = published(zone, {zone.enterprise_a: "300万"})
    fund_for(policy, 100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    Payout.objects.update(state="verified")
    Policy.objects.filter(pk=policy.pk).update(stage="for_comment")
    with pytest.raises(Conflict):
        payouts.create_batch(
            actor=STAFF, policy=policy, year=YEAR, payouts=list(Payout.objects.all())
        )


def test_the_push_names_the_amount_and_links_to_the_item(zone: Any) -> None:
    policy = published(zone, {zone.enterprise_a: "300万"})
    fund_for(policy, 100_000_000)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR)
    payout = Payout.objects.get()
    message = Message.objects.get(subject_type="policies.payout")
    assert "30.00 万元" in message.body and message.link == f"/my/payouts/#payout-{payout.pk}"
    page = client_for(zone, "enterprise_a").get("/my/payouts/").content.decode()
    assert f'id="payout-{payout.pk}"' in page
    version = Policy.objects.get(pk=policy.pk).current
    matching.push_matches(version.pk, [zone.enterprise_a.pk])
    match_message = Message.objects.get(subject_type="policies.policy")
    assert "30.00 万元" in match_message.body
    assert match_message.link == f"/my/policies/#policy-{policy.pk}"
    assert f'id="policy-{policy.pk}"' in (
        client_for(zone, "enterprise_a").get("/my/policies/").content.decode()
    )
    assert AuditEntry.objects.filter(actor_label=matching.PUSH_ACTOR).exists()


def test_expire_command_takes_a_date() -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("expire_policies", date="31/12/2026")


def test_the_enterprise_sees_a_draft_for_comment_as_such_and_not_in_its_total(zone: Any) -> None:
    figures(zone.enterprise_a, "300万")
    services.publish(actor=STAFF, policy=services.save_policy(actor=STAFF, text=FOR_COMMENT))
    matching.match_published(push=False)
    page = client_for(zone, "enterprise_a").get("/my/policies/").content.decode()
    assert "征求意见稿，尚未实施" in page
    assert '<div class="value" id="total">—</div>' in page  # 30万 is not promised


def test_editing_a_published_policy_does_not_push_the_same_enterprises_again(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "50万"})
    first = Policy.objects.get(pk=policy.pk).current
    assert first is not None
    matching.push_matches(first.pk, [zone.enterprise_a.pk, zone.enterprise_b.pk])
    assert Message.objects.filter(subject_type="policies.policy").count() == 1  # a only
    lower = TEXT.replace("rd_expense[Y-1] >= 100万", "rd_expense[Y-1] >= 50万")
    with django_capture_on_commit_callbacks(execute=True):
        # published after approval: re-matched and pushed
        services.publish_version(
            actor=Actor.for_user(zone.users["zone_admin"]), version=approved(zone, lower, policy)
        )
    told = Message.objects.filter(subject_type="policies.policy")
    assert sorted(told.values_list("enterprise_id", flat=True)) == sorted(
        [zone.enterprise_a.pk, zone.enterprise_b.pk]
    )  # b newly eligible is told; a is not told twice


def test_identification_is_for_whole_zone_accounts(zone: Any) -> None:
    """The list and its budget are the zone's: a department's account neither sees the
    zone-wide preview nor makes the list."""
    policy = three(zone)
    fund_for(policy, 200_000_000)
    url = f"/policies/{policy.pk}/payouts/identify/"
    expected = identify_preview(policy, YEAR).fingerprint
    for role in ("staff", "staff_other", "commissioner"):
        client = client_for(zone, role)
        page = client.get(url)
        assert page.status_code in (302, 403, 404), role
        assert 'id="confirm-identify"' not in page.content.decode()
        client.post(url, {"expected": expected, "allocation": "prorate"})
        assert not Payout.objects.exists(), role
    client_for(zone, "zone_admin").post(url, {"expected": expected})
    assert Payout.objects.count() == 3

"""The policy library and matching: saving texts, publishing, matching the registry, and an
enterprise's own results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from gaoxin.core.audit import Actor
from gaoxin.core.errors import ValidationFailed
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.policies import matching, services
from gaoxin.policies.models import Policy, PolicyMatch, PolicyVersion

pytestmark = pytest.mark.django_db
STAFF = Actor.system("test")
LAST = dt.date.today().year - 1

TEXT = f"""id: rd-subsidy-test
title: 研发费用补助（测试）
issuer: 园区管委会
source: 测试文件
category: subsidy
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


def figures(enterprise: Any, rd: str) -> None:
    registry.report_figures(
        actor=STAFF,
        enterprise=enterprise,
        year=LAST,
        source=DataSource.VERIFIED,
        values={"rd_expense": rd},
    )


def test_bad_text_is_refused_with_its_line_and_column() -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.save_policy(
            actor=STAFF, text=TEXT.replace("rd_expense[Y-1] >=", "rd_expence[Y-1] >=")
        )
    assert caught.value.details[0]["line"] == 10
    assert "rd_expence" in caught.value.details[0]["message"]
    assert not Policy.objects.exists()


def test_unchanged_text_makes_no_new_version() -> None:
    policy = services.save_policy(actor=STAFF, text=TEXT)
    services.save_policy(actor=STAFF, text=TEXT, policy=policy)
    assert PolicyVersion.objects.filter(policy=policy).count() == 1
    services.save_policy(actor=STAFF, text=TEXT.replace("10%", "12%"), policy=policy)
    assert PolicyVersion.objects.filter(policy=policy).count() == 2
    with pytest.raises(ValidationFailed, match="编号"):
        services.save_policy(
            actor=STAFF, text=TEXT.replace("rd-subsidy-test", "other"), policy=policy
        )


def test_publish_matches_the_registry(zone: Any, django_capture_on_commit_callbacks: Any) -> None:
    figures(zone.enterprise_a, "300万")  # eligible: 30万
    figures(zone.enterprise_b, "95万")  # a near miss: 95万 < 100万
    policy = services.save_policy(actor=STAFF, text=TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(actor=STAFF, policy=policy)
    a = PolicyMatch.objects.get(policy=policy, enterprise=zone.enterprise_a)
    assert (a.status, a.amount, a.version.version) == (
        "eligible",
        Decimal("300000.00"),
        policy.current.version,
    )
    b = PolicyMatch.objects.get(policy=policy, enterprise=zone.enterprise_b)
    assert b.status == "ineligible" and "需 ≥" in b.shortfall
    assert policy.versions.get().runs.get().status == "done"


def test_a_data_change_rematches_that_enterprise(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    policy = services.save_policy(actor=STAFF, text=TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(actor=STAFF, policy=policy)
    assert not PolicyMatch.objects.filter(enterprise=zone.enterprise_a, status="eligible")
    with django_capture_on_commit_callbacks(execute=True):
        figures(zone.enterprise_a, "120万")
    match = PolicyMatch.objects.get(enterprise=zone.enterprise_a, policy=policy)
    assert (match.status, match.amount) == ("eligible", Decimal("120000.00"))


def stored_matches() -> list[PolicyMatch]:
    matches = list(PolicyMatch.objects.select_related("version", "version__policy"))
    for m in matches:  # the batch's gap equals the explanation's to 12 digits
        m.gap = None if m.gap is None else float(f"{m.gap:.12g}")
    return matches


def test_batch_and_single_enterprise_store_the_same(zone: Any) -> None:
    for n, rd in enumerate(("300万", "95万", "100万", "20万")):
        from tests.factories import EnterpriseFactory

        figures(EnterpriseFactory(), rd)
        del n
    policy = services.save_policy(actor=STAFF, text=TEXT)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published()
    batch = {
        (m.enterprise_id, m.status, m.amount, m.gap, m.shortfall) for m in PolicyMatch.objects.all()
    }
    for enterprise_id in {m[0] for m in batch} | {zone.enterprise_a.pk}:
        matching.match_enterprise(enterprise_id)
    single = {
        (m.enterprise_id, m.status, m.amount, m.gap, m.shortfall) for m in PolicyMatch.objects.all()
    }
    assert batch == single
    # eligible: 300万 and exactly 100万; one measurable gap: 95万 and 20万; unknown (no data):
    # the zone's two enterprises
    assert sorted(m[1] for m in batch) == [
        "eligible",
        "eligible",
        "ineligible",
        "ineligible",
        "unknown",
        "unknown",
    ]


ROLES_SEEING_LIBRARY = {"staff", "staff_other", "commissioner", "leader", "zone_admin"}


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "enterprise_a",
        "enterprise_b",
        "provider",
        "bank",
        *sorted(ROLES_SEEING_LIBRARY),
    ],
)
def test_pages_by_role(zone: Any, role: str, django_capture_on_commit_callbacks: Any) -> None:
    figures(zone.enterprise_a, "300万")
    figures(zone.enterprise_b, "400万")
    policy = services.save_policy(actor=STAFF, text=TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(actor=STAFF, policy=policy)
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    for path in (
        "/policies/",
        f"/policies/{policy.pk}/",
        f"/policies/{policy.pk}/matches.xlsx",
        f"/policies/{policy.pk}/edit/",
        "/policies/new/",
    ):
        response = client.get(path)
        if role == "anonymous":
            assert response.status_code == 302
        elif role in {"staff", "staff_other", "zone_admin"} or (
            role in ROLES_SEEING_LIBRARY and not path.endswith(("edit/", "new/"))
        ):
            assert response.status_code == 200, (role, path)
        else:
            assert response.status_code in (403, 404), (role, path)
    mine = client.get("/my/policies/")
    if role in ("enterprise_a", "enterprise_b"):
        own = zone.enterprise_a if role == "enterprise_a" else zone.enterprise_b
        other = zone.enterprise_b if role == "enterprise_a" else zone.enterprise_a
        body = mine.content.decode()
        assert mine.status_code == 200 and policy.title in body
        assert ("30.00 万元" if own == zone.enterprise_a else "40.00 万元") in body
        assert other.name not in body
    else:
        assert mine.status_code in (302, 404)
    # staff of another department see the policy, but only their own enterprises' matches
    if role == "staff_other":
        body = client.get(f"/policies/{policy.pk}/").content.decode()
        assert zone.enterprise_b.name in body and zone.enterprise_a.name not in body


def test_editor_checks_live_and_runs_tests(zone: Any) -> None:
    client = Client()
    client.force_login(zone.users["zone_admin"])
    bad = client.post("/policies/check/", {"text": TEXT.replace("min(", "mn(")})
    assert "第 12 行" in bad.content.decode() and "mn" in bad.content.decode()
    good = client.post("/policies/check/", {"text": TEXT})
    assert 'id="no-problems"' in good.content.decode()
    tests = client.post("/policies/run-tests/", {"text": TEXT})
    assert (
        "研发 200 万 → 20 万" in tests.content.decode()
        and "bi-check-circle" in tests.content.decode()
    )
    saved = client.post("/policies/new/", {"text": TEXT})
    assert saved.status_code == 302 and Policy.objects.get().title == "研发费用补助（测试）"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (
            "rd_expense[Y-1] 1,174,189,175.82元，需 > 1,725,979,729.96元",
            "研发费用（2025年） 11.74 亿元，需 > 17.26 亿元",
        ),
        ("rd_expense[Y-1] 90万元，需 ≥ 100万元", "研发费用（2025年） 90.00 万元，需 ≥ 100.00 万元"),
        (
            "sum(rd_expense[Y-3..Y-1]) / sum(revenue[Y-3..Y-1]) 4.6%，需 ≥ 5%",
            "研发费用（2023–2025年）合计 / 营业收入（2023–2025年）合计 4.6%，需 ≥ 5%",
        ),
        (
            "year_of(high_tech_enterprise) 2025，需 ≤ 2023",
            "取得高新技术企业的年份 2025，需 ≤ 2023",
        ),
        ("years_since(registered_at) 1.5年，需 ≥ 2年", "自成立日期起已满年数 1.5年，需 ≥ 2年"),
        ("score 26，需 ≥ 60", "score 26，需 ≥ 60"),
    ],
)
def test_shortfalls_read_as_people_say_them(text: str, read: str) -> None:
    from gaoxin.policies.wording import humanise

    assert humanise(text, 2026) == read


def test_matched_enterprises_are_told_once_per_version(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gaoxin.enterprises.models import Contact
    from gaoxin.notifications.models import Delivery, Message

    figures(zone.enterprise_a, "300万")
    Contact.objects.create(
        enterprise=zone.enterprise_a, role="legal_rep", name="陈总", email="chen@a.example.cn"
    )
    Contact.objects.create(
        enterprise=zone.enterprise_a,
        role="finance_head",
        name="李会计",
        email="li@a.example.cn",
        receives_push=False,
    )
    policy = services.save_policy(actor=STAFF, text=TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(actor=STAFF, policy=policy)
    message = Message.objects.get()
    assert message.enterprise == zone.enterprise_a and "30.00 万元" in message.body
    emails = Delivery.objects.filter(channel="email")
    assert {(d.address, d.status) for d in emails} == {
        ("chen@a.example.cn", "sent"),
        ("li@a.example.cn", "skipped_opt_out"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        matching.match_published()  # matching again tells nobody twice
    assert Message.objects.count() == 1


def test_near_misses_are_ordered_by_how_close_they_are(zone: Any) -> None:
    from tests.factories import EnterpriseFactory

    for rd in ("50万", "99万", "90万"):
        figures(EnterpriseFactory(), rd)
    policy = services.save_policy(actor=STAFF, text=TEXT)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published(push=False)
    client = Client()
    client.force_login(zone.users["zone_admin"])
    near = list(client.get(f"/policies/{policy.pk}/").context["near"])
    assert [round(m.gap, 2) for m in near] == [0.01, 0.1, 0.5]


def test_a_policy_page_counts_its_matches_and_missing_data_in_the_database(zone: Any) -> None:
    from gaoxin.policies import selectors
    from tests.factories import EnterpriseFactory

    policy = services.save_policy(actor=STAFF, text=TEXT)
    rows = [
        ("eligible", Decimal("100.50"), []),
        ("eligible", Decimal("20"), []),
        ("review", Decimal("7"), []),
        ("review", None, []),
        ("ineligible", None, []),
        ("unknown", None, ["rd_expense_2025", "revenue_2025"]),
        ("unknown", None, ["rd_expense_2025"]),
        ("unknown", None, []),
    ]
    for status, amount, missing in rows:
        PolicyMatch.objects.create(
            policy=policy,
            version=policy.current,
            enterprise=EnterpriseFactory(),
            status=status,
            amount=amount,
            missing=missing,
            evaluated_on=dt.date.today(),
        )
    matches = PolicyMatch.objects.filter(policy=policy)
    summary = selectors.summary(matches)
    assert summary["counts"] == {"eligible": 2, "review": 2, "ineligible": 1, "unknown": 3}
    assert summary["total"] == Decimal("127.50")
    assert summary["eligible_total"] == Decimal("120.50")
    assert selectors.missing_fields(matches) == [("rd_expense_2025", 2), ("revenue_2025", 1)]
    assert selectors.summary(matches.none())["total"] is None
    assert selectors.missing_fields(matches.none()) == []
    assert selectors.missing_fields(matches.filter(status="eligible")) == []


def test_a_policy_page_counts_follow_a_rematch_and_each_scope(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The match list's counts are kept in the cache: a data change that re-matches an
    enterprise shows at once, and a scoped user reads the counts of their own enterprises."""
    policy = services.save_policy(actor=STAFF, text=TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(actor=STAFF, policy=policy)
    admin, commissioner = Client(), Client()
    admin.force_login(zone.users["zone_admin"])
    commissioner.force_login(zone.users["commissioner"])

    def counts(client: Client) -> dict[str, int]:
        response = client.get(f"/policies/{policy.pk}/")
        assert response.status_code == 200
        return dict(response.context["summary"]["counts"])

    before = counts(admin)
    assert sum(before.values()) == PolicyMatch.objects.filter(policy=policy).count() == 2
    assert sum(counts(commissioner).values()) == 1  # enterprise A only
    assert counts(admin) == before  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        figures(zone.enterprise_a, "120万")
    after = counts(admin)
    assert after["eligible"] == before["eligible"] + 1
    assert counts(commissioner)["eligible"] == 1

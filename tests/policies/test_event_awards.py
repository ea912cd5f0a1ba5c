"""免申即享 for event awards (policies.event_awards): a certificate recorded or imported, a
landing date set, puts the award of the policies that react to it into the 免申即享 flow —
identified and pushed, once per event, whatever writes the record again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource, Recognition
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.signals import event
from gaoxin.notifications.models import Message
from gaoxin.policies import payouts, services
from gaoxin.policies.event_awards import award_events, event_fields
from gaoxin.policies.matching import rules_policy
from gaoxin.policies.models import EventAward, Payout
from gaoxin.rules import load_text

STAFF = Actor.system("staff-li")
TODAY = dt.date.today()
YEAR = TODAY.year
B1 = (Path(__file__).parents[2] / "policies/examples/b1-torch-hte-award.yaml").read_text("utf-8")
LANDING = """id: landing-award-test
title: 落户奖励（测试）
source: 测试文件
category: award
effective: {from: 2020-01-01}
delivery: auto
tables:
  share:
    by: year_after(landed_at)
    rows:
      - {upto: 0, value: 0}
      - {upto: 1, value: 100%}
      - {upto: 3, value: 50%}
      - {else: 0}
conditions:
  - label: 落户后三年内
    when: within(landed_at, 3年)
benefit:
  amount: share * 10万
tests:
  - name: 落户当年 → 10万
    date: 2025-06-30
    enterprise: {landed_at: 2025-01-02}
    expect: {status: eligible, amount: 10万}
"""


def publish(text: str) -> Any:
    policy = services.save_policy(actor=STAFF, text=text)
    services.publish(actor=STAFF, policy=policy, match=False)
    return policy


def revenue(enterprise: Any, amount: str) -> None:
    registry.report_figures(
        actor=STAFF,
        enterprise=enterprise,
        year=YEAR - 1,
        source=DataSource.VERIFIED,
        values={"revenue": amount},
    )


def recognise(enterprise: Any, on: dt.date, recognition: str | None = None) -> None:
    registry.record_qualification(
        actor=STAFF,
        enterprise=enterprise,
        kind="high_tech_enterprise",
        granted_on=on,
        recognition=recognition,
    )


@pytest.mark.django_db
def test_a_first_recognition_enters_the_flow_once(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    policy = publish(B1)
    a = zone.enterprise_a
    revenue(a, "2000万")
    granted = dt.date(YEAR, 1, 2)
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, granted, Recognition.FIRST)
    payout = Payout.objects.get(policy=policy, enterprise=a)
    assert (payout.state, payout.amount_fen, payout.year) == ("pushed", 35_000_000, YEAR)
    assert Message.objects.filter(dedupe_key=f"payout:{payout.pk}").count() == 1
    assert EventAward.objects.get().event == f"high_tech_enterprise:{granted.isoformat()}"
    identified = AuditEntry.objects.get(action="payout_identified")
    assert "由事件记录触发" in identified.note and "高新技术企业" in identified.note

    # Written again — saved twice, re-imported, the task retried — nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, granted, Recognition.FIRST)
    assert award_events([event(a.pk, "high_tech_enterprise", granted)]) == []
    assert Payout.objects.filter(policy=policy).count() == 1
    assert EventAward.objects.count() == 1

    # … and the rest of the flow is the one every payout follows.
    payouts.confirm(
        actor=Actor.for_user(zone.users["enterprise_a"]),
        payout=payout,
        bank_name="建设银行厦门分行",
        account_name=a.name,
        account_number="35150198010100001234",
    )
    assert Payout.objects.get(pk=payout.pk).state == "confirmed"


@pytest.mark.django_db
def test_renewal_is_told_from_history(zone: Any, django_capture_on_commit_callbacks: Any) -> None:
    publish(B1)
    a = zone.enterprise_a
    revenue(a, "3000万")
    recognise(a, dt.date(YEAR - 3, 1, 2))  # the earlier certificate: this one renews it
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, dt.date(YEAR, 1, 2))
    assert Payout.objects.get(enterprise=a).amount_fen == 25_000_000
    row = flat_rows([a.pk], TODAY)[a.pk]
    assert row["high_tech_enterprise_first"] is False


@pytest.mark.django_db
def test_unstated_and_no_history_waits_for_the_record(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    publish(B1)
    a = zone.enterprise_a
    revenue(a, "3000万")
    granted = dt.date(YEAR, 1, 2)
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, granted)  # first or renewal? the record doesn't say, nothing earlier
    assert not Payout.objects.exists() and not EventAward.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, granted, Recognition.FIRST)  # staff note it on the record: now it pays
    assert Payout.objects.get(enterprise=a).amount_fen == 35_000_000


@pytest.mark.django_db
def test_a_landing_triggers_its_award(zone: Any, django_capture_on_commit_callbacks: Any) -> None:
    policy = publish(LANDING)
    b = zone.enterprise_b
    with django_capture_on_commit_callbacks(execute=True):
        registry.update_enterprise(
            actor=STAFF,
            enterprise=b,
            values={"landed_at": TODAY.isoformat()},
            source=DataSource.VERIFIED,
        )
    payout = Payout.objects.get(policy=policy, enterprise=b)
    assert payout.amount_fen == 10_000_000 and payout.state == "pushed"
    assert not Payout.objects.filter(enterprise=zone.enterprise_a).exists()


@pytest.mark.django_db
def test_policies_not_reacting_or_not_auto_are_left_alone(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    publish(B1.replace("delivery: auto", "delivery: notice"))
    publish(LANDING)  # reads landed_at, not the certificate
    a = zone.enterprise_a
    revenue(a, "3000万")
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, dt.date(YEAR, 1, 2), Recognition.FIRST)
    assert not Payout.objects.exists()


def test_event_fields_are_what_the_conditions_read() -> None:
    loaded = load_text(B1, "b1.yaml")
    assert event_fields(loaded, dt.date(2025, 6, 30)) == {"high_tech_enterprise"}
    assert event_fields(load_text(LANDING, "l.yaml"), dt.date(2025, 6, 30)) == {"landed_at"}


@pytest.mark.django_db
def test_published_version_is_the_one_evaluated(zone: Any) -> None:
    policy = publish(LANDING)
    assert rules_policy(policy.current).id == "landing-award-test"


@pytest.mark.django_db
def test_imported_events_award_once_however_often_imported(
    zone: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from gaoxin.enterprises.importing import commit_import, read_import
    from gaoxin.enterprises.models import ImportBatch

    landing = publish(LANDING)
    award = publish(B1)
    a = zone.enterprise_a
    revenue(a, "1000万")
    path = tmp_path / "events.csv"
    path.write_text(
        "统一社会信用代码,落户日期,高新技术企业\n"
        f"{a.uscc},{TODAY.isoformat()},{dt.date(YEAR, 1, 2).isoformat()}\n",
        encoding="utf-8",
    )
    for _ in range(2):
        preview = read_import(path, "events.csv", mode=ImportBatch.Mode.UPSERT)
        assert preview.ok, preview.errors
        with django_capture_on_commit_callbacks(execute=True):
            commit_import(
                preview, actor=STAFF, source=DataSource.VERIFIED, mode=ImportBatch.Mode.UPSERT
            )
    assert Payout.objects.get(policy=landing, enterprise=a).amount_fen == 10_000_000
    assert Payout.objects.get(policy=award, enterprise=a).amount_fen == 10_000_000  # < 2000万
    assert Payout.objects.count() == 2 and EventAward.objects.count() == 2


@pytest.mark.django_db
def test_an_imported_first_recognition_flag_is_recorded_and_awards(
    zone: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from gaoxin.enterprises.importing import commit_import, read_import
    from gaoxin.enterprises.models import ImportBatch, Qualification

    publish(B1)
    a = zone.enterprise_a
    revenue(a, "3000万")
    granted = dt.date(YEAR, 1, 2).isoformat()
    path = tmp_path / "events.csv"
    for flag in ("", "是", "是"):  # unstated first; then the list says 首次认定; then again
        path.write_text(
            f"统一社会信用代码,高新技术企业,高新技术企业_首次认定\n{a.uscc},{granted},{flag}\n",
            encoding="utf-8",
        )
        preview = read_import(path, "events.csv", mode=ImportBatch.Mode.UPSERT)
        assert preview.ok, preview.errors
        with django_capture_on_commit_callbacks(execute=True):
            commit_import(
                preview, actor=STAFF, source=DataSource.VERIFIED, mode=ImportBatch.Mode.UPSERT
            )
        if not flag:
            assert not Payout.objects.exists()  # first or renewal unknown: nothing yet
    assert Qualification.objects.get(enterprise=a).recognition == Recognition.FIRST
    assert Payout.objects.get(enterprise=a).amount_fen == 35_000_000


def test_a_first_flag_without_a_grant_date_is_an_error(tmp_path: Path, db: Any) -> None:
    from gaoxin.enterprises.importing import read_import

    path = tmp_path / "f.csv"
    path.write_text(
        "统一社会信用代码,企业名称,高新技术企业_首次认定\n91350200MA2XXXXX0X,Y,是\n",
        encoding="utf-8",
    )
    preview = read_import(path, "f.csv")
    assert any("填写了是否首次认定但没有认定日期" in e.message for e in preview.errors)


def test_shortfalls_on_event_dates_read_in_plain_chinese() -> None:
    from gaoxin.policies.wording import humanise

    assert humanise("months_since(landed_at) 3个月，需 ≥ 12个月", 2025) == (
        "自落户之日起已满月数 3个月，需 ≥ 12个月"
    )
    assert humanise("year_after(landed_at) 4，需 ≤ 3", 2025) == (
        "落户后第几年（落户当日起为第1年） 4，需 ≤ 3"
    )


def test_a_months_shortfall_is_counted_in_months() -> None:
    from gaoxin.rules import explain

    p = load_text(
        LANDING.replace("within(landed_at, 3年)", "months_since(landed_at) >= 12个月"), "l.yaml"
    )
    found = explain(p, {"landed_at": "2025-03-31"}, dt.date(2025, 6, 30))
    assert found.status == "ineligible"
    assert found.shortfalls[0].text.endswith("2个月，需 ≥ 12个月")


@pytest.mark.django_db
def test_the_first_flag_is_the_same_in_the_frame_and_the_few_rows(zone: Any) -> None:
    from gaoxin.enterprises.flat import registry_frame

    a, b = zone.enterprise_a, zone.enterprise_b
    recognise(a, dt.date(YEAR - 3, 1, 2))
    recognise(a, dt.date(YEAR, 1, 2))  # renews the one before: not first
    recognise(b, dt.date(YEAR, 1, 2))  # unstated, nothing earlier: unknown
    registry.record_qualification(
        actor=STAFF,
        enterprise=b,
        kind="little_giant",
        granted_on=dt.date(YEAR, 3, 1),
        recognition=Recognition.FIRST,
    )
    frame = registry_frame(TODAY)
    few = flat_rows([a.pk, b.pk], TODAY)
    for pk, hte, giant in ((a.pk, False, None), (b.pk, None, True)):
        row = frame.filter(frame["enterprise_id"] == pk).row(0, named=True)
        assert row["high_tech_enterprise_first"] is hte
        assert row["little_giant_first"] is giant
        assert few[pk].get("high_tech_enterprise_first") is hte
        assert few[pk].get("little_giant_first") is giant


PATENTS_ON_RECOGNITION = """id: patents-on-recognition-test
title: 认定高企时按发明专利件数奖励（测试）
source: 测试文件
category: award
effective: {from: 2020-01-01}
delivery: auto
conditions:
  - label: 认定后12个月内
    when: within(high_tech_enterprise, 12个月)
  - label: 有发明专利
    when: count_over(patents, kind == "发明") >= 1
benefit:
  amount: count_over(patents, kind == "发明") * 1万
tests:
  - name: 两件发明 → 2万
    date: 2025-06-30
    enterprise:
      high_tech_enterprise: 2025-01-02
      patents: [{number: ZL1, kind: 发明}, {number: ZL2, kind: 发明}]
    expect: {status: eligible, amount: 2万}
"""


@pytest.mark.django_db
def test_an_event_award_reads_the_item_tables(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gaoxin.enterprises.models import Patent

    policy = publish(PATENTS_ON_RECOGNITION)
    a = zone.enterprise_a
    for number in ("ZL1", "ZL2"):
        Patent.objects.create(enterprise=a, number=number, kind="发明")
    with django_capture_on_commit_callbacks(execute=True):
        recognise(a, TODAY, Recognition.FIRST)
    assert Payout.objects.get(policy=policy, enterprise=a).amount_fen == 2_000_000


@pytest.mark.django_db
def test_a_policy_for_persons_is_no_event_award_of_the_enterprise(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    text = LANDING.replace("id: landing-award-test", "id: landing-person-test\nbeneficiary: person")
    text = text[: text.index("tests:")]
    policy = publish(text)
    a = zone.enterprise_a
    with django_capture_on_commit_callbacks(execute=True):
        registry.update_enterprise(
            actor=STAFF,
            enterprise=a,
            values={"landed_at": TODAY.isoformat()},
            source=DataSource.VERIFIED,
        )
    assert not Payout.objects.filter(policy=policy).exists()

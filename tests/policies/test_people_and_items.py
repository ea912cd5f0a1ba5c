"""Persons and item tables through the Django side: a policy for persons identified over the
persons table and paid to each person's account on the ledger (the employer sees its people's
payouts, another enterprise does not); a per-item policy matched over the registry with its
item tables, stored amounts ≡ the explanation's, which lists the items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from gaoxin.core.audit import Actor
from gaoxin.core.errors import PermissionDenied, ValidationFailed
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.models import EquipmentPurchase, Patent, Person, PersonYear, Tenancy
from gaoxin.enterprises.people import item_lists, persons_frame, registry_items
from gaoxin.ledger.models import Reservation
from gaoxin.policies import matching, payouts, services
from gaoxin.policies.models import Payout, PolicyMatch
from gaoxin.policies.people import identify_people, people_preview

TODAY = dt.date.today()
YEAR = TODAY.year
STAFF = Actor.system("staff-li")
CHIEF = Actor.system("chief-wang")

TALENT = """\
id: zone-talent-housing
title: 人才住房补贴
issuer: 管委会
source: 厦高管〔2026〕1号
category: award
effective: {from: 2020-01-01}
beneficiary: person
delivery: auto
conditions:
  - label: 硕士以上学位
    when: degree in ["硕士", "博士"]
  - label: 所在企业在园区注册
    when: in_zone
  - label: 上年年薪20万元以上
    when: annual_salary[Y-1] >= 20万
benefit:
  amount: if(degree == "博士", 3.6万, 2.4万)
"""

PATENTS = """\
id: zone-patent-award
title: 发明专利授权奖励
issuer: 管委会
source: 厦高管〔2026〕2号
category: award
effective: {from: 2020-01-01}
delivery: auto
conditions:
  - label: 上一年度有新授权的发明专利
    when: count_over(patents, kind == "发明" and year_of(granted_on) == Y - 1) >= 1
benefit:
  amount: >-
    sum_over(patents, kind == "发明" and year_of(granted_on) == Y - 1,
             if(scope == "PCT", 10万, 1万))
  cap: 15万
"""


def _people(zone: Any) -> tuple[Person, Person, Person]:
    a, b = zone.enterprise_a, zone.enterprise_b
    a.in_zone = b.in_zone = True
    a.save()
    b.save()
    doctor = Person.objects.create(enterprise=a, name="王博", degree="博士")
    master = Person.objects.create(enterprise=a, name="李硕", degree="硕士")
    poor = Person.objects.create(enterprise=b, name="张低", degree="硕士")
    for person, salary in ((doctor, "300000"), (master, "200000.00"), (poor, "199999.99")):
        PersonYear.objects.create(person=person, year=YEAR - 1, annual_salary=Decimal(salary))
    return doctor, master, poor


@pytest.mark.django_db
def test_a_person_policy_pays_each_person_through_the_ledger(zone: Any) -> None:
    doctor, master, _poor = _people(zone)
    frame = persons_frame(TODAY)
    assert sorted(frame["person_id"].to_list()) == sorted(
        Person.objects.values_list("pk", flat=True)
    )
    assert {"uscc", "in_zone", "degree", f"annual_salary_{YEAR - 1}"} <= set(frame.columns)

    policy = services.save_policy(actor=STAFF, text=TALENT)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published()
    assert not PolicyMatch.objects.filter(policy=policy).exists()  # persons are not enterprises

    from gaoxin.policies.preview import publish_preview

    assert {i.fen for i in publish_preview(policy).items} == {3_600_000, 2_400_000}
    preview = people_preview(policy, YEAR)
    assert {(i.key, i.fen) for i in preview.items} == {
        (doctor.pk, 3_600_000),
        (master.pk, 2_400_000),
    }
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=10_000_000)
    assert identify_people(actor=STAFF, policy=policy, year=YEAR) == 2
    assert identify_people(actor=STAFF, policy=policy, year=YEAR) == 0  # once a year
    paid = Payout.objects.get(person=doctor)
    assert (paid.enterprise_id, paid.amount_fen, paid.state) == (
        zone.enterprise_a.pk,
        3_600_000,
        "pushed",
    )
    assert paid.explanation["conditions"][0]["label"] == "硕士以上学位"

    user = Actor.for_user(zone.users["enterprise_a"])
    with pytest.raises(ValidationFailed, match="受益人姓名"):
        payouts.confirm(
            actor=user,
            payout=paid,
            bank_name="建设银行",
            account_name=zone.enterprise_a.name,
            account_number="6217001234567890",
        )
    payouts.confirm(
        actor=user,
        payout=paid,
        bank_name="建设银行",
        account_name="王博",
        account_number="6217001234567890",
    )
    payouts.verify(actor=STAFF, payout=paid, accept=True)
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=[paid])
    reservation = Reservation.objects.get(key=f"payout:{paid.pk}")
    assert (reservation.payee_type, reservation.payee_id) == ("enterprises.person", str(doctor.pk))
    payouts.approve_batch(actor=CHIEF, batch=batch)
    payouts.pay_batch(actor=CHIEF, batch=batch)
    paid.refresh_from_db()
    assert paid.state == "paid"

    mine = Client()
    mine.force_login(zone.users["enterprise_a"])
    page = mine.get("/my/payouts/").content.decode()
    assert "王博" in page and "李硕" in page
    other = Client()
    other.force_login(zone.users["enterprise_b"])
    assert "王博" not in other.get("/my/payouts/").content.decode()
    staff = Client()
    staff.force_login(zone.users["zone_admin"])
    listed = staff.get(f"/policies/{policy.pk}/payouts/").content.decode()
    assert "王博" in listed and "李硕" in listed
    shown = staff.get(f"/policies/{policy.pk}/").content.decode()
    assert "受益对象" in shown and "个人（人才）" in shown


def _patents(zone: Any) -> None:
    a = zone.enterprise_a
    last = YEAR - 1
    Patent.objects.create(enterprise=a, number="ZL1", kind="发明", granted_on=dt.date(last, 3, 1))
    Patent.objects.create(
        enterprise=a, number="PCT2", kind="发明", scope="PCT", granted_on=dt.date(last, 5, 1)
    )
    Patent.objects.create(
        enterprise=a, number="PCT3", kind="发明", scope="PCT", granted_on=dt.date(last, 6, 1)
    )
    Patent.objects.create(
        enterprise=a, number="ZL4", kind="实用新型", granted_on=dt.date(last, 6, 1)
    )
    Patent.objects.create(
        enterprise=zone.enterprise_b, number="ZL5", kind="发明", granted_on=dt.date(last - 1, 1, 1)
    )


@pytest.mark.django_db
def test_a_per_item_policy_is_matched_with_the_item_tables(zone: Any) -> None:
    _patents(zone)
    policy = services.save_policy(actor=STAFF, text=PATENTS)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published()
    match = PolicyMatch.objects.get(policy=policy, enterprise=zone.enterprise_a)
    near = PolicyMatch.objects.get(policy=policy, enterprise=zone.enterprise_b)
    assert (near.status, near.shortfall) == ("ineligible", "符合条件的专利件数 0，需 ≥ 1")
    assert (match.enterprise_id, match.status, match.amount) == (
        zone.enterprise_a.pk,
        "eligible",
        Decimal("150000.00"),  # 1万 + 10万 + 10万 = 21万, capped at 15万
    )
    lines = [(i["label"], i["amount"]) for i in match.explanation["items"]]
    assert lines == [("ZL1", "10000.00"), ("PCT2", "100000.00"), ("PCT3", "100000.00")]
    assert match.explanation["amount"] == "150000.00"

    # one enterprise's re-match reads its items too
    assert matching.match_enterprise(zone.enterprise_a.pk) >= 1
    again = PolicyMatch.objects.get(policy=policy, enterprise=zone.enterprise_a)
    assert again.amount == Decimal("150000.00")

    page = Client()
    page.force_login(zone.users["enterprise_a"])
    assert "PCT2" in page.get("/my/policies/").content.decode()
    staff = Client()
    staff.force_login(zone.users["zone_admin"])
    shown = staff.get(f"/policies/{policy.pk}/").content.decode()
    assert "每项专利按「若授权范围 = “PCT”，为10万元；否则为1万元」计、逐项相加之和" in shown
    assert "受益对象" not in shown  # the enterprise itself


@pytest.mark.django_db
def test_item_frames_and_lists_read_the_same_items(zone: Any) -> None:
    _patents(zone)
    a = zone.enterprise_a
    EquipmentPurchase.objects.create(
        enterprise=a, name="机床", amount=Decimal("12.34"), purchased_on=TODAY, robot=True
    )
    Tenancy.objects.create(
        incubator=a, tenant=zone.enterprise_b, tenant_name="乙", leased_area=100, moved_in=TODAY
    )
    lists = item_lists([a.pk])[a.pk]
    assert [p["number"] for p in lists["patents"]] == ["ZL1", "PCT2", "PCT3", "ZL4"]
    assert lists["equipment"][0]["amount"] == Decimal("12.34")
    assert lists["tenants"][0]["name"] == "乙"
    row = flat_rows([a.pk], TODAY, items=True)[a.pk]
    assert row["patents"] == lists["patents"] and "patents" not in flat_rows([a.pk], TODAY)[a.pk]
    from gaoxin.enterprises.flat import registry_frame

    frames = registry_items(registry_frame(TODAY))
    assert frames["patents"].height == 5
    assert frames["equipment"]["amount"].to_list() == [Decimal("12.34")]
    assert frames["tenants"]["uscc"].to_list() == [a.uscc]


@pytest.mark.django_db
def test_the_profile_shows_people_and_items(zone: Any) -> None:
    _people(zone)
    _patents(zone)
    staff = Client()
    staff.force_login(zone.users["zone_admin"])
    page = staff.get(f"/enterprises/{zone.enterprise_a.pk}/").content.decode()
    assert "人员与项目" in page and "王博" in page and "PCT2" in page


@pytest.mark.django_db
def test_a_person_with_a_login_sees_and_confirms_their_own(zone: Any) -> None:
    from tests.factories import UserFactory

    doctor, master, _poor = _people(zone)
    own = UserFactory(username="wangbo", organisation=None)
    doctor.user = own
    doctor.save()
    policy = services.save_policy(actor=STAFF, text=TALENT)
    services.publish(actor=STAFF, policy=policy, match=False)
    payouts.fund(actor=CHIEF, policy=policy, year=YEAR, amount_fen=10_000_000)
    identify_people(actor=STAFF, policy=policy, year=YEAR)
    mine = Payout.objects.get(person=doctor)
    theirs = Payout.objects.get(person=master)

    client = Client()
    client.force_login(own)
    page = client.get("/my/payouts/").content.decode()
    assert f'id="payout-{mine.pk}"' in page and f'id="payout-{theirs.pk}"' not in page
    form = {"bank_name": "建设银行", "account_name": "王博", "account_number": "6217001234567890"}
    assert client.post(f"/my/payouts/{theirs.pk}/confirm/", form).status_code == 404
    client.post(f"/my/payouts/{mine.pk}/confirm/", form)
    mine.refresh_from_db()
    assert (mine.state, mine.account_name) == ("confirmed", "王博")
    with pytest.raises(PermissionDenied):  # not the other person's
        payouts.confirm(actor=Actor.for_user(own), payout=theirs, **form)

    nobody = Client()
    nobody.force_login(UserFactory(username="nobody", organisation=None))
    assert nobody.get("/my/payouts/").status_code == 404

"""Matching at scale: the registry read by SQL into Polars, stored matches written in bulk and
only where they changed, explanations computed when opened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from django.db import connection, transaction
from django.utils import timezone

from gaoxin.core.audit import Actor
from gaoxin.enterprises import flat
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.flat import flat_rows, registry_frame
from gaoxin.enterprises.models import Enterprise, Qualification
from gaoxin.policies import match_store, matching, services
from gaoxin.policies.models import Policy, PolicyMatch
from gaoxin.rules import explain
from gaoxin.rules.frame import records
from gaoxin.rules.values import record
from tests.factories import EnterpriseFactory
from tests.policies.test_policies import LAST, TEXT, figures

pytestmark = pytest.mark.django_db
STAFF = Actor.system("test")
ON = dt.date(2026, 6, 30)
HTE = "high_tech_enterprise"


def certificate(enterprise: Any, granted: str, until: str | None) -> None:
    Qualification.objects.create(
        enterprise=enterprise,
        kind=HTE,
        granted_on=dt.date.fromisoformat(granted),
        valid_until=dt.date.fromisoformat(until) if until else None,
    )


@pytest.mark.parametrize(
    ("held", "counts"),
    [
        # the latest of those valid on the day
        ([("2020-01-01", "2026-12-31"), ("2024-01-01", "2027-12-31")], "2024-01-01"),
        # a later grant that has expired does not hide one still valid
        ([("2023-01-01", "2026-12-31"), ("2024-01-01", "2025-01-01")], "2023-01-01"),
        # none valid: the latest granted before the day
        ([("2018-01-01", "2021-01-01"), ("2021-06-01", "2024-06-01")], "2021-06-01"),
        # only future grants: the first of them
        ([("2027-01-01", "2030-01-01"), ("2028-01-01", None)], "2027-01-01"),
        # a past expired one and a future one: the past one
        ([("2020-01-01", "2023-01-01"), ("2027-01-01", None)], "2020-01-01"),
        # no expiry on record: valid
        ([("2019-01-01", None)], "2019-01-01"),
    ],
)
def test_the_certificate_that_counts_on_the_day(held: list, counts: str) -> None:
    enterprise = EnterpriseFactory()
    for granted, until in held:
        certificate(enterprise, granted, until)
    row = flat_rows([enterprise.pk], ON)[enterprise.pk]
    assert row[HTE] == dt.date.fromisoformat(counts)
    expected = dict(held)[counts]
    assert row.get(f"{HTE}_until") == (dt.date.fromisoformat(expected) if expected else None)


def test_registry_frame_types_and_values() -> None:
    enterprise = EnterpriseFactory(
        legal_representative="",
        registered_at=dt.date(2015, 3, 1),
        registered_capital=Decimal("12345678.91"),
        employees=120,
        in_zone=True,
    )
    other = EnterpriseFactory(registered_capital=None, in_zone=None, employees=None)
    figures(enterprise, "1234567.89")
    frame = registry_frame(ON)
    assert frame.height == 2
    row = frame.filter(frame["enterprise_id"] == enterprise.pk).row(0, named=True)
    assert row["registered_capital"] == Decimal("12345678.91")
    assert row[f"rd_expense_{LAST}"] == Decimal("1234567.89")
    assert (row["employees"], row["in_zone"], row["registered_at"]) == (
        120,
        True,
        dt.date(2015, 3, 1),
    )
    assert row["legal_representative"] is None  # empty text is no data
    empty = frame.filter(frame["enterprise_id"] == other.pk).row(0, named=True)
    assert empty["registered_capital"] is None and empty["in_zone"] is None
    # the range read takes exactly the enterprises in it
    assert registry_frame(ON, other.pk, other.pk)["enterprise_id"].to_list() == [other.pk]
    # the vectorised records equal the scalar reader's, value for value
    plain = [
        record({k: v for k, v in r.items() if v is not None}) for r in frame.iter_rows(named=True)
    ]
    assert records(frame.drop("enterprise_id")) == [
        {k: v for k, v in r.items() if k != ("enterprise_id", None)} for r in plain
    ]


@pytest.mark.parametrize("on", [ON, dt.date(2019, 1, 1), dt.date(2031, 1, 1)])
def test_a_few_enterprises_read_without_polars_equal_the_frame(
    monkeypatch: pytest.MonkeyPatch, on: dt.date
) -> None:
    """`flat_rows` of a few enterprises (an order, an application) skips Polars: the same
    records, value for value, type for type, key for key, as the frame's."""
    enterprises = [
        EnterpriseFactory(
            legal_representative="",
            registered_at=dt.date(2015, 3, 1),
            registered_capital=Decimal("12345678.91"),
            employees=120,
            in_zone=True,
        ),
        EnterpriseFactory(registered_capital=None, in_zone=None, employees=None),
        EnterpriseFactory(in_zone=False),
    ]
    figures(enterprises[0], "1234567.89")
    figures(enterprises[2], "0.5")
    for granted, until in [("2018-01-01", "2021-01-01"), ("2024-01-01", None)]:
        certificate(enterprises[0], granted, until)
    certificate(enterprises[2], "2027-01-01", "2030-01-01")
    certificate(enterprises[2], "2028-01-01", None)
    ids = [e.pk for e in enterprises]
    few = flat_rows(ids, on)
    monkeypatch.setattr(flat, "FEW", 0)
    framed = flat_rows(ids, on)
    assert few == framed
    for pk in ids:
        assert list(few[pk]) == list(framed[pk])
        assert [type(v) for v in few[pk].values()] == [type(v) for v in framed[pk].values()]
    assert few[ids[0]][f"rd_expense_{LAST}"] == Decimal("1234567.89")
    assert "legal_representative" not in few[ids[0]] and "in_zone" not in few[ids[1]]


def published(zone: Any, *rds: str) -> Any:
    for rd in rds:
        figures(EnterpriseFactory(), rd)
    policy = services.save_policy(actor=STAFF, text=TEXT)
    services.publish(actor=STAFF, policy=policy, match=False)
    return policy


def stored() -> dict[tuple[int, int], tuple]:
    return {
        (m.policy_id, m.enterprise_id): (m.pk, m.status, m.amount, m.updated_at, m.gap)
        for m in PolicyMatch.objects.all()
    }


TWO_CONDITIONS = TEXT.replace("rd-subsidy-test", "rd-subsidy-in-zone").replace(
    "conditions:\n",
    "conditions:\n  - label: 在园区注册\n    when: in_zone == true\n",
)


def test_a_rerun_writes_only_what_changed(zone: Any) -> None:
    near, far, fine = (EnterpriseFactory(in_zone=True) for _ in range(3))
    for enterprise, rd in ((near, "95万"), (far, "90万"), (fine, "300万")):
        figures(enterprise, rd)
    policy = services.save_policy(actor=STAFF, text=TWO_CONDITIONS)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published(push=False)
    before = stored()
    assert {k[1]: v[1] for k, v in before.items() if k[1] in (near.pk, far.pk, fine.pk)} == {
        near.pk: "ineligible",  # a near miss: one condition short, by a gap
        far.pk: "ineligible",
        fine.pk: "eligible",
    }
    matching.match_published(push=False)
    assert stored() == before  # same ids, same updated_at: nothing rewritten

    figures(near, "150万")  # the near miss now qualifies
    Enterprise.objects.filter(pk=far.pk).update(in_zone=False)  # two conditions fail: dropped
    matching.match_published(push=False)
    after = stored()
    key = (policy.pk, near.pk)
    assert after[key][1:3] == ("eligible", Decimal("150000.00"))
    assert after[key][0] == before[key][0]  # updated in place
    assert (policy.pk, far.pk) not in after
    unchanged = set(before) - {key, (policy.pk, far.pk)}
    assert unchanged and {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_explanations_are_computed_when_opened(zone: Any) -> None:
    published(zone, "300万", "95万")
    matching.match_published(push=False)
    matches = list(PolicyMatch.objects.select_related("version", "version__policy"))
    matching.explain_matches(matches)
    for m in matches:
        rows = flat_rows([m.enterprise_id], m.evaluated_on)
        rules = matching.rules_policy(m.version)
        direct = explain(rules, record(rows[m.enterprise_id]), m.evaluated_on)
        assert m.explanation["status"] == direct.status == m.status
        assert [c["label"] for c in m.explanation["conditions"]] == [
            c.label for c in direct.conditions
        ]
    # and one by one, on first access
    lone = PolicyMatch.objects.filter(status="eligible").first()
    assert lone is not None and lone.explanation["conditions"][0]["result"] is True


def test_one_batch_for_many_policies_equals_one_policy_at_a_time(zone: Any) -> None:
    published(zone, "300万", "95万", "20万")
    second = services.save_policy(
        actor=STAFF,
        text=TEXT.replace("rd-subsidy-test", "rd-subsidy-two").replace(">= 100万", ">= 90万"),
    )
    services.publish(actor=STAFF, policy=second, match=False)
    matching.match_published(push=False)
    together = {k: v[1:3] + v[4:] for k, v in stored().items()}
    PolicyMatch.objects.all().delete()
    for policy in {m for m, _e in together}:
        run = matching.plan_run(Policy.objects.get(pk=policy).current)
        matching.match_partition(run, 0, push=False)
    assert {k: v[1:3] + v[4:] for k, v in stored().items()} == together
    assert {v[0] for v in together.values()} >= {"eligible", "ineligible", "unknown"}


MIXED = f"""id: mixed-shapes-test
title: 各种条件形态（测试）
issuer: 园区管委会
source: 测试文件
category: subsidy
effective: {{from: 2020-01-01}}
delivery: auto
conditions:
  - label: 持有高企证书
    when: has(high_tech_enterprise)
  - label: 近两年研发费用合计不低于 100 万元
    when: sum(rd_expense[Y-2..Y-1]) >= 100万
  - label: 研发人员或科技人员达标
    when: rd_staff >= 10 or tech_staff >= 20
  - label: 上年营业收入增长
    when: growth(revenue, Y-1) >= 5%
benefit:
  amount: min(rd_expense[Y-1] * 10%, 50万)
tests:
  - name: 缺数据 → 未知
    date: {LAST + 1}-06-30
    enterprise: {{rd_staff: 12}}
    expect: {{status: unknown}}
"""


def test_every_shape_stores_the_same_in_batch_and_one_by_one(zone: Any) -> None:
    """Conditions the batch follows (sums, or, comparisons) and those it leaves to the
    explanation (certificates, growth): the stored rows equal the explanation's."""
    cases = {
        # name: (certificate, R&D two years ago and last year, rd_staff, tech_staff, revenue)
        "eligible": (True, ("50万", "100万"), 12, 0, ("1000万", "1100万")),
        "near: sum short": (True, ("50万", "40万"), 0, 25, ("1000万", "1100万")),
        "near: or short": (True, ("50万", "100万"), 3, 5, ("1000万", "1100万")),
        "near: growth short": (True, ("50万", "100万"), 12, 0, ("1000万", "1020万")),
        "no certificate": (False, ("50万", "100万"), 12, 0, ("1000万", "1100万")),
        "unknown: no R&D": (True, (None, None), 12, 0, ("1000万", "1100万")),
        "unknown: no growth": (True, ("50万", "100万"), 12, 0, (None, "1100万")),
    }
    for held, rd, rd_staff, tech_staff, revenue in cases.values():
        enterprise = EnterpriseFactory(rd_staff=rd_staff, tech_staff=tech_staff)
        if held:
            certificate(enterprise, f"{LAST - 1}-01-01", f"{LAST + 2}-01-01")
        for year, r, rev in ((LAST - 1, rd[0], revenue[0]), (LAST, rd[1], revenue[1])):
            values = {k: v for k, v in (("rd_expense", r), ("revenue", rev)) if v is not None}
            if values:
                registry.report_figures(
                    actor=STAFF,
                    enterprise=enterprise,
                    year=year,
                    source=DataSource.VERIFIED,
                    values=values,
                )
    policy = services.save_policy(actor=STAFF, text=MIXED)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published(push=False)

    def rows() -> set[tuple]:
        return {
            (
                m.enterprise_id,
                m.status,
                m.amount,
                tuple(m.missing),
                None if m.gap is None else round(m.gap, 9),
                m.shortfall,
            )
            for m in PolicyMatch.objects.filter(policy=policy).select_related("version")
        }

    batch = rows()
    by_status = sorted((r[1], r[3], r[4]) for r in batch)
    assert by_status == [
        ("eligible", (), None),
        ("ineligible", (), 0.1),  # the sum, measured in the batch
        ("ineligible", (), 0.6),  # the growth rate
        ("ineligible", (), 0.7),  # the "or", explained
        ("unknown", (f"rd_expense_{LAST - 1}", f"rd_expense_{LAST}"), None),  # named in batch
        ("unknown", (f"revenue_{LAST - 1}",), None),  # growth: what the condition lacked
    ]
    for enterprise in Enterprise.objects.all():
        matching.match_enterprise(enterprise.pk)
    assert rows() == batch


AGED = TEXT.replace("rd-subsidy-test", "rd-subsidy-aged").replace(
    "conditions:\n",
    "conditions:\n  - label: 成立满三年\n    when: years_since(registered_at) >= 3\n",
)


def test_years_since_near_misses_are_measured_in_the_batch_as_explained(zone: Any) -> None:
    """A near miss by age (成立 1 年，需 ≥ 3 年) has its gap from the batch, equal to the
    explanation's; its words are made when it is opened."""
    today = timezone.localdate()
    ages = {"one year": 400, "two years": 800, "five years": 1900, "too far": 400}
    made = {}
    for name, days in ages.items():
        made[name] = EnterpriseFactory(registered_at=today - dt.timedelta(days=days))
        figures(made[name], "50万" if name == "too far" else "200万")
    policy = services.save_policy(actor=STAFF, text=AGED)
    services.publish(actor=STAFF, policy=policy, match=False)
    versions = [policy.current]
    frame = registry_frame(today)
    candidates = matching._candidates(versions, frame, today)
    aged = candidates.filter(pl.col("enterprise_id").is_in([made["one year"].pk]))
    assert aged["measured"].to_list() == [True]  # no explanation needed
    matching.match_published(push=False)

    def rows() -> dict[int, tuple]:
        return {
            m.enterprise_id: (m.status, m.gap, m.shortfall)
            for m in PolicyMatch.objects.filter(policy=policy).select_related("version")
        }

    batch = rows()
    assert {name: batch.get(e.pk, ("dropped",))[:2] for name, e in made.items()} == {
        "one year": ("ineligible", 2 / 3),
        "two years": ("ineligible", 1 / 3),
        "five years": ("eligible", None),
        "too far": ("dropped",),
    }
    assert batch[made["one year"].pk][2].endswith("1年，需 ≥ 3年")  # in words when read
    for enterprise in made.values():
        matching.match_enterprise(enterprise.pk)
    assert rows() == batch


def test_a_first_run_that_meets_rows_stored_meanwhile_writes_only_what_changed(
    zone: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range with nothing stored is copied straight in (PostgreSQL); rows another
    transaction stored meanwhile stop the copy, which is undone, and the partition is compared
    and written as any other."""
    published(zone, "300万", "95万", "20万")
    monkeypatch.setattr(match_store, "COPY_ABOVE", 0)
    matching.match_published(push=False)
    before = stored()
    assert "eligible" in {v[1] for v in before.values()}
    PolicyMatch.objects.filter(status="eligible").delete()
    kept = stored()
    read = match_store.stored
    calls: list[int] = []

    def nothing_first(*args: Any) -> Any:
        calls.append(1)
        found = read(*args)
        return found.clear() if len(calls) == 1 else found  # as a snapshot before the others

    monkeypatch.setattr(match_store, "stored", nothing_first)
    matching.match_published(push=False)
    after = stored()
    assert set(after) == set(before)
    if connection.vendor == "postgresql":  # the copy was tried, undone, and compared after
        assert {k: after[k] for k in kept} == kept  # the rows stored meanwhile: not rewritten
    assert {k: after[k][1:3] for k in before} == {k: before[k][1:3] for k in before}


def test_rows_of_an_enterprise_that_is_gone_are_not_stored(zone: Any) -> None:
    policy = published(zone, "300万")
    here = EnterpriseFactory()
    gone = here.pk + 1000
    assert not Enterprise.objects.filter(pk=gone).exists()
    version = policy.current
    rows = pl.DataFrame(
        [
            (policy.pk, version.pk, here.pk, "eligible", 10_000, None, "[]"),
            (policy.pk, version.pk, gone, "eligible", 10_000, None, "[]"),
        ],
        schema=match_store.ROW_SCHEMA,
        orient="row",
    )
    with transaction.atomic():
        match_store.replace(rows, ON, policy_ids=[policy.pk], first_id=here.pk, last_id=gone)
    assert list(PolicyMatch.objects.values_list("enterprise_id", "amount")) == [
        (here.pk, Decimal("100.00"))
    ]

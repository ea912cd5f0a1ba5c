"""Policies that rank an enterprise among its peers, matched through the web (policies.
peer_stats): the population is the whole registry, whether it is matched in one partition or
many, explained one enterprise at a time or re-matched after a change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gaoxin.core.audit import Actor
from gaoxin.core.errors import ValidationFailed
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.flat import registry_frame
from gaoxin.enterprises.models import Enterprise
from gaoxin.policies import applications, matching, partitions, peer_stats, services
from gaoxin.policies.models import MatchJob, Policy, PolicyMatch
from gaoxin.rules import evaluate
from gaoxin.rules.peers import ALL
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db
STAFF = Actor.system("test")
LAST = dt.date.today().year - 1

PEERS = f"""id: growth-among-peers-test
title: 增幅领先奖励（测试）
issuer: 园区管委会
source: 测试文件
category: subsidy
effective: {{from: 2020-01-01}}
delivery: auto
conditions:
  - label: 营收增幅不低于全区平均
    when: growth(revenue, Y-1) >= peer_avg(growth(revenue, Y-1))
  - label: 增幅在本产业链前三
    when: rank(growth(revenue, Y-1), chain) <= 3
benefit:
  amount: 10万
tests:
  - name: 增幅 50%，全区平均 30%，产业链第一 → 10 万
    date: {LAST + 1}-06-30
    enterprise: {{chain: ic, revenue: {{{LAST - 1}: 100万, {LAST}: 150万}}}}
    population: [{{chain: ic, revenue: {{{LAST - 1}: 100万, {LAST}: 110万}}}}]
    expect: {{status: eligible, amount: 10万}}
"""

# (chain, revenue the year before last, last year) in 万元. Growths: ic 60 50 40 38 35 5%,
# software 55 30 29 28 10% and one unknown, bio 45%; the zone's average 35.4%. Eligible: ic's
# first three, software's and bio's first; near misses kept: ic 38% (4th of its chain),
# software 30% and 29% (below the average); unknown: software's first year (and the zone
# fixture's two enterprises, without figures).
ZONE = [
    ("ic", 100, 160),
    ("ic", 100, 150),
    ("ic", 100, 140),
    ("ic", 100, 138),
    ("ic", 100, 135),
    ("ic", 100, 105),
    ("software", 100, 155),
    ("software", 100, 130),
    ("software", 100, 128),
    ("software", 100, 129),
    ("software", 100, 110),
    ("software", None, 300),
    ("bio", 100, 145),
]


def revenue(enterprise: Any, year: int, wan: int) -> None:
    registry.report_figures(
        actor=STAFF,
        enterprise=enterprise,
        year=year,
        source=DataSource.VERIFIED,
        values={"revenue": f"{wan}万"},
    )


@pytest.fixture
def peers_zone(zone: Any) -> Policy:
    for chain, before, last in ZONE:
        enterprise = EnterpriseFactory(chain=chain, name=f"{chain}-{last}")
        if before is not None:
            revenue(enterprise, LAST - 1, before)
        revenue(enterprise, LAST, last)
    policy = services.save_policy(actor=STAFF, text=PEERS)
    services.publish(actor=STAFF, policy=policy, match=False)
    return policy


def engine(on: dt.date) -> dict[int, tuple[str, Any]]:
    """(status, amount) per enterprise by the engine over the whole registry at once."""
    policy = Policy.objects.get(slug="growth-among-peers-test")
    assert policy.current is not None
    frame = registry_frame(on)
    result = evaluate([matching.rules_policy(policy.current)], frame, on)
    ids = dict(zip(frame["uscc"].to_list(), frame["enterprise_id"].to_list(), strict=True))
    return {
        ids[uscc]: (status, amount)
        for uscc, status, amount in result.select("uscc", "status", "amount").iter_rows()
    }


def stored(policy: Policy) -> dict[int, tuple[str, Any]]:
    return {
        m.enterprise_id: (m.status, m.amount)
        for m in PolicyMatch.objects.filter(policy=policy).order_by("enterprise_id")
    }


def agrees_with_engine(policy: Policy, on: dt.date) -> dict[int, tuple[str, Any]]:
    expected = engine(on)
    rows = stored(policy)
    assert {pk: s for pk, (s, _) in rows.items()} == {
        pk: s for pk, (s, _) in expected.items() if pk in rows
    }
    for pk, (status, amount) in expected.items():
        if status in ("eligible", "review", "unknown"):
            assert pk in rows, (pk, status)
        if status == "eligible":
            assert rows[pk][1] == amount
    return rows


def test_one_process_matches_as_the_engine_over_the_whole_registry(peers_zone: Policy) -> None:
    runs = matching.match_published(push=False)
    assert len(runs) == 1 and runs[0].job is not None
    assert runs[0].job.peers is not None  # computed when the job was planned
    rows = agrees_with_engine(peers_zone, timezone.localdate())
    statuses = sorted(s for s, _ in rows.values())
    assert statuses == ["eligible"] * 5 + ["ineligible"] * 3 + ["unknown"] * 3


def test_partitions_read_the_job_statistics_not_their_own(peers_zone: Policy) -> None:
    on = timezone.localdate()
    job = partitions.plan_matching(partitions.published_versions(), on, size=3)
    assert job.partitions == 5
    # The registry changes while the job runs: its partitions still rank against the
    # registry as it was planned (the stored statistics), all of them alike.
    expected = engine(on)
    assert partitions.take_one(job.pk, push=False) is partitions.Took.PARTITION
    revenue(Enterprise.objects.get(name="ic-160"), LAST, 1000)  # in the first partition
    partitions.work(job.pk, push=False)
    rows = stored(peers_zone)
    assert {pk: s for pk, (s, _) in rows.items()} == {
        pk: s for pk, (s, _) in expected.items() if pk in rows
    }
    assert sum(s == "eligible" for s, _ in rows.values()) == 5


def test_one_enterprise_explained_as_it_was_matched(peers_zone: Policy) -> None:
    matching.match_published(push=False)
    matches = list(PolicyMatch.objects.filter(policy=peers_zone).select_related("version"))
    matching.explain_matches(matches)
    assert {m.explanation["status"] for m in matches} >= {"eligible", "ineligible", "unknown"}
    for m in matches:
        assert m.explanation["status"] == m.status, m.enterprise_id
    # its re-match after a change of its own: the same rows (the rest of the zone unchanged)
    before = stored(peers_zone)
    for pk in before:
        matching.match_enterprise(pk)
    assert stored(peers_zone) == before


def test_the_statistics_follow_the_registry(
    peers_zone: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    on = timezone.localdate()
    version = peers_zone.current
    assert version is not None
    computed: list[int] = []
    compute = peer_stats.compute
    monkeypatch.setattr(
        peer_stats,
        "compute",
        lambda *a: computed.append(1) or compute(*a),  # type: ignore[func-returns-value]
    )

    def average() -> Any:
        found = peer_stats.current([version], on)
        assert found is not None
        [table] = [t for (_, g), t in found.groups.items() if g is None]
        return table[ALL].mean

    old = average()
    assert average() == old and len(computed) == 1  # once per registry version
    matching.match_published(push=False)  # the job computes its own
    assert len(computed) == 2
    laggard = Enterprise.objects.get(name="software-130")  # 30%, below the average
    match = PolicyMatch.objects.get(policy=peers_zone, enterprise=laggard)
    assert match.status == "ineligible"
    revenue(laggard, LAST, 400)  # grows 300%: the zone's average moves
    assert average() > old and len(computed) == 3
    matching.match_enterprise(laggard.pk)
    match.refresh_from_db()
    assert match.status == "eligible"
    assert len(computed) == 3  # the re-match read the statistics computed after the change


def test_policies_without_peers_read_no_statistics(
    peers_zone: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    peers_zone.status = "draft"
    peers_zone.save(update_fields=["status"])
    from tests.policies.test_policies import TEXT

    other = services.save_policy(actor=STAFF, text=TEXT)
    services.publish(actor=STAFF, policy=other, match=False)

    def refused(*args: Any) -> Any:
        raise AssertionError("the registry's statistics were computed")

    monkeypatch.setattr(peer_stats, "population", refused)
    runs = matching.match_published(push=False)
    assert [r.version.policy_id for r in runs] == [other.pk]
    assert MatchJob.objects.get(pk=runs[0].job_id).peers is None
    matching.explain_matches(list(PolicyMatch.objects.select_related("version")))


def test_an_application_is_judged_among_the_whole_registry(peers_zone: Policy, zone: Any) -> None:
    text = PEERS.replace("growth-among-peers-test", "growth-among-peers-apply")
    policy = services.save_policy(
        actor=STAFF, text=text.replace("delivery: auto", "delivery: apply")
    )
    services.publish(actor=STAFF, policy=policy, match=False)

    def apply() -> Any:
        return applications.submit(
            actor=Actor.for_user(zone.users["enterprise_a"]),
            enterprise=zone.enterprise_a,
            policy=policy,
            inputs={},
        )

    revenue(zone.enterprise_a, LAST - 1, 100)
    revenue(zone.enterprise_a, LAST, 110)  # 10%: below the zone's average
    with pytest.raises(ValidationFailed, match="营收增幅不低于全区平均"):
        apply()
    revenue(zone.enterprise_a, LAST, 200)  # 100%: the first of its chain
    assert apply().amount_fen == 10_000_000

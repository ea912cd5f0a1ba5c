"""Matching policies against the registry.

A policy version is matched in partitions of enterprises (by id), each evaluated in batch on
Polars; the rows people look at (eligible, review, unknown, near misses) are explained one by
one and stored with the version. One enterprise whose data changed is re-explained against
every published policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.enterprises.flat import flat_frame, flat_rows
from gaoxin.enterprises.models import Enterprise
from gaoxin.policies.choices import MatchStatus, PolicyStatus, RunStatus
from gaoxin.policies.models import MatchRun, Policy, PolicyMatch, PolicyVersion
from gaoxin.policies.wording import humanise, humanise_explanation
from gaoxin.rules import Explanation, explain, load_text
from gaoxin.rules import Policy as RulesPolicy
from gaoxin.rules.batch import evaluate
from gaoxin.rules.values import record

PARTITION_SIZE = 20_000
# Who the audit log names for the pushes matching sends on its own (people read it).
PUSH_ACTOR = "系统自动推送"
# Loaded policies by content hash: a hash names exactly one text, whatever row holds it.
_loaded: dict[str, RulesPolicy] = {}


def rules_policy(version: PolicyVersion) -> RulesPolicy:
    if version.version not in _loaded:
        _loaded[version.version] = load_text(version.text, f"{version.policy.slug}.yaml")
    return _loaded[version.version]


def plan_run(version: PolicyVersion, on: dt.date | None = None) -> MatchRun:
    count = Enterprise.objects.count()
    partitions = max(1, -(-count // PARTITION_SIZE))
    return MatchRun.objects.create(
        version=version,
        evaluated_on=on or timezone.localdate(),
        partitions=partitions,
        enterprises=count,
        status=RunStatus.RUNNING,
    )


def partition_ids(run: MatchRun, partition: int) -> list[int]:
    """The enterprise ids of one partition, read by the database's LIMIT/OFFSET: each worker
    reads its own partition, not the whole registry."""
    start = partition * PARTITION_SIZE
    ordered = Enterprise.objects.order_by("pk").values_list("pk", flat=True)
    return list(ordered[start : start + PARTITION_SIZE])


def match_partition(
    run: MatchRun, partition: int, data: Partition | None = None, push: bool = True
) -> int:
    """Evaluate one partition and replace its stored matches; idempotent, so a partition taken
    twice (a worker that died) stores the same rows. `data`: the partition's registry, when
    the caller matches several policies over it."""
    version = run.version
    policy = rules_policy(version)
    ids = partition_ids(run, partition)
    if data is None:
        data = Partition(flat_rows(ids, run.evaluated_on))
    kept = _interesting(policy, data, run.evaluated_on)
    with transaction.atomic():
        PolicyMatch.objects.filter(policy_id=version.policy_id, enterprise_id__in=ids).delete()
        PolicyMatch.objects.bulk_create(
            [_match(version, pk, e, run.evaluated_on) for pk, e in kept], batch_size=2000
        )
        MatchRun.objects.filter(pk=run.pk).update(partitions_done=F("partitions_done") + 1)
        pushable = [pk for pk, e in kept if e.status in (MatchStatus.ELIGIBLE, MatchStatus.REVIEW)]
        if pushable and push:
            transaction.on_commit(lambda: _queue_pushes(version.pk, pushable))
        run.refresh_from_db()
        if run.partitions_done >= run.partitions:
            run.status, run.finished_at = RunStatus.DONE, timezone.now()
            run.seconds = (run.finished_at - run.started_at).total_seconds()
            run.save(update_fields=["status", "finished_at", "seconds"])
    return len(kept)


class Partition:
    """A partition's registry, in the two forms the engine reads: a frame for the batch, and
    normalised records for explanations (normalising costs ~15× an explanation: once each)."""

    def __init__(self, rows: dict[int, dict[str, Any]]) -> None:
        self.rows = rows
        self._frame: Any = None
        self._records: dict[int, Any] = {}
        self.by_uscc = {row["uscc"]: pk for pk, row in rows.items()}

    @property
    def frame(self) -> Any:
        if self._frame is None:
            self._frame = flat_frame(list(self.rows.values()))
        return self._frame

    def record(self, pk: int) -> Any:
        if pk not in self._records:
            self._records[pk] = record(self.rows[pk])
        return self._records[pk]


def _interesting(
    policy: RulesPolicy, partition: Partition, on: dt.date
) -> list[tuple[int, Explanation]]:
    """The batch finds candidates (anything but a plain miss); each is explained and kept if
    people would act on it."""
    if not partition.rows:
        return []
    result = evaluate([policy], partition.frame, on, interesting_only=True)
    out = []
    for uscc in result["uscc"].to_list():
        pk = partition.by_uscc[uscc]
        explanation = explain(policy, partition.record(pk), on)
        if keep(explanation, applies=policy.delivery == "apply"):
            out.append((pk, explanation))
    return out


def _match(
    version: PolicyVersion, enterprise_id: int, explanation: Explanation, on: dt.date
) -> PolicyMatch:
    year = rules_policy(version).year or on.year  # Y, as the policy's expressions use it
    shortfalls = [humanise(s.text, year) for s in explanation.shortfalls]
    return PolicyMatch(
        policy_id=version.policy_id,
        version=version,
        enterprise_id=enterprise_id,
        status=explanation.status,
        amount=explanation.amount,
        shortfall="；".join(shortfalls)[:300],
        gap=relative_gap(explanation),
        missing=[f"{f}_{y}" if y is not None else f for f, y in explanation.missing],
        explanation=humanise_explanation(explanation.to_dict(), year),
        evaluated_on=on,
    )


def relative_gap(explanation: Explanation) -> float | None:
    """|needed − actual| / |needed| of a near miss's first shortfall."""
    for shortfall in explanation.shortfalls:
        try:
            actual, needed = Fraction(shortfall.actual), Fraction(shortfall.needed)
        except (TypeError, ValueError):
            continue
        if needed != 0:
            return float(abs(needed - actual) / abs(needed))
    return None


def keep(explanation: Explanation, applies: bool = False) -> bool:
    """Whether people would act on a result: eligible and review always; unknown when it names
    the registry data that would decide it (not when only an applicant's declaration can);
    a miss only when exactly one condition failed, by a measurable gap ("研发投入强度 4.6%，
    需 ≥ 5%") — lacking a certificate is not "almost"."""
    if explanation.status in (MatchStatus.ELIGIBLE, MatchStatus.REVIEW):
        return True
    if explanation.status == MatchStatus.UNKNOWN:
        # An application policy waits for what only the applicant declares: "you may apply".
        return bool(explanation.missing) or applies
    decided = [c for c in explanation.conditions if not c.manual]
    failed = [c for c in decided if c.result is False]
    return (
        all(c.result is not None for c in decided)
        and len(failed) == 1
        and bool(failed[0].shortfalls)
    )


def match_enterprise(
    enterprise_id: int, on: dt.date | None = None, policies: Sequence[Policy] | None = None
) -> int:
    """Re-explain one enterprise against every published policy (its data changed)."""
    on = on or timezone.localdate()
    rows = flat_rows([enterprise_id], on)
    if enterprise_id not in rows:
        return 0
    normalised = record(rows[enterprise_id])
    published = (
        policies
        if policies is not None
        else list(
            Policy.objects.filter(
                status=PolicyStatus.PUBLISHED, current__isnull=False
            ).select_related("current", "current__policy")
        )
    )
    stored = []
    for policy in published:
        version = policy.current
        assert version is not None
        loaded = rules_policy(version)
        explanation = explain(loaded, normalised, on)
        if keep(explanation, applies=loaded.delivery == "apply"):
            stored.append(_match(version, enterprise_id, explanation, on))
    with transaction.atomic():
        PolicyMatch.objects.filter(enterprise_id=enterprise_id).delete()
        PolicyMatch.objects.bulk_create(stored)
    return len(stored)


def match_published(on: dt.date | None = None, push: bool = True) -> list[MatchRun]:
    """Match every published policy against the whole registry in this process, reading the
    registry once per partition for all of them (the demo, a nightly run)."""
    on = on or timezone.localdate()
    versions = [
        p.current
        for p in Policy.objects.filter(
            status=PolicyStatus.PUBLISHED, current__isnull=False
        ).select_related("current__policy")
    ]
    runs = [plan_run(v, on) for v in versions if v is not None]
    if not runs:
        return []
    for partition in range(runs[0].partitions):
        match_partitions(runs, partition, push=push)
    return runs


def match_partitions(runs: Sequence[MatchRun], partition: int, push: bool = True) -> int:
    """One partition of the registry matched against several runs' versions at once (the
    runs were planned together, so their partitions cover the same enterprises): the unit of
    work a worker takes. Idempotent. Returns the number of matches stored."""
    if not runs:
        return 0
    data = Partition(flat_rows(partition_ids(runs[0], partition), runs[0].evaluated_on))
    return sum(match_partition(run, partition, data, push=push) for run in runs)


def _queue_pushes(version_id: int, enterprise_ids: list[int]) -> None:
    from gaoxin.policies.tasks import push_matches_task

    push_matches_task.enqueue(version_id, enterprise_ids)


def push_matches(version_id: int, enterprise_ids: Sequence[int]) -> int:
    """Tell each enterprise's people (the roles the policy names) what it qualifies for; one
    message per enterprise and policy, however often matching runs or the rules are edited
    (an edit tells only the enterprises it newly makes eligible)."""
    from gaoxin.core.audit import Actor
    from gaoxin.core.formatting import money
    from gaoxin.notifications.message_templates import render
    from gaoxin.notifications.services import notify
    from gaoxin.policies.standing import may_push

    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    policy = version.policy
    if not may_push(policy):  # unpublished, ended, or a draft for comment
        return 0
    roles = tuple(rules_policy(version).notify) or ("legal_rep", "finance_head")
    matches = PolicyMatch.objects.filter(
        version=version,
        enterprise_id__in=enterprise_ids,
        status__in=[MatchStatus.ELIGIBLE, MatchStatus.REVIEW],
    ).select_related("enterprise")
    actor = Actor.system(PUSH_ACTOR)
    link = f"/my/policies/#policy-{policy.pk}"
    sent = 0
    for match in matches:
        amount = money(match.amount) if match.amount is not None else _("金额待园区审核后确定")
        title, body = render("policy_matched", policy=policy.title, amount=amount, link=link)
        notify(
            actor=actor,
            enterprise=match.enterprise,
            subject_type="policies.policy",
            subject_id=policy.pk,
            dedupe_key=f"policy-match:{policy.pk}:{match.enterprise_id}",
            title=title,
            body=body,
            link=link,
            roles=roles,
        )
        sent += 1
    return sent

"""Matching policies against the registry.

The registry is matched in partitions of enterprises (ranges of ids): a partition is read
straight into Polars (`enterprises.flat.registry_frame`), every policy version of the run is
evaluated over it in one batch, and only what people act on is kept (see `keep`). Eligible and
review rows come from the batch alone; unknowns and near misses are explained, because what
they lack (the missing data, the gap) is what people read. Stored rows are compared with the
new ones and only the changes are written, in bulk (`match_store`). A match's full explanation
is computed when someone opens it (`explain_matches`), not stored.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.phases import NO_PHASES, Phases
from gaoxin.enterprises.flat import flat_rows, registry_frame
from gaoxin.enterprises.models import Enterprise
from gaoxin.enterprises.people import item_lists, registry_items
from gaoxin.policies import match_store, peer_stats
from gaoxin.policies.choices import MatchStatus, PolicyStatus, RunStatus
from gaoxin.policies.models import MatchRun, Policy, PolicyMatch, PolicyVersion
from gaoxin.policies.wording import humanise_explanation
from gaoxin.rules import Explanation, explain, load_text
from gaoxin.rules import Policy as RulesPolicy
from gaoxin.rules.batch import (
    ELIGIBLE,
    INELIGIBLE,
    REVIEW,
    UNKNOWN,
    Plan,
    compile_plan,
    paid_amount,
)
from gaoxin.rules.compiler import Compiler
from gaoxin.rules.explain import can_fall_short, explain_record, missing_reads, typed_inputs
from gaoxin.rules.frame import column, prepare, records
from gaoxin.rules.gaps import divide, gap_column
from gaoxin.rules.items import uses_items
from gaoxin.rules.model import STATUSES
from gaoxin.rules.peers import Peers
from gaoxin.rules.peers import calls as peer_calls
from gaoxin.rules.reads import fields_read
from gaoxin.rules.resolve import resolve
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


def plan_run(version: PolicyVersion, on: dt.date | None = None, job: Any = None) -> MatchRun:
    """A run of the version over the job's partition plan; with no job, a job of its own
    (policies.partitions.plan_matching: ranges of enterprise ids, stored). `job`: a MatchJob."""
    if job is None:
        from gaoxin.policies.partitions import plan_matching

        return plan_matching([version], on).runs.get()
    return MatchRun.objects.create(
        version=version,
        job=job,
        evaluated_on=job.evaluated_on,
        partitions=job.partitions,
        enterprises=job.enterprises,
        status=RunStatus.RUNNING,
    )


def partition_ids(run: MatchRun, partition: int) -> list[int]:
    """The enterprise ids of one partition: the range of ids its job stored when it was
    planned, read by the primary key's index, whichever worker reads it and whatever was
    added or removed since (a run planned before plans were stored reads by OFFSET)."""
    if run.job_id is None:
        start = partition * PARTITION_SIZE
        ordered = Enterprise.objects.order_by("pk").values_list("pk", flat=True)
        return list(ordered[start : start + PARTITION_SIZE])
    from gaoxin.policies.models import MatchPartition

    first, last = MatchPartition.objects.values_list("first_id", "last_id").get(
        job_id=run.job_id, number=partition
    )
    within = Enterprise.objects.filter(pk__gte=first, pk__lte=last).order_by("pk")
    return list(within.values_list("pk", flat=True))


def match_partition(run: MatchRun, partition: int, push: bool = True) -> int:
    """One run's partition (see match_partitions)."""
    return match_partitions([run], partition, push=push)


def match_partitions(
    runs: Sequence[MatchRun], partition: int, push: bool = True, phases: Phases = NO_PHASES
) -> int:
    """One partition of the registry matched against several runs' versions at once (the
    runs were planned together, so their partitions cover the same enterprises): the unit of
    work a worker takes. Idempotent: a partition taken twice (a worker that died) stores the
    same rows. Returns the number of matches the partition holds for these policies.
    `phases`: where the time goes (read, evaluate, keep, explain, and match_store's)."""
    if not runs:
        return 0
    on = runs[0].evaluated_on
    versions = [run.version for run in runs]
    with phases("read"):
        ids = partition_ids(runs[0], partition)
        frame = registry_frame(on, ids[0], ids[-1]) if ids else None
        peers = peer_stats.of_runs(runs)  # the whole registry's, as the job stored them
    rows = match_rows(versions, frame, on, phases, peers) if frame is not None else None
    if rows is None:
        rows = match_store.empty_rows()
    with transaction.atomic():
        changed = match_store.replace(
            rows,
            on,
            policy_ids=[v.policy_id for v in versions],
            first_id=ids[0] if ids else None,
            last_id=ids[-1] if ids else None,
            phases=phases,
        )
        with phases("counters"):
            for run in runs:
                _partition_done(run)
            if push:
                _push_changed(versions, changed)
    return rows.height


def _partition_done(run: MatchRun) -> None:
    MatchRun.objects.filter(pk=run.pk).update(partitions_done=F("partitions_done") + 1)
    run.refresh_from_db()
    if run.partitions_done >= run.partitions and run.status != RunStatus.DONE:
        run.status, run.finished_at = RunStatus.DONE, timezone.now()
        run.seconds = (run.finished_at - run.started_at).total_seconds()
        run.save(update_fields=["status", "finished_at", "seconds"])


def _push_changed(versions: Sequence[PolicyVersion], changed: pl.DataFrame) -> None:
    """Queue pushes for rows that became eligible or review (pushes are deduplicated per
    enterprise and policy anyway; rows that did not change were pushed before)."""
    pushable = changed.filter(
        pl.col("status").is_in([MatchStatus.ELIGIBLE.value, MatchStatus.REVIEW.value])
    )
    for version in versions:
        ids = pushable.filter(pl.col("policy_id") == version.policy_id)["enterprise_id"]
        if ids.len():
            transaction.on_commit(partial(_queue_pushes, version.pk, ids.to_list()))


def match_rows(
    versions: Sequence[PolicyVersion],
    frame: pl.DataFrame,
    on: dt.date,
    phases: Phases = NO_PHASES,
    peers: Peers | None = None,
) -> pl.DataFrame:
    """The rows to store for these versions over a registry frame (`registry_frame`): the
    batch decides every pair (one batch for all: a policy's rules id is its slug, unique) and
    measures the gap of most near misses; unknowns and the other near misses are explained to
    name what they lack, and kept only if people can act on them. `peers`: the statistics of
    the whole registry (policies.peer_stats), the frame being only part of it."""
    versions = enterprise_versions(versions)
    if not versions or not frame.height:
        return match_store.empty_rows()
    candidates = _candidates(versions, frame, on, phases, peers)
    started = time.perf_counter()
    decided = pl.col("code").is_in([ELIGIBLE, REVIEW]) | pl.col("measured")
    decided = decided | pl.col("missing").is_not_null()
    direct = candidates.filter(decided & pl.col("kept")).select(
        pl.col("policy_id"),
        pl.col("version_id"),
        pl.col("enterprise_id"),
        pl.col("code").replace_strict(list(range(4)), list(STATUSES)).alias("status"),
        pl.col("amount_fen"),
        pl.col("gap"),
        pl.col("missing").fill_null("[]"),
    )
    undecided = candidates.filter(~decided)
    phases.add("keep", time.perf_counter() - started)
    with phases("explain"):
        explained = _explained(versions, undecided, frame, on, peers)
    with phases("keep"):
        columns = [pl.col(n).cast(t) for n, t in match_store.ROW_SCHEMA.items()]
        return pl.concat([direct.select(columns), explained.select(columns)])


def enterprise_versions(versions: Sequence[PolicyVersion]) -> list[PolicyVersion]:
    """The versions whose beneficiary is the enterprise: matched against the registry. A
    policy for persons is evaluated over the persons (policies.people); one for a provider or
    an introducer waits for their application."""
    return [v for v in versions if rules_policy(v).beneficiary == "enterprise"]


def _candidates(
    versions: Sequence[PolicyVersion],
    frame: pl.DataFrame,
    on: dt.date,
    phases: Phases = NO_PHASES,
    peers: Peers | None = None,
) -> pl.DataFrame:
    """(policy_id, version_id, enterprise_id, code, amount_fen, gap, measured, missing, kept)
    for every pair that is not a plain miss: eligible, review, unknown, or a near miss whose
    false condition can name a gap (`measured`: the batch measured it). `missing`: the JSON
    list of the data an unknown lacks, where the batch can name it (else null: explained);
    `kept`: false for such an unknown that names nothing, in a policy nobody applies for."""
    with phases("evaluate"):
        policies = [rules_policy(v) for v in versions]
        plan = compile_plan(policies, on, peers=peers)
        wide = _evaluate(plan, frame, peers)
    started = time.perf_counter()
    parts = []
    for version, pp in zip(versions, plan.policies, strict=True):
        pid = pp.policy.id
        status = pl.col(f"status:{pid}")
        paid = paid_amount(pp)  # a bound (benefit.upto) is not an amount: decided by staff
        amount = pl.col(paid) if paid is not None else pl.lit(None, dtype=pl.Int64)
        near = pl.col(f"near:{pid}")
        missing = pl.when(status == UNKNOWN).then(pl.col(f"missing:{pid}")).alias("missing")
        applies = pl.lit(pp.policy.delivery == "apply")
        parts.append(
            wide.lazy()
            .filter((status != INELIGIBLE) | (near & pl.col(f"short:{pid}")))
            .select(
                pl.lit(version.policy_id, dtype=pl.Int64).alias("policy_id"),
                pl.lit(version.pk, dtype=pl.Int64).alias("version_id"),
                pl.col("enterprise_id"),
                status.cast(pl.Int64).alias("code"),
                amount.cast(pl.Int64).alias("amount_fen"),
                pl.col(f"gap:{pid}").alias("gap"),
                ((status == INELIGIBLE) & pl.col(f"measured:{pid}")).alias("measured"),
                missing,
                (missing.is_null() | (missing != "[]") | applies).alias("kept"),
                pl.when(status == UNKNOWN).then(pl.col(f"nulls:{pid}")).alias("nulls"),
            )
        )
    candidates = pl.concat(parts).collect()
    phases.add("keep", time.perf_counter() - started)
    return candidates


def _evaluate(plan: Plan, frame: pl.DataFrame, peers: Peers | None = None) -> pl.DataFrame:
    """The batch's wide result (`rules.batch.evaluate_wide` with near misses), plus per
    policy, for near misses: `short:<id>` (the false condition can name a gap — "lacks the
    certificate" can't, and such a near miss is not kept), `measured:<id>` (the batch measured
    that gap: one comparison) and `gap:<id>` (`rules.gaps`)."""
    items = registry_items(frame) if plan.aggregates else None
    staged = plan.with_staged(prepare(frame, plan.needed), items)
    compiler = Compiler(plan.date, None, peers)
    extra = []
    for pp in plan.policies:
        compiler.policy = pp.policy
        undecided = _missing_json(pp)
        capable: list[pl.Expr] = []
        measured: list[pl.Expr] = []
        tops: list[pl.Expr] = []
        bottoms: list[pl.Expr] = []
        for name, node in zip(pp.conditions, pp.resolved.decidable, strict=False):
            false = pl.col(name).not_().fill_null(False)
            gap = gap_column(compiler, node) if not _ranks(node) else None
            if gap is not None:
                measured.append(false)
                tops.append(pl.when(false).then(gap[0]))
                bottoms.append(pl.when(false).then(gap[1]))
            if can_fall_short(node):
                capable.append(false)
        pid = pp.policy.id
        extra += [
            _any(capable).alias(f"short:{pid}"),
            _any(measured).alias(f"measured:{pid}"),
            _first(tops).alias(f"top:{pid}"),
            _first(bottoms).alias(f"bottom:{pid}"),
            undecided.alias(f"missing:{pid}"),
            _bits([pl.col(name).is_null() for name in pp.conditions]).alias(f"nulls:{pid}"),
        ]
    wide = staged.select(pl.col("uscc"), *plan.status_exprs(near_miss=True), *extra)
    result = wide.collect(engine="streaming")
    gaps = [
        divide(result[f"top:{pp.policy.id}"], result[f"bottom:{pp.policy.id}"]).alias(
            f"gap:{pp.policy.id}"
        )
        for pp in plan.policies
    ]
    return result.with_columns(frame["enterprise_id"], *gaps)


def _ranks(node: Any) -> bool:
    """Whether a condition reads a rank or percentile: their columns are staged in the plan,
    not in the compiler the gaps are measured with (the explanation measures those)."""
    return any(c.fn in ("rank", "percentile") for c in peer_calls([node]))


def _missing_json(pp: Any) -> pl.Expr:
    """For an unknown: the JSON list of fields its undecided conditions read that have no
    value, in the explanation's order (`rules.reads`), or null when a condition it can't
    follow is undecided, or none is (the amount is what is unknown): those are explained."""
    undecided = [pl.col(name).is_null() for name in pp.conditions]
    if not undecided:
        return pl.lit(None, dtype=pl.String)
    names: list[pl.Expr] = []
    followable = pl.lit(True)
    for name, node in zip(pp.conditions, pp.resolved.decidable, strict=False):
        reads = fields_read(node)
        if reads is None:
            followable = followable & pl.col(name).is_not_null()
            continue
        for field, year in reads:
            flat = column(field, year)
            names.append(
                pl.when(pl.col(name).is_null() & pl.col(flat).is_null()).then(pl.lit(flat))
            )
    if not names:
        return pl.lit(None, dtype=pl.String)
    listed = pl.concat_list(names).list.drop_nulls().list.unique(maintain_order=True)
    text = pl.when(listed.list.len() > 0).then(
        pl.lit('["') + listed.list.join('", "') + pl.lit('"]')
    )
    return pl.when(followable & pl.any_horizontal(undecided)).then(text.otherwise(pl.lit("[]")))


def _bits(flags: Sequence[pl.Expr]) -> pl.Expr:
    """Which of a policy's conditions hold a flag, as the bits of an integer (null for a policy
    of more than 62 conditions: the explanation finds them)."""
    if not flags or len(flags) > 62:
        return pl.lit(None, dtype=pl.Int64)
    return pl.sum_horizontal([f.cast(pl.Int64) * (1 << i) for i, f in enumerate(flags)])


def _first(items: Sequence[pl.Expr]) -> pl.Expr:
    return pl.coalesce(items) if items else pl.lit(None, dtype=pl.Float64)


def _any(items: list[pl.Expr]) -> pl.Expr:
    return pl.any_horizontal(items) if items else pl.lit(False)


def _explained(
    versions: Sequence[PolicyVersion],
    candidates: pl.DataFrame,
    frame: pl.DataFrame,
    on: dt.date,
    peers: Peers | None = None,
) -> pl.DataFrame:
    """Unknowns and near misses, explained; those people can act on, as rows."""
    if not candidates.height:
        return match_store.empty_rows()
    by_id = {v.pk: v for v in versions}
    resolved = {pk: resolve(rules_policy(v), on) for pk, v in by_id.items()}
    no_inputs = {pk: typed_inputs(rules_policy(v), None) for pk, v in by_id.items()}
    wanted = frame.filter(
        pl.col("enterprise_id").is_in(candidates["enterprise_id"].unique().to_list())
    )
    by_enterprise = dict(
        zip(wanted["enterprise_id"].to_list(), records(wanted.drop("enterprise_id")), strict=True)
    )
    if any(uses_items(rules_policy(v)) for v in versions):  # what sum_over reads
        for pk, tables in item_lists(list(by_enterprise)).items():
            by_enterprise[pk].update(record(tables))
    out: list[tuple[Any, ...]] = []
    pairs = candidates.select("version_id", "enterprise_id", "nulls").iter_rows()
    for version_id, enterprise_id, nulls in pairs:
        version = by_id[version_id]
        rec = by_enterprise[enterprise_id]
        applies = rules_policy(version).delivery == "apply"
        if nulls:  # unknown: only what the undecided conditions lack is needed
            undecided = [i for i in range(nulls.bit_length()) if nulls >> i & 1]
            lacking = missing_reads(
                resolved[version_id], rec, no_inputs[version_id], undecided, peers
            )
            if lacking or applies:
                missing = _flat_names(lacking)
                out.append(
                    (
                        version.policy_id,
                        version_id,
                        enterprise_id,
                        UNKNOWN_STATUS,
                        None,
                        None,
                        missing,
                    )
                )
            continue
        explanation = explain_record(resolved[version_id], rec, no_inputs[version_id], peers)
        if keep(explanation, applies=applies):
            out.append(_row(version, enterprise_id, explanation))
    return pl.DataFrame(out, schema=match_store.ROW_SCHEMA, orient="row")


def _flat_names(reads: Sequence[tuple[str, int | None]]) -> str:
    """Missing (field, year) reads as the stored JSON list of flat names (`rd_expense_2025`)."""
    return json.dumps([f"{f}_{y}" if y is not None else f for f, y in reads])


def _row(version: PolicyVersion, enterprise_id: int, explanation: Explanation) -> tuple[Any, ...]:
    amount = explanation.amount
    return (
        version.policy_id,
        version.pk,
        enterprise_id,
        explanation.status,
        None if amount is None else int(amount * 100),
        relative_gap(explanation),
        _flat_names(explanation.missing),
    )


def with_shortfalls(matches: Iterable[PolicyMatch], chunk: int = 500) -> Iterator[PolicyMatch]:
    """The matches, those that can fall short (not eligible, not review) explained a chunk at
    a time, for lists and exports that show the gap in words."""
    batch: list[PolicyMatch] = []
    for match in matches:
        batch.append(match)
        if len(batch) >= chunk:
            yield from _explained_chunk(batch)
            batch = []
    yield from _explained_chunk(batch)


def _explained_chunk(batch: list[PolicyMatch]) -> list[PolicyMatch]:
    explain_matches([m for m in batch if m.status not in PASSED])
    return batch


PASSED = (MatchStatus.ELIGIBLE.value, MatchStatus.REVIEW.value)  # no condition falls short
UNKNOWN_STATUS = MatchStatus.UNKNOWN.value


def explain_matches(matches: Sequence[PolicyMatch]) -> None:
    """Give each match its explanation (`match.explanation`, humanised as people read it), as
    of the day it was evaluated, reading each enterprise's record once; a policy that ranks
    enterprises among peers, against the registry's statistics (policies.peer_stats)."""
    by_day: dict[dt.date, set[int]] = {}
    populations: dict[tuple[int, dt.date], Peers | None] = {}
    for m in matches:
        by_day.setdefault(m.evaluated_on, set()).add(m.enterprise_id)
        if (m.version_id, m.evaluated_on) not in populations:
            populations[(m.version_id, m.evaluated_on)] = peer_stats.current(
                [m.version], m.evaluated_on
            )
    with_items = any(uses_items(rules_policy(m.version)) for m in matches)
    records = {
        (day, pk): record(row)
        for day, ids in by_day.items()
        for pk, row in flat_rows(sorted(ids), day, items=with_items).items()
    }
    for m in matches:
        rec = records.get((m.evaluated_on, m.enterprise_id))
        if rec is None:
            m.explanation = {}
            continue
        loaded = rules_policy(m.version)
        year = loaded.year or m.evaluated_on.year
        peers = populations[(m.version_id, m.evaluated_on)]
        found = explain(loaded, rec, m.evaluated_on, peers=peers)
        m.explanation = humanise_explanation(found.to_dict(), year)


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
    """Re-explain one enterprise against every published policy (its data changed); its
    matches under other policies go."""
    on = on or timezone.localdate()
    rows = flat_rows([enterprise_id], on, items=True)
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
    versions = [p.current for p in published if p.current is not None]
    peers = peer_stats.current(versions, on)  # the whole registry's, this change included
    stored = []
    for version in versions:
        loaded = rules_policy(version)
        if loaded.beneficiary != "enterprise":
            continue
        explanation = explain(loaded, normalised, on, peers=peers)
        if keep(explanation, applies=loaded.delivery == "apply"):
            stored.append(_row(version, enterprise_id, explanation))
    frame = pl.DataFrame(stored, schema=match_store.ROW_SCHEMA, orient="row")
    with transaction.atomic():
        match_store.replace(
            frame, on, policy_ids=None, first_id=enterprise_id, last_id=enterprise_id
        )
    return len(stored)


def match_published(on: dt.date | None = None, push: bool = True) -> list[MatchRun]:
    """Match every published policy against the whole registry in this process, as one job
    of partitions (the same plan workers take; the demo, tests)."""
    from gaoxin.policies import partitions

    on = on or timezone.localdate()
    versions = partitions.published_versions()
    if not versions:
        return []
    job = partitions.plan_matching(versions, on)
    partitions.work(job.pk, push=push)
    return list(job.runs.order_by("pk"))


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

"""Background work for matching: queued after commit, idempotent, taking only ids."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

from gaoxin.policies import matching, partitions
from gaoxin.policies.models import MatchRun, PolicyVersion


def start_matching(version_id: int) -> int:
    """Plan a run for a version and queue the tasks that take its partitions."""
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    run = matching.plan_run(version)
    assert run.job is not None
    partitions.enqueue(run.job)
    return run.pk


@task()
def match_job_task(job_id: int, push: bool = True) -> int:
    """Take partitions of a job until all are done (policies.partitions)."""
    return partitions.work(job_id, push=push)


@task()
def match_partition_task(run_id: int, partition: int) -> int:
    """One partition of one run: what was queued before jobs were (kept so that such tasks
    still run after an upgrade)."""
    run = MatchRun.objects.select_related("version", "version__policy").get(pk=run_id)
    return matching.match_partition(run, partition)


@task()
def push_matches_task(version_id: int, enterprise_ids: list[int]) -> int:
    return matching.push_matches(version_id, enterprise_ids)


@task()
def match_enterprise_task(enterprise_id: int) -> int:
    return matching.match_enterprise(enterprise_id)


@task()
def expire_ended_task() -> int:
    """Daily: policies past their end date become 已失效 and push nothing more."""
    from gaoxin.core.audit import Actor
    from gaoxin.policies.services import expire_ended

    return len(expire_ended(actor=Actor.system(EXPIRY_ACTOR)))


EXPIRY_ACTOR = "系统定时任务（政策到期失效）"


def on_enterprise_changed(sender: Any, enterprise_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: match_enterprise_task.enqueue(enterprise_id))


@task()
def award_events_task(events: list[list[object]]) -> int:
    """Event awards (policies.event_awards) for events written: [[enterprise id, field, key]]."""
    from gaoxin.policies.event_awards import award_events

    return len(award_events([(int(e[0]), str(e[1]), str(e[2])) for e in events]))  # type: ignore[call-overload]


EVENTS_PER_TASK = 500


def on_events_recorded(sender: Any, events: list[tuple[int, str, str]], **kwargs: Any) -> None:
    """Sent after commit: queue the awards, a few hundred events per task (an import may write
    thousands of certificates)."""
    items = [list(e) for e in events]
    for start in range(0, len(items), EVENTS_PER_TASK):
        award_events_task.enqueue(items[start : start + EVENTS_PER_TASK])

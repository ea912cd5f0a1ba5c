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

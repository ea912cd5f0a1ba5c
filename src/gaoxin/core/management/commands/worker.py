"""`gaoxin worker` (= `gaoxin manage worker`): django-tasks-db's worker, logging one line per
task — what ran, how it ended, how long it took — instead of a line when it starts and another
when it ends. A failed task's traceback stays in its stored result."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks.signals import task_finished
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

logger = logging.getLogger("gaoxin.worker")


def task_line(task_result: Any) -> str:
    """`task gaoxin.policies.tasks.match_partition_task SUCCESSFUL in 0.42 s (id …)`."""
    took = ""
    if task_result.started_at and task_result.finished_at:
        seconds = (task_result.finished_at - task_result.started_at).total_seconds()
        took = f" in {seconds:.2f} s"
    line = f"task {task_result.task.module_path} {task_result.status}{took} (id {task_result.id})"
    if task_result.errors:
        error = task_result.errors[-1]
        last = error.traceback.strip().splitlines()[-1:] or [error.exception_class_path]
        line += f": {last[0]}"
    return line


def log_task(sender: Any, task_result: Any, **kwargs: Any) -> None:
    logger.log(logging.ERROR if task_result.errors else logging.INFO, task_line(task_result))


class Command(DatabaseWorkerCommand):
    help = "Run a background-task worker (one log line per task)."

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        if verbosity < 2:
            # django-tasks logs a task's start and its end (with the traceback on failure);
            # the worker's own line below replaces both.
            logging.getLogger(TASKS_LOGGER).setLevel(logging.CRITICAL)
        logger.setLevel(logging.INFO if verbosity else logging.CRITICAL)
        if not logger.hasHandlers():
            logger.addHandler(logging.StreamHandler(self.stdout))
        task_finished.connect(log_task, dispatch_uid="gaoxin.worker.log_task")

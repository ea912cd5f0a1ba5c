"""`gaoxin manage match_all`: re-match every published policy against the whole registry.

Plans one job (the registry cut into ranges of enterprise ids, every published policy a run of
it) and queues its tasks for `gaoxin worker` processes, on as many machines as share the
database (docs/scale.md); `--here` matches it in this process instead. Run it nightly, or after
a large import."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gaoxin.policies import matching, partitions


class Command(BaseCommand):
    help = "Re-match every published policy against the registry, in partitions (workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="evaluate as of this date (YYYY-MM-DD); default today")
        parser.add_argument(
            "--partition-size",
            type=int,
            default=matching.PARTITION_SIZE,
            help=f"enterprises per partition (default {matching.PARTITION_SIZE:,})",
        )
        parser.add_argument(
            "--here", action="store_true", help="match in this process instead of queueing"
        )
        parser.add_argument(
            "--no-push", action="store_true", help="store matches without telling enterprises"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options["date"]:
            try:
                on = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"bad date {options['date']!r}: write YYYY-MM-DD") from None
        if options["partition_size"] < 1:
            raise CommandError("--partition-size must be at least 1")
        versions = partitions.published_versions()
        if not versions:
            raise CommandError("没有已发布的政策 / no published policy to match")
        push = not options["no_push"]
        job = partitions.plan_matching(versions, on, options["partition_size"])
        self.stdout.write(
            f"job {job.pk}: {len(versions)} policies × {job.enterprises:,} enterprises "
            f"in {job.partitions} partitions"
        )
        if options["here"]:
            started = time.perf_counter()
            partitions.work(job.pk, push=push)
            job.refresh_from_db()
            self.stdout.write(
                f"job {job.pk} {job.status}: {job.matches:,} matches stored "
                f"in {time.perf_counter() - started:.1f} s"
            )
            return
        queued = partitions.enqueue(job, push=push)
        self.stdout.write(f"queued {queued} tasks: run `gaoxin worker` (one or more) to take them")

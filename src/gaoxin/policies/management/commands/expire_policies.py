"""`gaoxin manage expire_policies`: set 已失效 the policies whose end date has passed.

Run it once a day (cron: `5 0 * * * gaoxin manage expire_policies`), or with `--enqueue` to
hand the work to the background worker (`gaoxin worker`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gaoxin.core.audit import Actor
from gaoxin.policies.services import expire_ended
from gaoxin.policies.tasks import EXPIRY_ACTOR, expire_ended_task


class Command(BaseCommand):
    help = "Set 已失效 every published policy whose end date has passed (run daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="evaluate as of this date (YYYY-MM-DD); default today")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the task for the worker instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            expire_ended_task.enqueue()
            self.stdout.write("queued expire_ended_task")
            return
        on = None
        if options["date"]:
            try:
                on = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"bad date {options['date']!r}: write YYYY-MM-DD") from None
        expired = expire_ended(actor=Actor.system(EXPIRY_ACTOR), on=on)
        for policy in expired:
            self.stdout.write(f"已失效: {policy.title} (截止 {policy.effective_to})")
        self.stdout.write(f"{len(expired)} policies expired")

"""`gaoxin manage import_policy ID…`: import policies of the shipped library (other regions'
examples) as drafts; `--list` shows the library and whether the zone publishes each."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError
from gaoxin.policies import library
from gaoxin.policies.services import import_library_policy


class Command(BaseCommand):
    help = "Import policies of the shipped library as drafts (see --list)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", help="policy ids, as --list shows them")
        parser.add_argument("--list", action="store_true", help="list the library")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"] or not options["ids"]:
            region = settings.GAOXIN_ZONE_REGION
            for _path, loaded in library.shipped_policies():
                zone = "zone" if library.zone_publishes(loaded, region) else "library"
                self.stdout.write(f"{loaded.id}\t{zone}\t{loaded.region}\t{loaded.title}")
            return
        actor = Actor.system("命令行导入政策")
        for policy_id in options["ids"]:
            try:
                saved = import_library_policy(actor=actor, policy_id=policy_id)
            except DomainError as exc:
                raise CommandError(str(exc.message)) from None
            self.stdout.write(f"imported {saved.slug} as {saved.get_status_display()}")

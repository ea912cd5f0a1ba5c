"""`gaoxin manage import_linked TABLE FILE`: persons, patents, equipment purchases or incubator
tenants from Excel/CSV (enterprises.linked_import): all rows or none."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError
from gaoxin.enterprises.linked_import import TABLES, import_linked, read_rows


class Command(BaseCommand):
    help = "Import persons, patents, equipment or tenants linked to enterprises (by USCC)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("table", choices=TABLES)
        parser.add_argument("file", help=".xlsx, .csv, .jsonl or .parquet, one row per record")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            headers, rows, numbers = read_rows(options["file"])
            n = import_linked(
                actor=Actor.system("import_linked"),
                table=options["table"],
                headers=headers,
                rows=rows,
                numbers=numbers,
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"imported {n} {options['table']}")

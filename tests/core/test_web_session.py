"""The web processes' database sessions plan without parallel workers (wsgi.py connects it)."""

from __future__ import annotations

import pytest
from django.db import connection

from gaoxin.core.web import web_session

pytestmark = pytest.mark.django_db


def test_web_sessions_plan_without_parallel_workers() -> None:
    web_session(sender=None, connection=connection)
    if connection.vendor != "postgresql":
        return  # nothing to set elsewhere, and nothing fails
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("RESET max_parallel_workers_per_gather")

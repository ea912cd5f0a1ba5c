"""The staff home page's registry figures: kept in the cache per scope, and counted again as
soon as the registry changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gaoxin.core import cached
from gaoxin.enterprises.models import Enterprise, YearlyFigures
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def home(zone: Any, role: str) -> dict[str, Any]:
    client = Client()
    client.force_login(zone.users[role])
    response = client.get("/")
    assert response.status_code == 200
    return response.context


def test_each_scope_reads_its_own_figures(zone: Any) -> None:
    EnterpriseFactory.create_batch(3)
    assert home(zone, "zone_admin")["total"] == Enterprise.objects.count() == 5
    # Cached for the administrator now; the commissioner's scope has its own entry.
    assert home(zone, "commissioner")["total"] == 1
    assert home(zone, "zone_admin")["total"] == 5


def test_figures_follow_a_write_at_once(zone: Any) -> None:
    before = home(zone, "zone_admin")
    EnterpriseFactory()
    assert home(zone, "zone_admin")["total"] == before["total"] + 1
    YearlyFigures.objects.create(
        enterprise=zone.enterprise_a, year=2024, revenue=Decimal("12345678.00")
    )
    rows = {r["year"]: r for r in home(zone, "zone_admin")["yearly_rows"]}
    assert rows[2024]["n"] >= 1


def test_a_second_visit_does_not_count_the_registry_again(zone: Any) -> None:
    client = Client()
    client.force_login(zone.users["zone_admin"])
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q for q in queries if "enterprises_" in q["sql"]]
    cached.changed(cached.REGISTRY)  # what a bulk write (an import) says
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert [q for q in queries if "enterprises_enterprise" in q["sql"]]

"""The registry list: filters, sorting and a fixed number of queries however long the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gaoxin.enterprises.models import Qualification, YearlyFigures
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def admin_client(zone: Any) -> Client:
    client = Client()
    client.force_login(zone.users["zone_admin"])
    return client


def populate(zone: Any, n: int) -> None:
    enterprises = EnterpriseFactory.create_batch(n, chain="software", area="torch")
    YearlyFigures.objects.bulk_create(
        YearlyFigures(enterprise=e, year=2024, revenue=Decimal(1000 * (i + 1)))
        for i, e in enumerate(enterprises)
    )
    Qualification.objects.bulk_create(
        Qualification(
            enterprise=e,
            kind="high_tech_enterprise",
            granted_on=dt.date(2024, 1, 1),
            valid_until=dt.date(2099, 1, 1),
        )
        for e in enterprises[::2]
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_page(zone: Any) -> None:
    client = admin_client(zone)
    populate(zone, 5)
    # Both pages reach the zone's two enterprises without a 2024 revenue (one query more).
    small = count_queries(client, "/enterprises/?size=100&year=2024")
    populate(zone, 90)
    large = count_queries(client, "/enterprises/?size=100&year=2024")
    assert small == large <= 12
    populate(zone, 10)  # a page full of revenues reads no tail
    assert count_queries(client, "/enterprises/?size=100&year=2024") == large - 1


def _names(client: Client, url: str) -> list[str]:
    return [e.name for e in client.get(url).context["page"].object_list]


@pytest.mark.parametrize("sort", ["-revenue", "revenue"])
def test_pages_by_revenue_run_on_into_those_without(zone: Any, sort: str) -> None:
    """Sorted by the year's revenue, the pages read ids from the figures first; they hold
    what the whole list sorted at once holds, those without a revenue last by id, in scope."""
    from gaoxin.enterprises import listing
    from gaoxin.enterprises.models import Enterprise

    client = admin_client(zone)
    populate(zone, 25)
    EnterpriseFactory.create_batch(6, chain="software")  # no figures
    same = EnterpriseFactory.create_batch(3, chain="software")
    YearlyFigures.objects.bulk_create(  # a tie: broken by id
        YearlyFigures(enterprise=e, year=2024, revenue=Decimal(5000)) for e in same
    )
    f = listing.RegistryFilter(year=2024, sort=sort)
    whole = [e.name for e in listing.with_figures(Enterprise.objects.all(), f)]
    pages = [
        name
        for number in (1, 2)
        for name in _names(client, f"/enterprises/?year=2024&sort={sort}&page={number}")
    ]
    assert len(whole) == 36 and pages == whole
    assert (
        _names(client, f"/enterprises/?year=2024&sort={sort}&chain=software&page=2")
        == [e.name for e in listing.with_figures(Enterprise.objects.filter(chain="software"), f)][
            20:
        ]
    )
    # The commissioner's page holds their enterprise only.
    commissioner = Client()
    commissioner.force_login(zone.users["commissioner"])
    assert _names(commissioner, f"/enterprises/?year=2024&sort={sort}") == [zone.enterprise_a.name]


def test_filters_and_sort(zone: Any) -> None:
    client = admin_client(zone)
    populate(zone, 6)
    response = client.get(
        "/enterprises/?chain=software&qualification=high_tech_enterprise&year=2024&sort=-revenue"
    )
    page = response.context["page"]
    assert page.paginator.count == 3
    revenues = [e.year_revenue for e in page.object_list]
    assert revenues == sorted(revenues, reverse=True)
    assert (
        client.get(f"/enterprises/?q={zone.enterprise_a.uscc}").context["page"].paginator.count == 1
    )
    # nonsense parameters are ignored, never a 500
    assert client.get("/enterprises/?year=abc&sort=drop&size=7&page=x").status_code == 200


def test_htmx_request_gets_only_the_table(zone: Any) -> None:
    response = admin_client(zone).get("/enterprises/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="registry-table"' in body and "<html" not in body


def test_export_holds_only_what_the_user_sees(zone: Any) -> None:
    import io

    import openpyxl

    client = Client()
    client.force_login(zone.users["staff"])
    response = client.get("/enterprises/export/")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    usccs = [r[0] for r in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert usccs == [zone.enterprise_a.uscc]
    csv = client.get("/enterprises/export/?format=csv")
    assert csv.content.startswith("\ufeff统一社会信用代码".encode())

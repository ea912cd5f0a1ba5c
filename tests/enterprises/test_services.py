import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises import services
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.models import YearlyFigures

pytestmark = pytest.mark.django_db
STAFF = Actor.system("staff")


def test_government_figures_prevail_over_declared(zone: Any) -> None:
    a = zone.enterprise_a
    enterprise_user = Actor.for_user(zone.users["enterprise_a"])
    services.report_figures(
        actor=enterprise_user,
        enterprise=a,
        year=2024,
        source=DataSource.DECLARED,
        values={"revenue": "1200万", "rd_expense": "80万"},
    )
    services.report_figures(
        actor=STAFF,
        enterprise=a,
        year=2024,
        source=DataSource.GOVERNMENT,
        values={"revenue": "1000万"},
    )
    figures = YearlyFigures.objects.get(enterprise=a, year=2024)
    assert figures.revenue == Decimal("10000000.00")  # the government's
    assert figures.rd_expense == Decimal("800000.00")  # only the enterprise declared it
    assert figures.sources == {"revenue": "government", "rd_expense": "declared"}
    a.refresh_from_db()
    assert (a.latest_year, a.latest_revenue, a.size_band) == (2024, Decimal("10000000.00"), "small")
    entries = AuditEntry.objects.filter(subject_id=str(a.pk), action="report")
    assert [e.actor_label for e in entries.order_by("id")] == ["ent_a", "staff"]


def test_declared_static_value_cannot_overwrite_verified(zone: Any) -> None:
    a = zone.enterprise_a
    services.update_enterprise(
        actor=STAFF, enterprise=a, values={"employees": 150}, source=DataSource.VERIFIED
    )
    with pytest.raises(ValidationFailed, match="已由园区核实确认"):
        services.update_enterprise(
            actor=Actor.for_user(zone.users["enterprise_a"]),
            enterprise=a,
            values={"employees": 200},
            source=DataSource.DECLARED,
        )
    a.refresh_from_db()
    assert a.employees == 150
    entry = AuditEntry.objects.get(action="update", subject_id=str(a.pk))
    assert (entry.before, entry.after) == ({"employees": 120}, {"employees": 150})


def test_inconsistent_values_refused(zone: Any) -> None:
    a = zone.enterprise_a
    with pytest.raises(ValidationFailed, match="科技人员不能多于职工总数"):
        services.update_enterprise(
            actor=STAFF, enterprise=a, values={"tech_staff": 121}, source=DataSource.VERIFIED
        )
    with pytest.raises(ValidationFailed, match="境内研发费用不能大于研发费用"):
        services.report_figures(
            actor=STAFF,
            enterprise=a,
            year=2024,
            source=DataSource.VERIFIED,
            values={"rd_expense": "10万", "rd_expense_domestic": "11万"},
        )
    with pytest.raises(ValidationFailed, match="年度"):
        services.report_figures(
            actor=STAFF, enterprise=a, year=2199, source=DataSource.VERIFIED, values={"revenue": 1}
        )
    with pytest.raises(Conflict):
        services.create_enterprise(actor=STAFF, values={"uscc": a.uscc, "name": "重复"})
    assert not AuditEntry.objects.exists()


def test_certificate_expiry_defaults_and_leap_days(zone: Any) -> None:
    q = services.record_qualification(
        actor=STAFF,
        enterprise=zone.enterprise_a,
        kind="high_tech_enterprise",
        granted_on=dt.date(2024, 2, 29),
    )
    assert q.valid_until == dt.date(2027, 2, 27)
    assert q.valid_on(dt.date(2027, 2, 27)) and not q.valid_on(dt.date(2027, 2, 28))
    with pytest.raises(ValidationFailed, match="未知资质"):
        services.record_qualification(
            actor=STAFF, enterprise=zone.enterprise_a, kind="x", granted_on=dt.date(2024, 1, 1)
        )


def test_figures_form_shows_what_each_source_says(zone: Any) -> None:
    from django.test import Client

    services.report_figures(
        actor=STAFF,
        enterprise=zone.enterprise_a,
        year=2024,
        source=DataSource.GOVERNMENT,
        values={"revenue": "1000万"},
    )
    services.report_figures(
        actor=STAFF,
        enterprise=zone.enterprise_a,
        year=2024,
        source=DataSource.DECLARED,
        values={"revenue": "1200万"},
    )
    client = Client()
    client.force_login(zone.users["zone_admin"])
    page = client.get(f"/enterprises/{zone.enterprise_a.pk}/figures/2024/")
    revenue = page.context["comparison"][0]
    assert revenue["values"] == [Decimal("10000000.00"), None, Decimal("12000000.00")]
    assert "10,000,000.00" in page.content.decode()

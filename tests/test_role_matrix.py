"""Every page and endpoint, requested by every role: the status each role gets, that no other
enterprise's data shows, and that a refused request writes nothing."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Enterprise, ReportedFigures
from tests.clients import client_for
from tests.conftest import ROLES

ALL = set(ROLES) - {"anonymous"}
ZONE_WRITERS = {"staff", "zone_admin"}  # the roles with registry write permissions
REGISTRY_READERS = {"staff", "staff_other", "commissioner", "leader", "zone_admin"}

# (name, method, path template, roles answered 2xx/3xx-to-the-page, data posted)
# {a} is enterprise A's id, {b} enterprise B's. Enterprise A is served by 企业服务一科 (below
# the staff's 企业服务中心) with the commissioner; B by 招商局 (staff_other's department).
PAGES: list[tuple[str, str, str, set[str], dict[str, Any] | None]] = [
    ("home", "get", "/", ALL, None),
    ("password", "get", "/accounts/password/", ALL, None),
    ("registry list", "get", "/enterprises/", REGISTRY_READERS, None),
    (
        "registry export",
        "get",
        "/enterprises/export/",
        {"staff", "staff_other", "leader", "zone_admin"},
        None,
    ),
    ("segments", "get", "/enterprises/segments/?chain=ic", REGISTRY_READERS, None),
    (
        "detail A",
        "get",
        "/enterprises/{a}/",
        {"staff", "commissioner", "leader", "zone_admin"},
        None,
    ),
    ("detail B", "get", "/enterprises/{b}/", {"staff_other", "leader", "zone_admin"}, None),
    ("create form", "get", "/enterprises/new/", ZONE_WRITERS | {"staff_other"}, None),
    ("edit A form", "get", "/enterprises/{a}/edit/", {"staff", "commissioner", "zone_admin"}, None),
    ("edit B form", "get", "/enterprises/{b}/edit/", {"staff_other", "zone_admin"}, None),
    (
        "figures A form",
        "get",
        "/enterprises/{a}/figures/2024/",
        {"staff", "commissioner", "zone_admin"},
        None,
    ),
    (
        "qualification A form",
        "get",
        "/enterprises/{a}/qualifications/new/",
        {"staff", "commissioner", "zone_admin"},
        None,
    ),
    (
        "contact A form",
        "get",
        "/enterprises/{a}/contacts/new/",
        {"staff", "commissioner", "zone_admin"},
        None,
    ),
    ("import page", "get", "/imports/", ZONE_WRITERS | {"staff_other"}, None),
    ("import template", "get", "/imports/template.xlsx", ZONE_WRITERS | {"staff_other"}, None),
    ("my enterprise", "get", "/my/enterprise/", {"enterprise_a", "enterprise_b"}, None),
    ("declare form", "get", "/my/enterprise/edit/", {"enterprise_a", "enterprise_b"}, None),
    (
        "declare figures form",
        "get",
        "/my/enterprise/figures/2024/",
        {"enterprise_a", "enterprise_b"},
        None,
    ),
    ("audit log", "get", "/system/audit/", {"zone_admin"}, None),
    ("login log", "get", "/system/logins/", {"zone_admin"}, None),
    ("api list", "get", "/api/enterprises", ALL, None),
    (
        "api detail A",
        "get",
        "/api/enterprises/{a}",
        {"enterprise_a", "staff", "commissioner", "leader", "zone_admin"},
        None,
    ),
    (
        "api detail B",
        "get",
        "/api/enterprises/{b}",
        {"enterprise_b", "staff_other", "leader", "zone_admin"},
        None,
    ),
]

# Writes: who may, and what a refused attempt must leave untouched.
WRITES: list[tuple[str, str, str, set[str], dict[str, Any]]] = [
    (
        "edit A",
        "post",
        "/enterprises/{a}/edit/",
        {"staff", "commissioner", "zone_admin"},
        {"name": "改名", "employees": "121"},
    ),
    (
        "edit B",
        "post",
        "/enterprises/{b}/edit/",
        {"staff_other", "zone_admin"},
        {"name": "改名", "employees": "7"},
    ),
    (
        "figures A",
        "post",
        "/enterprises/{a}/figures/2024/",
        {"staff", "commissioner", "zone_admin"},
        {"revenue": "100万"},
    ),
    (
        "declare",
        "post",
        "/my/enterprise/figures/2024/",
        {"enterprise_a", "enterprise_b"},
        {"revenue": "100万"},
    ),
]


def readable(response: Any) -> str:
    """The response as text; an Excel file as the text of its cells."""
    if "spreadsheetml" in response.get("Content-Type", ""):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    return response.content.decode()


def fill(path: str, zone: Any) -> str:
    return path.format(a=zone.enterprise_a.pk, b=zone.enterprise_b.pk)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,method,path,allowed,data", PAGES, ids=[p[0] for p in PAGES])
def test_pages_and_endpoints(
    zone: Any, role: str, name: str, method: str, path: str, allowed: set[str], data: Any
) -> None:
    client = client_for(zone, role)
    before = AuditEntry.objects.count()
    response = getattr(client, method)(fill(path, zone))
    api = path.startswith("/api/")
    if role in allowed:
        if response.status_code == 302:  # a home page that sends the role to its own page
            assert not response["Location"].startswith("/accounts/login/")
            response = client.get(response["Location"])
        assert response.status_code == 200, (name, role, response.status_code)
    elif role == "anonymous":
        assert response.status_code == (401 if api else 302)
        if not api:
            assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (403, 404), (name, role, response.status_code)
    assert AuditEntry.objects.count() == before, "a read must not write"
    body = readable(response)
    # Nothing of the other enterprise leaks to an enterprise user, wherever it looks.
    if role == "enterprise_a":
        assert zone.enterprise_b.name not in body and zone.enterprise_b.uscc not in body
    if role == "enterprise_b":
        assert zone.enterprise_a.name not in body and zone.enterprise_a.uscc not in body
    if role in ("provider", "bank", "anonymous"):
        for e in (zone.enterprise_a, zone.enterprise_b):
            assert e.uscc not in body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,method,path,allowed,data", WRITES, ids=[w[0] for w in WRITES])
def test_writes(
    zone: Any, role: str, name: str, method: str, path: str, allowed: set[str], data: dict[str, Any]
) -> None:
    client = client_for(zone, role)
    snapshot = [(e.pk, e.name, e.employees) for e in Enterprise.objects.order_by("pk")]
    reports, audit = ReportedFigures.objects.count(), AuditEntry.objects.count()
    response = client.post(fill(path, zone), data)
    if role in allowed:
        assert response.status_code == 302, (name, role, response.status_code)
        assert AuditEntry.objects.count() > audit
    else:
        assert response.status_code in (302, 403, 404)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
        assert [(e.pk, e.name, e.employees) for e in Enterprise.objects.order_by("pk")] == snapshot
        assert ReportedFigures.objects.count() == reports
        assert AuditEntry.objects.count() == audit


@pytest.mark.parametrize("role", ROLES)
def test_api_list_shows_only_visible(zone: Any, role: str) -> None:
    response = client_for(zone, role).get("/api/enterprises")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = {item["id"] for item in response.json()["items"]}
    a, b = zone.enterprise_a.pk, zone.enterprise_b.pk
    expected = {
        "enterprise_a": {a},
        "enterprise_b": {b},
        "provider": set(),
        "bank": set(),
        "staff_other": {b},
        "staff": {a},
        "commissioner": {a},
        "leader": {a, b},
        "zone_admin": {a, b},
    }[role]
    assert ids == expected


@pytest.mark.parametrize("role", ROLES)
def test_api_writes(zone: Any, role: str) -> None:
    client = client_for(zone, role)
    a = zone.enterprise_a
    response = client.patch(
        f"/api/enterprises/{a.pk}", {"employees": 130}, content_type="application/json"
    )
    may = {"enterprise_a", "staff", "commissioner", "zone_admin"}
    a.refresh_from_db()
    if role in may:
        assert response.status_code == 200, response.content
        assert a.employees == 130
    else:
        assert response.status_code in (401, 403, 404)
        assert a.employees == 120
    response = client.post(
        "/api/enterprises",
        {"uscc": "91350200MA2Y4GWL8J", "name": "新企业"},
        content_type="application/json",
    )
    creators = {"staff", "staff_other", "zone_admin"}
    assert response.status_code == (
        201 if role in creators else 401 if role == "anonymous" else 403
    ), (role, response.content)
    assert Enterprise.objects.filter(uscc="91350200MA2Y4GWL8J").exists() == (role in creators)

"""Fixtures shared by the whole suite: one user for every role of the role matrix."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

import pytest

from gaoxin.accounts.choices import OrganisationKind
from tests.factories import EnterpriseFactory, OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts without the figures another test's database left in the cache."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Zone:
    root: Any
    service: Any  # 企业服务中心, under the root
    section: Any  # 一科, under the service centre
    other: Any  # 招商局, another department
    enterprise_a: Any
    enterprise_b: Any
    users: dict[str, Any]


ROLES = (
    "anonymous",
    "enterprise_a",
    "enterprise_b",
    "provider",
    "bank",
    "staff_other",
    "staff",
    "commissioner",
    "leader",
    "zone_admin",
)


@pytest.fixture
def zone(db: Any) -> Zone:
    Z = OrganisationKind.ZONE_DEPARTMENT
    root = OrganisationFactory(kind=Z, name="管委会")
    service = OrganisationFactory(kind=Z, name="企业服务中心", parent=root)
    section = OrganisationFactory(kind=Z, name="企业服务一科", parent=service)
    other = OrganisationFactory(kind=Z, name="招商局", parent=root)
    org_a = OrganisationFactory(kind=OrganisationKind.ENTERPRISE, name="企业A")
    org_b = OrganisationFactory(kind=OrganisationKind.ENTERPRISE, name="企业B")
    provider = OrganisationFactory(kind=OrganisationKind.SERVICE_PROVIDER, name="服务机构")
    bank = OrganisationFactory(kind=OrganisationKind.FINANCIAL_INSTITUTION, name="银行")
    users = {
        "enterprise_a": UserFactory(
            username="ent_a", organisation=org_a, roles=["enterprise_admin"]
        ),
        "enterprise_b": UserFactory(
            username="ent_b", organisation=org_b, roles=["enterprise_admin"]
        ),
        "provider": UserFactory(
            username="provider", organisation=provider, roles=["provider_admin"]
        ),
        "bank": UserFactory(username="bank", organisation=bank, roles=["bank_admin"]),
        "staff_other": UserFactory(
            username="staff_other", organisation=other, roles=["zone_staff"]
        ),
        "staff": UserFactory(username="staff", organisation=service, roles=["zone_staff"]),
        "commissioner": UserFactory(
            username="commissioner", organisation=section, roles=["service_commissioner"]
        ),
        "leader": UserFactory(username="leader", organisation=root, roles=["zone_leader"]),
        "zone_admin": UserFactory(username="zone_admin", organisation=root, roles=["zone_admin"]),
    }
    a = EnterpriseFactory(
        name="厦门甲科技有限公司",
        organisation=org_a,
        department=section,
        commissioner=users["commissioner"],
        employees=120,
        tech_staff=30,
        industry="C3973",  # manufacturing: its size band is the industrial one
    )
    b = EnterpriseFactory(name="厦门乙科技有限公司", organisation=org_b, department=other)
    return Zone(root, service, section, other, a, b, users)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Headless Debian Chromium through Playwright. Missing pieces fail loudly."""
    import os

    # Playwright's sync API runs an event loop in this thread; the live server's database
    # calls happen in another, so Django's guard against async misuse does not apply here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        pytest.fail("Chromium is missing: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=executable,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def default_language() -> Any:
    """Every test starts in the default language (a request with English on leaves English
    active in its thread, and a later test in the same worker would inherit it)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """On PostgreSQL, end the sessions that threads and live servers left open before the test
    database is dropped, so that the run ends without a leftover database."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )

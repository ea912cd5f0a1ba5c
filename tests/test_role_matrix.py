"""Every page and endpoint, requested by every role: the status each role gets, that no other
enterprise's data shows, and that a refused request writes nothing."""

from __future__ import annotations

import io
from decimal import Decimal
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
    ("linked import page", "get", "/imports/linked/", ZONE_WRITERS | {"staff_other"}, None),
    (
        "linked import template",
        "get",
        "/imports/linked/patents/template.xlsx",
        ZONE_WRITERS | {"staff_other"},
        None,
    ),
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


# -- aggregates: every total, count and chart over the caller's scope -------------------------

SCOPED_STAFF = {"staff": "enterprise_a", "staff_other": "enterprise_b"}
WHOLE_ZONE = ("zone_admin", "leader")


def _voucher_year_with_both(zone: Any) -> Any:
    """Orders of A (approved, 4,200 元 deduction) and of B (placed, 1,400 元 reserved)."""
    from gaoxin.vouchers import orders, services
    from tests.vouchers.conftest import as_, contract, open_year, place

    year = open_year(zone)
    services.grant_quota(
        actor=as_(zone, "zone_admin"),
        scheme=year.scheme,
        enterprise=zone.enterprise_b,
        amount_fen=20_000_000,
        note="测试",
    )
    a = place(year, fee_fen=1_200_000)
    orders.accept(actor=as_(zone, "provider"), order=a)
    orders.confirm_delivery(actor=as_(zone, "enterprise_a"), order=a)
    orders.redeem(actor=as_(zone, "provider"), order=a, invoice_fee_fen=1_200_000)
    orders.review(actor=as_(zone, "zone_admin"), order=a, decision="approve")
    orders.place(
        actor=as_(zone, "enterprise_b"),
        enterprise=zone.enterprise_b,
        listing=year.listing,
        contract_fee_fen=400_000,
        contract_file=contract(),
    )
    return year


def _share(enterprise: Any, scheme: Any) -> dict[str, int]:
    """What the enterprise's orders hold on the ledger, read from its reservations."""
    from gaoxin.ledger.models import Reservation
    from gaoxin.ledger.selectors import reservation_balances
    from gaoxin.vouchers.models import VoucherOrder

    out = {"reserved": 0, "payable": 0, "paid": 0}
    for order in VoucherOrder.objects.filter(enterprise=enterprise, scheme=scheme):
        b = reservation_balances(Reservation.objects.get(key=order.reservation_key))
        out["reserved"] += b.reserved_fen
        out["payable"] += b.payable_fen
        out["paid"] += b.paid_fen
    return out


def test_voucher_figures_are_scoped(zone: Any) -> None:
    from gaoxin.vouchers.models import VoucherQuota
    from gaoxin.vouchers.selectors import budget

    year = _voucher_year_with_both(zone)
    whole = budget(year.scheme)
    shares = {role: _share(getattr(zone, ent), year.scheme) for role, ent in SCOPED_STAFF.items()}
    assert all(s["reserved"] + s["payable"] for s in shares.values())  # both hold money
    for role in WHOLE_ZONE:
        page = client_for(zone, role).get("/vouchers/manage/")
        seen = page.context["budget"]
        assert seen.zone_wide and seen.total_fen == whole.total_fen
        assert (seen.reserved_fen, seen.payable_fen) == (whole.reserved_fen, whole.payable_fen)
        assert page.context["quota_count"] == 2
        detail = client_for(zone, role).get(f"/api/vouchers/schemes/{year.scheme.pk}").json()
        assert detail["budget"]["scope"] == "zone"
        assert detail["budget"]["total_fen"] == whole.total_fen
    admin_chart = client_for(zone, "zone_admin").get("/vouchers/manage/").context["chart"]
    for role, enterprise in SCOPED_STAFF.items():
        client = client_for(zone, role)
        page = client.get("/vouchers/manage/")
        html = page.content.decode()
        seen = page.context["budget"]
        share = shares[role]
        assert not seen.zone_wide and seen.total_fen is None and seen.available_fen is None
        assert (seen.reserved_fen, seen.payable_fen, seen.paid_fen) == (
            share["reserved"],
            share["payable"],
            share["paid"],
        )
        assert seen.committed_fen < whole.reserved_fen + whole.payable_fen + whole.paid_fen
        assert 'id="scope-note"' in html and 'data-scope="scope"' in html
        quotas = VoucherQuota.objects.filter(enterprise=getattr(zone, enterprise))
        assert page.context["quota_count"] == 1
        assert page.context["quota_total_fen"] == sum(q.granted_fen for q in quotas)
        other = zone.enterprise_b if enterprise == "enterprise_a" else zone.enterprise_a
        assert other.name not in html
        chart = page.context["chart"]
        assert [s["name"] for s in chart["series"]] == ["已使用（含预留）", "已结算"]
        assert chart["series"][0]["values"][-1] == round(seen.committed_fen / 1_000_000, 2)
        assert chart["series"][0]["values"][-1] < admin_chart["series"][1]["values"][-1]
        detail = client.get(f"/api/vouchers/schemes/{year.scheme.pk}").json()
        assert detail["budget"] == {
            "scope": "scope",
            "total_fen": None,
            "available_fen": None,
            "reserved_fen": share["reserved"],
            "payable_fen": share["payable"],
            "paid_fen": share["paid"],
        }
    # the two scopes partition the zone: their shares add up to the pool's
    total = {k: sum(s[k] for s in shares.values()) for k in ("reserved", "payable", "paid")}
    assert total == {
        "reserved": whole.reserved_fen,
        "payable": whole.payable_fen,
        "paid": whole.paid_fen,
    }


def test_payout_figures_are_scoped(zone: Any) -> None:
    from gaoxin.core.audit import Actor
    from gaoxin.ledger.selectors import pool_balances
    from gaoxin.policies import payouts
    from gaoxin.policies.models import Payout
    from tests.policies.test_payouts import STAFF, YEAR, confirm_as, published

    policy = published(zone, {zone.enterprise_a: "300万", zone.enterprise_b: "200万"})
    payouts.fund(actor=STAFF, policy=policy, year=YEAR, amount_fen=10**9)
    payouts.identify(actor=STAFF, policy=policy, year=YEAR, push=False)
    chosen = []
    for role in ("enterprise_a", "enterprise_b"):
        payout = Payout.objects.get(enterprise=getattr(zone, role))
        payouts.push_payout(actor=STAFF, payout=payout)
        confirm_as(zone, role, payout)
        payouts.verify(actor=STAFF, payout=payout, accept=True)
        chosen.append(payout)
    batch = payouts.create_batch(actor=STAFF, policy=policy, year=YEAR, payouts=chosen)
    payouts.approve_batch(actor=Actor.system("chief"), batch=batch)
    pool = payouts.pool_of(policy, YEAR)
    assert pool is not None
    whole = pool_balances(pool)
    url = f"/policies/{policy.pk}/payouts/"
    admin = client_for(zone, "zone_admin").get(url)
    assert admin.context["zone_wide"] and admin.context["balances"] == whole
    assert [b.total for b in admin.context["batches"]] == [whole.payable_fen]
    api_admin = client_for(zone, "zone_admin").get(f"/api/policies/{policy.pk}/batches").json()
    assert [b["payouts"] for b in api_admin] == [2]
    for role, enterprise_role in SCOPED_STAFF.items():
        own = Payout.objects.get(enterprise=getattr(zone, enterprise_role))
        client = client_for(zone, role)
        page = client.get(url)
        seen = page.context["balances"]
        assert not page.context["zone_wide"] and 'id="scope-note"' in page.content.decode()
        assert (seen.reserved_fen, seen.payable_fen, seen.paid_fen) == (0, own.amount_fen, 0)
        assert own.amount_fen < whole.payable_fen
        assert [(b.n, b.total) for b in page.context["batches"]] == [(1, own.amount_fen)]
        assert page.context["counts"] == {"approved": 1}
        shown = client.get(f"/api/policies/{policy.pk}/batches").json()
        assert [(b["payouts"], Decimal(b["total"])) for b in shown] == [
            (1, Decimal(own.amount_fen) / 100)
        ]


def test_settlements_are_read_and_made_by_whole_zone_scopes_only(zone: Any) -> None:
    """A statement sums every enterprise's orders of a provider: a department-scoped user,
    even with the settlement permissions, neither reads nor issues one."""
    from django.contrib.auth.models import Permission

    from gaoxin.accounts.choices import DataScope, OrganisationKind
    from gaoxin.accounts.models import Role
    from gaoxin.vouchers import settlements
    from gaoxin.vouchers.models import VoucherSettlement
    from tests.factories import UserFactory

    year = _voucher_year_with_both(zone)
    role = Role.objects.create(
        code="dept-finance",
        name="部门财务",
        organisation_kind=OrganisationKind.ZONE_DEPARTMENT,
        data_scope=DataScope.DEPARTMENT,
    )
    role.permissions.set(
        Permission.objects.filter(
            codename__in=["view_vouchersettlement", "settle_voucherorder", "view_enterprise"]
        )
    )
    finance = UserFactory(
        username="dept_finance", organisation=zone.section, roles=["dept-finance"]
    )
    period = settlements.quarter_of(year.scheme.opens_on.today())
    client = client_for(zone, "staff")
    client.force_login(finance)
    assert client.get("/vouchers/settlements/").status_code == 403
    issued = client.post(
        "/api/vouchers/settlements",
        {"scheme_id": year.scheme.pk, "provider_id": year.provider.pk, "period": period},
        content_type="application/json",
    )
    assert issued.status_code == 403
    assert not VoucherSettlement.objects.exists()
    admin = client_for(zone, "zone_admin")
    made = admin.post(
        "/api/vouchers/settlements",
        {"scheme_id": year.scheme.pk, "provider_id": year.provider.pk, "period": period},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert client.get("/api/vouchers/settlements").json()["items"] == []
    assert client.get(f"/api/vouchers/settlements/{made.json()['id']}").status_code == 404
    assert client.get(f"/vouchers/settlements/{made.json()['id']}/").status_code == 404

"""/api/supermarket: every endpoint requested by every role (who gets what, that no draft or
unreviewed listing leaks, that a refused request writes nothing), the catalogue's filters, and
bad input answered as 4xx JSON with nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core.audit import Actor
from gaoxin.core.models import AuditEntry
from gaoxin.supermarket import services
from gaoxin.supermarket.models import ProviderProfile, ServiceListing
from tests.clients import client_for, post_json
from tests.conftest import ROLES
from tests.factories import OrganisationFactory, UserFactory
from tests.supermarket.test_supermarket import (
    approved_provider,
    as_,
    listing_data,
    live_listing,
    profile_data,
)

pytestmark = pytest.mark.django_db

ALL = set(ROLES) - {"anonymous"}
# Zone staff and admins review providers and listings; leaders and commissioners do not.
REVIEWERS = {"staff", "staff_other", "zone_admin"}


@dataclass
class Market:
    zone: Any
    provider: ProviderProfile  # the zone's provider, approved
    public: ServiceListing  # approved, on sale
    draft: ServiceListing  # the provider's draft
    submitted: ServiceListing  # waiting for review
    pending: ProviderProfile  # another provider, not yet reviewed


@pytest.fixture
def market(zone: Any) -> Market:
    provider = approved_provider(zone)
    public = live_listing(zone, provider)
    draft = services.create_listing(
        actor=as_(zone, "provider"),
        profile=provider,
        data=listing_data(title="草稿：软件著作权登记"),
    )
    submitted = services.create_listing(
        actor=as_(zone, "provider"),
        profile=provider,
        data=listing_data(title="待审：专利挖掘", category="ip"),
        submit=True,
    )
    org = OrganisationFactory(kind=OrganisationKind.SERVICE_PROVIDER, name="待审机构")
    user = UserFactory(username="pending_provider", organisation=org, roles=["provider_admin"])
    pending = services.register_provider(
        actor=Actor.for_user(user), organisation=org, data=profile_data(903)
    )
    return Market(zone, provider, public, draft, submitted, pending)


def written() -> tuple[Any, ...]:
    return (
        list(ServiceListing.objects.order_by("pk").values_list("pk", "status", "title", "reason")),
        list(ProviderProfile.objects.order_by("pk").values_list("pk", "status")),
        AuditEntry.objects.count(),
    )


def refused(response: Any, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["code"] and body["message"], body


def expected(role: str, allowed: set[str], visible: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 401
    if role in allowed:
        return ok
    return 403 if role in visible else 404


# -- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_catalogue_shows_listings_on_sale_only(market: Market, role: str) -> None:
    before = written()
    response = client_for(market.zone, role).get("/api/supermarket/listings")
    assert written() == before
    if role == "anonymous":
        refused(response, 401)
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (1, 1, 1)
    [item] = body["items"]
    assert item == {
        "id": market.public.pk,
        "provider_id": market.provider.pk,
        "provider": "服务机构",
        "category": {"code": "testing", "name": "检测认证"},
        "title": "锂电池电磁兼容检测",
        "description": "依据 GB/T 17626 开展 EMC 检测",
        "price_min_fen": 300_000,
        "price_max_fen": 1_800_000,
        "unit": "项",
        "delivery_terms": "7 个工作日出具报告",
        "status": "approved",
        "reason": "",
    }
    text = response.content.decode()
    assert "草稿" not in text and "待审" not in text


# (name, path template, roles answered 200)
READS: list[tuple[str, str, set[str]]] = [
    ("listing on sale", "/api/supermarket/listings/{public}", ALL),
    ("draft", "/api/supermarket/listings/{draft}", {"provider"}),
    ("submitted", "/api/supermarket/listings/{submitted}", REVIEWERS | {"provider"}),
    ("approved provider", "/api/supermarket/providers/{provider}", ALL),
    ("pending provider", "/api/supermarket/providers/{pending}", REVIEWERS),
]


def fill(path: str, market: Market) -> str:
    return path.format(
        public=market.public.pk,
        draft=market.draft.pk,
        submitted=market.submitted.pk,
        provider=market.provider.pk,
        pending=market.pending.pk,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "path", "allowed"), READS, ids=[r[0] for r in READS])
def test_reads(market: Market, role: str, name: str, path: str, allowed: set[str]) -> None:
    before = written()
    response = client_for(market.zone, role).get(fill(path, market))
    assert written() == before, "a read must not write"
    status = expected(role, allowed, set())
    if status != 200:
        refused(response, status)
        assert "草稿" not in response.content.decode()
        return
    assert response.status_code == 200, (name, role, response.content)
    body = response.json()
    if "providers" in path:
        assert body["id"] in (market.provider.pk, market.pending.pk)
    else:
        assert body["id"] in (market.public.pk, market.draft.pk, market.submitted.pk)


def test_a_provider_page_shows_its_rating_and_listings(market: Market) -> None:
    body = client_for(market.zone, "enterprise_a").get(
        f"/api/supermarket/providers/{market.provider.pk}"
    )
    assert body.json() == {
        "id": market.provider.pk,
        "name": "服务机构",
        "status": "approved",
        "categories": [{"code": "testing", "name": "检测认证"}],
        "qualifications": "CNAS 认可实验室",
        "description": "第三方检测",
        "contact_name": "陈工",
        "contact_phone": "0592-5700000",
        "contact_email": "lab@example.com",
        "listings": 1,  # the draft and the submitted one are not on sale
        "rating": {"count": 0, "average": None},
    }


# -- writes ----------------------------------------------------------------------------------

NEW_LISTING = {
    "category": "rd",
    "title": "嵌入式软件联合开发",
    "description": "需求分析、开发与测试",
    "price_min_fen": 5_000_000,
    "price_max_fen": 20_000_050,
    "unit": "项",
}


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_listing(market: Market, role: str) -> None:
    before = written()
    response = post_json(
        client_for(market.zone, role), "/api/supermarket/listings", NEW_LISTING | {"submit": True}
    )
    if role == "provider":
        assert response.status_code == 201, response.content
        listing = ServiceListing.objects.get(pk=response.json()["id"])
        assert (listing.provider, listing.status, listing.price_max_fen) == (
            market.provider,
            "submitted",
            20_000_050,
        )
        assert response.json()["status"] == "submitted"
        assert AuditEntry.objects.count() == before[-1] + 1
    else:
        refused(response, 401 if role == "anonymous" else 403)
        assert written() == before


# (step, which listing, who may, who sees it but may not, body, status after)
STEPS: list[tuple[str, str, set[str], set[str], Any, str]] = [
    ("submit", "draft", {"provider"}, set(), None, "submitted"),
    ("approve", "submitted", REVIEWERS, {"provider"}, None, "approved"),
    ("reject", "submitted", REVIEWERS, {"provider"}, {"reason": "价格说明不清"}, "rejected"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("step", "which", "allowed", "visible", "data", "after"), STEPS, ids=[s[0] for s in STEPS]
)
def test_listing_steps(
    market: Market,
    role: str,
    step: str,
    which: str,
    allowed: set[str],
    visible: set[str],
    data: Any,
    after: str,
) -> None:
    listing: ServiceListing = getattr(market, which)
    status_before = listing.status
    before = written()
    response = post_json(
        client_for(market.zone, role), f"/api/supermarket/listings/{listing.pk}/{step}", data
    )
    listing.refresh_from_db()
    status = expected(role, allowed, visible)
    if status == 200:
        assert response.status_code == 200, (role, response.content)
        assert (response.json()["status"], listing.status) == (after, after)
        if step == "reject":
            assert (response.json()["reason"], listing.reason) == ("价格说明不清", "价格说明不清")
        assert AuditEntry.objects.count() == before[-1] + 1
    else:
        refused(response, status)
        assert listing.status == status_before
        assert written() == before


@pytest.mark.parametrize("role", ["enterprise_a", "bank", "leader", "provider"])
def test_a_listing_on_sale_cannot_be_approved_or_submitted_by_others(
    market: Market, role: str
) -> None:
    """Everyone sees a listing on sale; that gives nobody a step on it."""
    client = client_for(market.zone, role)
    before = written()
    approve = client.post(f"/api/supermarket/listings/{market.public.pk}/approve")
    refused(approve, 403)
    submit = client.post(f"/api/supermarket/listings/{market.public.pk}/submit")
    # Its own provider may submit, but not what is already on sale.
    refused(submit, 409 if role == "provider" else 403)
    assert written() == before


def test_a_reject_needs_a_reason(market: Market) -> None:
    client = client_for(market.zone, "staff")
    before = written()
    path = f"/api/supermarket/listings/{market.submitted.pk}/reject"
    refused(client.post(path), 400)  # a form body where JSON is expected
    refused(client.post(path, b"", content_type="application/json"), 422)
    for body in ({}, {"reason": "  "}, {"reason": None}):
        refused(post_json(client, path, body), 422)
    assert written() == before


def test_a_provider_without_a_profile_is_told_to_register(zone: Any) -> None:
    org = OrganisationFactory(kind=OrganisationKind.SERVICE_PROVIDER, name="新机构")
    user = UserFactory(username="new_provider", organisation=org, roles=["provider_admin"])
    client = Client()
    client.force_login(user)
    response = post_json(client, "/api/supermarket/listings", NEW_LISTING)
    refused(response, 409)
    assert "机构档案" in response.json()["message"]
    assert ServiceListing.objects.count() == 0


def test_a_suspended_provider_cannot_list(market: Market) -> None:
    services.suspend_provider(
        actor=as_(market.zone, "staff"), profile=market.provider, reason="资质到期"
    )
    before = written()
    response = post_json(
        client_for(market.zone, "provider"), "/api/supermarket/listings", NEW_LISTING
    )
    refused(response, 409)
    assert written() == before
    # Its listings are off the catalogue for everyone else.
    catalogue = client_for(market.zone, "enterprise_a").get("/api/supermarket/listings").json()
    assert catalogue["count"] == 0
    detail = client_for(market.zone, "enterprise_a").get(
        f"/api/supermarket/listings/{market.public.pk}"
    )
    refused(detail, 404)


# -- the catalogue's filters -----------------------------------------------------------------


@pytest.fixture
def catalogue(market: Market) -> dict[str, int]:
    """Four listings on sale: 3,000–18,000, 500–800, 20,000–20,000 and 100–100,000 元."""
    zone, provider = market.zone, market.provider
    return {
        "emc": market.public.pk,
        "ip": live_listing(
            zone,
            provider,
            title="商标注册",
            category="ip",
            price_min_fen=50_000,
            price_max_fen=80_000,
        ).pk,
        "sim": live_listing(
            zone,
            provider,
            title="结构仿真",
            category="simulation",
            description="有限元分析",
            price_min_fen=2_000_000,
            price_max_fen=2_000_000,
        ).pk,
        "train": live_listing(
            zone,
            provider,
            title="研发人员培训",
            category="training",
            price_min_fen=10_000,
            price_max_fen=10_000_000,
        ).pk,
    }


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", {"emc", "ip", "sim", "train"}),
        ("q=仿真", {"sim"}),
        ("q=有限元", {"sim"}),  # the description
        ("q=服务机构", {"emc", "ip", "sim", "train"}),  # the provider's name
        ("category=ip", {"ip"}),
        ("category=nothing", set()),
        ("min_fen=1800000", {"emc", "sim", "train"}),  # the range reaches 18,000 元
        ("min_fen=1800001", {"sim", "train"}),
        ("max_fen=50000", {"ip", "train"}),
        ("max_fen=49999", {"train"}),
        ("min_fen=60000&max_fen=70000", {"ip", "train"}),
        ("min_fen=9223372036854775807", set()),
        ("category=ip&q=培训", set()),
    ],
)
def test_filters(market: Market, catalogue: dict[str, int], query: str, names: set[str]) -> None:
    response = client_for(market.zone, "enterprise_a").get(f"/api/supermarket/listings?{query}")
    assert response.status_code == 200, response.content
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == {catalogue[n] for n in names}
    assert response.json()["count"] == len(names)


def test_sorting_and_pages(market: Market, catalogue: dict[str, int]) -> None:
    client = client_for(market.zone, "enterprise_a")

    def titles(query: str) -> list[str]:
        return [
            i["title"] for i in client.get(f"/api/supermarket/listings?{query}").json()["items"]
        ]

    assert titles("sort=price") == ["研发人员培训", "商标注册", "锂电池电磁兼容检测", "结构仿真"]
    assert titles("sort=-price") == ["研发人员培训", "结构仿真", "锂电池电磁兼容检测", "商标注册"]
    page = client.get("/api/supermarket/listings?sort=price&page_size=3&page=2").json()
    assert (page["count"], page["page"], page["pages"]) == (4, 2, 2)
    assert [i["title"] for i in page["items"]] == ["结构仿真"]
    beyond = client.get(f"/api/supermarket/listings?sort=price&page_size=3&page={10**30}").json()
    assert beyond["page"] == 2
    assert client.get("/api/supermarket/listings?page=0&page_size=-1").json()["page"] == 1


def test_the_catalogue_takes_the_same_queries_for_one_listing_or_many(market: Market) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(market.zone, "enterprise_a")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/supermarket/listings").status_code == 200
        return len(captured)

    one = queries()
    for n in range(4):
        live_listing(market.zone, market.provider, title=f"检测 {n}")
    assert queries() == one
    assert client.get("/api/supermarket/listings").json()["count"] == 5


@pytest.mark.parametrize(
    "query",
    [
        "min_fen=-1",
        "min_fen=abc",
        "max_fen=1.5",
        f"max_fen={10**30}",
        "sort=cheapest",
        "page=first",
        "q=%00",
        "category=%00",
    ],
)
def test_bad_filters_are_a_json_422(market: Market, query: str) -> None:
    response = client_for(market.zone, "enterprise_a").get(f"/api/supermarket/listings?{query}")
    refused(response, 422)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_min_fen": 0}, "price_min_fen"),
        ({"price_min_fen": -5}, "price_min_fen"),
        ({"price_min_fen": 30_000_000}, "price_max_fen"),  # above the highest price
        ({"price_max_fen": 10_000_000_001}, "price_max_fen"),  # above 1 亿元
        ({"price_max_fen": 10**30}, "price_max_fen"),
        ({"price_min_fen": "5000000"}, "price_min_fen"),  # fen are integers, not text
        ({"price_min_fen": 50_000.5}, "price_min_fen"),
        ({"price_min_fen": True}, "price_min_fen"),
        ({"price_min_fen": None}, "price_min_fen"),
        ({"category": "nothing"}, "category"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"unit": ""}, "unit"),
        ({"provider_id": 1}, "provider_id"),  # the provider is the caller's, never named
        ({"status": "approved"}, "status"),  # nor is the status
    ],
)
def test_bad_listings_are_refused_with_nothing_written(
    market: Market, changes: dict[str, Any], field: str
) -> None:
    before = written()
    response = post_json(
        client_for(market.zone, "provider"), "/api/supermarket/listings", NEW_LISTING | changes
    )
    refused(response, 422)
    assert response.json()["field"] == field
    assert written() == before


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', b"null", b"\xff"])
def test_unreadable_json_is_a_json_4xx(market: Market, raw: bytes) -> None:
    before = written()
    response = client_for(market.zone, "provider").post(
        "/api/supermarket/listings", raw, content_type="application/json"
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["message"]
    assert written() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/supermarket/listings/abc",
        "/api/supermarket/listings/-1",
        "/api/supermarket/listings/99999999999999999999999999",
        "/api/supermarket/listings/9223372036854775808",
        "/api/supermarket/listings/%EF%BC%91",
        "/api/supermarket/providers/abc",
        "/api/supermarket/providers/99999999999999999999999999",
    ],
)
def test_bad_ids_are_a_json_404(market: Market, path: str) -> None:
    refused(client_for(market.zone, "zone_admin").get(path), 404)


@pytest.mark.parametrize("step", ["submit", "approve", "reject"])
def test_bad_ids_in_steps_are_a_json_404(market: Market, step: str) -> None:
    before = written()
    response = post_json(
        client_for(market.zone, "zone_admin"),
        f"/api/supermarket/listings/abc/{step}",
        {"reason": "x"} if step == "reject" else None,
    )
    refused(response, 404)
    assert written() == before

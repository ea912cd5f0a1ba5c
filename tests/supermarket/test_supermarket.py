"""科技服务超市: providers register and are reviewed, listings are reviewed and browsed; bad
input answered clearly with nothing written; every role sees only what it may."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.supermarket import selectors, services
from gaoxin.supermarket.models import ProviderProfile, ServiceCategory, ServiceListing
from tests.conftest import ROLES
from tests.factories import OrganisationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db
REVIEWERS = {"staff", "staff_other", "zone_admin"}


def as_(zone: Any, role: str) -> Actor:
    return Actor.for_user(zone.users[role])


def profile_data(n: int = 901, **changes: Any) -> services.ProfileData:
    values: dict[str, Any] = {
        "uscc": make_uscc(n),
        "contact_name": "陈工",
        "contact_phone": "0592-5700000",
        "contact_email": "lab@example.com",
        "qualifications": "CNAS 认可实验室",
        "description": "第三方检测",
        "categories": ["testing"],
    }
    values.update(changes)
    return services.ProfileData(**values)


def listing_data(**changes: Any) -> services.ListingData:
    values: dict[str, Any] = {
        "category": "testing",
        "title": "锂电池电磁兼容检测",
        "description": "依据 GB/T 17626 开展 EMC 检测",
        "price_min_fen": 300_000,
        "price_max_fen": 1_800_000,
        "unit": "项",
        "delivery_terms": "7 个工作日出具报告",
    }
    values.update(changes)
    return services.ListingData(**values)


def approved_provider(zone: Any) -> ProviderProfile:
    org = zone.users["provider"].organisation
    profile = services.register_provider(
        actor=as_(zone, "provider"), organisation=org, data=profile_data()
    )
    return services.approve_provider(actor=as_(zone, "staff"), profile=profile)


def second_provider(zone: Any) -> tuple[Any, ProviderProfile]:
    org = OrganisationFactory(kind=OrganisationKind.SERVICE_PROVIDER, name="另一家机构")
    user = UserFactory(username="provider2", organisation=org, roles=["provider_admin"])
    profile = services.register_provider(
        actor=Actor.for_user(user), organisation=org, data=profile_data(902)
    )
    services.approve_provider(actor=as_(zone, "staff"), profile=profile)
    return user, profile


def live_listing(zone: Any, profile: ProviderProfile, **changes: Any) -> ServiceListing:
    listing = services.create_listing(
        actor=as_(zone, "provider")
        if profile.organisation == zone.users["provider"].organisation
        else Actor.system("test"),
        profile=profile,
        data=listing_data(**changes),
        submit=True,
    )
    return services.approve_listing(actor=as_(zone, "staff"), listing=listing)


def test_categories_are_seeded() -> None:
    names = list(ServiceCategory.objects.values_list("name", flat=True))
    assert names == [
        "技术研发",
        "检测认证",
        "知识产权",
        "工业仿真",
        "智能制造",
        "金融",
        "人才培训",
        "管理咨询",
    ]


def test_provider_lifecycle_is_audited(zone: Any) -> None:
    profile = approved_provider(zone)
    assert profile.status == "approved" and profile.reviewed_by == zone.users["staff"]
    listing = live_listing(zone, profile)
    assert listing in selectors.listings_visible_to(zone.users["enterprise_a"])
    services.suspend_provider(actor=as_(zone, "staff"), profile=profile, reason="投诉核查中")
    assert listing not in selectors.listings_visible_to(zone.users["enterprise_a"])
    assert listing not in selectors.public_listings()
    assert listing in selectors.listings_visible_to(zone.users["provider"])  # its own
    services.reinstate_provider(actor=as_(zone, "staff"), profile=profile)
    assert listing in selectors.listings_visible_to(zone.users["enterprise_a"])
    actions = list(
        AuditEntry.objects.filter(model="supermarket.providerprofile")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "supermarket.provider_registered",
        "supermarket.provider_approved",
        "supermarket.provider_suspended",
        "supermarket.provider_reinstated",
    ]
    assert (
        AuditEntry.objects.filter(action="supermarket.provider_suspended").get().note
        == "投诉核查中"
    )


def test_rejected_provider_says_why(zone: Any) -> None:
    org = zone.users["provider"].organisation
    profile = services.register_provider(
        actor=as_(zone, "provider"), organisation=org, data=profile_data()
    )
    with pytest.raises(ValidationFailed, match="请写明原因"):
        services.reject_provider(actor=as_(zone, "staff"), profile=profile, reason=" ")
    services.reject_provider(actor=as_(zone, "staff"), profile=profile, reason="资质证书过期")
    profile.refresh_from_db()
    assert (profile.status, profile.reason) == ("rejected", "资质证书过期")
    with pytest.raises(Conflict, match="不能发布服务"):
        services.create_listing(actor=as_(zone, "provider"), profile=profile, data=listing_data())
    # corrected and sent back to review
    profile = services.register_provider(
        actor=as_(zone, "provider"), organisation=org, data=profile_data(qualifications="新证书")
    )
    assert (profile.status, profile.reason) == ("pending", "")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price_min_fen": 0}, "最低价必须大于 0 元"),
        ({"price_min_fen": -100}, "最低价必须大于 0 元"),
        ({"price_min_fen": 5000, "price_max_fen": 4999}, "最高价不能低于最低价"),
        ({"category": "nope"}, "请选择服务类别"),
        ({"title": "  "}, "请填写服务名称"),
        ({"unit": ""}, "请填写计价单位"),
    ],
)
def test_bad_listings_are_refused_with_nothing_written(
    zone: Any, changes: dict[str, Any], message: str
) -> None:
    profile = approved_provider(zone)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed, match=message):
        services.create_listing(
            actor=as_(zone, "provider"), profile=profile, data=listing_data(**changes)
        )
    assert ServiceListing.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_bad_profiles_are_refused(zone: Any) -> None:
    org = zone.users["provider"].organisation
    actor = as_(zone, "provider")
    with pytest.raises(ValidationFailed, match="统一社会信用代码"):
        services.register_provider(actor=actor, organisation=org, data=profile_data(uscc="123"))
    bad_check = make_uscc(901)[:-1] + ("0" if make_uscc(901)[-1] != "0" else "1")
    with pytest.raises(ValidationFailed):
        services.register_provider(actor=actor, organisation=org, data=profile_data(uscc=bad_check))
    with pytest.raises(ValidationFailed, match="服务类别"):
        services.register_provider(actor=actor, organisation=org, data=profile_data(categories=[]))
    with pytest.raises(ValidationFailed, match="联系人"):
        services.register_provider(
            actor=actor, organisation=org, data=profile_data(contact_name="")
        )
    with pytest.raises(ValidationFailed, match="只有服务机构"):
        services.register_provider(
            actor=Actor.system("t"),
            organisation=zone.users["enterprise_a"].organisation,
            data=profile_data(),
        )
    assert ProviderProfile.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="supermarket.").exists()


def test_yuan_form_values(zone: Any) -> None:
    data = services.listing_data(
        {
            "category": "ip",
            "title": "t",
            "description": "d",
            "unit": "件",
            "price_min": "1,200.50",
            "price_max": "3000",
        }
    )
    assert (data.price_min_fen, data.price_max_fen) == (120_050, 300_000)
    with pytest.raises(ValidationFailed, match="应为金额（元）") as refused:
        services.listing_data({"price_min": "1", "price_max": "abc"})
    assert refused.value.field == "price_max"


def test_unapproved_provider_listing_is_not_shown(zone: Any) -> None:
    org = zone.users["provider"].organisation
    profile = services.register_provider(
        actor=as_(zone, "provider"), organisation=org, data=profile_data()
    )
    listing = services.create_listing(
        actor=as_(zone, "provider"), profile=profile, data=listing_data(), submit=True
    )
    services.approve_listing(actor=as_(zone, "staff"), listing=listing)
    assert not selectors.public_listings().exists()
    assert listing not in selectors.listings_visible_to(zone.users["enterprise_a"])
    services.approve_provider(actor=as_(zone, "staff"), profile=profile)
    assert listing in selectors.listings_visible_to(zone.users["enterprise_a"])


def test_providers_cannot_touch_each_other(zone: Any) -> None:
    mine = approved_provider(zone)
    user2, theirs = second_provider(zone)
    draft = services.create_listing(
        actor=Actor.for_user(user2), profile=theirs, data=listing_data(title="B 的草稿")
    )
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.update_listing(
            actor=as_(zone, "provider"), listing=draft, data=listing_data(title="改掉")
        )
    with pytest.raises(PermissionDenied):
        services.submit_listing(actor=as_(zone, "provider"), listing=draft)
    with pytest.raises(PermissionDenied):
        services.create_listing(actor=as_(zone, "provider"), profile=theirs, data=listing_data())
    with pytest.raises(PermissionDenied):
        services.approve_listing(actor=as_(zone, "provider"), listing=draft)
    with pytest.raises(PermissionDenied):
        services.approve_provider(actor=as_(zone, "enterprise_a"), profile=mine)
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("B 的草稿", "draft")
    assert AuditEntry.objects.count() == before
    assert draft not in selectors.listings_visible_to(zone.users["provider"])
    assert draft not in selectors.listings_visible_to(zone.users["staff"])  # drafts are private
    with pytest.raises(NotFound):
        selectors.get_listing(zone.users["provider"], draft.pk)


def test_listing_lifecycle(zone: Any) -> None:
    profile = approved_provider(zone)
    actor = as_(zone, "provider")
    listing = services.create_listing(actor=actor, profile=profile, data=listing_data())
    assert listing.status == "draft"
    with pytest.raises(Conflict):
        services.approve_listing(actor=as_(zone, "staff"), listing=listing)  # not submitted
    services.submit_listing(actor=actor, listing=listing)
    services.reject_listing(actor=as_(zone, "staff"), listing=listing, reason="价格不明确")
    listing.refresh_from_db()
    assert (listing.status, listing.reason) == ("rejected", "价格不明确")
    services.update_listing(actor=actor, listing=listing, data=listing_data(), submit=True)
    services.approve_listing(actor=as_(zone, "staff"), listing=listing)
    services.withdraw_listing(actor=actor, listing=listing)
    listing.refresh_from_db()
    assert listing.status == "withdrawn"
    assert not selectors.public_listings().exists()


PAGES = ("/supermarket/", "/supermarket/mine/", "/supermarket/review/", "/supermarket/mine/new/")


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(zone: Any, role: str) -> None:
    profile = approved_provider(zone)
    live = live_listing(zone, profile, title="公开的检测服务")
    _user2, theirs = second_provider(zone)
    draft = services.create_listing(
        actor=Actor.system("t"), profile=theirs, data=listing_data(title="机构B的草稿")
    )
    waiting = services.create_listing(
        actor=Actor.system("t"), profile=theirs, data=listing_data(title="机构B待审"), submit=True
    )
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    signed_in = role != "anonymous"

    page = client.get("/supermarket/", {"q": "检测"})
    assert page.status_code == (200 if signed_in else 302), role
    if signed_in:
        text = page.content.decode()
        assert "公开的检测服务" in text and "机构B的草稿" not in text and "机构B待审" not in text
    assert client.get(f"/supermarket/{live.pk}/").status_code == (200 if signed_in else 302)
    assert client.get(f"/supermarket/{draft.pk}/").status_code == (404 if signed_in else 302)
    assert client.get(f"/supermarket/{waiting.pk}/").status_code == (
        302 if not signed_in else 200 if role in REVIEWERS else 404
    ), role
    assert client.get(f"/supermarket/providers/{profile.pk}/").status_code == (
        200 if signed_in else 302
    )
    mine = client.get("/supermarket/mine/")
    assert mine.status_code == (302 if not signed_in else 200 if role == "provider" else 403), role
    if role == "provider":
        assert "机构B" not in mine.content.decode()
    assert client.get("/supermarket/mine/new/").status_code == (
        302 if not signed_in else 200 if role == "provider" else 403
    )
    assert client.get(f"/supermarket/mine/{draft.pk}/edit/").status_code == (
        302 if not signed_in else 404 if role == "provider" else 403
    )
    review = client.get("/supermarket/review/")
    assert review.status_code == (302 if not signed_in else 200 if role in REVIEWERS else 403), role
    if role in REVIEWERS:
        assert "机构B待审" in review.content.decode()
        assert "机构B的草稿" not in review.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_writes_by_role(zone: Any, role: str) -> None:
    profile = approved_provider(zone)
    _user2, theirs = second_provider(zone)
    waiting = services.create_listing(
        actor=Actor.system("t"), profile=theirs, data=listing_data(title="机构B待审"), submit=True
    )
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    before = AuditEntry.objects.count()

    client.post(f"/supermarket/review/listing/{waiting.pk}/", {"decision": "approve"})
    waiting.refresh_from_db()
    assert waiting.status == ("approved" if role in REVIEWERS else "submitted"), role
    client.post(
        f"/supermarket/review/provider/{theirs.pk}/", {"decision": "suspend", "reason": "核查"}
    )
    theirs.refresh_from_db()
    assert theirs.status == ("suspended" if role in REVIEWERS else "approved"), role
    # another provider's listing: never
    client.post(f"/supermarket/mine/{waiting.pk}/withdraw/")
    client.post(
        f"/supermarket/mine/{waiting.pk}/edit/",
        {
            "category": "testing",
            "title": "篡改",
            "description": "x",
            "price_min": "1",
            "price_max": "2",
            "unit": "项",
        },
    )
    waiting.refresh_from_db()
    assert waiting.title == "机构B待审"
    created = client.post(
        "/supermarket/mine/new/",
        {
            "category": "ip",
            "title": "新的专利服务",
            "description": "撰写",
            "price_min": "6000",
            "price_max": "12000",
            "unit": "件",
            "action": "submit",
        },
    )
    exists = ServiceListing.objects.filter(title="新的专利服务").exists()
    assert exists == (role == "provider"), role
    if role == "provider":
        assert created.status_code == 302
        made = ServiceListing.objects.get(title="新的专利服务")
        assert (made.provider, made.status, made.price_min_fen) == (profile, "submitted", 600_000)
    if role not in REVIEWERS and role != "provider":
        assert AuditEntry.objects.count() == before, role


def test_provider_registers_through_the_page(zone: Any) -> None:
    client = Client()
    client.force_login(zone.users["provider"])
    assert "还没有登记档案" in client.get("/supermarket/mine/").content.decode()
    bad = client.post(
        "/supermarket/mine/profile/",
        {"uscc": "91350200", "contact_name": "陈工", "contact_phone": "1", "categories": ["ip"]},
    )
    assert bad.status_code == 200 and "统一社会信用代码应为18位" in bad.content.decode()
    ok = client.post(
        "/supermarket/mine/profile/",
        {
            "uscc": make_uscc(905),
            "contact_name": "陈工",
            "contact_phone": "0592-1",
            "categories": ["ip", "testing"],
        },
    )
    assert ok.status_code == 302
    profile = ProviderProfile.objects.get()
    assert profile.status == "pending"
    assert sorted(profile.categories.values_list("code", flat=True)) == ["ip", "testing"]
    bad_price = client.post(
        "/supermarket/mine/new/",
        {
            "category": "ip",
            "title": "t",
            "description": "d",
            "price_min": "0",
            "price_max": "5",
            "unit": "件",
        },
    )
    assert "最低价必须大于 0 元" in bad_price.content.decode()
    assert not ServiceListing.objects.exists()


def test_catalogue_filters_sort_and_pages(zone: Any) -> None:
    profile = approved_provider(zone)
    for title, cat, low, high in [
        ("结构仿真", "simulation", 8000, 60000),
        ("专利代理", "ip", 6000, 12000),
        ("EMC 检测", "testing", 3000, 18000),
    ]:
        live_listing(
            zone,
            profile,
            title=title,
            category=cat,
            price_min_fen=low * 100,
            price_max_fen=high * 100,
        )
    client = Client()
    client.force_login(zone.users["enterprise_a"])

    def titles(**params: str) -> list[str]:
        page = client.get("/supermarket/", params)
        return [item.title for item in page.context["page"].object_list]

    assert titles(category="ip") == ["专利代理"]
    assert titles(sort="price") == ["EMC 检测", "专利代理", "结构仿真"]
    assert titles(sort="-price") == ["结构仿真", "EMC 检测", "专利代理"]
    assert titles(min="20000", sort="price") == ["结构仿真"]
    assert titles(max="5000") == ["EMC 检测"]
    assert titles(q="仿真") == ["结构仿真"]
    assert titles(max="oops", sort="title") == sorted(["结构仿真", "专利代理", "EMC 检测"])
    assert len(titles(size="20", page="9")) == 3  # past the end: the last page

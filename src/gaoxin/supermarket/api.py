"""/api/supermarket: the catalogue of the tech-service supermarket (科技服务超市) over JSON.

Everyone signed in browses the approved listings of approved providers; a provider lists its
own services (draft → submitted); zone reviewers approve or reject what was submitted. Who may
see what is the selectors', who may do what the services'; an id the caller may not see is
answered 404 exactly as a missing one. Prices are integer fen (分): 1 元 = 100.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, NotFound, PermissionDenied
from gaoxin.core.numbers import MAX_INT
from gaoxin.core.schema_fields import Bounded, Fen, Page, PageSize, Text
from gaoxin.enterprises.schemas import ErrorOut
from gaoxin.supermarket import selectors, services
from gaoxin.supermarket.models import ProviderProfile, ServiceListing

router = Router(tags=["supermarket"])
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
REGISTER = "supermarket.register_providerprofile"
MAX_PAGE_SIZE = 200


def pk_of(value: str) -> int:
    """A path id as an integer; anything else is a missing object (404), never a 500."""
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise NotFound(_("没有找到，或您无权查看"))
    return int(value)


class InputSchema(Schema):
    """A request body: unknown fields are refused, not ignored. (Text that no column can hold
    is refused for every endpoint by the API's parser.)"""

    model_config = ConfigDict(extra="forbid")


# -- output --------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str


class ListingOut(Schema):
    id: int
    provider_id: int
    provider: str = Field(description="服务机构名称 / provider name")
    category: CategoryOut
    title: str
    description: str
    price_min_fen: int = Field(description="最低价，单位：分 / lowest price in fen (1 元 = 100)")
    price_max_fen: int = Field(description="最高价，单位：分 / highest price in fen")
    unit: str
    delivery_terms: str
    status: str = Field(description="draft | submitted | approved | rejected | withdrawn")
    reason: str = Field(description="退回原因 / why it was rejected")


class ListingPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ListingOut]


class ProviderRatingOut(Schema):
    count: int
    average: float | None = Field(description="平均星级 1–5 / average stars, null without ratings")


class ProviderOut(Schema):
    id: int
    name: str
    status: str = Field(description="pending | approved | rejected | suspended")
    categories: list[CategoryOut]
    qualifications: str
    description: str
    contact_name: str
    contact_phone: str
    contact_email: str
    listings: int = Field(description="上架中的服务数 / listings on sale")
    rating: ProviderRatingOut


def _category(category: Any) -> dict[str, str]:
    return {"code": category.code, "name": _(category.name)}


def listing_out(listing: ServiceListing) -> dict[str, Any]:
    return {
        "id": listing.pk,
        "provider_id": listing.provider_id,
        "provider": listing.provider.organisation.name,
        "category": _category(listing.category),
        "title": listing.title,
        "description": listing.description,
        "price_min_fen": listing.price_min_fen,
        "price_max_fen": listing.price_max_fen,
        "unit": listing.unit,
        "delivery_terms": listing.delivery_terms,
        "status": listing.status,
        "reason": listing.reason,
    }


def page_of(items: QuerySet[Any], page: int, page_size: int) -> tuple[list[Any], dict[str, int]]:
    """One page of `items` and its count, page and pages; out-of-range pages are clamped."""
    size = min(max(page_size, 1), MAX_PAGE_SIZE)
    count = items.count()
    pages = max(1, math.ceil(count / size))
    page = min(max(page, 1), pages)
    return list(items[(page - 1) * size : page * size]), {
        "count": count,
        "page": page,
        "pages": pages,
    }


# -- browsing ------------------------------------------------------------------------------


class ListingQuery(Schema):
    q: Annotated[str, Text(100)] = Field(
        "", description="在服务名称、内容、机构名称中搜索 / search text"
    )
    category: Annotated[str, Text(32)] = Field(
        "", description="类别编码 / category code, e.g. testing"
    )
    min_fen: Annotated[int, Bounded(0, MAX_INT)] | None = Field(
        None,
        description="价格区间下限（分），匹配最高价不低于它的服务 / lower bound, fen",
    )
    max_fen: Annotated[int, Bounded(0, MAX_INT)] | None = Field(
        None,
        description="价格区间上限（分），匹配最低价不高于它的服务 / upper bound, fen",
    )
    sort: Literal["new", "price", "-price", "title"] = "new"
    page: Page = 1
    page_size: PageSize = 50


@router.get("/listings", response={200: ListingPage, **ERRORS})
def list_listings(request: HttpRequest, params: Query[ListingQuery]) -> Any:
    """上架中的服务 — the approved listings of approved providers, for everyone signed in."""
    listings = selectors.search_listings(
        selectors.public_listings(),
        q=params.q,
        category=params.category,
        min_fen=params.min_fen,
        max_fen=params.max_fen,
        sort=params.sort,
    )
    items, counts = page_of(listings, params.page, params.page_size)
    return {**counts, "items": [listing_out(item) for item in items]}


@router.get("/listings/{listing_id}", response={200: ListingOut, **ERRORS})
def get_listing(request: HttpRequest, listing_id: str) -> Any:
    """One listing: approved ones for everyone; a provider also its own drafts; reviewers also
    what was submitted, rejected or withdrawn."""
    return listing_out(selectors.get_listing(request.user, pk_of(listing_id)))


@router.get("/providers/{provider_id}", response={200: ProviderOut, **ERRORS})
def get_provider(request: HttpRequest, provider_id: str) -> Any:
    from gaoxin.vouchers.selectors import provider_rating

    profile: ProviderProfile = selectors.get_profile(request.user, pk_of(provider_id))
    return {
        "id": profile.pk,
        "name": profile.organisation.name,
        "status": profile.status,
        "categories": [_category(c) for c in profile.categories.all()],
        "qualifications": profile.qualifications,
        "description": profile.description,
        "contact_name": profile.contact_name,
        "contact_phone": profile.contact_phone,
        "contact_email": profile.contact_email,
        "listings": selectors.public_listings().filter(provider=profile).count(),
        "rating": provider_rating(profile),
    }


# -- a provider's own listings -------------------------------------------------------------


class ListingIn(InputSchema):
    category: Annotated[str, Text(32)] = Field(description="类别编码 / category code, e.g. testing")
    title: Annotated[str, Text(120)]
    description: Annotated[str, Text(5000)]
    price_min_fen: Fen = Field(
        description="最低价，整数分 / lowest price, integer fen (300000 = 3,000 元)",
    )
    price_max_fen: Fen = Field(
        description="最高价，整数分，不超过 1 亿元 / highest price, integer fen",
    )
    unit: Annotated[str, Text(20)] = Field(description="计价单位，例如 次、项、人天 / unit of sale")
    delivery_terms: Annotated[str, Text(5000)] = ""
    submit: bool = Field(False, description="同时提交园区审核 / submit for review at once")


def _own_profile(request: HttpRequest) -> ProviderProfile:
    if not request.user.has_perm(REGISTER):
        raise PermissionDenied(_("只有服务机构可以发布服务"))
    profile = selectors.own_profile(request.user)
    if profile is None:
        raise Conflict(_("请先登记机构档案，审核通过后服务才能上架"))
    return profile


@router.post("/listings", response={201: ListingOut, **ERRORS})
def create_listing(request: HttpRequest, payload: ListingIn) -> Any:
    """A provider adds a service to its own profile, as a draft or (submit) for review."""
    profile = _own_profile(request)
    data = services.ListingData(**payload.model_dump(exclude={"submit"}))
    listing = services.create_listing(
        actor=Actor.of(request), profile=profile, data=data, submit=payload.submit
    )
    return Status(201, listing_out(selectors.get_listing(request.user, listing.pk)))


@router.post("/listings/{listing_id}/submit", response={200: ListingOut, **ERRORS})
def submit_listing(request: HttpRequest, listing_id: str) -> Any:
    listing = selectors.get_listing(request.user, pk_of(listing_id))
    services.submit_listing(actor=Actor.of(request), listing=listing)
    return listing_out(selectors.get_listing(request.user, listing.pk))


# -- review --------------------------------------------------------------------------------


class RejectIn(InputSchema):
    reason: Annotated[str, Text(300)] = Field(
        "", description="退回原因，机构会看到 / shown to the provider"
    )


@router.post("/listings/{listing_id}/approve", response={200: ListingOut, **ERRORS})
def approve_listing(request: HttpRequest, listing_id: str) -> Any:
    listing = selectors.get_listing(request.user, pk_of(listing_id))
    services.approve_listing(actor=Actor.of(request), listing=listing)
    return listing_out(selectors.get_listing(request.user, listing.pk))


@router.post("/listings/{listing_id}/reject", response={200: ListingOut, **ERRORS})
def reject_listing(request: HttpRequest, listing_id: str, payload: RejectIn) -> Any:
    listing = selectors.get_listing(request.user, pk_of(listing_id))
    services.reject_listing(actor=Actor.of(request), listing=listing, reason=payload.reason)
    return listing_out(selectors.get_listing(request.user, listing.pk))

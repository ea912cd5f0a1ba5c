"""Who sees what: one `visible_to(user)` per model."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.core.errors import NotFound
from gaoxin.supermarket.choices import ListingStatus, ProviderStatus
from gaoxin.supermarket.models import ProviderProfile, ServiceListing

REVIEW_PROVIDERS = "supermarket.review_providerprofile"
REVIEW_LISTINGS = "supermarket.review_servicelisting"


def own_profile(user: Any) -> ProviderProfile | None:
    """The signed-in provider's own profile, if its organisation registered one."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.organisation_kind != OrganisationKind.SERVICE_PROVIDER:
        return None
    return ProviderProfile.objects.filter(organisation_id=user.organisation_id).first()


def visible_to(user: Any) -> QuerySet[ProviderProfile]:
    """Reviewers see every profile; a provider sees its own and approved ones; others see
    approved providers only."""
    profiles = ProviderProfile.objects.select_related("organisation")
    if not getattr(user, "is_authenticated", False):
        return profiles.none()
    if user.is_zone_staff and user.has_perm(REVIEW_PROVIDERS):
        return profiles
    public = Q(status=ProviderStatus.APPROVED)
    if user.organisation_kind == OrganisationKind.SERVICE_PROVIDER:
        return profiles.filter(public | Q(organisation_id=user.organisation_id))
    return profiles.filter(public)


def listings_visible_to(user: Any) -> QuerySet[ServiceListing]:
    """Everyone signed in sees approved listings of approved providers. A provider also sees
    all of its own; reviewers also see what was submitted, rejected or withdrawn — never
    another organisation's drafts."""
    listings = ServiceListing.objects.select_related("provider__organisation", "category")
    if not getattr(user, "is_authenticated", False):
        return listings.none()
    public = Q(status=ListingStatus.APPROVED, provider__status=ProviderStatus.APPROVED)
    if user.is_zone_staff and user.has_perm(REVIEW_LISTINGS):
        return listings.filter(public | ~Q(status=ListingStatus.DRAFT))
    if user.organisation_kind == OrganisationKind.SERVICE_PROVIDER:
        return listings.filter(public | Q(provider__organisation_id=user.organisation_id))
    return listings.filter(public)


def public_listings() -> QuerySet[ServiceListing]:
    return ServiceListing.objects.select_related("provider__organisation", "category").filter(
        status=ListingStatus.APPROVED, provider__status=ProviderStatus.APPROVED
    )


LISTING_SORTS = {
    "new": ("-reviewed_at", "-id"),
    "price": ("price_min_fen", "id"),
    "-price": ("-price_max_fen", "id"),
    "title": ("title", "id"),
}


def search_listings(
    listings: QuerySet[ServiceListing],
    *,
    q: str = "",
    category: str = "",
    min_fen: int | None = None,
    max_fen: int | None = None,
    sort: str = "new",
) -> QuerySet[ServiceListing]:
    """The catalogue's search, for the page and the API: words in the title, description or
    provider; a category; a price range overlapping [min, max]; one of LISTING_SORTS."""
    q = q.strip()
    if q:
        listings = listings.filter(
            Q(title__icontains=q)
            | Q(description__icontains=q)
            | Q(provider__organisation__name__icontains=q)
        )
    if category:
        listings = listings.filter(category__code=category)
    if min_fen is not None:
        listings = listings.filter(price_max_fen__gte=min_fen)
    if max_fen is not None:
        listings = listings.filter(price_min_fen__lte=max_fen)
    return listings.order_by(*LISTING_SORTS.get(sort, LISTING_SORTS["new"]))


def get_listing(user: Any, pk: int) -> ServiceListing:
    listing = listings_visible_to(user).filter(pk=pk).first()
    if listing is None:
        raise NotFound(_("没有这项服务，或您无权查看"))
    return listing


def get_profile(user: Any, pk: int) -> ProviderProfile:
    profile = visible_to(user).filter(pk=pk).first()
    if profile is None:
        raise NotFound(_("没有这家服务机构，或您无权查看"))
    return profile

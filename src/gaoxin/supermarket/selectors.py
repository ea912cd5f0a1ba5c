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

"""Writes for providers and the catalogue: each checks who acts, validates, and records an
audit entry in the same transaction. Refused writes write nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.models import Organisation
from gaoxin.core import uscc as uscc_codes
from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.core.language import english
from gaoxin.supermarket.choices import ListingStatus, ProviderStatus
from gaoxin.supermarket.models import ProviderProfile, ServiceCategory, ServiceListing
from gaoxin.supermarket.selectors import REVIEW_LISTINGS, REVIEW_PROVIDERS

PROFILE_FIELDS = (
    "uscc",
    "qualifications",
    "contact_name",
    "contact_phone",
    "contact_email",
    "description",
    "status",
    "reason",
)
LISTING_FIELDS = (
    "category",
    "title",
    "description",
    "price_min_fen",
    "price_max_fen",
    "unit",
    "delivery_terms",
    "status",
    "reason",
)
MAX_PRICE_FEN = 10_000_000_000  # 1 亿元


@dataclass
class ProfileData:
    uscc: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    qualifications: str = ""
    description: str = ""
    categories: list[str] = field(default_factory=list)  # category codes


@dataclass
class ListingData:
    category: str  # code
    title: str
    description: str
    price_min_fen: int
    price_max_fen: int
    unit: str
    delivery_terms: str = ""


def _require_reviewer(actor: Actor, perm: str) -> None:
    if actor.user is not None and not (actor.user.is_zone_staff and actor.user.has_perm(perm)):
        raise PermissionDenied(_("只有园区工作人员可以审核服务机构和服务"))


def _require_member(actor: Actor, organisation: Organisation) -> None:
    if organisation.kind != OrganisationKind.SERVICE_PROVIDER:
        raise ValidationFailed(_("只有服务机构类型的组织可以入驻科技服务超市"))
    user = actor.user
    if user is None:
        return
    if user.organisation_id != organisation.pk or not user.has_perm(
        "supermarket.register_providerprofile"
    ):
        raise PermissionDenied(_("只能管理本机构的档案和服务"))


def _clean_profile(data: ProfileData) -> tuple[str, list[ServiceCategory]]:
    try:
        code = uscc_codes.validate(data.uscc)
    except uscc_codes.InvalidUSCC as exc:
        message = exc.message_en if english() else str(exc)
        raise ValidationFailed(message, field="uscc") from None
    if not data.contact_name.strip():
        raise ValidationFailed(_("请填写联系人"), field="contact_name")
    if not data.contact_phone.strip():
        raise ValidationFailed(_("请填写联系电话"), field="contact_phone")
    for name in ("contact_name", "contact_phone", "contact_email"):
        limit = getattr(ProviderProfile._meta.get_field(name), "max_length", None) or 0
        if len(getattr(data, name).strip()) > limit:
            raise ValidationFailed(_("最多 %(n)s 个字") % {"n": limit}, field=name)
    categories = list(ServiceCategory.objects.filter(code__in=data.categories))
    if len(categories) != len(set(data.categories)):
        raise ValidationFailed(_("服务类别不存在"), field="categories")
    if not categories:
        raise ValidationFailed(_("请至少选择一个服务类别"), field="categories")
    return code, categories


def register_provider(
    *, actor: Actor, organisation: Organisation, data: ProfileData
) -> ProviderProfile:
    """A provider organisation registers (or, while pending or rejected, corrects) its profile;
    each change goes back to review."""
    _require_member(actor, organisation)
    code, categories = _clean_profile(data)
    with transaction.atomic():
        profile = (
            ProviderProfile.objects.select_for_update().filter(organisation=organisation).first()
        )
        clash = ProviderProfile.objects.filter(uscc=code).exclude(organisation=organisation)
        if clash.exists():
            raise Conflict(_("这个统一社会信用代码已被其他服务机构登记"), field="uscc")
        before = snapshot(profile, PROFILE_FIELDS) if profile else None
        if profile is None:
            profile = ProviderProfile(organisation=organisation)
        elif profile.status == ProviderStatus.SUSPENDED:
            raise Conflict(_("机构已被暂停，暂停期间不能修改档案"))
        profile.uscc = code
        profile.contact_name = data.contact_name.strip()
        profile.contact_phone = data.contact_phone.strip()
        profile.contact_email = data.contact_email.strip()
        profile.qualifications = data.qualifications.strip()
        profile.description = data.description.strip()
        if profile.status != ProviderStatus.APPROVED:
            profile.status = ProviderStatus.PENDING
            profile.reason = ""
        profile.save()
        profile.categories.set(categories)
        record_change(
            actor=actor,
            action="supermarket.provider_registered"
            if before is None
            else "supermarket.provider_changed",
            obj=profile,
            before=before,
            after={**snapshot(profile, PROFILE_FIELDS), "categories": sorted(data.categories)},
        )
    return profile


def _set_provider_status(
    *,
    actor: Actor,
    profile: ProviderProfile,
    allowed: tuple[str, ...],
    status: str,
    reason: str,
    action: str,
) -> ProviderProfile:
    _require_reviewer(actor, REVIEW_PROVIDERS)
    with transaction.atomic():
        profile = ProviderProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.status not in allowed:
            raise Conflict(
                _("机构当前状态为“%(s)s”，不能执行此操作") % {"s": profile.get_status_display()}
            )
        before = snapshot(profile, PROFILE_FIELDS)
        profile.status = status
        profile.reason = reason
        profile.reviewed_by = actor.user
        profile.reviewed_at = timezone.now()
        profile.save()
        record_change(
            actor=actor,
            action=action,
            obj=profile,
            before=before,
            after=snapshot(profile, PROFILE_FIELDS),
            note=reason,
        )
    return profile


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("请写明原因，机构会看到它"), field="reason")
    return reason[:300]


def approve_provider(*, actor: Actor, profile: ProviderProfile) -> ProviderProfile:
    return _set_provider_status(
        actor=actor,
        profile=profile,
        allowed=(ProviderStatus.PENDING,),
        status=ProviderStatus.APPROVED,
        reason="",
        action="supermarket.provider_approved",
    )


def reject_provider(*, actor: Actor, profile: ProviderProfile, reason: str) -> ProviderProfile:
    return _set_provider_status(
        actor=actor,
        profile=profile,
        allowed=(ProviderStatus.PENDING,),
        status=ProviderStatus.REJECTED,
        reason=_reason(reason),
        action="supermarket.provider_rejected",
    )


def suspend_provider(*, actor: Actor, profile: ProviderProfile, reason: str) -> ProviderProfile:
    """A suspended provider's listings disappear from the supermarket until reinstated."""
    return _set_provider_status(
        actor=actor,
        profile=profile,
        allowed=(ProviderStatus.APPROVED,),
        status=ProviderStatus.SUSPENDED,
        reason=_reason(reason),
        action="supermarket.provider_suspended",
    )


def reinstate_provider(*, actor: Actor, profile: ProviderProfile) -> ProviderProfile:
    return _set_provider_status(
        actor=actor,
        profile=profile,
        allowed=(ProviderStatus.SUSPENDED,),
        status=ProviderStatus.APPROVED,
        reason="",
        action="supermarket.provider_reinstated",
    )


def _clean_listing(data: ListingData) -> ServiceCategory:
    category = ServiceCategory.objects.filter(code=data.category).first()
    if category is None:
        raise ValidationFailed(_("请选择服务类别"), field="category")
    if not data.title.strip():
        raise ValidationFailed(_("请填写服务名称"), field="title")
    if not data.description.strip():
        raise ValidationFailed(_("请填写服务内容"), field="description")
    if not data.unit.strip():
        raise ValidationFailed(_("请填写计价单位，例如 次、项、人天"), field="unit")
    for name in ("price_min_fen", "price_max_fen"):
        value = getattr(data, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(_("价格格式不正确"), field=name)
    if data.price_min_fen <= 0:
        raise ValidationFailed(_("最低价必须大于 0 元"), field="price_min_fen")
    if data.price_max_fen < data.price_min_fen:
        raise ValidationFailed(_("最高价不能低于最低价"), field="price_max_fen")
    if data.price_max_fen > MAX_PRICE_FEN:
        raise ValidationFailed(_("价格不能超过 1 亿元"), field="price_max_fen")
    return category


def _listing_values(listing: ServiceListing, data: ListingData, category: ServiceCategory) -> None:
    listing.category = category
    listing.title = data.title.strip()[:120]
    listing.description = data.description.strip()
    listing.price_min_fen = data.price_min_fen
    listing.price_max_fen = data.price_max_fen
    listing.unit = data.unit.strip()[:20]
    listing.delivery_terms = data.delivery_terms.strip()


def create_listing(
    *, actor: Actor, profile: ProviderProfile, data: ListingData, submit: bool = False
) -> ServiceListing:
    _require_member(actor, profile.organisation)
    if profile.status in (ProviderStatus.REJECTED, ProviderStatus.SUSPENDED):
        raise Conflict(
            _("机构当前状态为“%(s)s”，不能发布服务") % {"s": profile.get_status_display()}
        )
    category = _clean_listing(data)
    with transaction.atomic():
        listing = ServiceListing(provider=profile)
        _listing_values(listing, data, category)
        listing.status = ListingStatus.SUBMITTED if submit else ListingStatus.DRAFT
        listing.save()
        record_change(
            actor=actor,
            action="supermarket.listing_created",
            obj=listing,
            after=snapshot(listing, LISTING_FIELDS),
            subject=profile,
        )
    return listing


def update_listing(
    *, actor: Actor, listing: ServiceListing, data: ListingData, submit: bool = False
) -> ServiceListing:
    """Editing takes a listing back to draft (or straight to review): staff approve what is sold."""
    _require_member(actor, listing.provider.organisation)
    category = _clean_listing(data)
    with transaction.atomic():
        listing = ServiceListing.objects.select_for_update().get(pk=listing.pk)
        if listing.provider.status == ProviderStatus.SUSPENDED:
            raise Conflict(_("机构已被暂停，暂停期间不能修改服务"))
        before = snapshot(listing, LISTING_FIELDS)
        _listing_values(listing, data, category)
        listing.status = ListingStatus.SUBMITTED if submit else ListingStatus.DRAFT
        listing.reason = ""
        listing.save()
        record_change(
            actor=actor,
            action="supermarket.listing_changed",
            obj=listing,
            before=before,
            after=snapshot(listing, LISTING_FIELDS),
            subject=listing.provider,
        )
    return listing


def _move_listing(
    *,
    actor: Actor,
    listing: ServiceListing,
    allowed: tuple[str, ...],
    status: str,
    action: str,
    reason: str = "",
    review: bool = False,
) -> ServiceListing:
    if review:
        _require_reviewer(actor, REVIEW_LISTINGS)
    else:
        _require_member(actor, listing.provider.organisation)
    with transaction.atomic():
        listing = ServiceListing.objects.select_for_update().get(pk=listing.pk)
        if listing.status not in allowed:
            raise Conflict(
                _("服务当前状态为“%(s)s”，不能执行此操作") % {"s": listing.get_status_display()}
            )
        before = snapshot(listing, LISTING_FIELDS)
        listing.status = status
        listing.reason = reason
        if review:
            listing.reviewed_by = actor.user
            listing.reviewed_at = timezone.now()
        listing.save()
        record_change(
            actor=actor,
            action=action,
            obj=listing,
            before=before,
            after=snapshot(listing, LISTING_FIELDS),
            subject=listing.provider,
            note=reason,
        )
    return listing


def submit_listing(*, actor: Actor, listing: ServiceListing) -> ServiceListing:
    if listing.provider.status in (ProviderStatus.REJECTED, ProviderStatus.SUSPENDED):
        raise Conflict(
            _("机构当前状态为“%(s)s”，不能提交服务") % {"s": listing.provider.get_status_display()}
        )
    return _move_listing(
        actor=actor,
        listing=listing,
        allowed=(ListingStatus.DRAFT, ListingStatus.REJECTED, ListingStatus.WITHDRAWN),
        status=ListingStatus.SUBMITTED,
        action="supermarket.listing_submitted",
    )


def withdraw_listing(*, actor: Actor, listing: ServiceListing) -> ServiceListing:
    return _move_listing(
        actor=actor,
        listing=listing,
        allowed=(ListingStatus.SUBMITTED, ListingStatus.APPROVED),
        status=ListingStatus.WITHDRAWN,
        action="supermarket.listing_withdrawn",
    )


def approve_listing(*, actor: Actor, listing: ServiceListing) -> ServiceListing:
    """Approved listings are shown once the provider itself is approved."""
    return _move_listing(
        actor=actor,
        listing=listing,
        allowed=(ListingStatus.SUBMITTED,),
        status=ListingStatus.APPROVED,
        action="supermarket.listing_approved",
        review=True,
    )


def reject_listing(*, actor: Actor, listing: ServiceListing, reason: str) -> ServiceListing:
    return _move_listing(
        actor=actor,
        listing=listing,
        allowed=(ListingStatus.SUBMITTED,),
        status=ListingStatus.REJECTED,
        action="supermarket.listing_rejected",
        reason=_reason(reason),
        review=True,
    )


def listing_data(values: Any) -> ListingData:
    """Form values in yuan to ListingData in fen; bad numbers answered clearly."""
    from gaoxin.core.fields import posted_fen

    def fen(name: str, label: str) -> int:
        if not str(values.get(name, "")).strip():
            raise ValidationFailed(_("请填写%(f)s") % {"f": label}, field=name)
        return posted_fen(values, name)

    return ListingData(
        category=str(values.get("category", "")),
        title=str(values.get("title", "")),
        description=str(values.get("description", "")),
        price_min_fen=fen("price_min", _("最低价")),
        price_max_fen=fen("price_max", _("最高价")),
        unit=str(values.get("unit", "")),
        delivery_terms=str(values.get("delivery_terms", "")),
    )

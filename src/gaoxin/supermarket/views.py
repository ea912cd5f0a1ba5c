"""科技服务超市 pages: everyone signed in browses; providers list their services; staff review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.core import numbers
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound, PermissionDenied
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.web import paginate, permission_required
from gaoxin.ledger.money import to_yuan
from gaoxin.supermarket import exporting, selectors, services
from gaoxin.supermarket.choices import ListingStatus, ProviderStatus
from gaoxin.supermarket.models import ServiceCategory, ServiceListing
from gaoxin.vouchers.selectors import provider_rating
from gaoxin.vouchers.views import listing_offer

REGISTER = "supermarket.register_providerprofile"


def _yuan(text: str) -> int | None:
    """A price filter in yuan to fen; anything unreadable is ignored."""
    if not text:
        return None
    try:
        return numbers.parse_fen(text)
    except numbers.NumberError:
        return None


def _filtered(
    listings: QuerySet[ServiceListing], params: dict[str, str]
) -> QuerySet[ServiceListing]:
    return selectors.search_listings(
        listings,
        q=params["q"],
        category=params["category"],
        min_fen=_yuan(params["min"]),
        max_fen=_yuan(params["max"]),
        sort=params["sort"],
    )


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("q", "category", "min", "max", "sort")}
    listings = _filtered(selectors.public_listings(), params)
    page = paginate(request, listings)
    categories = list(ServiceCategory.objects.all())
    return render(
        request,
        "supermarket/list.html",
        {
            "page": page,
            "params": params,
            "categories": categories,
            "sorts": [
                ("new", _("最新上架")),
                ("price", _("价格从低到高")),
                ("-price", _("价格从高到低")),
                ("title", _("名称")),
            ],
            "total": page.paginator.count,
            "profile": selectors.own_profile(request.user),
        },
    )


@login_required
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.get_listing(request.user, pk)
    related = (
        selectors.public_listings()
        .filter(provider=listing.provider)
        .exclude(pk=listing.pk)
        .order_by("title")[:6]
    )
    return render(
        request,
        "supermarket/detail.html",
        {
            "listing": listing,
            "related": related,
            "public": listing.status == ListingStatus.APPROVED
            and listing.provider.status == ProviderStatus.APPROVED,
            "offer": listing_offer(request, listing),
            "rating": provider_rating(listing.provider),
        },
    )


@login_required
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.get_profile(request.user, pk)
    listings = selectors.public_listings().filter(provider=profile).order_by("category", "title")
    return render(
        request,
        "supermarket/provider.html",
        {
            "profile": profile,
            "page": paginate(request, listings),
            "rating": provider_rating(profile),
            "reviews": profile.ratings.select_related("order__listing").order_by("-created_at")[
                :10
            ],
        },
    )


def _require_profile(request: HttpRequest) -> Any:
    profile = selectors.own_profile(request.user)
    if profile is None:
        messages.info(request, _("请先登记机构档案，审核通过后服务才能上架"))
    return profile


@permission_required(REGISTER)
def mine(request: HttpRequest) -> HttpResponse:
    profile = selectors.own_profile(request.user)
    listings = (
        profile.listings.select_related("category").order_by("-updated_at", "-id")
        if profile
        else ServiceListing.objects.none()
    )
    status = request.GET.get("status", "")
    if status:
        listings = listings.filter(status=status)
    return render(
        request,
        "supermarket/mine.html",
        {
            "profile": profile,
            "page": paginate(request, listings),
            "status": status,
            "statuses": list(ListingStatus.choices),
        },
    )


@permission_required(REGISTER)
def profile_edit(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    organisation = user.organisation
    profile = selectors.own_profile(request.user)
    error = None
    if request.method == "POST":
        values = request.POST
        data = services.ProfileData(
            uscc=values.get("uscc", ""),
            contact_name=values.get("contact_name", ""),
            contact_phone=values.get("contact_phone", ""),
            contact_email=values.get("contact_email", ""),
            qualifications=values.get("qualifications", ""),
            description=values.get("description", ""),
            categories=values.getlist("categories"),
        )
        try:
            services.register_provider(
                actor=Actor.of(request), organisation=organisation, data=data
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("机构档案已保存，园区审核后生效"))
            return redirect("supermarket:mine")
        chosen = set(values.getlist("categories"))
        current = {k: values.get(k, "") for k in values}
    else:
        chosen = {c.code for c in profile.categories.all()} if profile else set()
        current = (
            {
                k: getattr(profile, k)
                for k in (
                    "uscc",
                    "contact_name",
                    "contact_phone",
                    "contact_email",
                    "qualifications",
                    "description",
                )
            }
            if profile
            else {}
        )
    return render(
        request,
        "supermarket/profile_form.html",
        {
            "organisation": organisation,
            "profile": profile,
            "values": current,
            "chosen": chosen,
            "categories": ServiceCategory.objects.all(),
            "error": error,
        },
    )


def _own_listing(request: HttpRequest, pk: int) -> ServiceListing:
    user: Any = request.user
    listing = (
        ServiceListing.objects.select_related("provider__organisation", "category")
        .filter(pk=pk, provider__organisation_id=user.organisation_id)
        .first()
    )
    if listing is None:
        raise NotFound(_("没有这项服务，或您无权查看"))
    return listing


def _listing_form(request: HttpRequest, listing: ServiceListing | None) -> HttpResponse:
    profile = selectors.own_profile(request.user)
    if profile is None:
        _require_profile(request)
        return redirect("supermarket:profile")
    error = None
    if request.method == "POST":
        try:
            data = services.listing_data(request.POST)
            submit = request.POST.get("action") == "submit"
            if listing is None:
                listing = services.create_listing(
                    actor=Actor.of(request), profile=profile, data=data, submit=submit
                )
            else:
                services.update_listing(
                    actor=Actor.of(request), listing=listing, data=data, submit=submit
                )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已提交园区审核") if submit else _("已保存为草稿"))
            return redirect("supermarket:mine")
        values = {k: request.POST.get(k, "") for k in request.POST}
    elif listing is not None:
        values = {
            "category": listing.category.code,
            "title": listing.title,
            "description": listing.description,
            "price_min": f"{to_yuan(listing.price_min_fen)}",
            "price_max": f"{to_yuan(listing.price_max_fen)}",
            "unit": listing.unit,
            "delivery_terms": listing.delivery_terms,
        }
    else:
        values = {}
    return render(
        request,
        "supermarket/listing_form.html",
        {
            "listing": listing,
            "profile": profile,
            "values": values,
            "categories": ServiceCategory.objects.all(),
            "error": error,
        },
    )


@permission_required(REGISTER)
def listing_create(request: HttpRequest) -> HttpResponse:
    return _listing_form(request, None)


@permission_required(REGISTER)
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _listing_form(request, _own_listing(request, pk))


@require_POST
@permission_required(REGISTER)
def listing_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    listing = _own_listing(request, pk)
    actions = {"submit": services.submit_listing, "withdraw": services.withdraw_listing}
    if step not in actions:
        raise NotFound(_("没有这个操作"))
    try:
        actions[step](actor=Actor.of(request), listing=listing)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已提交园区审核") if step == "submit" else _("服务已下架"))
    return redirect("supermarket:mine")


def _require_staff(request: HttpRequest) -> None:
    user: Any = request.user
    if not user.is_zone_staff:
        raise PermissionDenied(_("您的账号没有此操作的权限"))


@permission_required(selectors.REVIEW_LISTINGS)
def review(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    listings = (
        selectors.listings_visible_to(request.user)
        .filter(status=ListingStatus.SUBMITTED)
        .order_by("updated_at", "id")
    )
    providers = selectors.visible_to(request.user).prefetch_related("categories")
    return render(
        request,
        "supermarket/review.html",
        {
            "page": paginate(request, listings),
            "pending": providers.filter(status=ProviderStatus.PENDING).order_by("created_at"),
            "others": providers.exclude(status=ProviderStatus.PENDING).order_by(
                "status", "organisation__name"
            ),
            "can_review_providers": request.user.has_perm(selectors.REVIEW_PROVIDERS),
        },
    )


@permission_required(selectors.REVIEW_LISTINGS, selectors.REVIEW_PROVIDERS)
def provider_export(request: HttpRequest) -> HttpResponse:
    """The service providers the review page lists (pending first), `?status=` one status."""
    _require_staff(request)
    providers = selectors.visible_to(request.user).prefetch_related("categories")
    status = request.GET.get("status", "")
    if status in ProviderStatus.values:
        providers = providers.filter(status=status)
    rows = providers.order_by("status", "organisation__name", "pk")
    return export_response(exporting.PROVIDERS, rows, as_csv=wants_csv(request))


@require_POST
@permission_required(selectors.REVIEW_LISTINGS)
def review_listing(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    listing = selectors.get_listing(request.user, pk)
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            services.approve_listing(actor=Actor.of(request), listing=listing)
            messages.success(request, _("已上架：%(t)s") % {"t": listing.title})
        elif decision == "reject":
            services.reject_listing(
                actor=Actor.of(request), listing=listing, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已退回：%(t)s") % {"t": listing.title})
        else:
            raise NotFound(_("没有这个操作"))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, str(exc.message))
    return redirect("supermarket:review")


@require_POST
@permission_required(selectors.REVIEW_PROVIDERS)
def review_provider(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    profile = selectors.get_profile(request.user, pk)
    decision = request.POST.get("decision", "")
    actor = Actor.of(request)
    reason = request.POST.get("reason", "")
    done = {
        "approve": lambda: services.approve_provider(actor=actor, profile=profile),
        "reject": lambda: services.reject_provider(actor=actor, profile=profile, reason=reason),
        "suspend": lambda: services.suspend_provider(actor=actor, profile=profile, reason=reason),
        "reinstate": lambda: services.reinstate_provider(actor=actor, profile=profile),
    }
    if decision not in done:
        raise NotFound(_("没有这个操作"))
    try:
        profile = done[decision]()
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(n)s：%(s)s") % {"n": profile.organisation.name, "s": profile.get_status_display()},
        )
    return redirect("supermarket:review")

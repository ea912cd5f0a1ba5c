"""/api/enterprises: the registry over JSON, scoped exactly as the pages are."""

from __future__ import annotations

import math
from typing import Annotated, Any, cast

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from gaoxin.core.audit import Actor
from gaoxin.core.errors import PermissionDenied
from gaoxin.core.schema_fields import Page, PageSize, Text, Year
from gaoxin.enterprises import listing, selectors, services
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.figures import sources_by_field
from gaoxin.enterprises.models import Enterprise
from gaoxin.enterprises.schemas import (
    EnterpriseDetail,
    EnterpriseIn,
    EnterprisePage,
    EnterprisePatch,
    ErrorOut,
    FiguresIn,
    YearFiguresOut,
)

router = Router(tags=["enterprises"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ListQuery(Schema):
    q: Annotated[str, Text(100)] = ""
    chain: Annotated[str, Text(32)] = ""
    segment: Annotated[str, Text(32)] = ""
    area: Annotated[str, Text(32)] = ""
    size: Annotated[str, Text(16)] = ""
    qualification: Annotated[str, Text(32)] = ""
    industry: Annotated[str, Text(8)] = ""
    year: Year | None = None
    sort: Annotated[str, Text(32)] = "-revenue"
    page: Page = 1
    page_size: PageSize = 50


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("您的账号没有此操作的权限"))


@router.get("", response={200: EnterprisePage, **ERRORS})
def list_enterprises(request: HttpRequest, params: Query[ListQuery]) -> Any:
    visible = selectors.visible_to(request.user)
    f = listing.RegistryFilter.from_query(params.dict())
    if f.year is None:
        f.year = listing.default_year()
    matching = listing.filtered(visible, f)
    enterprises = listing.with_figures(matching, f)
    size = params.page_size
    count = matching.count()
    pages = max(1, math.ceil(count / size))
    page = min(params.page, pages)
    items = list(enterprises[(page - 1) * size : page * size])
    qualified = listing.valid_qualifications([e.pk for e in items])
    summary_fields = (
        "id",
        "uscc",
        "name",
        "chain",
        "segment",
        "area",
        "size_band",
        "latest_year",
        "latest_revenue",
    )
    return {
        "count": count,
        "page": page,
        "pages": pages,
        "items": [
            {
                **{k: getattr(e, k) for k in summary_fields},
                "qualifications": qualified.get(e.pk, []),
            }
            for e in items
        ],
    }


def _detail(enterprise: Enterprise) -> dict[str, Any]:
    from gaoxin import catalogue

    today = timezone.localdate()
    data: dict[str, Any] = {f.name: getattr(enterprise, f.name) for f in catalogue.STATIC_FIELDS}
    data.update(
        id=enterprise.pk,
        size_band=enterprise.size_band,
        field_sources=sources_by_field(enterprise.field_sources),
    )
    data["years"] = [
        {
            "year": y.year,
            "sources": y.sources,
            **{f.name: getattr(y, f.name) for f in catalogue.YEARLY_FIELDS},
        }
        for y in enterprise.years.order_by("year")
    ]
    data["qualifications"] = [
        {
            "kind": q.kind,
            "granted_on": q.granted_on,
            "valid_until": q.valid_until,
            "certificate_no": q.certificate_no,
            "source": q.source,
            "recognition": q.recognition,
            "valid_today": q.valid_on(today),
        }
        for q in enterprise.qualifications.all()
    ]
    data["contacts"] = list(
        enterprise.contacts.values("role", "name", "phone", "email", "receives_push")
    )
    return data


@router.get("/{int:enterprise_id}", response={200: EnterpriseDetail, **ERRORS})
def get_enterprise(request: HttpRequest, enterprise_id: int) -> Any:
    return _detail(selectors.get_visible(request.user, enterprise_id))


@router.post("", response={201: EnterpriseDetail, **ERRORS})
def create_enterprise(request: HttpRequest, payload: EnterpriseIn) -> Any:  # type: ignore
    if not request.user.is_zone_staff:  # type: ignore[union-attr]
        raise PermissionDenied(_("只有园区工作人员可以新建企业"))
    _require(request, "enterprises.add_enterprise")
    values = cast(Schema, payload).model_dump(exclude_unset=True)
    enterprise = services.create_enterprise(
        actor=Actor.of(request), values=values, source=DataSource.VERIFIED
    )
    return Status(201, _detail(enterprise))


def _writable(request: HttpRequest, enterprise_id: int) -> tuple[Enterprise, str]:
    """The enterprise and the source its writes count as: staff verify, enterprises declare."""
    enterprise = selectors.get_visible(request.user, enterprise_id)
    user: Any = request.user
    if user.is_enterprise_user:
        _require(request, "enterprises.declare_enterprise")
        return enterprise, DataSource.DECLARED
    _require(request, "enterprises.change_enterprise")
    return enterprise, DataSource.VERIFIED


@router.patch("/{int:enterprise_id}", response={200: EnterpriseDetail, **ERRORS})
def update_enterprise(request: HttpRequest, enterprise_id: int, payload: EnterprisePatch) -> Any:  # type: ignore[valid-type]
    enterprise, source = _writable(request, enterprise_id)
    values = cast(Schema, payload).model_dump(exclude_unset=True)
    enterprise = services.update_enterprise(
        actor=Actor.of(request), enterprise=enterprise, values=values, source=source
    )
    return _detail(enterprise)


@router.put("/{int:enterprise_id}/figures/{int:year}", response={200: YearFiguresOut, **ERRORS})
def put_figures(request: HttpRequest, enterprise_id: int, year: int, payload: FiguresIn) -> Any:  # type: ignore[valid-type]
    enterprise, source = _writable(request, enterprise_id)
    values = cast(Schema, payload).model_dump(exclude_unset=True)
    figures = services.report_figures(
        actor=Actor.of(request), enterprise=enterprise, year=year, source=source, values=values
    )
    from gaoxin import catalogue

    return {
        "year": figures.year,
        "sources": figures.sources,
        **{f.name: getattr(figures, f.name) for f in catalogue.YEARLY_FIELDS},
    }

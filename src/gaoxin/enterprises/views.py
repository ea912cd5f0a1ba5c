"""Registry pages for zone staff: the list, an enterprise's profile, edit forms, export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound
from gaoxin.core.exporting import wants_csv
from gaoxin.core.web import paginate, permission_required
from gaoxin.enterprises import exporting, listing, profile, selectors, services
from gaoxin.enterprises.choices import DataSource, SizeBand
from gaoxin.enterprises.forms import (
    IDENTITY,
    STAFF_AND_IP,
    ContactForm,
    QualificationForm,
    initial_from,
    qualification_choices,
    static_form,
    yearly_form,
)
from gaoxin.enterprises.models import Contact
from gaoxin.enterprises.taxonomy_choices import (
    area_choices,
    chain_choices,
    label,
    segment_choices,
)

VIEW = "enterprises.view_enterprise"
CHANGE = "enterprises.change_enterprise"


def _filter_context(f: listing.RegistryFilter) -> dict[str, Any]:
    chains, areas = chain_choices(), area_choices()
    return {
        "chain_labels": dict(chains),
        "area_labels": dict(areas),
        "segment_labels": {code: label("segment", code) for code, _label in segment_choices()},
        "f": f,
        "chains": chains,
        "segments": segment_choices(f.chain) if f.chain else [],
        "areas": areas,
        "sizes": list(SizeBand.choices),
        "qualifications": qualification_choices(),
    }


@permission_required(VIEW)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    f = listing.RegistryFilter.from_query(request.GET)
    visible = selectors.visible_to(request.user)
    if f.year is None:
        f.year = listing.default_year()
    matching = listing.filtered(visible, f)
    page = paginate(request, listing.Rows(matching, f), count=listing.count(matching))
    ids = [e.pk for e in page.object_list]
    context = {
        **_filter_context(f),
        "page": page,
        "qualified": listing.valid_qualifications(ids),
        "qualification_names": dict(qualification_choices()),
        "can_change": request.user.has_perm(CHANGE),
        "can_add": request.user.has_perm("enterprises.add_enterprise"),
        "can_import": request.user.has_perm("enterprises.import_enterprises"),
        "can_export": request.user.has_perm("enterprises.export_enterprises"),
    }
    template = (
        "enterprises/_results.html" if getattr(request, "htmx", False) else "enterprises/list.html"
    )
    return render(request, template, context)


@permission_required(VIEW)
def segments(request: HttpRequest) -> HttpResponse:
    """The segment options of a chain, for the filter bar (HTMX)."""
    return render(
        request,
        "enterprises/_segment_options.html",
        {
            "segments": segment_choices(request.GET.get("chain") or None),
            "selected": request.GET.get("segment", ""),
        },
    )


@permission_required(VIEW, "enterprises.export_enterprises")
def export(request: HttpRequest) -> HttpResponse:
    f = listing.RegistryFilter.from_query(request.GET)
    if f.year is None:  # the year the list shows
        f.year = listing.default_year()
    enterprises = listing.filtered(selectors.visible_to(request.user), f)
    years = _export_years(f)
    return exporting.export_response(enterprises, years, as_csv=wants_csv(request))


def _export_years(f: listing.RegistryFilter) -> list[int]:
    """The filter's year (bounded) and the two before it; last year when none is chosen."""
    last = f.year or timezone.localdate().year - 1
    return [last - 2, last - 1, last]


@permission_required(VIEW)
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.get_visible(request.user, pk)
    context = profile.profile_context(enterprise)
    context["can_change"] = request.user.has_perm(CHANGE)
    context["history"] = selectors.change_history(enterprise)
    return render(request, "enterprises/detail.html", context)


@permission_required(VIEW, "enterprises.add_enterprise")
def enterprise_create(request: HttpRequest) -> HttpResponse:
    form = static_form(["uscc", *IDENTITY, *STAFF_AND_IP], data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.create_enterprise(
                actor=Actor.of(request), values=form.cleaned_data, source=DataSource.VERIFIED
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("已新建企业“%(n)s”") % {"n": enterprise.name})
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "title": _("新建企业"), "groups": _groups(form)},
    )


def _groups(form: Any) -> list[tuple[str, list[Any]]]:
    identity = [form[n] for n in ["uscc", *IDENTITY] if n in form.fields]
    staff = [form[n] for n in STAFF_AND_IP if n in form.fields]
    return [(_("基本信息"), identity), (_("人员、知识产权与合规"), staff)]


@permission_required(VIEW, CHANGE)
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.get_visible(request.user, pk)
    names = [*IDENTITY, *STAFF_AND_IP]
    form = static_form(names, data=request.POST or None, initial=initial_from(enterprise, names))
    if request.method == "POST" and form.is_valid():
        changed = {n: form.cleaned_data[n] for n in form.changed_data}
        try:
            services.update_enterprise(
                actor=Actor.of(request),
                enterprise=enterprise,
                values=changed,
                source=DataSource.VERIFIED,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("已保存"))
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/form.html",
        {
            "form": form,
            "enterprise": enterprise,
            "groups": _groups(form),
            "title": _("编辑企业信息"),
        },
    )


@permission_required(VIEW, CHANGE)
def figures_edit(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """Zone-verified figures of one year."""
    enterprise = selectors.get_visible(request.user, pk)
    return edit_figures(
        request,
        enterprise,
        year,
        source=DataSource.VERIFIED,
        done=f"{enterprise_url(enterprise)}#figures",
        saved=_("已保存 %(y)s 年度数据") % {"y": year},
        title=_("%(y)s 年度数据（园区核实）") % {"y": year},
    )


def edit_figures(
    request: HttpRequest,
    enterprise: Any,
    year: int,
    *,
    source: str,
    done: str,
    saved: str,
    title: str,
    mine: bool = False,
) -> HttpResponse:
    """One year's figures as one source reports them (staff verify, enterprises declare), with
    what every source says beside the form."""
    report = enterprise.reports.filter(year=year, source=source).first()
    names = [f.name for f in catalogue.YEARLY_FIELDS]
    form = yearly_form(
        data=request.POST or None, initial=initial_from(report, names) if report else {}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_figures(
                actor=Actor.of(request),
                enterprise=enterprise,
                year=year,
                source=source,
                values=form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, saved)
            return redirect(done)
    reports = {r.source: r for r in enterprise.reports.filter(year=year)}
    comparison = [
        {
            "label": form[name].label,
            "values": [
                getattr(reports[code], name) if code in reports else None
                for code, _label in DataSource.choices
            ],
        }
        for name in names
    ]
    return render(
        request,
        "enterprises/figures_form.html",
        {
            "form": form,
            "enterprise": enterprise,
            "year": year,
            "comparison": comparison,
            "sources": DataSource.choices,
            "title": title,
            "mine": mine,
        },
    )


def enterprise_url(enterprise: Any) -> str:
    from django.urls import reverse

    return reverse("enterprises:detail", kwargs={"pk": enterprise.pk})


@permission_required(VIEW, CHANGE)
def qualification_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.get_visible(request.user, pk)
    form = QualificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            values = dict(form.cleaned_data)
            values["recognition"] = values.get("recognition") or None  # blank: leave as recorded
            services.record_qualification(
                actor=Actor.of(request),
                enterprise=enterprise,
                source=DataSource.VERIFIED,
                **values,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("已登记资质"))
            return redirect(f"{enterprise_url(enterprise)}#qualifications")
    return render(
        request,
        "enterprises/simple_form.html",
        {"form": form, "enterprise": enterprise, "title": _("登记资质")},
    )


@permission_required(VIEW, CHANGE)
def contact_edit(request: HttpRequest, pk: int, contact_id: int | None = None) -> HttpResponse:
    enterprise = selectors.get_visible(request.user, pk)
    return edit_contact(
        request, enterprise, contact_id, done=f"{enterprise_url(enterprise)}#contacts"
    )


def edit_contact(
    request: HttpRequest, enterprise: Any, contact_id: int | None, *, done: str, mine: bool = False
) -> HttpResponse:
    """Add or change one of an enterprise's contacts (staff, or the enterprise itself)."""
    contact = None
    if contact_id is not None:
        contact = Contact.objects.filter(enterprise=enterprise, pk=contact_id).first()
        if contact is None:
            raise NotFound(_("没有找到这位联系人"))
    fields = ("role", "name", "phone", "email", "receives_push")
    initial = {k: getattr(contact, k) for k in fields} if contact else None
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_contact(
                actor=Actor.of(request), enterprise=enterprise, contact=contact, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("已保存联系人"))
            return redirect(done)
    return render(
        request,
        "enterprises/simple_form.html",
        {"form": form, "enterprise": enterprise, "title": _("联系人"), "mine": mine},
    )

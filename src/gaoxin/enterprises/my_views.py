"""An enterprise user's own pages: its profile, and declaring its data (企业申报)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound
from gaoxin.core.web import permission_required
from gaoxin.enterprises import profile, selectors, services
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.figures import outranks, source_of
from gaoxin.enterprises.forms import (
    IDENTITY,
    STAFF_AND_IP,
    initial_from,
    static_form,
)
from gaoxin.enterprises.views import edit_contact, edit_figures

DECLARE = "enterprises.declare_enterprise"
DECLARABLE = [
    n for n in IDENTITY if n not in ("chain", "segment", "area", "in_zone")
] + STAFF_AND_IP


@login_required
def my_enterprise(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.own_enterprise(request.user)
    context = profile.profile_context(enterprise)
    context["can_declare"] = request.user.has_perm(DECLARE)
    context["mine"] = True
    return render(request, "enterprises/mine.html", context)


@permission_required(DECLARE)
def declare_profile(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.own_enterprise(request.user)
    locked = {
        n
        for n in DECLARABLE
        if outranks(source_of(enterprise.field_sources, n), DataSource.DECLARED)
    }
    form = static_form(
        DECLARABLE,
        data=request.POST or None,
        initial=initial_from(enterprise, DECLARABLE),
        locked=locked,
    )
    if request.method == "POST" and form.is_valid():
        changed = {n: form.cleaned_data[n] for n in form.changed_data if n not in locked}
        try:
            services.update_enterprise(
                actor=Actor.of(request),
                enterprise=enterprise,
                values=changed,
                source=DataSource.DECLARED,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("已提交，园区核实后生效的数据将标注为“园区核实”"))
            return redirect("enterprises:mine")
    groups = [
        (_("基本信息"), [form[n] for n in DECLARABLE if n in IDENTITY]),
        (_("人员、知识产权与合规"), [form[n] for n in STAFF_AND_IP]),
    ]
    return render(
        request,
        "enterprises/form.html",
        {
            "form": form,
            "groups": groups,
            "enterprise": enterprise,
            "mine": True,
            "title": _("更新企业信息"),
            "description": _(
                "您申报的数据供园区匹配政策使用；与政府部门数据不一致时，以政府部门数据为准。"
            ),
        },
    )


@permission_required(DECLARE)
def declare_figures(request: HttpRequest, year: int) -> HttpResponse:
    enterprise = selectors.own_enterprise(request.user)
    this_year = timezone.localdate().year
    if not this_year - 10 <= year < this_year:
        raise NotFound(_("只能申报近十年已结束年度的数据"))
    return edit_figures(
        request,
        enterprise,
        year,
        source=DataSource.DECLARED,
        done=reverse("enterprises:mine"),
        saved=_("已提交 %(y)s 年度数据") % {"y": year},
        title=_("申报 %(y)s 年度数据") % {"y": year},
        mine=True,
    )


@permission_required(DECLARE)
def my_contact(request: HttpRequest, contact_id: int | None = None) -> HttpResponse:
    enterprise = selectors.own_enterprise(request.user)
    return edit_contact(
        request, enterprise, contact_id, done=reverse("enterprises:mine"), mine=True
    )

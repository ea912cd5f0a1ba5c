"""The registry's figures for the staff home page, all counted from the enterprises the user may
see."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.core import cached, formatting
from gaoxin.core.language import field_label
from gaoxin.enterprises.choices import SizeBand
from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures
from gaoxin.enterprises.taxonomy_choices import label

WAN = Decimal(10_000)


def dashboard(enterprises: QuerySet[Enterprise]) -> dict[str, Any]:
    """The figures of the registry that `enterprises` (a user's scope) holds. Counting them
    reads the whole registry, so they are kept in the cache until the registry next changes
    (`cached.REGISTRY`), per scope (its query), day and language."""
    if enterprises.query.is_empty():
        return _count(enterprises, timezone.localdate())
    today = timezone.localdate()
    parts = ("dashboard", str(enterprises.query), today.isoformat(), get_language())
    return cached.remember(cached.REGISTRY, parts, lambda: _count(enterprises, today))


def _count(enterprises: QuerySet[Enterprise], today: date) -> dict[str, Any]:
    # Scoped staff see a subset; for those who see all, no IN (…) around every aggregate.
    everything = not enterprises.query.where
    ids = None if everything else enterprises.values("pk")
    # One pass over the registry for the chains, the size bands and the staff figures.
    groups = enterprises.values_list("chain", "size_band").annotate(
        n=Count("pk"), employees=Sum("employees"), postgrad=Sum("postgrad_staff")
    )
    chains: dict[str, int] = {}
    by_size: dict[str, int] = {}
    staff = {"employees": 0, "postgrad": 0}
    for chain, size_band, n, employees, postgrad in groups.order_by():
        chains[chain] = chains.get(chain, 0) + n
        by_size[size_band] = by_size.get(size_band, 0) + n
        staff["employees"] += employees or 0
        staff["postgrad"] += postgrad or 0
    by_chain: list[dict[str, Any]] = [
        {"chain": chain, "n": n}
        for chain, n in sorted(chains.items(), key=lambda item: (-item[1], item[0] or ""))
    ]
    certificates = (
        Qualification.objects.all()
        if ids is None
        else Qualification.objects.filter(enterprise__in=ids)
    )
    figures = (
        YearlyFigures.objects.all()
        if ids is None
        else YearlyFigures.objects.filter(enterprise__in=ids)
    )
    valid = certificates.filter(granted_on__lte=today).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    by_qualification = dict(
        valid.values_list("kind").annotate(n=Count("enterprise", distinct=True))
    )
    yearly = list(
        figures.filter(year__lt=today.year)
        .values("year")
        .annotate(revenue=Sum("revenue"), rd=Sum("rd_expense"), n=Count("pk"))
        .order_by("year")
    )[-5:]
    last = yearly[-1] if yearly else None
    return {
        "total": sum(r["n"] for r in by_chain),
        "high_tech": by_qualification.get("high_tech_enterprise", 0),
        "little_giant": by_qualification.get("little_giant", 0),
        "last_year": last["year"] if last else None,
        "last_revenue": formatting.money(last["revenue"]) if last else "—",
        "last_intensity": formatting.percent(formatting.ratio(last["rd"], last["revenue"]))
        if last
        else "—",
        "postgrad_share": formatting.percent(
            formatting.ratio(staff["postgrad"], staff["employees"])
        ),
        "chart": {
            "chain": {
                "labels": [label("chain", r["chain"]) or _("未分类") for r in by_chain],
                "values": [r["n"] for r in by_chain],
                "ids": [r["chain"] for r in by_chain],
                "title": _("各产业链企业数（家）"),
                "unit": _("家"),
            },
            "qualification": {
                "labels": [field_label(q) for q in catalogue.QUALIFICATIONS],
                "values": [by_qualification.get(q.name, 0) for q in catalogue.QUALIFICATIONS],
                "ids": [q.name for q in catalogue.QUALIFICATIONS],
                "title": _("有效资质企业数（家）"),
                "unit": _("家"),
            },
            "size": {
                "labels": [str(s.label) for s in SizeBand],
                "values": [by_size.get(s.value, 0) for s in SizeBand],
                "ids": [s.value for s in SizeBand],
                "title": _("企业规模分布（家）"),
                "unit": _("家"),
            },
            "years": {
                "labels": [str(r["year"]) for r in yearly],
                "revenue": [float(round((r["revenue"] or 0) / WAN / 10000, 2)) for r in yearly],
                "rd": [float(round((r["rd"] or 0) / WAN / 10000, 2)) for r in yearly],
                "title": _("营业收入与研发费用合计（亿元）"),
                "unit": _("亿元"),
                "revenue_label": _("营业收入"),
                "rd_label": _("研发费用"),
            },
        },
        "yearly_rows": [
            {
                "year": r["year"],
                "n": r["n"],
                "revenue": formatting.money(r["revenue"], "yi"),
                "rd": formatting.money(r["rd"], "yi"),
                "intensity": formatting.percent(formatting.ratio(r["rd"], r["revenue"])),
            }
            for r in yearly
        ],
    }

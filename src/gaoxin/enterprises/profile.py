"""What an enterprise's profile page shows: its facts with their sources, its yearly figures
as table and charts, its certificates and contacts. One builder for staff and enterprise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.catalogue import FieldType
from gaoxin.core import formatting
from gaoxin.core.language import field_label, field_unit
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.figures import source_of
from gaoxin.enterprises.forms import IDENTITY, STAFF_AND_IP
from gaoxin.enterprises.models import Enterprise
from gaoxin.enterprises.taxonomy_choices import label

WAN = Decimal(10_000)


def show(field: catalogue.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field.name in ("chain", "segment", "area"):
        return label(field.name, value)
    if field.type is FieldType.BOOLEAN:
        return _("是") if value else _("否")
    if field.type is FieldType.MONEY:
        return formatting.money(value)
    if field.type is FieldType.INTEGER:
        return f"{value:,} {field_unit(field)}".strip()
    return str(value)


def facts(enterprise: Enterprise, names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        field = catalogue.BY_NAME[name]
        source = source_of(enterprise.field_sources, name)
        rows.append(
            {
                "name": name,
                "label": field_label(field),
                "value": show(field, getattr(enterprise, name)),
                "source": DataSource(source).label if source else "",
            }
        )
    return rows


def figures_table(enterprise: Enterprise) -> dict[str, Any]:
    years = list(enterprise.years.order_by("year"))
    rows = []
    for field in catalogue.YEARLY_FIELDS:
        cells = [
            {
                "value": formatting.money_number(getattr(y, field.name)),
                "source": DataSource(y.sources[field.name]).label
                if field.name in y.sources
                else "",
            }
            for y in years
        ]
        if any(c["value"] != "—" for c in cells):
            rows.append({"label": field_label(field), "cells": cells})
    intensity = [formatting.ratio(y.rd_expense, y.revenue) for y in years]
    rows.append(
        {
            "label": _("研发投入强度"),
            "cells": [{"value": formatting.percent(v), "source": ""} for v in intensity],
        }
    )
    chart = {
        "years": [str(y.year) for y in years],
        "revenue": [_wan(y.revenue) for y in years],
        "rd": [_wan(y.rd_expense) for y in years],
        "profit": [_wan(y.profit) for y in years],
        "intensity": [float(round(v * 100, 2)) if v is not None else None for v in intensity],
        "labels": {
            "revenue": _("营业收入"),
            "rd": _("研发费用"),
            "profit": _("利润总额"),
            "intensity": _("研发投入强度"),
            "wan": _("万元"),
            "title_money": _("营业收入、研发费用与利润（万元）"),
            "title_intensity": _("研发投入强度（%）"),
        },
    }
    return {"years": [y.year for y in years], "rows": rows, "chart": chart}


def _wan(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value / WAN, 2))


def qualifications(enterprise: Enterprise) -> list[dict[str, Any]]:
    today = timezone.localdate()
    out = []
    for q in enterprise.qualifications.all():
        field = catalogue.BY_NAME.get(q.kind)
        valid = q.valid_on(today)
        expiring = valid and q.valid_until is not None and (q.valid_until - today).days <= 90
        out.append(
            {
                "q": q,
                "label": field_label(field) if field else q.kind,
                "valid": valid,
                "expiring": expiring,
                "future": q.granted_on > today,
                "source": q.get_source_display(),
            }
        )
    return out


def profile_context(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "enterprise": enterprise,
        "identity": facts(enterprise, IDENTITY),
        "staff": facts(enterprise, STAFF_AND_IP),
        "figures": figures_table(enterprise),
        "qualification_rows": qualifications(enterprise),
        "contacts": list(enterprise.contacts.all()),
        "entry_years": _entry_years(),
        **linked_records(enterprise),
    }


LINKED_SHOWN = 100  # per table on the profile; the rest stay in the registry


def linked_records(enterprise: Enterprise) -> dict[str, Any]:
    """Its people and item tables — what person and per-item policies read."""
    return {
        "people": list(enterprise.people.all()[:LINKED_SHOWN]),
        "patents": list(enterprise.patents.all()[:LINKED_SHOWN]),
        "equipment": list(enterprise.equipment_purchases.all()[:LINKED_SHOWN]),
        "tenants": list(enterprise.tenancies.all()[:LINKED_SHOWN]),
    }


def _entry_years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year - 1, this_year - 5, -1))

"""Pure helpers over registry values: which source prevails, the size band."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from gaoxin import enterprise_size
from gaoxin.catalogue import STATIC_FIELDS, YEARLY_FIELDS
from gaoxin.enterprises.choices import SOURCE_PRECEDENCE, SizeBand

STATIC_NAMES = tuple(f.name for f in STATIC_FIELDS)
YEARLY_NAMES = tuple(f.name for f in YEARLY_FIELDS)
_RANK = {source: rank for rank, source in enumerate(SOURCE_PRECEDENCE)}


def rank(source: str) -> int:
    """0 for the most authoritative source."""
    return _RANK[source]  # type: ignore[index]


def outranks(recorded: str | None, incoming: str) -> bool:
    """Whether a value recorded from `recorded` must not be overwritten from `incoming`."""
    return recorded is not None and rank(recorded) < rank(incoming)


def merge_reports(reports: Iterable[tuple[str, Mapping[str, Any]]]) -> tuple[dict, dict]:
    """(source, values) pairs of one enterprise and year → the values in force and, per field,
    the source it was taken from: the most authoritative source that has a value."""
    ordered = sorted(reports, key=lambda pair: rank(pair[0]))
    values: dict[str, Any] = dict.fromkeys(YEARLY_NAMES)
    sources: dict[str, str] = {}
    for name in YEARLY_NAMES:
        for source, report in ordered:
            if report.get(name) is not None:
                values[name] = report[name]
                sources[name] = source
                break
    return values, sources


YI = Decimal(100_000_000)
WAN = Decimal(10_000)


def size_band(
    employees: int | None,
    revenue: Decimal | None,
    industry: str | None = None,
    assets: Decimal | None = None,
) -> SizeBand:
    """The national classification by industry (工信部联企业〔2011〕300号, see
    `gaoxin.enterprise_size`); unknown when a figure the industry's test needs is missing."""
    found = enterprise_size.band(industry, employees, revenue, assets)
    return SizeBand.UNKNOWN if found is None else SizeBand(found)


def staff_conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what is wrong) for staff counts that contradict each other."""
    from django.utils.translation import gettext as _

    employees = values.get("employees")
    return [
        (part, _("不能多于职工总数"))
        for part in ("tech_staff", "rd_staff")
        if employees is not None and values.get(part) is not None and values[part] > employees
    ]


def figure_conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what is wrong) for one year's figures where a part exceeds its whole."""
    from django.utils.translation import gettext as _

    out = []
    for part, whole in (
        ("rd_expense_domestic", "rd_expense"),
        ("high_tech_revenue", "revenue"),
        ("main_business_revenue", "revenue"),
    ):
        if values.get(part) is None or values.get(whole) is None:
            continue
        if values[part] > values[whole]:
            alias = {"rd_expense": _("研发费用"), "revenue": _("营业收入")}[whole]
            out.append((part, _("不能大于%(w)s") % {"w": alias}))
    return out


# Where each static value came from, kept compactly on the enterprise: fields recorded from one
# source at one time share an entry, {"verified|2026-11-22T11:53:00+08:00": ["name", …]}, so
# that provenance costs a few hundred bytes a row, not most of the row.
_SEPARATOR = "|"


def field_source(stored: Mapping[str, Any], name: str) -> tuple[str, str] | None:
    """(source, when) of one field, or None when nothing is recorded."""
    for key, names in stored.items():
        if name in names:
            source, _sep, at = key.partition(_SEPARATOR)
            return source, at
    return None


def source_of(stored: Mapping[str, Any], name: str) -> str | None:
    found = field_source(stored, name)
    return found[0] if found else None


def record_sources(
    stored: Mapping[str, Any], names: Iterable[str], source: str, at: str
) -> dict[str, list[str]]:
    """The provenance after `names` were recorded from `source` at `at`."""
    names = list(names)
    if not names:
        return dict(stored)
    moved = set(names)
    out: dict[str, list[str]] = {}
    for key, fields in stored.items():
        kept = [f for f in fields if f not in moved]
        if kept:
            out[key] = kept
    key = f"{source}{_SEPARATOR}{at}"
    out[key] = sorted({*out.get(key, []), *names})
    return out


def sources_by_field(stored: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """{field: {"source": …, "at": …}}, as the API shows it."""
    out = {}
    for key, names in stored.items():
        source, _sep, at = key.partition(_SEPARATOR)
        for name in names:
            out[name] = {"source": source, "at": at}
    return out

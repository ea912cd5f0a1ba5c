"""Pure helpers over registry values: which source prevails, the size band."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

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


def size_band(employees: int | None, revenue: Decimal | None) -> SizeBand:
    """The 2011 MIIT industrial classification (工信部联企业〔2011〕300号)."""
    if employees is None or revenue is None:
        return SizeBand.UNKNOWN
    if employees >= 1000 and revenue >= 4 * YI:
        return SizeBand.LARGE
    if employees >= 300 and revenue >= 2000 * WAN:
        return SizeBand.MEDIUM
    if employees >= 20 and revenue >= 300 * WAN:
        return SizeBand.SMALL
    return SizeBand.MICRO


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

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django import template
from django.http import QueryDict
from django.utils.html import format_html

from gaoxin.core import formatting
from gaoxin.core.idempotency import FIELD as IDEMPOTENCY_FIELD
from gaoxin.core.uscc import mask

register = template.Library()


@register.filter
def money(value: Any, unit: str = "auto") -> str:
    return formatting.money(value, unit)


@register.filter
def money_number(value: Any, unit: str = "wan") -> str:
    return formatting.money_number(value, unit)


@register.filter
def percent(value: Any) -> str:
    return formatting.percent(value)


@register.filter
def masked(code: str) -> str:
    return mask(code or "")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for sorting and paging)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(list(params.lists()), doseq=True) if params else "?"


@register.filter
def flat_label(header: str) -> str:
    """`rd_expense_2025` → `研发费用（2025年）` (English: `R&D expense (2025)`)."""
    from gaoxin.catalogue import parse_header
    from gaoxin.core.language import english, field_label

    column = parse_header(header or "")
    if column is None:
        return header
    label = field_label(column.field)
    if column.first:  # 首次认定 or not: what first_time() reads
        return f"{label} (first recognition?)" if english() else f"{label}（是否首次认定）"
    if column.year is None:
        return label
    return f"{label} ({column.year})" if english() else f"{label}（{column.year}年）"


@register.filter
def fen_money(fen: Any) -> str:
    """Integer fen as money (元/万元/亿元)."""
    from decimal import Decimal

    if fen is None or fen == "":
        return "—"
    return formatting.money(Decimal(int(fen)) / 100)


@register.filter
def fen_number(fen: Any, unit: str = "wan") -> str:
    """Integer fen as a number in one unit (yuan or wan), for a table column whose header
    names the unit: every row of the column reads alike."""
    from decimal import Decimal

    if fen is None or fen == "":
        return "—"
    return formatting.money_number(Decimal(int(fen)) / 100, unit)


@register.simple_tag
def idempotency_field() -> str:
    """A hidden `idempotency_key` with a new random key each time the form is rendered: sending
    the rendered form twice (a double click, a retried POST) runs it once
    (`gaoxin.core.idempotency`)."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', IDEMPOTENCY_FIELD, uuid.uuid4().hex
    )

"""Numbers as people read them (UI.md): money in 元, 万元 or 亿元 by size, never in scientific
notation; percentages with two decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        return None


def grouped(value: Decimal, places: int = 2) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def money(value: Any, unit: str = "auto") -> str:
    """`unit`: yuan, wan, yi, or auto (by size)."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    if unit == "auto":
        unit = "yi" if abs(amount) >= YI else "wan" if abs(amount) >= WAN else "yuan"
    if unit == "yi":
        return f"{grouped(amount / YI)} {_('亿元')}"
    if unit == "wan":
        return f"{grouped(amount / WAN)} {_('万元')}"
    yuan = _("元")
    return f"{grouped(amount)} {yuan}"


def money_number(value: Any, unit: str = "wan") -> str:
    """The number alone, for table columns whose header names the unit."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    divisor = {"yi": YI, "wan": WAN}.get(unit, Decimal(1))
    return grouped(amount / divisor)


def percent(value: Any, places: int = 2) -> str:
    ratio = _decimal(value)
    if ratio is None:
        return "—"
    return f"{grouped(ratio * 100, places)}%"


def ratio(part: Any, whole: Any) -> Decimal | None:
    a, b = _decimal(part), _decimal(whole)
    if a is None or b is None or b == 0:
        return None
    return a / b

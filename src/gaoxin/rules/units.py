"""Numbers with Chinese units: `5000万`, `2亿`, `35%`, `1.5‰`, `200万元`."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

# Longest first, so that `万元` wins over `万`.
UNITS: dict[str, tuple[int, int, str]] = {  # unit -> (numerator, denominator, kind)
    "千万元": (10_000_000, 1, "money"),
    "百万元": (1_000_000, 1, "money"),
    "万元": (10_000, 1, "money"),
    "亿元": (100_000_000, 1, "money"),
    "千万": (10_000_000, 1, "plain"),
    "百万": (1_000_000, 1, "plain"),
    "万": (10_000, 1, "plain"),
    "亿": (100_000_000, 1, "plain"),
    "元": (1, 1, "money"),
    "%": (1, 100, "percent"),
    "％": (1, 100, "percent"),
    "‰": (1, 1000, "percent"),
}
UNIT_NAMES = sorted(UNITS, key=len, reverse=True)
NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_FULL = re.compile(
    r"^\s*(?P<sign>[-+]?)\s*(?P<num>[0-9][0-9,_]*(?:\.[0-9]+)?)\s*(?P<unit>"
    + "|".join(re.escape(u) for u in UNIT_NAMES)
    + r")?\s*$"
)


def scale(number: str, unit: str | None) -> Fraction:
    value = Fraction(Decimal(number))
    if unit:
        num, den, _ = UNITS[unit]
        value = value * num / den
    return value


def parse_quantity(text: str) -> Fraction | None:
    """`'5000万'` → 50000000; `'35%'` → 7/20; None if the text is not a number."""
    m = _FULL.match(text)
    if not m:
        return None
    try:
        value = scale(m["num"].replace(",", "").replace("_", ""), m["unit"])
    except (InvalidOperation, ValueError):
        return None
    return -value if m["sign"] == "-" else value


def to_fraction(value: object) -> Fraction | None:
    """A value from YAML, JSON, CSV or a DataFrame as an exact rational (None if not a number).
    Floats go through their shortest repr, so 2012345.10 is exactly 2012345.1."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return parse_quantity(value)
    return None

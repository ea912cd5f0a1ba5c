"""Enterprise data as the engine reads it: a record keyed by (field, year), values typed
exactly (money as a Fraction of whole fen, counts as Fractions, dates, booleans, text).

Accepts the flat layout (`revenue_2024`, `营业收入_2024`, `high_tech_enterprise_until`) and
the nested test layout (`revenue: {2024: 4000万}`)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from gaoxin import catalogue as C

from .units import to_fraction

Key = tuple[str, int | None]
Record = dict[Key, Any]
UNTIL = "_until"
FIRST = "_first"  # whether the certificate is the first of its kind (first_time)

TRUE_WORDS = {"true", "1", "yes", "y", "是", "有", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "无", "f"}


def is_missing(v: object) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def to_money(v: object) -> Fraction | None:
    """Yuan → exact yuan in whole fen. Floats round as floor(x·100 + 0.5) in binary64, which
    is what the batch evaluator does on a float column, so both read the same fen."""
    if is_missing(v):
        return None
    if isinstance(v, float):
        return Fraction(math.floor(v * 100.0 + 0.5), 100)
    if isinstance(v, Decimal) and v.is_finite() and v.as_tuple().exponent >= -2:  # type: ignore[operator]
        return Fraction(int(v.scaleb(2)), 100)  # the registry's own money: whole fen already
    f = to_fraction(v)
    if f is None:
        return None
    fen = Decimal(f.numerator * 100) / Decimal(f.denominator)
    return Fraction(int(fen.quantize(Decimal(1), rounding=ROUND_HALF_UP)), 100)


def to_number(v: object) -> Fraction | None:
    if is_missing(v):
        return None
    return to_fraction(v)


def to_bool(v: object) -> bool | None:
    if is_missing(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return bool(v)
    text = str(v).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def to_date(v: object) -> dt.date | None:
    if is_missing(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    text = str(v).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def to_text(v: object) -> str | None:
    return None if is_missing(v) else str(v).strip()


CONVERT = {
    "money": to_money,
    "integer": to_number,
    "number": to_number,
    "percent": to_number,
    "boolean": to_bool,
    "date": to_date,
    "text": to_text,
}


def convert(type_name: str, v: object) -> Any:
    return CONVERT[type_name](v)


def to_integer(v: object) -> Fraction | None:
    """Counts: floats round as floor(x + 0.5) in binary64, like the batch reader."""
    if is_missing(v):
        return None
    if isinstance(v, float):
        return Fraction(math.floor(v + 0.5))
    f = to_fraction(v)
    return None if f is None else Fraction(math.floor(f + Fraction(1, 2)))


def convert_field(f: C.Field, v: object) -> Any:
    """A field's value as the engine reads it; values the registry refuses (negative where
    the catalogue says non-negative, or out of range) are missing, as in the batch reader."""
    from .exact import COUNT_MAX, MONEY_MAX_FEN

    t = f.type.value
    if t == "money":
        x = to_money(v)
        if x is None or (f.non_negative and x < 0) or abs(x) * 100 > MONEY_MAX_FEN:
            return None
        return x
    if t == "integer":
        x = to_integer(v)
        if x is None or (f.non_negative and x < 0) or abs(x) > COUNT_MAX:
            return None
        return x
    return convert(t, v)


def record(enterprise: Mapping[str, Any]) -> Record:
    """Normalise one enterprise (flat or nested layout) into a record."""
    out: Record = {}
    for key, value in enterprise.items():
        name = str(key)
        if name in C.ITEM_TABLE:  # an item table: patents: [{kind: 发明, …}, …]
            from .items import item_records

            table = C.ITEM_TABLE[name]
            out[(table.name, None)] = item_records(table, value)
            continue
        f = C.lookup(name)
        if f is not None and f.yearly:
            if isinstance(value, Mapping):
                for year, v in value.items():
                    x = convert_field(f, v)
                    if x is not None:
                        out[(f.name, int(year))] = x
            continue
        if f is not None and isinstance(value, Mapping):  # {granted:, until:} for a certificate
            if f.kind is C.FieldKind.QUALIFICATION:
                for sub, col in (("granted", f.name), ("until", f.name + UNTIL)):
                    x = to_date(value.get(sub))
                    if x is not None:
                        out[(col, None)] = x
                first = to_bool(value.get("first"))
                if first is not None:
                    out[(f.name + FIRST, None)] = first
            continue
        column = C.parse_header(name)
        if column is None:
            continue
        if column.until:
            x = to_date(value)
            if x is not None:
                out[(column.field.name + UNTIL, None)] = x
            continue
        if column.first:
            b = to_bool(value)
            if b is not None:
                out[(column.field.name + FIRST, None)] = b
            continue
        x = convert_field(column.field, value)
        if x is not None:
            out[(column.field.name, column.year)] = x
    return out

"""Turning what people type or Excel holds into typed values, per catalogue field.

Used by the import, the forms and the API alike, so a value is accepted or refused the same
way everywhere. Errors carry a message in the active language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache, partial
from typing import Any

from django.utils.translation import gettext as _

from gaoxin.catalogue import Field, FieldType
from gaoxin.core import uscc as uscc_codes
from gaoxin.core.language import english

FEN = Decimal("0.01")
MAX_MONEY = Decimal("9999999999999999.99")  # what DecimalField(18, 2) holds
_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "": Decimal(1)}
_PLAIN_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*$")
_MONEY = re.compile(r"^(?P<num>[+-]?\d+(?:\.\d+)?)\s*(?P<unit>万|亿)?\s*元?$")
_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", "×"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_INDUSTRY = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")
# Excel's day zero for serial dates (it counts a 29 February 1900 that never was).
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class InvalidValue(ValueError):
    pass


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_value(field: Field, raw: Any) -> Any:
    """The typed value of `raw` for `field`; None for a blank cell; InvalidValue otherwise."""
    return parser_for(field)(raw)


@cache
def parser_for(field: Field) -> Callable[[Any], Any]:
    """A parser for one field, with only the checks that field needs: an import calls it for
    every cell, millions of times."""
    parse = _PARSERS[field.type]
    checks: list[Callable[[Any], Any]] = []
    if field.name == "uscc":
        checks.append(_uscc)
    elif field.name in ("chain", "segment", "area"):
        checks.append(partial(_taxonomy_code, field.name))
    elif field.name == "industry":
        checks.append(_industry)
    if field.is_number and field.non_negative:
        checks.append(_not_negative)

    def parse_cell(raw: Any) -> Any:
        if raw is None or (raw.__class__ is str and not raw.strip()):
            return None
        value = parse(raw)
        for check in checks:
            value = check(value)
        return value

    return parse_cell


def _uscc(value: str) -> str:
    try:
        return uscc_codes.validate(value)
    except uscc_codes.InvalidUSCC as exc:
        raise InvalidValue(exc.message_en if english() else str(exc)) from None


def _taxonomy_code(kind: str, value: str) -> str:
    from gaoxin.enterprises.taxonomy_choices import to_code

    return to_code(kind, value)


def _industry(value: str) -> str:
    value = value.upper()
    if not _INDUSTRY.match(value):
        raise InvalidValue(_("行业代码应为 GB/T 4754 门类字母加 2–4 位数字，如 C3974"))
    return value


def _not_negative(value: Any) -> Any:
    if value < 0:
        raise InvalidValue(_("不能为负数"))
    return value


def _text(raw: Any) -> str:
    text = str(raw).strip() if not isinstance(raw, float) else _number_text(raw)
    if len(text) > 200:
        raise InvalidValue(_("文字过长（最多 200 字）"))
    return text


def _number_text(raw: float) -> str:
    return str(int(raw)) if raw.is_integer() else str(raw)


def _money(raw: Any) -> Decimal:
    kind = raw.__class__
    if kind is float:
        # The common case in a sheet. Excel stores numbers as binary floats: repr gives the
        # shortest decimal that round-trips, which is what the cell showed.
        value = Decimal(repr(raw))
    elif kind is bool:
        raise InvalidValue(_("应为金额（元），如 1234.56、500万、2亿"))
    elif isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif (plain := _PLAIN_NUMBER.match(raw if kind is str else str(raw))) is not None:
        value = Decimal(plain[1])
    else:
        text = str(raw).strip().replace(",", "").replace("，", "").replace(" ", "")
        match = _MONEY.match(text)
        if not match:
            raise InvalidValue(
                _("应为金额（元），如 1234.56、500万、2亿；实为“%(v)s”") % {"v": raw}
            )
        value = Decimal(match["num"]) * _UNITS[match["unit"] or ""]
    if not value.is_finite():
        raise InvalidValue(_("应为金额（元）"))
    rounded = value.quantize(FEN, rounding=ROUND_HALF_UP)
    if rounded != value:
        raise InvalidValue(_("金额最多保留两位小数（到分）"))
    if abs(rounded) > MAX_MONEY:
        raise InvalidValue(_("金额过大"))
    return rounded


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise InvalidValue(_("应为整数"))
    if isinstance(raw, int):
        return raw
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidValue(_("应为整数；实为“%(v)s”") % {"v": raw}) from None
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidValue(_("应为整数；实为“%(v)s”") % {"v": raw})
    if abs(value) > 2_000_000_000:
        raise InvalidValue(_("数值过大"))
    return int(value)


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _number_text(raw) if isinstance(raw, float) else str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(_("应为“是”或“否”；实为“%(v)s”") % {"v": raw})


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
    text = str(raw).strip()
    for fmt in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not 1900 <= day.year <= 2100:
            break
        return day
    raise InvalidValue(_("应为日期，如 2024-06-30；实为“%(v)s”") % {"v": raw})


_PARSERS = {
    FieldType.TEXT: _text,
    FieldType.MONEY: _money,
    FieldType.INTEGER: _integer,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: _date,
}

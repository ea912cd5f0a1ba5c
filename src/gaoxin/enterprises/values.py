"""Turning what people type or Excel holds into typed values, per catalogue field.

Used by the import, the forms and the API alike, so a value is accepted or refused the same
way everywhere. Errors carry a message in the active language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache, partial
from typing import Any

from django.utils.translation import gettext as _

from gaoxin.catalogue import Field, FieldType
from gaoxin.core import numbers
from gaoxin.core import uscc as uscc_codes
from gaoxin.core.language import english

MAX_INTEGER = 2_000_000_000  # what an IntegerField holds, with room
_WHOLE = re.compile(r"^\s*-?[0-9]+\.0*\s*$")
_PLAIN_NUMBER = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")
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
        raw = Decimal(repr(raw))
    elif kind is str and (plain := _PLAIN_NUMBER.match(raw)) is not None:
        raw = plain[1]  # the fast path of an import: "1234.56"
    try:
        return numbers.parse_money(raw, negative=True)
    except numbers.NumberError as exc:
        raise InvalidValue(str(exc)) from None


def _integer(raw: Any) -> int:
    if isinstance(raw, float | Decimal) and Decimal(raw).is_finite() and raw == int(raw):
        raw = int(raw)  # a sheet's 120.0
    if isinstance(raw, str) and _WHOLE.match(raw):
        raw = raw.strip().split(".")[0]  # "120.0" from a sheet saved as text
    try:
        return numbers.parse_int(raw, minimum=-MAX_INTEGER, maximum=MAX_INTEGER)
    except numbers.NumberError as exc:
        raise InvalidValue(str(exc)) from None


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

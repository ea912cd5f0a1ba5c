"""Numbers as people type them, read one way in every form, schema and import.

Money is written in 元 with an optional unit — `12345.67`, `5000万`, `5,000万元`, `1.2亿`,
`￥300` — and comes back as a `Decimal` with two places. Rates are percentages — `35` or
`35%` — and come back as a ratio (0.35). Integers are plain digits, with or without grouping
commas.

Full-width characters typed through a Chinese input method (`１２３`, `５０００万`, `，`) are
read as their ASCII twins. Every other non-ASCII digit (superscripts `²`, circled, Arabic-Indic),
exponents (`1e5`), NaN, infinities and booleans are refused. Amounts are bounded so that every
accepted value fits its database column: the refusal is a `NumberError` whose text says, in the
active language, what to type instead.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
MAX_FEN = 10**15  # 10万亿元: larger is refused as input (the rules treat it as missing data)
MAX_YUAN = Decimal(MAX_FEN) / 100
MAX_INT = 2**63 - 1  # a BigIntegerField; smaller bounds are given per field
_UNITS = {"": Decimal(1), "万": Decimal(10**4), "亿": Decimal(10**8), "万亿": Decimal(10**12)}
_MONEY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<unit>万亿|万|亿)?元?")
_PERCENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)%?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_SEPARATORS = str.maketrans("", "", ", \t")
# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space, as typed through an IME.
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xFFE5: 0xA5}
_LONGEST = 60  # no number anyone means is longer; longer text is refused before parsing


class NumberError(ValueError):
    """What was typed is not a number of the kind asked for; str() is the message."""


def ascii_text(text: str) -> str:
    """Full-width characters as their ASCII twins (`１２３` → `123`); everything else as is."""
    return text.translate(_FULL_WIDTH)


def _shown(raw: Any) -> str:
    text = str(raw).replace("\x00", "")
    return text if len(text) <= 20 else text[:20] + "…"


def _compact(raw: str) -> str:
    return ascii_text(raw).strip().translate(_SEPARATORS).lstrip("¥")


def parse_money(raw: Any, *, negative: bool = False, maximum: Decimal = MAX_YUAN) -> Decimal:
    """Yuan with two places from text, `int` or `Decimal`; `negative` allows amounts below 0."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise NumberError(_("应为金额（元），如 1234.56、500万、2亿"))
    if isinstance(raw, str):
        text = _compact(raw)
        match = _MONEY.fullmatch(text) if len(text) <= _LONGEST else None
        if match is None:
            raise NumberError(
                _("应为金额（元），如 1234.56、500万、2亿；实为“%(v)s”") % {"v": _shown(raw)}
            )
        unit = match["unit"] or ""
        number = text.removesuffix("元").removesuffix(unit)
        value = Decimal(number) * _UNITS[unit]
    else:
        value = Decimal(raw)
        if not value.is_finite():
            raise NumberError(_("应为金额（元），如 1234.56、500万、2亿"))
    if abs(value) > maximum:
        raise NumberError(_("金额过大：不能超过 %(max)s 元") % {"max": f"{maximum:,.0f}"})
    if value < 0 and not negative:
        raise NumberError(_("金额不能为负数"))
    if value != value.quantize(CENT):
        raise NumberError(_("金额最多保留两位小数（到分）"))
    return value.quantize(CENT)


def parse_fen(raw: Any, *, maximum: int = MAX_FEN) -> int:
    """An amount typed in yuan (as `parse_money` reads it), as integer fen, never negative."""
    return int(parse_money(raw, maximum=Decimal(maximum) / 100) * 100)


def parse_percent(raw: Any, *, maximum: Decimal = Decimal(100)) -> Decimal:
    """A percentage, `35` or `35%`, as the ratio 0.35; between 0 and `maximum` percent."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise NumberError(_("应为百分数，如 35 或 35%"))
    text = _compact(raw) if isinstance(raw, str) else str(raw)
    if len(text) > _LONGEST or not _PERCENT.fullmatch(text):
        raise NumberError(_("“%(v)s”不是有效的百分数，请写成 35 或 35%%") % {"v": _shown(raw)})
    value = Decimal(text.removesuffix("%"))
    if not 0 <= value <= maximum:
        raise NumberError(_("百分数应在 0 到 %(max)s 之间") % {"max": maximum})
    ratio = value / 100
    if ratio != ratio.quantize(Decimal("0.0001")):
        raise NumberError(_("百分数最多保留两位小数"))
    return ratio.quantize(Decimal("0.0001"))


def parse_int(raw: Any, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An integer from `int` or text (grouping commas allowed), between the bounds."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise NumberError(_("应为整数"))
    if isinstance(raw, str):
        text = _compact(raw)
        if len(text) > _LONGEST or not _INTEGER.fullmatch(text):
            raise NumberError(_("应为整数；实为“%(v)s”") % {"v": _shown(raw)})
        raw = int(text)
    if raw < minimum:
        raise NumberError(_("不能小于 %(min)s") % {"min": minimum})
    if raw > maximum:
        raise NumberError(_("不能大于 %(max)s") % {"max": maximum})
    return raw

"""Money is exact: amounts are integer fen (分); yuan (元) are `Decimal` with two places.

Conversion rounds half up (a tie goes away from zero: 0.005 元 → 1 分, -0.005 元 → -1 分).
Floats are refused: 0.1 has no exact binary value.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from gaoxin.core.errors import ValidationFailed

FEN_PER_YUAN = 100
CENT = Decimal("0.01")


def to_fen(yuan: Decimal | int | str) -> int:
    """Yuan (Decimal, int or text such as "12.345") to integer fen, half up."""
    if isinstance(yuan, bool | float) or not isinstance(yuan, Decimal | int | str):
        raise TypeError(f"money must be Decimal, int or str, not {type(yuan).__name__}")
    try:
        value = Decimal(yuan)
    except InvalidOperation:
        raise ValidationFailed(_("金额格式不正确：%(v)s") % {"v": yuan}) from None
    if not value.is_finite():
        raise ValidationFailed(_("金额格式不正确：%(v)s") % {"v": yuan})
    return int((value * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_yuan(fen: int) -> Decimal:
    """Integer fen to yuan with exactly two places."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(CENT)


def yuan_text(fen: int) -> str:
    """For messages: 1234567 → "12,345.67"."""
    return f"{to_yuan(fen):,.2f}"

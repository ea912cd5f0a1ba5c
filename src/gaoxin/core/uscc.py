"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V): the
registration authority, the organisation type, a six-digit administrative division, the nine
characters of the organisation code, and a check character computed over the first 17.
Plain Python, no Django: the demo generator and the rules engine use it too.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


class InvalidUSCC(ValueError):
    """Carries a message a person can act on, in Chinese (the English one is `message_en`)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


def check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper case, surrounding and full-width spaces removed: what people paste from Excel."""
    return code.strip().replace("\u3000", "").replace(" ", "").upper()


def validate(code: str) -> str:
    """The normalised code, or InvalidUSCC saying what is wrong with it."""
    value = normalise(code)
    if len(value) != LENGTH:
        raise InvalidUSCC(
            f"统一社会信用代码应为18位，实为{len(value)}位",
            f"a unified social credit code has 18 characters, this one has {len(value)}",
        )
    bad = [c for c in value if c not in _VALUE]
    if bad:
        raise InvalidUSCC(
            f"统一社会信用代码含非法字符“{bad[0]}”（不使用 I、O、Z、S、V）",
            f"invalid character '{bad[0]}' (I, O, Z, S and V are not used)",
        )
    if not value[2:8].isdigit():
        raise InvalidUSCC(
            "统一社会信用代码第3–8位应为行政区划码（数字）",
            "characters 3–8 must be the administrative division code (digits)",
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidUSCC(
            f"统一社会信用代码校验位错误：末位应为“{expected}”，实为“{value[17]}”",
            f"wrong check character: expected '{expected}', found '{value[17]}'",
        )
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except InvalidUSCC:
        return False
    return True


def make(first17: str) -> str:
    """A complete code from its first 17 characters (for generators and tests)."""
    return first17 + check_character(first17)


def mask(code: str) -> str:
    """`91350200MA2XXXXX0X` → `9135****000X`-style masking for public notices."""
    if len(code) < 8:
        return "*" * len(code)
    return code[:4] + "****" + code[-4:]

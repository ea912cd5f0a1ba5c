"""Tokens of the expression language, each with its character offset in the expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ExprError
from .events import DURATION_NAMES
from .units import UNIT_NAMES

KEYWORDS = {"and", "or", "not", "in", "true", "false"}
# Full-width and mathematical spellings an author may type on a Chinese keyboard.
SYNONYMS = {"≥": ">=", "≤": "<=", "≠": "!=", "（": "(", "）": ")", "，": ",", "＝": "="}
OPERATORS = (
    "..",
    ">=",
    "<=",
    "==",
    "!=",
    "<",
    ">",
    "=",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "[",
    "]",
    ",",
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9])")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | date | string | name | op | end
    text: str  # for numbers: the digits; for strings: the content
    offset: int
    unit: str | None = None
    end: int = 0


def _is_name_start(c: str) -> bool:
    return c == "_" or c.isidentifier()


def _is_name_char(c: str) -> bool:
    return ("a" + c).isidentifier()


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in SYNONYMS:
            tokens.append(Token("op", SYNONYMS[c], i, end=i + 1))
            i += 1
            continue
        m = _DATE.match(text, i)
        if m:
            tokens.append(Token("date", m.group(), i, end=m.end()))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m:
            j = m.end()
            unit = next((u for u in UNIT_NAMES if text.startswith(u, j)), None)
            if unit is None:  # a duration: within(d, 3年)
                unit = next((u for u in DURATION_NAMES if text.startswith(u, j)), None)
            end = j + len(unit) if unit else j
            tokens.append(Token("number", m.group(), i, unit, end=end))
            i = end
            continue
        if c in "\"'“‘「":
            close = {"“": "”", "‘": "’", "「": "」"}.get(c, c)
            j = text.find(close, i + 1)
            if j < 0:
                raise ExprError("unterminated string", i, f"close it with {close}")
            tokens.append(Token("string", text[i + 1 : j], i, end=j + 1))
            i = j + 1
            continue
        if _is_name_start(c):
            j = i + 1
            while j < n and _is_name_char(text[j]):
                j += 1
            word = text[i:j]
            kind = "op" if word in KEYWORDS else "name"
            tokens.append(Token(kind, word, i, end=j))
            i = j
            continue
        op = next((o for o in OPERATORS if text.startswith(o, i)), None)
        if op is None:
            raise ExprError(
                f"unexpected character '{c}'",
                i,
                "expressions use + - * / comparisons and/or/not and functions",
            )
        tokens.append(Token("op", op, i, end=i + len(op)))
        i += len(op)
    tokens.append(Token("end", "", n, end=n))
    return tokens

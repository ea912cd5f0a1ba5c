"""The types every API schema and query uses for numbers and text — the twins of
`gaoxin.core.fields` — so that any input is either a value that fits its column or a 422 whose
message says, in the active language, what to send instead.

    class ListingQuery(Schema):
        q: Annotated[str, Text(100)] = ""
        page: Page = 1
        min_fen: Fen | None = None
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Ge, GroupedMetadata, Le, MaxLen
from django.utils.translation import gettext as _
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from gaoxin.core import numbers
from gaoxin.core.numbers import MAX_FEN, MAX_INT

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 200


def _refusing(parse: Callable[[Any], Any]) -> BeforeValidator:
    def validate(value: Any) -> Any:
        try:
            return parse(value)
        except numbers.NumberError as exc:
            raise PydanticCustomError("invalid_input", "{reason}", {"reason": str(exc)}) from None

    return BeforeValidator(validate)


@dataclass(frozen=True)
class Bounded(GroupedMetadata):
    """`Annotated[int, Bounded(1, 5)]`: a whole number within bounds — a JSON integer, or
    digits in a query or form (full-width digits read as digits); booleans, floats, exponents
    and other digits (²) are refused."""

    minimum: int = 0
    maximum: int = MAX_INT
    strict: bool = False  # a JSON body's number: text ("500") is refused too

    def __iter__(self) -> Iterator[Any]:
        lo, hi = self.minimum, self.maximum
        yield Ge(lo)  # the bounds first: after a validator they would not reach the schema
        yield Le(hi)
        yield _refusing(
            lambda value: numbers.parse_int(_number(value, self.strict), minimum=lo, maximum=hi)
        )


def _number(value: Any, strict: bool) -> Any:
    if strict and isinstance(value, str):
        raise numbers.NumberError(_("应为整数（JSON 数字），不是文字"))
    return value


@dataclass(frozen=True)
class AnyId(GroupedMetadata):
    """`Annotated[int, AnyId()]`: the id of an object. A whole number no object can have (0,
    -1, 10^30) is looked up as 0 and so answered 404 like any missing object, never a database
    overflow; what is not a whole number is refused."""

    strict: bool = False

    def __iter__(self) -> Iterator[Any]:
        def parse(value: Any) -> int:
            number = numbers.parse_int(
                _number(value, self.strict), minimum=-(10**60), maximum=10**60
            )
            return number if 1 <= number <= MAX_INT else 0

        yield _refusing(parse)


@dataclass(frozen=True)
class Clamped(GroupedMetadata):
    """`Annotated[int, Clamped(1, 200)]`: a whole number brought within bounds rather than
    refused (a page beyond the last is the last page); what is not a whole number is refused."""

    minimum: int
    maximum: int

    def __iter__(self) -> Iterator[Any]:
        lo, hi = self.minimum, self.maximum

        def parse(value: Any) -> int:
            number = numbers.parse_int(value, minimum=-(10**60), maximum=10**60)
            return min(max(number, lo), hi)

        yield _refusing(parse)


def bad_text(value: str) -> str | None:
    """Why `value` can't be stored as text (NUL, an unpaired surrogate), or None."""
    if "\x00" in value:
        return _("不能包含空字符（NUL）")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("含有无法识别的字符，请重新输入")
    return None


def _text(value: Any) -> Any:
    if isinstance(value, str) and (why := bad_text(value)) is not None:
        raise PydanticCustomError("invalid_text", "{reason}", {"reason": why})
    return value


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """`Annotated[str, Text(120)]`: text that fits a column of that many characters; NUL and
    unpaired surrogates refused."""

    max_length: int

    def __iter__(self) -> Iterator[Any]:
        yield MaxLen(self.max_length)
        yield BeforeValidator(_text)


# Integer fen (1 元 = 100), at most 10万亿元: in a JSON body, and in a query or form.
Fen = Annotated[int, Bounded(0, MAX_FEN, strict=True)]
FenParam = Annotated[int, Bounded(0, MAX_FEN)]
Id = Annotated[int, AnyId(strict=True)]
IdParam = Annotated[int, AnyId()]
Page = Annotated[int, Clamped(1, MAX_PAGE)]
PageSize = Annotated[int, Clamped(1, MAX_PAGE_SIZE)]
Year = Annotated[int, Bounded(1900, 2100)]

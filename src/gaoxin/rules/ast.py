"""The expression tree. Nodes are frozen and compare by content (not position), so that the
same sub-expression written in two policies is one cache key for the batch compiler."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Node:
    # Character span in the expression's source text; not part of equality.
    span: tuple[int, int] = field(default=(0, 0), compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Num(Node):
    value: Fraction
    kind: str = "plain"  # plain | money | percent (how to show it) | years | months (3年, 12个月)


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class DateLit(Node):
    value: dt.date


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Year:
    """A year written in an index: `Y-1` (relative) or `2024` (absolute)."""

    offset: int
    relative: bool

    def resolve(self, y: int) -> int:
        return y + self.offset if self.relative else self.offset

    def __str__(self) -> str:
        if not self.relative:
            return str(self.offset)
        return "Y" if self.offset == 0 else f"Y{self.offset:+d}"


@dataclass(frozen=True)
class Name(Node):
    """An identifier as written: a field, parameter, table or input (the checker decides)."""

    name: str


@dataclass(frozen=True)
class Index(Node):
    """`revenue[Y-1]` or the range `revenue[Y-3..Y-1]` as written."""

    name: str
    first: Year
    last: Year | None = None


@dataclass(frozen=True)
class Field(Node):
    """A registry field; `year` is set for yearly fields once resolved (absolute)."""

    name: str
    year: int | None = None


@dataclass(frozen=True)
class Range(Node):
    """Years first..last (absolute, inclusive) of a yearly field."""

    name: str
    first: int
    last: int

    @property
    def years(self) -> range:
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class FieldY(Node):
    """A yearly field with a year still relative to Y (before resolution)."""

    name: str
    year: Year


@dataclass(frozen=True)
class RangeY(Node):
    name: str
    first: Year
    last: Year


@dataclass(frozen=True)
class Param(Node):
    name: str


@dataclass(frozen=True)
class TableRef(Node):
    name: str


@dataclass(frozen=True)
class Input(Node):
    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str  # - | not
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str  # < <= > >= == !=
    left: Node
    right: Node
    # The left side as written, for shortfall messages ("研发投入强度 4.6%，需 ≥ 5%").
    left_text: str = field(default="", compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Logic(Node):
    op: str  # and | or
    items: tuple[Node, ...]


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    items: tuple[Node, ...]
    negate: bool = False


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Band:
    """One row of a resolved step table: `by op bound` picks `value`; op None = else."""

    op: str | None  # <= | < | >= | > | None
    bound: Node | None
    value: Node


@dataclass(frozen=True)
class Table(Node):
    """A resolved step table: first matching band wins."""

    name: str
    by: Node
    bands: tuple[Band, ...]
    marginal: bool = False


@dataclass(frozen=True)
class YearValue(Node):
    """`Y` used as a number (the assessment year), e.g. year_of(d) == Y - 1."""


@dataclass(frozen=True)
class NoValue(Node):
    """A value that is unknown for every enterprise, e.g. a parameter not yet in force."""

    reason: str


@dataclass(frozen=True)
class ItemField(Node):
    """A field of the item being summed in `sum_over(table, where, amount)` (rules/items.py):
    `kind` of a patent, `amount` of a piece of equipment."""

    table: str
    name: str

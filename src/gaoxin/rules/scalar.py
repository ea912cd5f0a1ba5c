"""The reference evaluator: one enterprise, exact rationals, three-valued logic. It is what
`explain` and `rules test` run; the batch evaluator must agree with it row for row."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from gaoxin import catalogue as C

from . import ast as A
from . import dated, events, history, items, presence
from . import peers as standing
from .values import UNTIL, Record

Value = Any  # Fraction | bool | date | str | None (unknown)


def years_since(born: dt.date, on: dt.date) -> int:
    """Whole years completed by `on`; the anniversary counts (Feb 29 → Mar 1 in other years)."""
    return on.year - born.year - ((born.month, born.day) > (on.month, on.day))


def round_half_up(x: Fraction, digits: int) -> Fraction:
    """Half away from zero, exactly."""
    scale = 10**digits
    n = abs(x) * scale
    r = math.floor(n + Fraction(1, 2))
    return Fraction(r if x >= 0 else -r, scale)


def to_decimal(x: Fraction) -> Decimal:
    """Yuan, rounded half-up to the fen."""
    r = round_half_up(x, 2)
    return (Decimal(r.numerator) / Decimal(r.denominator)).quantize(Decimal("0.01"))


def qualification_valid(
    granted: dt.date | None, until: dt.date | None, name: str, on: dt.date
) -> bool:
    """Certificate valid on `on`: granted ≤ on ≤ until. Without an expiry date, the catalogue's
    term applies: valid until the day before the N-th anniversary (None = no expiry)."""
    if granted is None or granted > on:
        return False
    if until is not None:
        return on <= until
    term = C.QUALIFICATION_YEARS.get(name)
    return term is None or years_since(granted, on) < term


def compare(op: str, a: Value, b: Value) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    return a != b


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def kleene_and(values: list[Value]) -> Value:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_or(values: list[Value]) -> Value:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


# Functions evaluated in modules of their own: name → evaluate(evaluator, call).
EXTENSIONS = {
    **dict.fromkeys(presence.FUNCTIONS, presence.evaluate),
    "date": dated.evaluate,
    **dict.fromkeys(standing.FUNCTIONS, standing.evaluate),
    **dict.fromkeys(items.ITEM_FUNCTIONS, items.evaluate),
    **dict.fromkeys(history.FUNCTIONS, history.evaluate),
}


class Evaluator:
    def __init__(
        self,
        rec: Record,
        on: dt.date,
        inputs: dict[str, Value] | None = None,
        peers: standing.Peers | None = None,
    ) -> None:
        self.rec = rec
        self.on = on
        self.inputs = inputs or {}
        self.peers = peers  # the population's statistics (peers.py), for rank() and the like
        self.reads: list[tuple[str, int | None, Value]] = []
        self.inputs_lacking: list[str] = []  # declared inputs read but not given
        self.item: dict[str, Value] | None = None  # the item sum_over() is at (rules/items.py)
        self.item_lines: list[Any] = []  # the items sum_over() chose, with their amounts

    def field(self, name: str, year: int | None) -> Value:
        v = self.rec.get((name, year))
        self.reads.append((name, year, v))
        return v

    def eval(self, n: A.Node) -> Value:
        if isinstance(n, A.Num | A.Str | A.DateLit | A.Bool):
            return n.value
        if isinstance(n, A.Field):
            return self.field(n.name, n.year)
        if isinstance(n, A.Input):
            v = self.inputs.get(n.name)
            if v is None:
                self.inputs_lacking.append(n.name)
            return v
        if isinstance(n, A.NoValue):
            return None
        if isinstance(n, A.ItemField):
            return items.field_value(self, n)
        if isinstance(n, A.Unary):
            x = self.eval(n.operand)
            if x is None:
                return None
            return (not x) if n.op == "not" else -x
        if isinstance(n, A.Binary):
            a, b = self.eval(n.left), self.eval(n.right)
            if a is None or b is None:
                return None
            if n.op == "+":
                return a + b
            if n.op == "-":
                return a - b
            if n.op == "*":
                return a * b
            return None if b == 0 else Fraction(a) / b
        if isinstance(n, A.Compare):
            return self.compare(n)
        if isinstance(n, A.Logic):
            values = [self.eval(i) for i in n.items]
            return kleene_and(values) if n.op == "and" else kleene_or(values)
        if isinstance(n, A.InList):
            x = self.eval(n.operand)
            if x is None:
                return None
            found = any(x == i.value for i in n.items if isinstance(i, A.Num | A.Str))
            return found != n.negate
        if isinstance(n, A.Table):
            return self.table(n)
        if isinstance(n, A.Call):
            return self.call(n)
        raise TypeError(f"can't evaluate {type(n).__name__}")

    def compare(self, n: A.Compare) -> Value:
        if isinstance(n.left, A.Call) and n.left.fn == "cagr":
            return self.cagr_compare(n.op, n.left, self.eval(n.right))
        if isinstance(n.right, A.Call) and n.right.fn == "cagr":
            return self.cagr_compare(FLIP[n.op], n.right, self.eval(n.left))
        a, b = self.eval(n.left), self.eval(n.right)
        if a is None or b is None:
            return None
        return compare(n.op, a, b)

    def cagr_parts(self, call: A.Call) -> tuple[Value, Value, int]:
        first, last, years = call.args
        assert isinstance(years, A.Num)
        return self.eval(first), self.eval(last), int(years.value)

    def cagr_compare(self, op: str, call: A.Call, c: Value) -> Value:
        """cagr op c ⇔ last/first op (1+c)^n, exact, for first > 0 and last ≥ 0."""
        first, last, n = self.cagr_parts(call)
        if first is None or last is None or c is None or first <= 0 or last < 0:
            return None
        base = 1 + Fraction(c)
        if base < 0:
            return op in (">", ">=", "!=")
        return compare(op, Fraction(last) / first, base**n)

    def cagr_value(self, call: A.Call) -> float | None:
        first, last, n = self.cagr_parts(call)
        if first is None or last is None or first <= 0 or last < 0:
            return None
        return float(Fraction(last) / first) ** (1.0 / n) - 1.0

    def table(self, t: A.Table) -> Value:
        x = self.eval(t.by)
        if x is None:
            return None
        for band in t.bands:
            if band.op is None:
                return self.eval(band.value)
            assert band.bound is not None
            bound = self.eval(band.bound)
            if bound is None:
                return None
            if compare(band.op, x, bound):
                return self.eval(band.value)
        return None

    def values(self, r: A.Node) -> list[Value]:
        assert isinstance(r, A.Range)
        return [self.field(r.name, y) for y in r.years]

    def call(self, n: A.Call) -> Value:
        fn, args = n.fn, n.args
        if fn in EXTENSIONS:
            return EXTENSIONS[fn](self, n)
        if fn in ("sum", "avg", "count") or (fn in ("min", "max") and len(args) == 1):
            vs = self.values(args[0])
            if fn == "count":
                return Fraction(sum(v is not None for v in vs))
            if any(v is None for v in vs):
                return None
            if fn == "sum":
                return sum(vs, Fraction(0))
            if fn == "avg":
                return sum(vs, Fraction(0)) / len(vs)
            return min(vs) if fn == "min" else max(vs)
        if fn == "if":
            c = self.eval(args[0])
            if c is None:
                return None
            return self.eval(args[1] if c else args[2])
        if fn in events.FUNCTIONS:
            return events.eval_call(self, n)
        vals = [self.eval(a) for a in args] if fn not in ("has", "marginal") else []
        if fn in ("min", "max"):
            if any(v is None for v in vals):
                return None
            return min(vals) if fn == "min" else max(vals)
        if fn == "growth":
            cur, prev = vals
            if cur is None or prev is None or prev == 0:
                return None
            return Fraction(cur) / prev - 1
        if fn == "year_of":
            d = vals[0]
            return None if d is None else Fraction(d.year)
        if fn == "years_since":
            d = vals[0]
            return None if d is None else Fraction(years_since(d, self.on))
        if fn == "has":
            q = args[0]
            assert isinstance(q, A.Field)
            granted = self.field(q.name, None)
            until = self.rec.get((q.name + UNTIL, None))
            return qualification_valid(granted, until, q.name, self.on)
        if fn == "round":
            x, digits = vals
            return None if x is None else round_half_up(x, int(digits))
        if fn in ("floor", "ceil", "abs"):
            x = vals[0]
            if x is None:
                return None
            if fn == "abs":
                return abs(x)
            return Fraction(math.floor(x) if fn == "floor" else math.ceil(x))
        if fn == "starts_with":
            x, prefix = vals
            return None if x is None else str(x).startswith(prefix)
        if fn == "marginal":
            t = args[0]
            assert isinstance(t, A.Table)
            return self.marginal(t)
        if fn == "cagr":
            raise TypeError("cagr() is evaluated inside its comparison")
        raise TypeError(f"unknown function {fn}")

    def marginal(self, t: A.Table) -> Value:
        """Σ over bands of (the part of `by` inside the band) × the band's value."""
        x = self.eval(t.by)
        if x is None:
            return None
        total, lower = Fraction(0), Fraction(0)
        for band in t.bands:
            rate = self.eval(band.value)
            upper = self.eval(band.bound) if band.bound is not None else None
            if rate is None or (band.bound is not None and upper is None):
                return None
            top = x if upper is None else min(x, upper)
            if top > lower:
                total += (top - lower) * rate
            if upper is None:
                break
            lower = upper
        return total

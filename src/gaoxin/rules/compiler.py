"""Resolved expression trees → Polars expressions, exactly (see exact.py). The cache is keyed
by the tree itself: nodes compare by content, so what several policies write the same way is
compiled — and later computed — once."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

from gaoxin import catalogue as C

from . import ast as A
from . import dated, events, history, presence
from . import exact as X
from . import items as linked
from . import peers as standing
from .exact import Int, Q
from .explain import typed_inputs
from .frame import column, until_column
from .model import Policy
from .scalar import FLIP


@dataclass(frozen=True)
class B:
    e: pl.Expr


@dataclass(frozen=True)
class D:
    e: pl.Expr | dt.date


@dataclass(frozen=True)
class S:
    e: pl.Expr | str


class _Null:
    """An always-unknown value of any type (a parameter not in force, an input not given)."""


NULL = _Null()
NULL_B = pl.lit(None, dtype=pl.Boolean)
Value = Q | B | D | S | _Null


def _lit(v: dt.date | str | pl.Expr) -> pl.Expr:
    return v if isinstance(v, pl.Expr) else pl.lit(v)


def anniversary_cutoff(k: int, on: dt.date) -> dt.date:
    """The last birth date with years_since(d) >= k on `on` (Feb 29 → Feb 28)."""
    try:
        return on.replace(year=on.year - k)
    except ValueError:
        return on.replace(year=on.year - k, day=28)


# Functions compiled in modules of their own: name → compile_call(compiler, call).
EXTENSIONS = {
    **dict.fromkeys(presence.FUNCTIONS, presence.compile_call),
    "date": dated.compile_call,
    **dict.fromkeys(standing.FUNCTIONS, standing.compile_call),
    **dict.fromkeys(linked.ITEM_FUNCTIONS, linked.compile_aggregate),
    **dict.fromkeys(history.FUNCTIONS, history.compile_call),
}


class Compiler:
    def __init__(
        self,
        date: dt.date,
        inputs: Mapping[str, Any] | None = None,
        peers: standing.Peers | None = None,
    ) -> None:
        self.date = date
        self.inputs = dict(inputs or {})
        self.peers = peers  # the population's statistics (peers.py)
        self.cache: dict[A.Node, Value] = {}
        self.needed: set[str] = set()
        self.policy: Policy | None = None
        # Sub-expressions that several conditions or amounts contain (see shared_nodes): each
        # is computed once into a staged column. stages[k] holds the columns of level k+1,
        # which read only columns of lower levels; _level is the deepest staged level a
        # compiled value reads.
        self.shared: set[A.Node] = set()
        self.stages: list[dict[str, pl.Expr]] = []
        self.levels: dict[A.Node, int] = {}
        self.staged_by_expr: dict[bytes, tuple[str, int]] = {}
        self._level = 0
        # sum_over/count_over columns, joined to the frame before the stages (items.py)
        self.aggregates: dict[str, linked.Aggregate] = {}
        self.aggregate_of: dict[A.Node, str] = {}  # each sum_over/count_over's column

    # -- coercions
    def q(self, n: A.Node) -> Q:
        v = self.value(n)
        if isinstance(v, _Null):
            return X.NULL_Q
        assert isinstance(v, Q), n
        return v

    def b(self, n: A.Node) -> pl.Expr:
        v = self.value(n)
        if isinstance(v, _Null):
            return NULL_B
        assert isinstance(v, B), n
        return v.e

    def value(self, n: A.Node) -> Value:
        hit = self.cache.get(n)
        if hit is None:
            outer, self._level = self._level, 0
            try:
                hit = self._value(n)
                if n in self.shared:
                    hit = self.stage(hit, self._level + 1)
            except X.CompileError:
                if not _is_condition(n):
                    self._level = outer
                    raise
                # Too wide for Int128 (an average of three ratios): this comparison is
                # computed row by row in Python's unbounded integers instead.
                self._level = 0
                hit = B(self.exact_rows(n, pl.Boolean()))
                if n in self.shared:  # staged under its own name: a Python function has no key
                    hit = B(self.stage_exact(hit.e))
            self.cache[n] = hit
            self.levels[n] = self._level
            self._level = max(outer, self._level)
        else:
            self._level = max(self._level, self.levels[n])
        return hit

    def stage_exact(self, e: pl.Expr, key: str | None = None) -> pl.Expr:
        """A row-by-row column (exact_rows, which reads only the frame) staged once; with
        `key`, once for every call with that key."""
        tag = f"rows {key}".encode() if key is not None else None
        if tag is not None and tag in self.staged_by_expr:
            self._level = 1
            return pl.col(self.staged_by_expr[tag][0])
        name = f"__s{len(self.staged_by_expr)}"
        self.staged_by_expr[tag or f"exact {name}".encode()] = (name, 1)
        if not self.stages:
            self.stages.append({})
        self.stages[0][name] = e.alias(name)
        self._level = 1
        return pl.col(name)

    def stage(self, v: Value, level: int) -> Value:
        """`v` computed once into staged column(s) of `level`; what reads it reads the column."""

        def column_of(e: pl.Expr) -> pl.Expr:
            if e.meta.is_column() or e.meta.is_literal():
                return e
            # Different trees can compile to the same expression (15% of 2x and 30% of x).
            key = e.meta.serialize()
            hit = self.staged_by_expr.get(key)
            if hit is None:
                while len(self.stages) < level:
                    self.stages.append({})
                name = f"__s{len(self.staged_by_expr)}"
                self.stages[level - 1][name] = e.alias(name)
                hit = self.staged_by_expr[key] = (name, level)
            self._level = max(self._level, hit[1])
            return pl.col(hit[0])

        def int_of(i: Int) -> Int:
            if i.const is not None:
                return i
            return Int(column_of(i.expr(i.wide)), i.bound, i.wide, i.nonneg)

        if isinstance(v, Q):
            return Q(int_of(v.num), int_of(v.den))
        if isinstance(v, B):
            return B(column_of(v.e))
        if isinstance(v, D) and isinstance(v.e, pl.Expr):
            return D(column_of(v.e))
        if isinstance(v, S) and isinstance(v.e, pl.Expr):
            return S(column_of(v.e))
        return v

    def exact_rows(self, n: A.Node, dtype: pl.DataType) -> pl.Expr:
        """`n` evaluated by the reference evaluator (scalar.py) on each row: exact with
        unbounded integers, for what the Int128 columns can't hold. Booleans as they are;
        numbers (dtype Int64) as the amount in fen, rounded half-up like `to_fen`."""
        from .scalar import Evaluator, round_half_up

        columns = sorted(columns_read(n))
        self.needed.update(columns)
        totals = linked.totals_in(self, n)  # item totals: the group-by's columns, by node
        columns += sorted(totals)
        given = typed_inputs(self.policy, self.inputs) if self.policy is not None else {}
        on = self.date
        readers: list[tuple[Any, str]] = [
            totals[c] if c in totals else _record_key(c) for c in columns
        ]
        money = dtype == pl.Int64

        population = self.peers

        def one(rec: dict[tuple[str, int | None], Any]) -> Any:
            v = Evaluator(rec, on, given, population).eval(n)
            if not money or v is None:
                return v
            fen = round_half_up(Fraction(v), 2) * 100
            return int(fen) if abs(fen) <= X.I64 else None

        if not columns:
            return pl.lit(one({}), dtype=dtype)
        # Most rows are decided in floating point with a bound on its error; only the others
        # (near-ties, and whatever the bound can't follow) go through the exact evaluator.
        guess = self.float_guess(n, money)
        decided, value = guess if guess is not None else (pl.lit(False), pl.lit(None, dtype))

        def run(s: pl.Series) -> pl.Series:
            out = []
            for row in s.struct.unnest().iter_rows():
                if row[-2]:
                    out.append(row[-1])  # decided in floating point
                    continue
                rec: dict[Any, Any] = {}
                for (key, kind), v in zip(readers, row, strict=False):
                    if v is None and isinstance(key, A.Node):
                        rec[key] = None  # an item total that is unknown
                    elif v is not None:
                        rec[key] = (
                            Fraction(v, 100)
                            if kind == "money"
                            else (Fraction(v) if kind == "integer" else v)
                        )
                out.append(one(rec))
            return pl.Series(s.name, out, dtype=dtype)

        # One Python function over the columns, the float test and its value (not a
        # when/then around it: the function would still see every row).
        fields = [*columns, decided.alias("__decided"), value.cast(dtype).alias("__value")]
        return pl.struct(fields).map_batches(run, return_dtype=dtype, is_elementwise=True)

    def float_guess(self, n: A.Node, money: bool) -> tuple[pl.Expr, pl.Expr] | None:
        """(decided, value): `n` in Float64 with a bound on its error, and where the bound
        shows the rounding can't matter, the value — a comparison's result, or an amount's
        fen. None when `n` has a part the bound doesn't follow."""
        if money:
            found = _bounded(n)
            if found is None:
                return None
            v, e = found
            fen = v * 100.0
            err = e * 100.0 + fen.abs() * _U
            low = (fen.abs() - err + 0.5).floor()
            high = (fen.abs() + err + 0.5).floor()
            decided = fen.is_finite() & err.is_finite() & (fen.abs() + err < 2.0**52)
            decided = (decided & (low == high)).fill_null(False)
            return decided, (low * fen.sign()).cast(pl.Int64, strict=False)
        if not isinstance(n, A.Compare):
            return None
        left, right = _bounded(n.left), _bounded(n.right)
        if left is None or right is None:
            return None
        d = left[0] - right[0]
        err = left[1] + right[1] + d.abs() * _U
        decided = (d.is_finite() & err.is_finite() & (d.abs() > err)).fill_null(False)
        value = {
            "<": d < 0,
            "<=": d < 0,
            ">": d > 0,
            ">=": d > 0,
            "==": pl.lit(False),
            "!=": pl.lit(True),
        }[n.op]
        return decided, value

    # -- compile one node
    def _value(self, n: A.Node) -> Value:
        if isinstance(n, A.Num):
            return Q.const(n.value)
        if isinstance(n, A.Str):
            return S(n.value)
        if isinstance(n, A.DateLit):
            return D(n.value)
        if isinstance(n, A.Bool):
            return B(pl.lit(n.value))
        if isinstance(n, A.NoValue):
            return NULL
        if isinstance(n, A.Field):
            return self.field(n.name, n.year)
        if isinstance(n, A.Input):
            return self.input(n.name)
        if isinstance(n, A.ItemField):
            return linked.compile_field(self, n)
        if isinstance(n, A.Unary):
            if n.op == "not":
                v = self.value(n.operand)
                return NULL if isinstance(v, _Null) else B(~self.b(n.operand))
            return X.neg(self.q(n.operand))
        if isinstance(n, A.Binary):
            a, b = self.q(n.left), self.q(n.right)
            if n.op == "+":
                return X.add(a, b)
            if n.op == "-":
                return X.add(a, b, -1)
            if n.op == "*":
                return X.mul(a, b)
            return X.div(a, b)
        if isinstance(n, A.Compare):
            return B(self.compare(n))
        if isinstance(n, A.Logic):
            items = [self.b(i) for i in n.items]
            out = items[0]
            for e in items[1:]:
                out = (out & e) if n.op == "and" else (out | e)
            return B(out)
        if isinstance(n, A.InList):
            return B(self.in_list(n))
        if isinstance(n, A.Table):
            return self.table(n)
        if isinstance(n, A.Call):
            return self.call(n)
        raise TypeError(f"can't compile {type(n).__name__}")

    def field(self, name: str, year: int | None) -> Value:
        f = C.BY_NAME[name]
        col = column(name, year)
        self.needed.add(col)
        e = pl.col(col)
        t = f.type.value
        if t == "money":
            return Q(Int(e, X.MONEY_MAX_FEN, nonneg=f.non_negative), Int.of(100))
        if t == "integer":
            return Q(Int(e, X.COUNT_MAX, nonneg=f.non_negative), Int.of(1))
        if t == "date":
            return D(e)
        if t == "boolean":
            return B(e)
        return S(e)

    def input(self, name: str) -> Value:
        assert self.policy is not None
        given = typed_inputs(self.policy, {name: self.inputs[name]}) if name in self.inputs else {}
        if name not in given:
            return NULL
        v = given[name]
        if isinstance(v, bool):
            return B(pl.lit(v))
        if isinstance(v, Fraction):
            return Q.const(v)
        if isinstance(v, dt.date):
            return D(v)
        return S(str(v))

    def compare(self, n: A.Compare) -> pl.Expr:
        left, right, op = n.left, n.right, n.op
        if isinstance(right, A.Call) and right.fn in ("cagr", "years_since"):
            left, right, op = right, left, FLIP[op]
        if isinstance(left, A.Call) and left.fn == "cagr":
            return self.cagr_compare(left, op, right)
        if isinstance(left, A.Call) and left.fn == "years_since":
            c = self.q(right).fraction
            if c is not None:
                return self.years_since_compare(left.args[0], op, c)
        a, b = self.value(left), self.value(right)
        if isinstance(a, _Null) or isinstance(b, _Null):
            return NULL_B
        if isinstance(a, Q) and isinstance(b, Q):
            return X.compare(a, b, op)
        if isinstance(a, D) and isinstance(b, D):
            if not isinstance(a.e, pl.Expr) and not isinstance(b.e, pl.Expr):
                return pl.lit(X._cmp(op, a.e, b.e))
            return X.icmp_exprs(_lit(a.e), _lit(b.e), op)
        assert isinstance(a, B | S) and isinstance(b, B | S)
        x, y = _lit(a.e), _lit(b.e)
        return (x == y) if op == "==" else (x != y)

    def years_since_compare(self, date_node: A.Node, op: str, c: Fraction) -> pl.Expr:
        """years_since(d) op c lowered to date comparisons: d <= the k-th anniversary cutoff."""

        d = self.value(date_node)
        if isinstance(d, _Null):
            return NULL_B
        assert isinstance(d, D)
        e = _lit(d.e)

        def at_least(k: int) -> pl.Expr:
            year = self.date.year - k
            if not dt.MINYEAR <= year <= dt.MAXYEAR:  # `years_since(d) < 5000万`: no date is
                return pl.when(e.is_not_null()).then(pl.lit(year > dt.MAXYEAR))  # that old
            return e <= pl.lit(anniversary_cutoff(k, self.date))

        if op == ">=":
            return at_least(math.ceil(c))
        if op == ">":
            return at_least(math.floor(c) + 1)
        if op == "<":
            return ~at_least(math.ceil(c))
        if op == "<=":
            return ~at_least(math.floor(c) + 1)
        if c.denominator != 1:
            return pl.when(e.is_not_null()).then(pl.lit(op == "!="))
        k = int(c)
        eq = at_least(k) & ~at_least(k + 1)
        return eq if op == "==" else ~eq

    def cagr_compare(self, call: A.Call, op: str, other: A.Node) -> pl.Expr:
        """cagr op c ⇔ last/first op (1+c)^n for first > 0, last ≥ 0 (else unknown)."""
        first, last = self.q(call.args[0]), self.q(call.args[1])
        years = call.args[2]
        assert isinstance(years, A.Num)
        n = int(years.value)
        c = self.q(other)
        base = X.add(Q.const(Fraction(1)), c)
        power = base
        for _ in range(n - 1):
            power = X.mul(power, base)
        valid = X.compare(first, Q.const(Fraction(0)), ">") & X.compare(
            last, Q.const(Fraction(0)), ">="
        )
        result = X.compare(X.div(last, first), power, op)
        negative = X.compare(base, Q.const(Fraction(0)), "<")
        when_negative = pl.lit(op in (">", ">=", "!="))
        return pl.when(valid & negative).then(when_negative).when(valid).then(result)

    def in_list(self, n: A.InList) -> pl.Expr:
        v = self.value(n.operand)
        if isinstance(v, _Null):
            return NULL_B
        if isinstance(v, S):
            values = [i.value for i in n.items if isinstance(i, A.Str)]
            e = _lit(v.e).is_in(values)
        else:
            assert isinstance(v, Q)
            parts = [X.compare(v, Q.const(i.value), "==") for i in n.items if isinstance(i, A.Num)]
            e = parts[0]
            for p in parts[1:]:
                e = e | p
        return ~e if n.negate else e

    def table(self, t: A.Table) -> Value:
        by = self.value(t.by)
        if isinstance(by, _Null):
            return NULL
        conds: list[pl.Expr | None] = []
        values: list[Value] = []
        constant_bounds = True
        for band in t.bands:
            if band.op is None:
                conds.append(None)
            else:
                assert band.bound is not None
                bound = self.value(band.bound)
                if isinstance(bound, _Null):
                    conds.append(NULL_B)
                    constant_bounds = False
                elif isinstance(by, Q):
                    assert isinstance(bound, Q)
                    conds.append(X.compare(by, bound, band.op))
                    constant_bounds = constant_bounds and bound.fraction is not None
                else:
                    assert isinstance(by, D) and isinstance(bound, D)
                    conds.append(X.icmp_exprs(_lit(by.e), _lit(bound.e), band.op))
                    constant_bounds = constant_bounds and not isinstance(bound.e, pl.Expr)
            values.append(self.value(band.value))
        # Against constant bounds a band test is unknown exactly when `by` is: one test for
        # that first instead of one per band.
        unknown = None
        if constant_bounds:
            if isinstance(by, Q):
                tests = [i.expr().is_null() for i in (by.num, by.den) if i.const is None]
                unknown = tests[0] if len(tests) == 1 else tests[0] | tests[1] if tests else None
            elif isinstance(by.e, pl.Expr):
                unknown = by.e.is_null()
        return _select(conds, values, unknown)

    def call(self, n: A.Call) -> Value:
        fn, args = n.fn, n.args
        if fn in EXTENSIONS:
            return EXTENSIONS[fn](self, n)
        if fn in ("sum", "avg", "count") or (fn in ("min", "max") and len(args) == 1):
            r = args[0]
            assert isinstance(r, A.Range)
            parts = [self.field(r.name, y) for y in r.years]
            if fn == "count":
                present = [p.num.expr().is_not_null() for p in parts if isinstance(p, Q)]
                e = pl.sum_horizontal([x.cast(pl.Int64) for x in present])
                return Q(Int(e, len(parts), nonneg=True), Int.of(1))
            qs = [p for p in parts if isinstance(p, Q)]
            if fn in ("min", "max"):
                return _extreme(qs, fn)
            total = qs[0]
            for p in qs[1:]:
                total = X.add(total, p)
            if fn == "avg":
                return X.mul(total, Q.const(Fraction(1, len(qs))))
            return total
        if fn in ("min", "max"):
            return _extreme([self.q(a) for a in args], fn)
        if fn == "if":
            c = self.b(args[0])
            a, b = self.value(args[1]), self.value(args[2])
            if isinstance(a, Q | _Null) and isinstance(b, Q | _Null):
                qa = a if isinstance(a, Q) else X.NULL_Q
                qb = b if isinstance(b, Q) else X.NULL_Q
                return X.pick(c, qa, qb)
            ea, eb = _expr_of(a), _expr_of(b)
            e = pl.when(c).then(ea).when(~c).then(eb)
            return B(e) if isinstance(a, B) else D(e) if isinstance(a, D) else S(e)
        if fn == "growth":
            cur, prev = self.q(args[0]), self.q(args[1])
            return X.div(X.add(cur, prev, -1), prev)
        if fn == "year_of":
            d = self.value(args[0])
            if isinstance(d, _Null):
                return NULL
            assert isinstance(d, D)
            if isinstance(d.e, dt.date):
                return Q.const(Fraction(d.e.year))
            return Q(Int(d.e.dt.year().cast(pl.Int64), 10**4), Int.of(1))
        if fn == "years_since":
            d = self.value(args[0])
            if isinstance(d, _Null):
                return NULL
            assert isinstance(d, D)
            e = _lit(d.e)
            on = self.date
            not_yet = (
                (e.dt.month().cast(pl.Int64) * 100 + e.dt.day().cast(pl.Int64))
                > on.month * 100 + on.day
            ).cast(pl.Int64)
            years = pl.lit(on.year, dtype=pl.Int64) - e.dt.year().cast(pl.Int64) - not_yet
            return Q(Int(years, 10**4), Int.of(1))
        if fn == "has":
            q = args[0]
            assert isinstance(q, A.Field)
            return B(self.has(q.name))
        if fn in events.FUNCTIONS:
            return events.compile_call(self, n)
        if fn == "round":
            digits = args[1]
            assert isinstance(digits, A.Num)
            return X.rounded(self.q(args[0]), int(digits.value))
        if fn == "floor":
            return X.floor_q(self.q(args[0]))
        if fn == "ceil":
            return X.neg(X.floor_q(X.neg(self.q(args[0]))))
        if fn == "abs":
            return X.abs_q(self.q(args[0]))
        if fn == "starts_with":
            v = self.value(args[0])
            prefix = args[1]
            assert isinstance(prefix, A.Str)
            if isinstance(v, _Null):
                return NULL
            assert isinstance(v, S)
            return B(_lit(v.e).str.starts_with(prefix.value))
        if fn == "marginal":
            t = args[0]
            assert isinstance(t, A.Table)
            return self.marginal(t)
        raise TypeError(f"can't compile {fn}()")

    def has(self, name: str) -> pl.Expr:
        g, u = pl.col(name), pl.col(until_column(name))
        self.needed.update((name, until_column(name)))
        on = self.date
        term = C.QUALIFICATION_YEARS.get(name)
        derived = pl.lit(True) if term is None else g > pl.lit(anniversary_cutoff(term, on))
        valid = (g <= pl.lit(on)) & pl.when(u.is_not_null()).then(u >= pl.lit(on)).otherwise(
            derived
        )
        return valid.fill_null(False)

    def marginal(self, t: A.Table) -> Value:
        x = self.q(t.by)
        bands = [
            (self.q(band.value), None if band.bound is None else self.q(band.bound))
            for band in t.bands
        ]
        # The part of `by` in a band is the same in every policy with that band: computed once
        # (staged expressions are deduplicated), all in one stage after what they read; each
        # policy only weighs the parts.
        level = self._level + 1
        total = Q.const(Fraction(0))
        lower = Q.const(Fraction(0))
        zero = Q.const(Fraction(0))
        for rate, upper in bands:
            top = x if upper is None else _extreme([x, upper], "min")
            part = self.stage(_extreme([X.add(top, lower, -1), zero], "max"), level)
            assert isinstance(part, Q)
            total = X.add(total, X.mul(part, rate))
            if upper is None:
                break
            lower = upper
        return total


_U = 2.0**-50  # four times the unit roundoff of Float64: a margin on every error bound
_INF = pl.lit(float("inf"))


def _bounded(n: A.Node) -> tuple[pl.Expr, pl.Expr] | None:
    """`n` as (value, bound on its error) in Float64 — null where `n` is unknown — for
    arithmetic on money and counts; None for anything else (the exact rows decide)."""
    if isinstance(n, A.Num):
        x = float(n.value)
        return pl.lit(x), pl.lit(abs(x) * _U)
    if isinstance(n, A.Field):
        t = C.BY_NAME[n.name].type.value
        c = pl.col(column(n.name, n.year)).cast(pl.Float64)
        if t == "money":
            v = c / 100.0
            return v, v.abs() * _U
        return (c, pl.lit(0.0)) if t == "integer" else None
    if isinstance(n, A.Unary) and n.op == "-":
        inner = _bounded(n.operand)
        return None if inner is None else (-inner[0], inner[1])
    if isinstance(n, A.Call) and n.fn in ("sum", "avg") and isinstance(n.args[0], A.Range):
        r = n.args[0]
        total: tuple[pl.Expr, pl.Expr] | None = None
        for y in r.years:
            part = _bounded(A.Field(r.name, y))
            if part is None:
                return None
            total = part if total is None else _fadd(total, part, 1)
        assert total is not None
        if n.fn == "sum":
            return total
        return _fmul(total, _bounded(A.Num(Fraction(1, len(r.years)))))  # type: ignore[arg-type]
    if isinstance(n, A.Call) and n.fn in ("min", "max") and len(n.args) > 1:
        parts = [_bounded(x) for x in n.args]
        if any(p is None for p in parts):
            return None
        out = parts[0]
        assert out is not None
        for p in parts[1:]:
            assert p is not None
            keep = out[0] <= p[0] if n.fn == "min" else out[0] >= p[0]
            # |min(A, B) − min(a, b)| ≤ max(ea, eb); null if either is (when/then, not
            # min_horizontal, which skips nulls)
            v = pl.when(keep).then(out[0]).when(~keep).then(p[0])
            out = (v, pl.max_horizontal(out[1], p[1]))
        return out
    if isinstance(n, A.Call) and n.fn == "abs":
        inner = _bounded(n.args[0])
        return None if inner is None else (inner[0].abs(), inner[1])
    if isinstance(n, A.Binary):
        a, b = _bounded(n.left), _bounded(n.right)
        if a is None or b is None:
            return None
        if n.op in "+-":
            return _fadd(a, b, 1 if n.op == "+" else -1)
        if n.op == "*":
            return _fmul(a, b)
        (va, ea), (vb, eb) = a, b
        v = va / vb
        # |A/B − a/b| ≤ (|a|·eb + |b|·ea) / (|b|·(|b| − eb)) for |b| > eb; else no bound
        e = (va.abs() * eb + vb.abs() * ea) / (vb.abs() * (vb.abs() - eb)) + v.abs() * _U
        return v, pl.when(vb.abs() > eb).then(e).otherwise(_INF)
    return None


def _fadd(
    a: tuple[pl.Expr, pl.Expr], b: tuple[pl.Expr, pl.Expr], sign: int
) -> tuple[pl.Expr, pl.Expr]:
    v = a[0] + b[0] if sign > 0 else a[0] - b[0]
    return v, a[1] + b[1] + v.abs() * _U


def _fmul(a: tuple[pl.Expr, pl.Expr], b: tuple[pl.Expr, pl.Expr]) -> tuple[pl.Expr, pl.Expr]:
    (va, ea), (vb, eb) = a, b
    v = va * vb
    return v, va.abs() * eb + vb.abs() * ea + ea * eb + v.abs() * _U


def _is_condition(n: A.Node) -> bool:
    """A node whose value is true/false: where a too-wide comparison falls back to rows."""
    if isinstance(n, A.Compare | A.InList | A.Logic):
        return True
    if isinstance(n, A.Call) and n.fn in ("present", "missing"):
        return True
    return isinstance(n, A.Unary) and n.op == "not"


def columns_read(n: object) -> set[str]:
    """Every column of the enterprise frame that evaluating `n` may read."""
    out: set[str] = set()
    if isinstance(n, A.Band):
        return columns_read(n.bound) | columns_read(n.value)
    if isinstance(n, A.Field):
        out.add(column(n.name, n.year))
    elif isinstance(n, A.Range):
        out.update(column(n.name, y) for y in n.years)
    elif isinstance(n, A.Call) and n.fn == "has":
        q = n.args[0]
        assert isinstance(q, A.Field)
        out.update((q.name, until_column(q.name)))
    elif isinstance(n, A.Call) and n.fn in events.FUNCTIONS:
        out.update(events.columns_read(n))
    if isinstance(n, A.Node):
        for v in vars(n).values():
            for x in v if isinstance(v, tuple) else (v,):
                if isinstance(x, A.Node | A.Band):
                    out |= columns_read(x)
    return out


def _record_key(col: str) -> tuple[tuple[str, int | None], str]:
    """A frame column → the scalar record's key and how its typed value reads."""
    spec = C.parse_header(col)
    assert spec is not None, col
    if spec.until:
        return (spec.field.name + "_until", None), "date"
    if spec.first:
        return (spec.field.name + "_first", None), "boolean"
    return (spec.field.name, spec.year), spec.field.type.value


_LEAVES = (A.Num, A.Str, A.DateLit, A.Bool, A.NoValue, A.Field, A.Input, A.Range)


def _one_step(n: A.Node) -> bool:
    """A single operation on fields and constants (`rate * rd_expense[Y-1]`, `employees > 50`):
    recomputing it costs about what reading a staged copy does."""
    if isinstance(n, A.Binary) and n.op == "/":
        return False  # a guarded division: when(divisor != 0) with the sign folded in
    if isinstance(n, A.Binary | A.Compare):
        return isinstance(n.left, _LEAVES) and isinstance(n.right, _LEAVES)
    return False


def shared_nodes(trees: list[A.Node]) -> set[A.Node]:
    """Computed sub-expressions (not plain fields or constants) that occur more than once among
    `trees` — a three-year sum, a growth, a staff ratio, a valid certificate — counted once
    per tree they occur in."""
    seen: dict[A.Node, int] = {}

    def walk(n: object, mine: set[A.Node]) -> None:
        if isinstance(n, A.Band):
            walk(n.bound, mine)
            walk(n.value, mine)
        elif isinstance(n, A.Node) and not isinstance(n, _LEAVES):
            if n in mine:
                return
            mine.add(n)
            if not _one_step(n):
                seen[n] = seen.get(n, 0) + 1
            for v in vars(n).values():
                if isinstance(v, tuple):
                    for x in v:
                        walk(x, mine)
                elif isinstance(v, A.Node):
                    walk(v, mine)

    for tree in dict.fromkeys(trees):
        walk(tree, set())
    return {n for n, k in seen.items() if k > 1}


def _expr_of(v: Value) -> pl.Expr:
    if isinstance(v, _Null):
        return pl.lit(None)
    assert isinstance(v, B | D | S)
    return _lit(v.e)


def _extreme(qs: list[Q], fn: str) -> Q:
    out = qs[0]
    for q in qs[1:]:
        out = X.extreme(out, q, fn)
    return out


def _select(
    conds: list[pl.Expr | None], values: list[Value], unknown: pl.Expr | None = None
) -> Value:
    """First matching band; an unknown test gives unknown."""
    if all(isinstance(v, Q | _Null) for v in values):
        qs = [v if isinstance(v, Q) else X.NULL_Q for v in values]
        dens = [q.den.const for q in qs]
        if all(d is not None for d in dens):
            import math

            lcm = math.lcm(*[d for d in dens if d is not None])
            nums = [X.imul(q.num, Int.of(lcm // q.den.const)) for q in qs]  # type: ignore[operator]
            wide = any(n.wide for n in nums) or max(n.bound for n in nums) > X.I64
            chain = _chain(conds, [n.expr(wide) for n in nums], unknown)
            return Q(
                Int(chain, max(n.bound for n in nums), wide, all(n.nonneg for n in nums)),
                Int.of(lcm),
            )
        wn = any(q.num.wide for q in qs)
        wd = any(q.den.wide for q in qs)
        num = _chain(conds, [q.num.expr(wn) for q in qs], unknown)
        den = _chain(conds, [q.den.expr(wd) for q in qs], unknown)
        return Q(
            Int(num, max(q.num.bound for q in qs), wn),
            Int(den, max(q.den.bound for q in qs), wd, True),
        )
    exprs = [_expr_of(v) for v in values]
    e = _chain(conds, exprs, unknown)
    first = next(v for v in values if not isinstance(v, _Null))
    return B(e) if isinstance(first, B) else D(e) if isinstance(first, D) else S(e)


def _chain(
    conds: list[pl.Expr | None], values: list[pl.Expr], unknown: pl.Expr | None = None
) -> pl.Expr:
    """The first band whose test holds; unknown as soon as a test before it is unknown (or,
    given `unknown`, the one test that decides whether any of them is)."""
    chain: Any = None if unknown is None else pl.when(unknown).then(pl.lit(None))
    for c, v in zip(conds, values, strict=True):
        if c is None:
            return v if chain is None else chain.otherwise(v)
        if unknown is None:
            step_unknown = c.is_null()
            chain = (pl.when(step_unknown) if chain is None else chain.when(step_unknown)).then(
                pl.lit(None)
            )
        chain = pl.when(c).then(v) if chain is None else chain.when(c).then(v)
    return chain if chain is not None else pl.lit(None)

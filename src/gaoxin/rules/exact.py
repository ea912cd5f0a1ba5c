"""Exact rational arithmetic on Polars columns.

A number is num/den with integer Polars expressions (or Python ints, folded at compile time)
and den > 0 (or null, which makes the value unknown). Money is read as whole fen, so
`a / b >= 5%` becomes `a·20 >= b` in integers: no float is ever compared. Each integer carries
a bound on its magnitude; a product that could pass Int64 is done in Int128, and one that could
pass Int128 is refused at compile time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

I64 = 2**63 - 1
I128 = 2**127 - 1
MONEY_MAX_FEN = 10**15  # 10万亿元: larger amounts are treated as missing data
COUNT_MAX = 10**9


class CompileError(Exception):
    pass


@dataclass(frozen=True)
class Int:
    """An integer: a Python int (constant) or a Polars expression with |value| ≤ bound."""

    value: int | pl.Expr
    bound: int
    wide: bool = False  # Int128
    nonneg: bool = False

    @staticmethod
    def of(k: int) -> Int:
        return Int(k, abs(k), False, k >= 0)

    @property
    def const(self) -> int | None:
        return self.value if isinstance(self.value, int) else None

    def expr(self, wide: bool = False) -> pl.Expr:
        if isinstance(self.value, int):
            return pl.lit(
                self.value, dtype=pl.Int128 if wide or abs(self.value) > I64 else pl.Int64
            )
        return self.value.cast(pl.Int128) if wide and not self.wide else self.value


def _check(bound: int) -> bool:
    if bound > I128:
        raise CompileError("a product is too large for exact arithmetic (Int128)")
    return bound > I64


def imul(a: Int, b: Int) -> Int:
    if a.const is not None and b.const is not None:
        return Int.of(a.const * b.const)
    if a.const == 1:
        return b
    if b.const == 1:
        return a
    bound = a.bound * b.bound
    wide = _check(bound) or a.wide or b.wide
    if a.const is not None:  # keep the column first, so the result keeps its type
        a, b = b, a
    return Int(a.expr(wide) * b.expr(wide), bound, wide, a.nonneg and b.nonneg)


def iadd(a: Int, b: Int, sign: int = 1) -> Int:
    if a.const is not None and b.const is not None:
        return Int.of(a.const + sign * b.const)
    if b.const == 0:
        return a
    if a.const == 0 and sign > 0:
        return b
    bound = a.bound + b.bound
    wide = _check(bound) or a.wide or b.wide
    e = a.expr(wide) + b.expr(wide) if sign > 0 else a.expr(wide) - b.expr(wide)
    return Int(e, bound, wide, a.nonneg and b.nonneg and sign > 0)


def icmp(a: Int, b: Int, op: str) -> pl.Expr:
    if a.const is not None and b.const is not None:
        return pl.lit(_cmp(op, a.const, b.const), dtype=pl.Boolean)
    wide = a.wide or b.wide
    x, y = a.expr(wide), b.expr(wide)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[op]


def icmp_exprs(x: pl.Expr, y: pl.Expr, op: str) -> pl.Expr:
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[op]


def _cmp(op: str, x: Any, y: Any) -> bool:
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    if op == ">=":
        return bool(x >= y)
    return bool(x == y) if op == "==" else bool(x != y)


@dataclass(frozen=True)
class Q:
    """num / den, den > 0 (null when a division was by zero)."""

    num: Int
    den: Int

    @staticmethod
    def const(x: Fraction) -> Q:
        return Q(Int.of(x.numerator), Int.of(x.denominator))

    @property
    def fraction(self) -> Fraction | None:
        if self.num.const is not None and self.den.const is not None:
            return Fraction(self.num.const, self.den.const)
        return None


NULL_Q = Q(Int(pl.lit(None, dtype=pl.Int64), 0), Int.of(1))


def add(a: Q, b: Q, sign: int = 1) -> Q:
    fa, fb = a.fraction, b.fraction
    if fa is not None and fb is not None:
        return Q.const(fa + sign * fb)
    if a.den.const is not None and b.den.const is not None:
        lcm = math.lcm(a.den.const, b.den.const)
        num = iadd(
            imul(a.num, Int.of(lcm // a.den.const)), imul(b.num, Int.of(lcm // b.den.const)), sign
        )
        return Q(num, Int.of(lcm))
    num = iadd(imul(a.num, b.den), imul(b.num, a.den), sign)
    return Q(num, imul(a.den, b.den))


def neg(a: Q) -> Q:
    return Q(imul(a.num, Int.of(-1)), a.den)


def mul(a: Q, b: Q) -> Q:
    fa, fb = a.fraction, b.fraction
    if fa is not None and fb is not None:
        return Q.const(fa * fb)
    if fa is not None:
        a, b = b, a
        fa, fb = fb, fa
    if fb is not None and a.den.const is not None:  # column × constant: reduce what we can
        g = math.gcd(fb.numerator, a.den.const) or 1
        return Q(imul(a.num, Int.of(fb.numerator // g)), Int.of(a.den.const // g * fb.denominator))
    return Q(imul(a.num, b.num), imul(a.den, b.den))


def div(a: Q, b: Q) -> Q:
    fb = b.fraction
    if fb is not None:
        return NULL_Q if fb == 0 else mul(a, Q.const(1 / fb))
    if a.den.const is not None and b.den.const is not None:
        g = math.gcd(a.den.const, b.den.const)
        top, bottom_scale = Int.of(b.den.const // g), Int.of(a.den.const // g)
    else:
        top, bottom_scale = b.den, a.den
    bn = b.num
    assert not isinstance(bn.value, int)
    # Keep den > 0: fold the divisor's sign into the numerator; zero → null (unknown).
    if bn.nonneg:
        sign_num, magnitude = a.num, bn
    else:
        sign = Int(bn.value.sign(), 1, bn.wide)
        sign_num = imul(a.num, sign)
        magnitude = Int(bn.value.abs(), bn.bound, bn.wide, True)
    nonzero = Int(pl.when(bn.value != 0).then(magnitude.value), bn.bound, bn.wide, True)
    return Q(imul(sign_num, top), imul(bottom_scale, nonzero))


def compare(a: Q, b: Q, op: str) -> pl.Expr:
    fa, fb = a.fraction, b.fraction
    if fa is not None and fb is not None:
        return pl.lit(_cmp(op, fa, fb), dtype=pl.Boolean)
    if a.den.const is not None and b.den.const is not None:
        lcm = math.lcm(a.den.const, b.den.const)
        return icmp(
            imul(a.num, Int.of(lcm // a.den.const)), imul(b.num, Int.of(lcm // b.den.const)), op
        )
    return icmp(imul(a.num, b.den), imul(b.num, a.den), op)


def pick(cond: pl.Expr, a: Q, b: Q) -> Q:
    """if(cond, a, b) with an unknown cond giving unknown."""
    if a.den.const is not None and b.den.const is not None:
        lcm = math.lcm(a.den.const, b.den.const)
        na, nb = imul(a.num, Int.of(lcm // a.den.const)), imul(b.num, Int.of(lcm // b.den.const))
        wide = na.wide or nb.wide or max(na.bound, nb.bound) > I64
        e = pl.when(cond).then(na.expr(wide)).when(~cond).then(nb.expr(wide))
        return Q(Int(e, max(na.bound, nb.bound), wide, na.nonneg and nb.nonneg), Int.of(lcm))
    wide_n = a.num.wide or b.num.wide
    wide_d = a.den.wide or b.den.wide
    num = pl.when(cond).then(a.num.expr(wide_n)).when(~cond).then(b.num.expr(wide_n))
    den = pl.when(cond).then(a.den.expr(wide_d)).when(~cond).then(b.den.expr(wide_d))
    return Q(
        Int(num, max(a.num.bound, b.num.bound), wide_n),
        Int(den, max(a.den.bound, b.den.bound), wide_d, True),
    )


def extreme(a: Q, b: Q, fn: str) -> Q:
    """min(a, b) or max(a, b), unknown if either is. Against a constant, a clip of the
    column's numerator (which keeps nulls): no comparison, no second copy of the column's
    expression."""
    fa, fb = a.fraction, b.fraction
    if fa is not None and fb is not None:
        return Q.const(min(fa, fb) if fn == "min" else max(fa, fb))
    if fa is not None:
        a, b, fa, fb = b, a, fb, fa
    if fb is not None and a.den.const is not None:
        lcm = math.lcm(a.den.const, fb.denominator)
        na = imul(a.num, Int.of(lcm // a.den.const))
        k = fb.numerator * (lcm // fb.denominator)
        wide = na.wide or _check(abs(k))
        limit = pl.lit(k, dtype=pl.Int128 if wide else pl.Int64)
        e = na.expr(wide)
        e = e.clip(upper_bound=limit) if fn == "min" else e.clip(lower_bound=limit)
        nonneg = (na.nonneg and k >= 0) if fn == "min" else (na.nonneg or k >= 0)
        # min(x, k) of an x ≥ 0 lies in [0, k]: the bound that keeps later products in Int64
        bound = abs(k) if fn == "min" and na.nonneg else max(na.bound, abs(k))
        return Q(Int(e, bound, wide, nonneg), Int.of(lcm))
    keep = compare(a, b, "<=" if fn == "min" else ">=")
    return pick(keep, a, b)


def rounded(a: Q, digits: int) -> Q:
    """Half away from zero to `digits` decimals: (2|n|·10^d + den) // (2·den), signed."""
    scale = 10**digits
    f = a.fraction
    if f is not None:
        n = abs(f) * scale
        r = math.floor(n + Fraction(1, 2))
        return Q(Int.of(r if f >= 0 else -r), Int.of(scale))  # not normalised: den is scale
    n, d = a.num, a.den
    if d.const is not None and scale % d.const == 0:  # already a whole number of 10^-digits
        return Q(imul(n, Int.of(scale // d.const)), Int.of(scale))
    if n.nonneg:
        mag, sign = n, None
    else:
        mag = Int(n.expr().abs(), n.bound, n.wide, True)
        sign = Int(n.expr().sign(), 1, n.wide)
    top = iadd(imul(mag, Int.of(2 * scale)), d)
    two_d = imul(d, Int.of(2))
    wide = top.wide or two_d.wide
    q = Int(top.expr(wide) // two_d.expr(wide), top.bound, wide, True)
    return Q(imul(q, sign) if sign is not None else q, Int.of(scale))


def floor_q(a: Q) -> Q:
    wide = a.num.wide or a.den.wide
    return Q(Int(a.num.expr(wide) // a.den.expr(wide), a.num.bound, wide, a.num.nonneg), Int.of(1))


def abs_q(a: Q) -> Q:
    if a.num.nonneg:
        return a
    return Q(Int(a.num.expr().abs(), a.num.bound, a.num.wide, True), a.den)


def to_fen(a: Q) -> pl.Expr:
    """Yuan → Int64 fen, half-up."""
    r = rounded(a, 2)
    if r.num.const is not None:
        return pl.lit(r.num.const, dtype=pl.Int64)
    e = r.num.expr()
    return e.cast(pl.Int64, strict=False) if r.num.wide else e

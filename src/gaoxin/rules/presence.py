"""Presence and fallback: `present(x)`, `missing(x)` and `coalesce(a, b, …)` ("有 A 则按 A，
否则按 B").

`present(x)` is true when x has a value and false when it has none (a field not reported, an
input not given, a division by zero): it is never unknown, so `missing(x)` — its negation — is
an explicit "is missing" test inside three-valued logic. `coalesce(a, b, …)` is the first of
its arguments that has a value, unknown only when none has."""

from __future__ import annotations

from typing import Any

from . import ast as A
from .errors import ExprError
from .types import RANGE, T_BOOL, Type

FUNCTIONS = {
    "present": "present(x) — true when x has a value, false when not (never unknown)",
    "missing": "missing(x) — true when x has no value (never unknown)",
    "coalesce": "coalesce(a, b, …) — a if it has a value, else b, …",
}


def check(checker: Any, n: A.Call) -> tuple[A.Node, Type]:
    fn, args = n.fn, n.args
    if fn in ("present", "missing"):
        if len(args) != 1:
            raise ExprError(f"{fn}() takes 1 argument", n.span[0], f"write {FUNCTIONS[fn]}")
        x, t = checker.visit(args[0])
        if t.base == RANGE:
            raise ExprError(
                f"{fn}() needs one value, not a year range",
                args[0].span[0],
                "write e.g. present(rd_expense[Y-1]), or count(X[Y-3..Y-1]) for the years "
                "with a value",
            )
        return A.Call(fn, (x,), span=n.span), T_BOOL
    if len(args) < 2:
        raise ExprError(
            "coalesce() needs two or more values",
            n.span[0],
            "write coalesce(a, b): a, or b if a has no value",
        )
    out = [checker.visit(a) for a in args]
    first = out[0][1]
    for (_, t), a in zip(out[1:], args[1:], strict=True):
        if t.base != first.base:
            raise ExprError(
                f"coalesce() values differ: a {first} and a {t}",
                a.span[0],
                "every value of coalesce() has the same type",
            )
    if first.base == RANGE:
        raise ExprError(
            "coalesce() needs values, not a year range", args[0].span[0], "aggregate it first"
        )
    same = all(t == first for _, t in out)
    return A.Call(fn, tuple(x for x, _ in out), span=n.span), first if same else Type(first.base)


def evaluate(ev: Any, n: A.Call) -> Any:
    """The scalar side (scalar.Evaluator)."""
    if n.fn == "coalesce":
        for a in n.args:
            v = ev.eval(a)
            if v is not None:
                return v
        return None
    has = ev.eval(n.args[0]) is not None
    return has if n.fn == "present" else not has


def describe(d: Any, n: A.Call) -> str:
    parts = [d(a) for a in n.args]
    if n.fn == "present":
        return f"{parts[0]}有数据"
    if n.fn == "missing":
        return f"{parts[0]}无数据"
    rest = "，再无数据时按".join(parts[1:])
    return f"{parts[0]}（无数据时按{rest}）"


def compile_call(comp: Any, n: A.Call) -> Any:
    """The batch side (compiler.Compiler): the same values as `evaluate`, column-wise."""
    from . import exact as X
    from .compiler import NULL, B, Q, _Null

    if n.fn == "coalesce":
        values = [comp.value(a) for a in n.args]
        known = [v for v in values if not isinstance(v, _Null)]
        if not known:
            return NULL
        if all(isinstance(v, Q) for v in known):
            out = known[-1]
            for v in reversed(known[:-1]):
                out = X.pick(_known(v), v, out)
            return out
        import polars as pl

        from .compiler import D, S, _lit

        e = pl.coalesce([_lit(v.e) for v in known])
        first = known[0]
        return B(e) if isinstance(first, B) else D(e) if isinstance(first, D) else S(e)
    has = _known(comp.value(n.args[0]))
    return B(has if n.fn == "present" else ~has)


def _known(v: Any) -> Any:
    """True where `v` has a value, false where not (never null)."""
    import polars as pl

    from .compiler import Q, _lit, _Null

    if isinstance(v, _Null):
        return pl.lit(False)
    if isinstance(v, Q):
        tests = [i.expr().is_not_null() for i in (v.num, v.den) if i.const is None]
        if not tests:
            return pl.lit(True)
        out = tests[0]
        for t in tests[1:]:
            out = out & t
        return out
    return _lit(v.e).is_not_null()

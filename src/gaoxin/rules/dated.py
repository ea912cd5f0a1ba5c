"""A parameter as of another date: `as_of(lpr, loan_date)` is the value of the dated parameter
`lpr` in force on the loan date (the last entry dated on or before it), not on the evaluation
date; `as_of(threshold, date(Y, 1, 1))` the threshold in force on 1 January of the assessment
year. Unknown when the date is, or when no entry is dated on or before it.

Resolution turns `as_of(p, d)` into a step table keyed by `d` — the newest entry first, each
row "atleast its date" — so both evaluators run it as the tables they already agree on."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from . import ast as A
from .errors import ExprError, did_you_mean
from .types import DATE, NUMBER, T_DATE, Type

FUNCTIONS = {
    "as_of": "as_of(parameter, date) — the parameter's value in force on that date",
    "date": "date(Y, 1, 1) — the date of that year, month and day",
}


def check(checker: Any, n: A.Call) -> tuple[A.Node, Type]:
    fn, args = n.fn, n.args
    if len(args) != (2 if fn == "as_of" else 3):
        raise ExprError(
            f"{fn}() takes {2 if fn == 'as_of' else 3} arguments",
            n.span[0],
            f"write {FUNCTIONS[fn]}",
        )
    if fn == "date":
        year, _ = checker.operand(args[0], NUMBER, "date() needs a year first (Y, Y-1, 2025)")
        for part, what in ((args[1], "month"), (args[2], "day")):
            if not (isinstance(part, A.Num) and part.value.denominator == 1 and part.value >= 1):
                raise ExprError(f"date() needs a whole {what} number", part.span[0])
        month, day = (int(a.value) for a in args[1:] if isinstance(a, A.Num))
        try:
            dt.date(2001, month, day)  # a year that is not a leap year: valid every year
        except ValueError:
            raise ExprError(
                f"date() has no day {month}-{day} in every year",
                args[1].span[0],
                "write a month 1–12 and a day that month has (29 February is not in every year)",
            ) from None
        return A.Call(fn, (year, args[1], args[2]), span=n.span), T_DATE
    p = args[0]
    if not (isinstance(p, A.Name) and p.name in checker.scope.params):
        name = getattr(p, "name", "")
        raise ExprError(
            "as_of() needs the name of a parameter first",
            p.span[0],
            did_you_mean(name, checker.scope.params)
            or "declare it under parameters: with the dates its values apply from, "
            "e.g. lpr: {2024-07-22: 3.35%, 2024-10-21: 3.1%}",
        )
    _, t = checker.visit(p)
    on, _ = checker.operand(args[1], DATE, "as_of() needs a date second")
    return A.Call(fn, (A.Param(p.name, span=p.span), on), span=n.span), t


def resolve(r: Any, n: A.Call) -> A.Node:
    """`as_of` → a table by date, newest entry first; `date` of constants → a date."""
    sp = n.span
    if n.fn == "date":
        args = tuple(r.node(a) for a in n.args)
        year = args[0]
        if isinstance(year, A.Num):
            made = make_date(year.value, args[1], args[2])
            if made is None:
                return A.NoValue(f"no date in year {year.value}", span=sp)
            return A.DateLit(made, span=sp)
        return A.Call("date", args, span=sp)
    p, on = n.args
    assert isinstance(p, A.Param)
    bands = tuple(
        A.Band(None, None, r.node(e.value))
        if e.since == dt.date.min
        else A.Band(">=", A.DateLit(e.since), r.node(e.value))
        for e in reversed(r.policy.params[p.name])
    )
    return A.Table(f"{p.name}@", r.node(on), bands, span=sp)


def make_date(year: Any, month: A.Node, day: A.Node) -> dt.date | None:
    assert isinstance(month, A.Num) and isinstance(day, A.Num)
    if year is None or Fraction(year).denominator != 1 or not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    return dt.date(int(year), int(month.value), int(day.value))


def evaluate(ev: Any, n: A.Call) -> Any:
    return make_date(ev.eval(n.args[0]), n.args[1], n.args[2])


def compile_call(comp: Any, n: A.Call) -> Any:
    import polars as pl

    from .compiler import NULL, D, _Null

    year = comp.value(n.args[0])
    if isinstance(year, _Null):
        return NULL
    month, day = (int(a.value) for a in n.args[1:] if isinstance(a, A.Num))
    num, den = year.num.expr(), year.den.expr()
    whole = (num % den) == 0
    y = num // den
    ok = whole & (y >= dt.MINYEAR) & (y <= dt.MAXYEAR)
    e = pl.when(ok).then(pl.date(y.clip(dt.MINYEAR, dt.MAXYEAR).cast(pl.Int32), month, day))
    return D(e)


def _year_words(d: Any, n: A.Node) -> str:
    if isinstance(n, A.YearValue):
        return "评估年度"
    if (
        isinstance(n, A.Binary)
        and isinstance(n.left, A.YearValue)
        and isinstance(n.right, A.Num)
        and n.op in "+-"
    ):
        k = int(n.right.value) * (-1 if n.op == "-" else 1)
        return {-1: "上一年度", 0: "评估年度", 1: "下一年度"}.get(
            k, f"评估年度{'前' if k < 0 else '后'}{abs(k)}年"
        )
    if isinstance(n, A.Num):
        return f"{n.value}年"
    return f"{d(n)}年"


def describe(d: Any, n: A.Call) -> str:
    if n.fn == "date":
        month, day = (int(a.value) for a in n.args[1:] if isinstance(a, A.Num))
        return f"{_year_words(d, n.args[0])}{month}月{day}日"
    p, on = n.args
    entries = d.policy.params.get(getattr(p, "name", ""), ())
    beside = getattr(d, "beside", None)  # what it is compared with: 1000万 beside money reads 万元

    def value(v: A.Node) -> str:
        if isinstance(v, A.Num) and v.kind == "plain" and beside in ("money", "percent"):
            from .display import show

            return show(v.value, beside)
        return str(d(v))

    shown = "；".join(
        (f"{e.since.isoformat()}起" if e.since != dt.date.min else "") + value(e.value)
        for e in entries
    )
    return f"{d(on)}当日适用的值（{shown}）"

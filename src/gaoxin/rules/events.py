"""Dates relative to an event: a certificate granted, the enterprise landed in the zone.

- `within(high_tech_enterprise, 3年)`, `within(high_tech_enterprise, 12个月)`: 自认定之日起三年内,
  取得证书后 12 个月内 — from the event day (inclusive) to the day before the N-th anniversary
  (the anniversary is the first day outside, as a certificate of N years runs to the day
  before it). Before the event: false. No event date: unknown.
- `months_since(d)`: whole months completed by the evaluation date; a month completes on the
  same day of a later month, and where that month has no such day (31 January → February), on
  the first of the next month — the rule `years_since` already follows for 29 February, so
  that months_since(d) // 12 == years_since(d).
- `year_after(d)`: k in "落户后第 k 年": 1 from the event day to the day before its first
  anniversary, 2 in the year after, …; 0 or less before the event.
- `first_time(q)`: whether the certificate `has(q)` reads is the enterprise's first of its kind
  (首次认定) rather than a renewal (重新认定); the registry derives it (enterprises.flat).

Checking, the reference evaluator, the batch compiler and plain Chinese for these functions
live here; the shared dispatchers (checker, scalar, compiler, describe) hand them over."""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from gaoxin import catalogue as C

from . import ast as A
from .errors import ExprError, did_you_mean
from .types import DATE, NUMBER, T_BOOL, Type
from .values import FIRST

if TYPE_CHECKING:
    from .checker import Checker
    from .compiler import Compiler, Value
    from .scalar import Evaluator

# Units of a duration literal: `3年`, `12个月` (only where a duration is meant, see check).
DURATIONS = {"个月": "months", "年": "years"}
DURATION_NAMES = sorted(DURATIONS, key=len, reverse=True)
DURATION_KINDS = ("years", "months")
MAX_DURATION = {"years": 100, "months": 1200}

FUNCTIONS = {
    "within": "within(date, 3年) or within(date, 12个月) — from the date to the day before the "
    "anniversary",
    "months_since": "months_since(date) — whole months completed",
    "year_after": "year_after(date) — k of 'the k-th year after': 1 in the first year",
    "first_time": "first_time(qualification) — the certificate is the first of its kind (首次认定)",
}


# -- date arithmetic (the reference; the batch lowers the same rules to date comparisons) -----


def months_since(start: dt.date, on: dt.date) -> int:
    """Whole months completed by `on` (31 January → 1 March in a common year)."""
    return (on.year - start.year) * 12 + on.month - start.month - (start.day > on.day)


def year_after(start: dt.date, on: dt.date) -> int:
    from .scalar import years_since

    return years_since(start, on) + 1


def within(start: dt.date, n: int, unit: str, on: dt.date) -> bool:
    from .scalar import years_since

    elapsed = years_since(start, on) if unit == "years" else months_since(start, on)
    return start <= on and elapsed < n


def cutoff(n: int, unit: str, on: dt.date) -> dt.date | None:
    """The last start date from which `n` years (months) have completed by `on`: later starts
    are still within the period. None before the calendar's first day."""
    months = n * 12 if unit == "years" else n
    index = on.year * 12 + (on.month - 1) - months
    year, month = divmod(index, 12)
    if year < dt.MINYEAR:
        return None
    day = min(on.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


# -- check --------------------------------------------------------------------------------------


def _err(node: A.Node, message: str, hint: str = "") -> ExprError:
    return ExprError(message, node.span[0], hint)


def duration_type(n: A.Num) -> Type:
    return Type(NUMBER, n.kind)


def check_call(checker: Checker, n: A.Call) -> tuple[A.Node, Type]:
    fn, args = n.fn, n.args
    if fn in ("months_since", "year_after"):
        _arity(n, 1)
        d, _ = checker.operand(args[0], DATE, f"{fn}() needs a date")
        kind = "months" if fn == "months_since" else "plain"
        return A.Call(fn, (d,), span=n.span), Type(NUMBER, kind)
    if fn == "within":
        _arity(n, 2)
        d, _ = checker.operand(args[0], DATE, "within() needs a date first")
        length = args[1]
        if not (isinstance(length, A.Num) and length.kind in DURATION_KINDS):
            raise _err(
                length,
                "within() needs a length in years or months",
                "write within(high_tech_enterprise, 3年) or within(high_tech_enterprise, 12个月)",
            )
        top = MAX_DURATION[length.kind]
        if length.value.denominator != 1 or not 0 < length.value <= top:
            unit = "年" if length.kind == "years" else "个月"
            raise _err(length, f"within() needs a whole number of {unit} from 1 to {top}")
        return A.Call(fn, (d, length), span=n.span), T_BOOL
    if fn == "first_time":
        _arity(n, 1)
        q = args[0]
        name = q.name if isinstance(q, A.Name) else None
        qual = C.lookup(name) if name else None
        if qual is None or qual.kind is not C.FieldKind.QUALIFICATION:
            quals = [x.name for x in C.QUALIFICATIONS] + [x.alias for x in C.QUALIFICATIONS]
            raise _err(
                q,
                f"first_time() needs a qualification, not '{name or '…'}'",
                did_you_mean(name, quals) if name else "e.g. first_time(high_tech_enterprise)",
            )
        return A.Call(fn, (A.Field(qual.name, span=q.span),), span=n.span), T_BOOL
    raise _err(n, f"unknown function '{fn}'")  # pragma: no cover


def _arity(n: A.Call, k: int) -> None:
    if len(n.args) != k:
        raise _err(
            n, f"{n.fn}() takes {k} argument{'s' if k > 1 else ''}", f"write {FUNCTIONS[n.fn]}"
        )


def check_durations(n: A.Compare, left: Type, right: Type) -> None:
    """A duration written with its unit compares with a number of that unit or a plain one:
    `months_since(d) < 1年` would mean one month, `revenue[Y-1] > 3年` means nothing."""
    for side, other in ((n.left, right), (n.right, left)):
        if not (isinstance(side, A.Num) and side.kind in DURATION_KINDS):
            continue
        if other.kind not in (side.kind, "plain"):
            words = {"years": "years", "months": "months", "percent": "a ratio"}
            raise _err(
                n,
                f"can't compare {words.get(other.kind, other.kind)} with {words[side.kind]}",
                "compare years_since() with 年, months_since() with 个月",
            )


# -- evaluate (reference) -----------------------------------------------------------------------


def eval_call(ev: Evaluator, n: A.Call) -> Any:
    fn, args = n.fn, n.args
    if fn == "first_time":
        q = args[0]
        assert isinstance(q, A.Field)
        return ev.field(q.name + FIRST, None)
    d = ev.eval(args[0])
    if d is None:
        return None
    if fn == "months_since":
        return Fraction(months_since(d, ev.on))
    if fn == "year_after":
        return Fraction(year_after(d, ev.on))
    length = args[1]
    assert isinstance(length, A.Num)
    return within(d, int(length.value), length.kind, ev.on)


# -- compile (batch) ----------------------------------------------------------------------------


def compile_call(compiler: Compiler, n: A.Call) -> Value:
    import polars as pl

    from . import exact as X
    from .compiler import NULL, B, D, _lit, _Null
    from .frame import column

    fn, args = n.fn, n.args
    on = compiler.date
    if fn == "first_time":
        q = args[0]
        assert isinstance(q, A.Field)
        name = column(q.name + FIRST)
        compiler.needed.add(name)
        return B(pl.col(name))
    d = compiler.value(args[0])
    if isinstance(d, _Null):
        return NULL
    assert isinstance(d, D)
    e = _lit(d.e)
    if fn == "within":
        length = args[1]
        assert isinstance(length, A.Num)
        last = cutoff(int(length.value), length.kind, on)
        inside = e <= pl.lit(on)
        if last is not None:
            inside = inside & (e > pl.lit(last))
        return B(inside)
    index = e.dt.year().cast(pl.Int64) * 12 + e.dt.month().cast(pl.Int64)
    not_yet = (e.dt.day().cast(pl.Int64) > on.day).cast(pl.Int64)
    if fn == "months_since":
        months = pl.lit(on.year * 12 + on.month, dtype=pl.Int64) - index - not_yet
        return X.Q(X.Int(months, 12 * 10**4), X.Int.of(1))
    later = (
        (e.dt.month().cast(pl.Int64) * 100 + e.dt.day().cast(pl.Int64)) > on.month * 100 + on.day
    ).cast(pl.Int64)
    k = pl.lit(on.year + 1, dtype=pl.Int64) - e.dt.year().cast(pl.Int64) - later
    return X.Q(X.Int(k, 10**4), X.Int.of(1))


def columns_read(n: A.Call) -> set[str]:
    """The frame columns `n` reads beyond its arguments' (first_time reads `<q>_first`)."""
    if n.fn == "first_time":
        q = n.args[0]
        assert isinstance(q, A.Field)
        return {q.name + FIRST}
    return set()


# -- plain Chinese ------------------------------------------------------------------------------


def duration_words(n: A.Num) -> str:
    value = n.value
    number = str(value.numerator) if value.denominator == 1 else str(float(value))
    return f"{number}年" if n.kind == "years" else f"{number}个月"


EVENT_WORDS = {"landed_at": "落户", "registered_at": "成立"}


def event_words(n: A.Node, fallback: str) -> str:
    """The event a date marks: 认定高新技术企业 for a certificate, 落户 for landed_at."""
    if isinstance(n, A.Field | A.Name):
        found = C.lookup(n.name)
        if found is not None and found.kind is C.FieldKind.QUALIFICATION:
            return f"认定{found.alias}"
        if found is not None and found.name in EVENT_WORDS:
            return EVENT_WORDS[found.name]
    return fallback


def describe_call(n: A.Call, parts: list[str]) -> str:
    fn, args = n.fn, n.args
    event = event_words(args[0], parts[0]) if args else ""
    if fn == "within":
        length = args[1]
        assert isinstance(length, A.Num)
        return f"自{event}之日起{duration_words(length)}内"
    if fn == "months_since":
        return f"自{event}之日起已满月数"
    if fn == "year_after":
        return f"{event}后第几年（{event}当日起为第1年）"
    found = C.BY_NAME.get(getattr(args[0], "name", ""))
    return f"首次认定{found.alias if found is not None else parts[0]}（非重新认定）"

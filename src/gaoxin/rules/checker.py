"""Load-time checking: names resolve (fields, aliases, parameters, tables, inputs), functions
exist with the right arguments, types agree. Returns the tree with names made explicit."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gaoxin import catalogue as C
from gaoxin.enterprise_size import sme_expression

from . import ast as A
from . import dated, events, history, peers, presence
from .beneficiary import person_field_error
from .errors import ExprError, did_you_mean
from .items import ITEM_FUNCTIONS, check_aggregate, item_name, outside_error
from .parser import parse
from .types import BOOL, DATE, FIELD_TYPES, NUMBER, RANGE, T_BOOL, T_DATE, T_NUMBER, TEXT, Type

FUNCTIONS = {
    "sum": "sum(X[Y-3..Y-1])",
    "avg": "avg(X[Y-3..Y-1])",
    "min": "min(a, b, ...) or min(X[Y-3..Y-1])",
    "max": "max(a, b, ...) or max(X[Y-3..Y-1])",
    "count": "count(X[Y-3..Y-1]) — years with a value",
    "growth": "growth(X, Y-1) = X[Y-1] / X[Y-2] − 1",
    "cagr": "cagr(X, Y-3, Y-1), compared to a number",
    "years_since": "years_since(date)",
    "has": "has(qualification)",
    "round": "round(x, n)",
    "floor": "floor(x)",
    "ceil": "ceil(x)",
    "abs": "abs(x)",
    "if": "if(condition, a, b)",
    "starts_with": 'starts_with(text, "prefix")',
    "marginal": "marginal(table) — sum over bands of the part of `by` in each band × rate",
    "year_of": "year_of(date) — its calendar year, e.g. year_of(high_tech_enterprise) == Y",
    "sme": "sme(Y-1) — 中小企业 by the national classification (staff, revenue, assets)",
    **ITEM_FUNCTIONS,
    **events.FUNCTIONS,
    "manual": 'manual("经认定具有同等水平") — a branch of an or that staff decide',
    **presence.FUNCTIONS,
    **dated.FUNCTIONS,
    **peers.FUNCTIONS,
    **history.FUNCTIONS,
}
# Functions checked in modules of their own: name → check(checker, call).
EXTENSIONS = {
    **dict.fromkeys(presence.FUNCTIONS, presence.check),
    **dict.fromkeys(dated.FUNCTIONS, dated.check),
    **dict.fromkeys(peers.FUNCTIONS, peers.check),
    **dict.fromkeys(history.FUNCTIONS, history.check),
}
MAX_CAGR_YEARS = 6


def field_type(f: C.Field) -> Type:
    return FIELD_TYPES[f.type.value]


@dataclass
class Scope:
    """The names one policy declares. Parameters and tables are checked lazily, on first use,
    so that they may refer to one another; `checking` catches cycles."""

    params: dict[str, Callable[[], Type]] = field(default_factory=dict)
    tables: dict[str, Callable[[], Type]] = field(default_factory=dict)
    inputs: dict[str, Type] = field(default_factory=dict)
    table_by: dict[str, Type] = field(default_factory=dict)  # what each table is keyed by
    beneficiary: str = "enterprise"  # who is paid: a person's fields are read only for persons
    policy_id: str = ""  # what `self` stands for in received(self) (history.py)

    def names(self) -> list[str]:
        """What a name may stand for: catalogue fields (and their aliases) and the policy's
        parameters, tables and inputs — the suggestions for a misspelt one."""
        fields = [f.name for f in C.FIELDS] + [f.alias for f in C.FIELDS]
        return [*fields, *self.params, *self.tables, *self.inputs]


def _respanned(node: A.Node, span: tuple[int, int]) -> A.Node:
    """An expanded built-in (sme()) located where it was written, so that any message about it
    points at the call in the policy file."""
    import dataclasses

    changes: dict[str, Any] = {"span": span}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, A.Node):
            changes[f.name] = _respanned(value, span)
        elif isinstance(value, tuple) and value and isinstance(value[0], A.Node):
            changes[f.name] = tuple(_respanned(v, span) for v in value)
    return dataclasses.replace(node, **changes)


def _err(node: A.Node, message: str, hint: str = "") -> ExprError:
    return ExprError(message, node.span[0], hint)


def _unknown_name(node: A.Node, name: str, scope: Scope) -> ExprError:
    if name in FUNCTIONS:
        return _err(node, f"'{name}' is a function", f"call it: {FUNCTIONS[name]}")
    if name == "Y":
        return _err(
            node, "Y (the assessment year) can only index a yearly field", "write e.g. revenue[Y-1]"
        )
    header = C.parse_header(name)
    if header is not None and header.year is not None and C.lookup(name) is None:
        return _err(
            node,
            f"unknown field '{name}'",
            f"a yearly field takes its year in brackets: {header.field.name}[{header.year}]",
        )
    close = difflib.get_close_matches(name, scope.names(), n=1, cutoff=0.6)
    if not close and _looks_like_text(name):
        return _err(
            node,
            f"unknown field '{name}'",
            f'text values are quoted: "{name}"; fields are listed in docs/rules.md',
        )
    what = "field"
    if close and close[0] in scope.params:
        what = "parameter"
    elif close and close[0] in scope.tables:
        what = "table"
    elif close and close[0] in scope.inputs:
        what = "input"
    hint = f"did you mean '{close[0]}'?" if close else "see the field catalogue in docs/rules.md"
    return _err(node, f"unknown {what} '{name}'", hint)


def _looks_like_text(name: str) -> bool:
    """A bare word that is more likely a value than a field: Chinese (园区, 集成电路) or a code
    (C3974)."""
    return any(not ch.isascii() for ch in name) or bool(re.fullmatch(r"[A-Z]+\d+", name))


def _quote_it(n: A.Node) -> ExprError:
    assert isinstance(n, A.Name)
    return _err(
        n,
        f"'{n.name}' is not a field",
        f'text values are quoted: "{n.name}"',
    )


def _located(get: Callable[[], Type], n: A.Node) -> Type:
    """A parameter's type; a cycle found below is reported at this reference."""
    try:
        return get()
    except ExprError as err:
        if err.offset < 0:
            err.offset = n.span[0]
        raise


class Checker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.item_table: C.ItemTable | None = None  # inside sum_over(table, …)
        self.allow_manual = False  # while checking a condition's when: (see manual.py)

    def check(self, node: A.Node, want: str | None = None) -> tuple[A.Node, Type]:
        out, t = self.visit(node)
        if want is not None and t.base != want:
            raise _err(
                node,
                f"expected a {want} here but this is a {t}",
                "conditions must be true/false, e.g. revenue[Y-1] > 0" if want == BOOL else "",
            )
        return out, t

    def visit(self, n: A.Node) -> tuple[A.Node, Type]:
        if isinstance(n, A.Num):
            if n.kind in events.DURATION_KINDS:
                return n, events.duration_type(n)
            return n, Type(
                NUMBER,
                "percent" if n.kind == "percent" else "money" if n.kind == "money" else "plain",
            )
        if isinstance(n, A.Str):
            return n, Type(TEXT)
        if isinstance(n, A.DateLit):
            return n, T_DATE
        if isinstance(n, A.Bool):
            return n, T_BOOL
        if isinstance(n, A.Name):
            return self.name(n)
        if isinstance(n, A.Index):
            return self.index(n)
        if isinstance(n, A.Unary):
            if n.op == "not":
                x, _ = self.operand(n.operand, BOOL, "'not' needs a true/false operand")
                return A.Unary("not", x, span=n.span), T_BOOL
            x, t = self.operand(n.operand, NUMBER, "'-' needs a number")
            return A.Unary("-", x, span=n.span), t
        if isinstance(n, A.Binary):
            return self.binary(n)
        if isinstance(n, A.Compare):
            return self.compare(n)
        if isinstance(n, A.Logic):
            items = tuple(
                self.operand(i, BOOL, f"'{n.op}' joins true/false conditions")[0] for i in n.items
            )
            return A.Logic(n.op, items, span=n.span), T_BOOL
        if isinstance(n, A.InList):
            x, t = self.visit(n.operand)
            if t.base not in (NUMBER, TEXT):
                raise _err(n.operand, f"'in' needs a number or text, not a {t}")
            listed: list[A.Node] = []
            for item in n.items:
                if t.base == TEXT and self.unresolved(item):
                    raise _quote_it(item)
                if not isinstance(item, A.Num | A.Str):
                    raise _err(item, 'list items must be numbers or "text"')
                it = self.visit(item)[1]
                if it.base != t.base:
                    raise _err(item, f"list item is a {it} but the value is a {t}")
                listed.append(item)
            return A.InList(x, tuple(listed), n.negate, span=n.span), T_BOOL
        if isinstance(n, A.Call):
            return self.call(n)
        raise _err(n, "unsupported expression")

    def operand(self, n: A.Node, want: str, message: str) -> tuple[A.Node, Type]:
        x, t = self.visit(n)
        if t.base != want:
            raise _err(n, f"{message}; this is a {t}")
        return x, t

    # -- names
    def name(self, n: A.Name) -> tuple[A.Node, Type]:
        s = self.scope
        item = item_name(self, n)
        if item is not None:
            return item
        if n.name == "Y":
            return A.YearValue(span=n.span), Type(NUMBER, "plain")
        if n.name in s.params:
            return A.Param(n.name, span=n.span), _located(s.params[n.name], n)
        if n.name in s.tables:
            return A.TableRef(n.name, span=n.span), _located(s.tables[n.name], n)
        if n.name in s.inputs:
            return A.Input(n.name, span=n.span), s.inputs[n.name]
        f = C.lookup(n.name)
        if f is None:
            raise outside_error(n) or _unknown_name(n, n.name, s)
        person_field_error(n, f, s.beneficiary)
        if f.yearly:
            raise _err(n, f"yearly field '{f.name}' needs a year", f"write {f.name}[Y-1]")
        return A.Field(f.name, span=n.span), field_type(f)

    def index(self, n: A.Index) -> tuple[A.Node, Type]:
        f = C.lookup(n.name)
        if f is None:
            raise _unknown_name(n, n.name, self.scope)
        person_field_error(n, f, self.scope.beneficiary)
        if not f.yearly:
            raise _err(
                n, f"'{f.name}' is not a yearly field and takes no [year]", f"write {f.name}"
            )
        if n.last is None:
            return A.FieldY(f.name, n.first, span=n.span), field_type(f)
        if n.first.relative != n.last.relative or n.first.offset > n.last.offset:
            raise _err(n, "bad year range", "write an increasing range such as [Y-3..Y-1]")
        return A.RangeY(f.name, n.first, n.last, span=n.span), Type(RANGE, field_type(f).kind)

    # -- operators
    def binary(self, n: A.Binary) -> tuple[A.Node, Type]:
        a, ta = self.operand(n.left, NUMBER, f"'{n.op}' needs numbers")
        b, tb = self.operand(n.right, NUMBER, f"'{n.op}' needs numbers")
        if n.op in "+-":
            kind = (
                ta.kind
                if ta.kind == tb.kind or tb.kind == "plain"
                else (tb.kind if ta.kind == "plain" else "plain")
            )
        elif n.op == "*":
            kind = (
                tb.kind
                if ta.kind in ("percent", "plain")
                else (ta.kind if tb.kind in ("percent", "plain") else "plain")
            )
        else:
            kind = "percent" if ta.kind == tb.kind else ta.kind if tb.kind == "plain" else "plain"
        return A.Binary(n.op, a, b, span=n.span), Type(NUMBER, kind)

    def compare(self, n: A.Compare) -> tuple[A.Node, Type]:
        try:
            a, ta = self.visit_cmp_side(n.left)
        except ExprError:
            if self.unresolved(n.left) and self.is_text(n.right):
                raise _quote_it(n.left) from None
            raise
        try:
            b, tb = self.visit_cmp_side(n.right)
        except ExprError:
            if self.unresolved(n.right) and ta.base == TEXT:
                raise _quote_it(n.right) from None
            raise
        if ta.base != tb.base:
            raise _err(
                n,
                f"can't compare a {ta} with a {tb}",
                "dates compare with dates (2025-01-01), numbers with numbers",
            )
        if ta.base in (BOOL, TEXT) and n.op not in ("==", "!="):
            raise _err(n, f"'{n.op}' does not apply to {ta.base} values", "use == or !=")
        if ta.base == RANGE:
            raise _err(n, "can't compare a year range", "aggregate it: sum(X[Y-3..Y-1])")
        events.check_durations(n, ta, tb)
        if isinstance(a, A.Call) and a.fn == "cagr" and isinstance(b, A.Call) and b.fn == "cagr":
            raise _err(n, "cagr() can only be compared to a value that is not a cagr()")
        return A.Compare(n.op, a, b, span=n.span, left_text=n.left_text), T_BOOL

    def unresolved(self, n: A.Node) -> bool:
        """A bare name that is no field, parameter, table or input."""
        s = self.scope
        return (
            isinstance(n, A.Name)
            and n.name not in ("Y", *s.params, *s.tables, *s.inputs, *FUNCTIONS)
            and C.lookup(n.name) is None
            and outside_error(n) is None
            and (self.item_table is None or self.item_table.field(n.name) is None)
        )

    def is_text(self, n: A.Node) -> bool:
        try:
            return self.visit(n)[1].base == TEXT
        except ExprError:
            return False

    def visit_cmp_side(self, n: A.Node) -> tuple[A.Node, Type]:
        if isinstance(n, A.Call) and n.fn == "cagr":
            return self.call(n, in_comparison=True)
        return self.visit(n)

    # -- functions
    def call(self, n: A.Call, in_comparison: bool = False) -> tuple[A.Node, Type]:
        fn, args = n.fn, n.args
        if fn in ITEM_FUNCTIONS:
            return check_aggregate(self, n)
        if fn not in FUNCTIONS:
            hint = did_you_mean(fn, FUNCTIONS)
            raise _err(n, f"unknown function '{fn}'", hint or "functions: " + ", ".join(FUNCTIONS))

        if fn in EXTENSIONS:
            return EXTENSIONS[fn](self, n)
        if fn == "manual":
            return self.manual_branch(n)

        def arity(k: int) -> None:
            if len(args) != k:
                raise _err(
                    n, f"{fn}() takes {k} argument{'s' if k > 1 else ''}", f"write {FUNCTIONS[fn]}"
                )

        if fn in ("sum", "avg", "count") or (fn in ("min", "max") and len(args) == 1):
            arity(1)
            r, t = self.visit(args[0])
            if t.base != RANGE:
                raise _err(
                    args[0],
                    f"{fn}() of one argument needs a year range",
                    f"write {fn}(X[Y-3..Y-1])",
                )
            kind = "count" if fn == "count" else t.kind
            return A.Call(fn, (r,), span=n.span), Type(NUMBER, kind)
        if fn in ("min", "max"):
            if len(args) < 2:
                raise _err(n, f"{fn}() needs two or more numbers", f"write {FUNCTIONS[fn]}")
            out = [self.operand(a, NUMBER, f"{fn}() compares numbers") for a in args]
            kinds = {t.kind for _, t in out}
            kind = kinds.pop() if len(kinds) == 1 else "plain"
            return A.Call(fn, tuple(x for x, _ in out), span=n.span), Type(NUMBER, kind)
        if fn in ("growth", "cagr"):
            arity(2 if fn == "growth" else 3)
            f = self.yearly_name(args[0], fn)
            years = tuple(self.year_arg(a) for a in args[1:])
            if fn == "cagr":
                y0, y1 = years
                if y0.relative != y1.relative or not 0 < y1.offset - y0.offset <= MAX_CAGR_YEARS:
                    raise _err(
                        n,
                        "cagr() needs an increasing span of 1 to 6 years",
                        "write cagr(revenue, Y-3, Y-1)",
                    )
                if not in_comparison:
                    raise _err(
                        n,
                        "cagr() can only be compared (e.g. cagr(revenue, Y-3, Y-1) >= 20%)",
                        "the root of a ratio is not exact money arithmetic",
                    )
            ranges = tuple(
                A.FieldY(f, y, span=a.span) for y, a in zip(years, args[1:], strict=True)
            )
            return A.Call(fn, (A.Name(f, span=args[0].span), *ranges), span=n.span), Type(
                NUMBER, "percent"
            )
        if fn in events.FUNCTIONS:
            return events.check_call(self, n)
        if fn == "sme":
            arity(1)
            year = self.year_arg(args[0])
            expanded, _t = self.visit(_respanned(parse(sme_expression(str(year))), n.span))
            return expanded, T_BOOL
        if fn == "year_of":
            arity(1)
            d, _ = self.operand(args[0], DATE, "year_of() needs a date")
            return A.Call(fn, (d,), span=n.span), Type(NUMBER, "plain")
        if fn == "years_since":
            arity(1)
            d, _ = self.operand(args[0], DATE, "years_since() needs a date")
            return A.Call(fn, (d,), span=n.span), Type(NUMBER, "years")
        if fn == "has":
            arity(1)
            q = args[0]
            name = q.name if isinstance(q, A.Name) else None
            qual = C.lookup(name) if name else None
            if qual is None or qual.kind is not C.FieldKind.QUALIFICATION:
                quals = [x.name for x in C.QUALIFICATIONS] + [x.alias for x in C.QUALIFICATIONS]
                hint = did_you_mean(name, quals) if name else ""
                raise _err(
                    q,
                    f"has() needs a qualification, not '{name or '…'}'",
                    hint or "qualifications: " + ", ".join(quals[: len(quals) // 2]),
                )
            return A.Call(fn, (A.Field(qual.name, span=q.span),), span=n.span), T_BOOL
        if fn == "round":
            arity(2)
            x, t = self.operand(args[0], NUMBER, "round() needs a number")
            digits = args[1]
            if not (
                isinstance(digits, A.Num)
                and digits.value.denominator == 1
                and 0 <= digits.value <= 8
            ):
                raise _err(digits, "round() needs a whole number of decimals (0–8)")
            return A.Call(fn, (x, digits), span=n.span), t
        if fn in ("floor", "ceil", "abs"):
            arity(1)
            x, t = self.operand(args[0], NUMBER, f"{fn}() needs a number")
            return A.Call(fn, (x,), span=n.span), t
        if fn == "if":
            arity(3)
            c, _ = self.operand(args[0], BOOL, "if() needs a condition first")
            a, ta = self.visit(args[1])
            b, tb = self.visit(args[2])
            if ta.base != tb.base:
                raise _err(n, f"if() branches differ: a {ta} and a {tb}")
            return A.Call(fn, (c, a, b), span=n.span), ta if ta == tb else Type(ta.base)
        if fn == "starts_with":
            arity(2)
            x, _ = self.operand(args[0], TEXT, "starts_with() needs text")
            if not isinstance(args[1], A.Str):
                raise _err(args[1], 'starts_with() needs a "prefix" in quotes')
            return A.Call(fn, (x, args[1]), span=n.span), T_BOOL
        if fn == "marginal":
            arity(1)
            tab = args[0]
            if not (isinstance(tab, A.Name) and tab.name in self.scope.tables):
                raise _err(
                    tab,
                    "marginal() needs the name of a table",
                    did_you_mean(getattr(tab, "name", ""), self.scope.tables),
                )
            rt = self.scope.tables[tab.name]()
            by_t = self.scope.table_by.get(tab.name)
            if rt.base != NUMBER or (by_t is not None and by_t.base != NUMBER):
                raise _err(
                    tab,
                    f"marginal() needs a table keyed by a number with numbers as values; "
                    f"{tab.name} maps {by_t or '…'} to {rt}",
                    "e.g. by: revenue[Y-1], rows: {upto: 5000万, value: 5%}",
                )
            return A.Call(fn, (A.TableRef(tab.name, span=tab.span),), span=n.span), Type(
                NUMBER, rt.kind
            )
        raise _err(n, f"unknown function '{fn}'")  # pragma: no cover

    def manual_branch(self, n: A.Call) -> tuple[A.Node, Type]:
        if self.item_table is not None:
            raise _err(n, "manual() can't be inside sum_over() or count_over()")
        if not self.allow_manual:
            raise _err(
                n,
                "manual() is a branch of a condition (when:), not part of a value",
                "a parameter, table or amount can't wait for staff; a whole condition can: "
                "manual: true",
            )
        label = n.args[0] if len(n.args) == 1 else None
        if not (isinstance(label, A.Str) and label.value.strip()):
            raise _err(
                label or n,
                "manual() takes the text staff confirm, in quotes",
                'write manual("经认定具有同等水平")',
            )
        return A.Call("manual", (label,), span=n.span), T_BOOL

    def yearly_name(self, n: A.Node, fn: str) -> str:
        f = C.lookup(n.name) if isinstance(n, A.Name) else None
        if f is None or not f.yearly or not f.is_number:
            raise _err(n, f"{fn}() needs a yearly number field", f"write {FUNCTIONS[fn]}")
        return f.name

    def year_arg(self, n: A.Node) -> A.Year:
        if isinstance(n, A.Name) and n.name == "Y":
            return A.Year(0, True)
        if (
            isinstance(n, A.Binary)
            and n.op in "+-"
            and isinstance(n.left, A.Name)
            and n.left.name == "Y"
            and isinstance(n.right, A.Num)
            and n.right.value.denominator == 1
        ):
            k = int(n.right.value)
            return A.Year(-k if n.op == "-" else k, True)
        if isinstance(n, A.Num) and n.value.denominator == 1 and 1900 <= n.value <= 2200:
            return A.Year(int(n.value), False)
        raise _err(n, "expected a year such as Y-1 or 2024")


def number_type() -> Type:
    return T_NUMBER

"""Per-item amounts and aggregates over an enterprise's linked records.

`sum_over(patents, kind == "发明" and year_of(granted_on) == Y - 1, if(scope == "PCT", 10万,
1万))` pays each item of a child table by its own formula: the second argument chooses the
items, the third is one item's amount (a per-item cap is `min(…, cap)` inside it, a total cap
is `benefit.cap`). `count_over(table, where)` counts the chosen items. Inside, names are the
table's fields first (catalogue.ITEM_TABLES), then the enterprise's.

Exact and three-valued like the rest: each item's amount is rounded half-up to the fen, then
the amounts are added; an item whose `where` is unknown, or chosen with an unknown amount,
makes the total unknown; no items is 0. The explanation lists every chosen item and its amount
(`ItemLine`); the batch evaluates the item frame column-wise and sums per enterprise with a
Polars group-by (`join_items`), joined to the enterprise frame on `uscc`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import polars as pl

from gaoxin import catalogue as C

from . import ast as A
from .errors import ExprError, did_you_mean
from .resolve import subtrees
from .types import BOOL, FIELD_TYPES, NUMBER, Type
from .values import convert_field

if TYPE_CHECKING:
    from .checker import Checker
    from .compiler import Compiler
    from .scalar import Evaluator

ITEM_FUNCTIONS = {
    "sum_over": 'sum_over(patents, kind == "发明", 1万) — each chosen item\'s amount, added',
    "count_over": 'count_over(patents, kind == "发明") — how many items are chosen',
}
ITEM_PREFIX = "__item_"  # item columns in the joined frame, apart from the enterprise's


@dataclass(frozen=True)
class ItemLine:
    """One chosen item in an explanation: which table, which item, its amount in yuan (None
    for count_over, or when unknown)."""

    table: str  # the table's Chinese name (专利)
    label: str  # the item's name (its patent number, the equipment's name)
    amount: Decimal | None
    known: bool = True


def _err(node: A.Node, message: str, hint: str = "") -> ExprError:
    return ExprError(message, node.span[0], hint)


# -- check -----------------------------------------------------------------------------------


def check_aggregate(checker: Checker, n: A.Call) -> tuple[A.Node, Type]:
    fn, args = n.fn, n.args
    want = 3 if fn == "sum_over" else 2
    if len(args) != want:
        raise _err(n, f"{fn}() takes {want} arguments", f"write {ITEM_FUNCTIONS[fn]}")
    first = args[0]
    table = C.ITEM_TABLE.get(first.name) if isinstance(first, A.Name) else None
    if table is None:
        names = [t.name for t in C.ITEM_TABLES] + [t.alias for t in C.ITEM_TABLES]
        written = getattr(first, "name", "")
        raise _err(
            first,
            f"{fn}() needs an item table first, not '{written or '…'}'",
            did_you_mean(written, names)
            or "item tables: " + ", ".join(f"{t.name} ({t.alias})" for t in C.ITEM_TABLES),
        )
    if getattr(checker, "item_table", None) is not None:
        raise _err(n, f"{fn}() can't be used inside another sum_over() or count_over()")
    checker.item_table = table
    try:
        where, _ = checker.operand(
            args[1], BOOL, f"the second argument of {fn}() chooses the items: a condition"
        )
        if fn == "count_over":
            out: tuple[A.Node, ...] = (A.Str(table.name, span=first.span), where)
            kind = "count"
        else:
            value, vt = checker.operand(
                args[2], NUMBER, "the third argument of sum_over() is one item's amount"
            )
            out = (A.Str(table.name, span=first.span), where, value)
            kind = vt.kind
    finally:
        checker.item_table = None
    return A.Call(fn, out, span=n.span), Type(NUMBER, kind)


def item_name(checker: Checker, n: A.Name) -> tuple[A.Node, Type] | None:
    """A name inside sum_over(): a field of the table being summed, if it is one."""
    table: C.ItemTable | None = getattr(checker, "item_table", None)
    if table is None:
        return None
    f = table.field(n.name)
    if f is None:
        return None
    return A.ItemField(table.name, f.name, span=n.span), FIELD_TYPES[f.type.value]


def outside_error(n: A.Name) -> ExprError | None:
    """A table's field read outside sum_over(): say where it can be read."""
    tables = [t for t in C.ITEM_TABLES if t.field(n.name) is not None]
    if not tables or C.lookup(n.name) is not None:
        return None
    t = tables[0]
    return _err(
        n,
        f"'{n.name}' is a field of {t.name} ({t.alias}): it is read inside "
        f"sum_over({t.name}, …) or count_over({t.name}, …)",
        f'e.g. count_over({t.name}, {n.name} == "…") >= 1',
    )


# -- records ---------------------------------------------------------------------------------


def item_records(table: C.ItemTable, rows: Any) -> list[dict[str, Any]]:
    """Items as written in a test or read from the database (a list of mappings, by field
    name or Chinese name) → typed values by field name."""
    out: list[dict[str, Any]] = []
    for row in rows if isinstance(rows, list | tuple) else []:
        if not isinstance(row, Mapping):
            continue
        item: dict[str, Any] = {}
        for key, value in row.items():
            f = table.field(str(key))
            if f is not None:
                v = convert_field(f, value)
                if v is not None:
                    item[f.name] = v
        out.append(item)
    return out


# -- the reference evaluator -------------------------------------------------------------------


def _label(table: C.ItemTable, item: Mapping[str, Any], index: int) -> str:
    named = item.get(table.label_field)
    return str(named) if named else f"第 {index + 1} 项"


def evaluate(ev: Evaluator, n: A.Call) -> Any:
    """sum_over / count_over for one enterprise, each chosen item listed in ev.item_lines."""
    from .scalar import round_half_up

    if n in ev.rec:  # the batch's total, for a row it evaluates exactly (compiler.exact_rows)
        return ev.rec[n]  # type: ignore[index]
    first = n.args[0]
    assert isinstance(first, A.Str)
    table = C.ITEM_TABLE[first.value]
    items = ev.rec.get((table.name, None)) or []
    total, unknown = Fraction(0), False
    outer = ev.item
    try:
        for i, item in enumerate(items):
            ev.item = item
            chosen = ev.eval(n.args[1])
            if chosen is None:
                unknown = True
                ev.item_lines.append(ItemLine(table.alias, _label(table, item, i), None, False))
                continue
            if not chosen:
                continue
            if n.fn == "count_over":
                total += 1
                ev.item_lines.append(ItemLine(table.alias, _label(table, item, i), None))
                continue
            value = ev.eval(n.args[2])
            if value is None:
                unknown = True
                ev.item_lines.append(ItemLine(table.alias, _label(table, item, i), None, False))
                continue
            fen = round_half_up(Fraction(value), 2)
            total += fen
            amount = Decimal(fen.numerator) / Decimal(fen.denominator)
            ev.item_lines.append(
                ItemLine(table.alias, _label(table, item, i), amount.quantize(Decimal("0.01")))
            )
    finally:
        ev.item = outer
    return None if unknown else total


def field_value(ev: Evaluator, n: A.ItemField) -> Any:
    item = ev.item or {}
    v = item.get(n.name)
    if v is None:
        ev.reads.append((f"{n.table}.{n.name}", None, None))
    return v


# -- the batch -------------------------------------------------------------------------------


@dataclass
class Aggregate:
    """One sum_over/count_over of a plan: per item, whether it is chosen and its fen (both
    expressions over the item frame joined with the enterprise columns it reads)."""

    table: str
    where: pl.Expr
    fen: pl.Expr | None  # None: count_over
    stages: list[dict[str, pl.Expr]] = field(default_factory=list)
    enterprise_columns: set[str] = field(default_factory=set)


def compile_aggregate(comp: Compiler, n: A.Call) -> Any:
    from . import exact as X
    from .compiler import Compiler as Base
    from .exact import Int, Q

    first = n.args[0]
    assert isinstance(first, A.Str)
    inner = Base(comp.date, comp.inputs)
    inner.policy = comp.policy
    where = inner.b(n.args[1])
    fen = X.to_fen(inner.q(n.args[2])) if n.fn == "sum_over" else None
    name = f"__agg{len(comp.aggregates)}"
    comp.aggregates[name] = Aggregate(first.value, where, fen, inner.stages, set(inner.needed))
    comp.aggregate_of[n] = name
    comp.needed.update(inner.needed)
    if fen is None:
        return Q(Int(pl.col(name), X.COUNT_MAX, nonneg=True), Int.of(1))
    return Q(Int(pl.col(name), 10**18), Int.of(100))


def totals_in(comp: Compiler, n: A.Node) -> dict[str, tuple[A.Node, str]]:
    """The sum_over/count_over inside `n`: {their column: (the node, how its value reads)},
    so that a row evaluated exactly reads the batch's totals instead of items it lacks."""
    found: dict[str, tuple[A.Node, str]] = {}

    def walk(x: object) -> None:
        if isinstance(x, A.Call) and x.fn in ITEM_FUNCTIONS:
            if x not in comp.aggregate_of:
                comp.value(x)
            kind = "money" if x.fn == "sum_over" else "integer"
            found[comp.aggregate_of[x]] = (x, kind)
            return
        if isinstance(x, A.Band):
            walk(x.bound)
            walk(x.value)
        elif isinstance(x, A.Node):
            for v in vars(x).values():
                for y in v if isinstance(v, tuple) else (v,):
                    walk(y)

    walk(n)
    return found


def compile_field(comp: Compiler, n: A.ItemField) -> Any:
    from . import exact as X
    from .compiler import B, D, S
    from .exact import Int, Q

    table = C.ITEM_TABLE[n.table]
    f = table.field(n.name)
    assert f is not None
    e = pl.col(ITEM_PREFIX + n.name)
    t = f.type.value
    if t == "money":
        return Q(Int(e, X.MONEY_MAX_FEN, nonneg=True), Int.of(100))
    if t == "integer":
        return Q(Int(e, X.COUNT_MAX, nonneg=True), Int.of(1))
    if t == "date":
        return D(e)
    if t == "boolean":
        return B(e)
    return S(e)


def item_frame(table: C.ItemTable, frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """An item table as given (`uscc` and the fields by name or Chinese name) → `uscc` and
    the typed item columns the compiled expressions read (money in fen)."""
    from .frame import typed_value

    lf = frame.lazy()
    schema = lf.collect_schema()
    exprs = [pl.col("uscc").cast(pl.String)]
    for f in table.fields:
        written = f.name if f.name in schema else f.alias if f.alias in schema else None
        if written is None:
            exprs.append(pl.lit(None, dtype=_DTYPES[f.type.value]).alias(ITEM_PREFIX + f.name))
        else:
            exprs.append(
                typed_value(f, pl.col(written), schema[written]).alias(ITEM_PREFIX + f.name)
            )
    return lf.select(exprs)


_DTYPES: dict[str, pl.DataType] = {
    "money": pl.Int64(),
    "integer": pl.Int64(),
    "date": pl.Date(),
    "boolean": pl.Boolean(),
    "text": pl.String(),
}


def join_items(
    lf: pl.LazyFrame,
    aggregates: Mapping[str, Aggregate],
    items: Mapping[str, pl.DataFrame | pl.LazyFrame] | None,
) -> pl.LazyFrame:
    """The enterprise frame with one column per aggregate: the total (fen, or a count) of
    each enterprise's chosen items, 0 without any, null when unknown."""
    if not aggregates:
        return lf
    given = {C.ITEM_TABLE[k].name: v for k, v in (items or {}).items() if k in C.ITEM_TABLE}
    has_key = "uscc" in lf.collect_schema()
    for name, agg in aggregates.items():
        frame = given.get(agg.table)
        if frame is None or not has_key:
            lf = lf.with_columns(pl.lit(0, dtype=pl.Int64).alias(name))
            continue
        per = item_frame(C.ITEM_TABLE[agg.table], frame)
        if agg.enterprise_columns:
            reads = lf.select("uscc", *sorted(agg.enterprise_columns)).unique("uscc")
            per = per.join(reads, on="uscc", how="left")
        for stage in agg.stages:
            per = per.with_columns(list(stage.values()))
        # As columns first: a literal (`true`, `1万`) is one value per item only in a frame.
        value = agg.fen if agg.fen is not None else pl.lit(1, dtype=pl.Int64)
        per = per.with_columns(agg.where.alias("__chosen"), value.cast(pl.Int64).alias("__fen"))
        chosen, fen = pl.col("__chosen"), pl.col("__fen")
        unknown = chosen.is_null() | (chosen & fen.is_null())
        grouped = per.group_by("uscc").agg(
            pl.when(chosen).then(fen).sum().cast(pl.Int64).alias("__total"),
            unknown.any().alias("__unknown"),
        )
        lf = (
            lf.join(grouped, on="uscc", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("__unknown").fill_null(False))
                .then(pl.lit(None, dtype=pl.Int64))
                .otherwise(pl.col("__total").fill_null(0))
                .alias(name)
            )
            .drop("__total", "__unknown")
        )
    return lf


# -- wording ---------------------------------------------------------------------------------


def describe(say: Any, n: A.Call) -> str:
    """In plain Chinese: 「对符合 … 的每项专利，按 … 计，逐项相加」."""
    first = n.args[0]
    assert isinstance(first, A.Str)
    table = C.ITEM_TABLE[first.value]
    where = n.args[1]
    if table is C.PAYOUT_HISTORY:  # policies by their titles, not their ids
        from .history import named_policies

        where = named_policies(where, getattr(getattr(say, "policy", None), "id", ""))
    chosen = "" if isinstance(where, A.Bool) and where.value else f"符合“{say(where)}”的"
    if n.fn == "count_over":
        return f"{chosen}{table.alias}的件数"
    return f"{chosen}每项{table.alias}按「{say(n.args[2])}」计、逐项相加之和"


def item_alias(n: A.ItemField) -> str:
    table = C.ITEM_TABLE[n.table]
    f = table.field(n.name)
    return f.alias if f is not None else n.name


def uses_items(policy: Any) -> bool:
    """Whether a policy reads an item table anywhere (conditions, amount, parameters, tables):
    callers read the item tables only for such policies."""
    hit = policy.cache.get("uses_items")
    if hit is None:
        hit = policy.cache["uses_items"] = any(_has_item_call(t) for t in policy_trees(policy))
    return bool(hit)


def policy_trees(policy: Any) -> list[Any]:
    """Every expression of a policy: conditions, amount, parameters, tables."""
    trees: list[Any] = [c.when for c in policy.conditions if c.when is not None]
    trees += [policy.benefit] if policy.benefit is not None else []
    trees += [e.value for entries in policy.params.values() for e in entries]
    for t in policy.tables.values():
        trees += [t.by, *[x for row in t.rows for x in (row.bound, row.value)]]
    return trees


def _has_item_call(x: object) -> bool:
    return any(isinstance(n, A.Call) and n.fn in ITEM_FUNCTIONS for n in subtrees(x))

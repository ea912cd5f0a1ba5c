"""Payout history: what a beneficiary already received.

`received("torch-gazelle-award")` is the money the enterprise was paid under that policy (all
years), `received("a", "b", Y)` under either policy in year Y, `received("a", Y-2, Y)` in years
Y-2..Y; `times_received(…)` counts those payouts. `self` stands for the policy's own id. The
history is a table like the registry's item tables (`payouts`: policy, year, amount; one row
per payout that counts, catalogue.PAYOUT_HISTORY), so these are `sum_over` / `count_over` over
it: the same exact, three-valued evaluation in the explanation (each payout listed as an item)
and in the batch (a group-by joined on `uscc`), and no payout is 0.

Two policy keys are written with it (loader.py): `benefit.lifetime_cap: 500万` ("累计最高不超过")
adds the condition received(self) < cap and pays at most cap − received(self); `excludes:
[id, …]` ("不得同时享受""已享受 X 的不再享受") adds the condition that none of them was received."""

from __future__ import annotations

import re
from typing import Any

from gaoxin import catalogue as C

from . import ast as A
from .errors import ExprError
from .types import NUMBER, Type

FUNCTIONS = {
    "received": 'received("policy-id", …[, Y[, Y]]) — money received from those policies',
    "times_received": 'times_received("policy-id", …[, Y[, Y]]) — how many payouts',
}
TABLE = C.PAYOUT_HISTORY.name
# Titles of the policies loaded so far, by id (the loader fills it): received("a") reads as
# 已获得「a 的标题」的资金 — the policy referred to is often another file, loaded beside it.
TITLES: dict[str, str] = {}
SELF = "self"
# A policy id as the loader accepts it in other files: letters, digits, - _ . (no spaces).
POLICY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")


def _err(node: A.Node, message: str, hint: str = "") -> ExprError:
    return ExprError(message, node.span[0], hint)


def history_call(
    fn: str, ids: list[str], years: tuple[A.Node, ...], span: tuple[int, int]
) -> A.Call:
    """The unchecked sum_over/count_over that received()/times_received() stand for."""
    chosen: A.Node = A.InList(
        A.Name("policy", span=span), tuple(A.Str(i, span=span) for i in ids), span=span
    )
    if years:
        first, last = years[0], years[-1]
        year = A.Name("year", span=span)
        if len(years) == 1:
            span_test: A.Node = A.Compare("==", year, first, span=span)
        else:
            span_test = A.Logic(
                "and",
                (A.Compare(">=", year, first, span=span), A.Compare("<=", year, last, span=span)),
                span=span,
            )
        chosen = A.Logic("and", (chosen, span_test), span=span)
    table = A.Name(TABLE, span=span)
    if fn == "received":
        return A.Call("sum_over", (table, chosen, A.Name("amount", span=span)), span=span)
    return A.Call("count_over", (table, chosen), span=span)


def check(checker: Any, n: A.Call) -> tuple[A.Node, Type]:
    """received(ids…, [year[, year]]): the policy ids are quoted text (or `self`), the years
    numbers (Y, Y-1, 2024); checked into the wrapper Call(fn, (sum_over/count_over, ids…))."""
    fn, args = n.fn, n.args
    scope = checker.scope
    if scope.beneficiary != "enterprise":
        raise _err(
            n,
            f"{fn}() reads what the enterprise received; this policy pays a {scope.beneficiary}",
            "payout history of persons, providers and introducers is not read yet",
        )
    if getattr(checker, "item_table", None) is not None:
        raise _err(n, f"{fn}() can't be used inside sum_over() or count_over()")
    ids: list[str] = []
    years: list[A.Node] = []
    for a in args:
        if isinstance(a, A.Name) and a.name == SELF and not years:
            ids.append(scope.policy_id or SELF)
            continue
        if isinstance(a, A.Str):
            if years:
                raise _err(a, f"{fn}(): policy ids come before the years", f"write {FUNCTIONS[fn]}")
            if not POLICY_ID.match(a.value):
                raise _err(
                    a,
                    f"'{a.value}' is not a policy id",
                    "a policy id is the id: of its file — letters, digits, - _ . "
                    '(e.g. "torch-gazelle-award")',
                )
            ids.append(a.value)
            continue
        if not ids:
            hint = (
                f'quote it: {fn}("{a.name}")' if isinstance(a, A.Name) else f"write {FUNCTIONS[fn]}"
            )
            raise _err(a, f"{fn}() needs a policy id first", hint)
        years.append(a)
    if not ids:
        raise _err(n, f"{fn}() needs a policy id", f"write {FUNCTIONS[fn]}")
    if len(years) > 2:
        raise _err(years[2], f"{fn}() takes one year or a first and a last year")
    for y in years:
        _, t = checker.visit(y)
        if t.base != NUMBER or t.kind not in ("plain", "count"):
            raise _err(
                y,
                f"{fn}(): a year is a number such as Y, Y-1 or 2024, not a {t}",
                'policy ids are quoted: "torch-gazelle-award"',
            )
    inner, _ = checker.visit(history_call(fn, ids, tuple(years), n.span))
    kind = "money" if fn == "received" else "count"
    out = A.Call(fn, (inner, *(A.Str(i, span=n.span) for i in ids)), span=n.span)
    return out, Type(NUMBER, kind)


def is_history(n: A.Node) -> bool:
    return isinstance(n, A.Call) and n.fn in FUNCTIONS


def evaluate(ev: Any, n: A.Call) -> Any:
    """The scalar side: the sum_over/count_over it wraps (its payouts listed as items)."""
    return ev.eval(n.args[0])


def compile_call(comp: Any, n: A.Call) -> Any:
    """The batch side: the same sum_over/count_over, column-wise."""
    return comp.value(n.args[0])


def _years(say: Any, inner: A.Node) -> str:
    """The year test inside the wrapped sum_over/count_over, in words."""
    if not isinstance(inner, A.Call) or not isinstance(inner.args[1], A.Logic):
        return ""
    test = inner.args[1].items[1]
    if isinstance(test, A.Compare):
        return f"{say(test.right)}年度"
    if isinstance(test, A.Logic):
        first, last = test.items
        assert isinstance(first, A.Compare) and isinstance(last, A.Compare)
        return f"{say(first.right)}至{say(last.right)}年度"
    return ""


def describe(say: Any, n: A.Call) -> str:
    """In plain Chinese: 「已获得的「torch-gazelle-award」资金（2024年）」."""
    ids = "」「".join(titled(a.value) for a in n.args[1:] if isinstance(a, A.Str))
    own = getattr(say, "policy", None)
    name = (
        "本政策"
        if own is not None and [own.id] == [a.value for a in n.args[1:] if isinstance(a, A.Str)]
        else f"「{ids}」"
    )
    years = _years(say, n.args[0])
    when = years or "历年累计"
    if n.fn == "received":
        return f"已获得{name}的资金（{when}）"
    return f"已获得{name}兑现的次数（{when}）"


def titled(policy_id: str) -> str:
    """A policy referred to, in words: its title when it was loaded, else its id."""
    return TITLES.get(policy_id) or f"编号为 {policy_id} 的政策"


def named_policies(where: A.Node, own: str) -> A.Node:
    """A choice of payouts with the policy ids it compares with written as titles (本政策 for
    the policy's own), for the wording only."""
    import dataclasses

    def name(x: A.Node) -> A.Node:
        if isinstance(x, A.Str):
            return A.Str("本政策" if x.value == own else titled(x.value), span=x.span)
        return x

    def is_policy(x: A.Node) -> bool:
        return isinstance(x, A.ItemField) and x.table == TABLE and x.name == "policy"

    if isinstance(where, A.Compare) and is_policy(where.left):
        return dataclasses.replace(where, right=name(where.right))
    if isinstance(where, A.InList) and is_policy(where.operand):
        return dataclasses.replace(where, items=tuple(name(i) for i in where.items))
    if isinstance(where, A.Logic):
        return dataclasses.replace(where, items=tuple(named_policies(i, own) for i in where.items))
    return where


def uses_history(policy: Any) -> bool:
    """Whether a policy reads the payout history: callers build it only for such policies."""
    from .items import policy_trees

    hit = policy.cache.get("uses_history")
    if hit is None:
        hit = policy.cache["uses_history"] = any(_reads_history(t) for t in policy_trees(policy))
    return bool(hit)


def _reads_history(x: object) -> bool:
    if isinstance(x, A.Call) and x.fn in ("sum_over", "count_over"):
        first = x.args[0]
        if isinstance(first, A.Str) and first.value == TABLE:
            return True
    if isinstance(x, A.Node):
        for v in vars(x).values():
            for y in v if isinstance(v, tuple) else (v,):
                if _reads_history(y):
                    return True
    return False

"""A policy as it stands on one evaluation date: the assessment year Y fixed, parameters
replaced by the value in force, tables by their bands. Both evaluators (scalar and batch) run
the resolved trees, which is what keeps them in agreement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from . import ast as A
from . import dated
from . import manual as M
from .model import Condition, Policy


@dataclass(frozen=True)
class Resolved:
    policy: Policy
    date: dt.date
    year: int
    in_force: bool
    conditions: tuple[tuple[Condition, A.Node | None], ...]
    benefit: A.Node | None
    benefit_inputs: frozenset[str]  # inputs the amount needs
    # Per condition: with manual() branches, the condition as it stands while no branch is
    # confirmed (see manual.py; `conditions` holds it with every branch confirmed); else None.
    automatic: tuple[A.Node | None, ...] = ()

    @property
    def decidable(self) -> list[A.Node]:
        return [n for c, n in self.conditions if not c.manual and n is not None]

    @property
    def decidable_automatic(self) -> list[A.Node]:
        """`decidable` with no manual branch confirmed (the same where there is none)."""
        autos = self.automatic or (None,) * len(self.conditions)
        return [
            a if a is not None else n
            for (c, n), a in zip(self.conditions, autos, strict=True)
            if not c.manual and n is not None
        ]


def resolve(policy: Policy, date: dt.date) -> Resolved:
    hit = policy.cache.get(("resolved", date))
    if hit is not None:
        return hit
    year = policy.year if policy.year is not None else date.year
    r = _Resolver(policy, date, year)
    trees = [r.node(c.when) if c.when is not None else None for c in policy.conditions]
    branched = [t is not None and bool(M.labels(t)) for t in trees]
    conditions = tuple(
        (c, M.confirmed(t, True) if t is not None and b else t)
        for c, t, b in zip(policy.conditions, trees, branched, strict=True)
    )
    automatic = tuple(
        M.confirmed(t, False) if t is not None and b else None
        for t, b in zip(trees, branched, strict=True)
    )
    benefit = r.node(policy.benefit) if policy.benefit is not None else None
    out = Resolved(
        policy,
        date,
        year,
        policy.in_force(date),
        conditions,
        benefit,
        frozenset(inputs_of(benefit)) if benefit is not None else frozenset(),
        automatic if any(a is not None for a in automatic) else (),
    )
    policy.cache[("resolved", date)] = out
    return out


def subtrees(n: object) -> Iterator[A.Node]:
    """Every node of the tree `n`, itself first, through the bands of a table."""
    if isinstance(n, A.Band):
        yield from subtrees(n.bound)
        yield from subtrees(n.value)
    elif isinstance(n, A.Node):
        yield n
        for v in vars(n).values():
            for x in v if isinstance(v, tuple) else (v,):
                yield from subtrees(x)


def inputs_of(node: A.Node) -> set[str]:
    return {n.name for n in subtrees(node) if isinstance(n, A.Input)}


def fields_of(node: A.Node) -> set[str]:
    """The registry fields `node` reads by name."""
    return {n.name for n in subtrees(node) if isinstance(n, A.Field)}


class _Resolver:
    def __init__(self, policy: Policy, date: dt.date, year: int) -> None:
        self.policy = policy
        self.date = date
        self.year = year

    def node(self, n: A.Node) -> A.Node:
        sp = n.span
        if isinstance(
            n, A.Num | A.Str | A.DateLit | A.Bool | A.Field | A.Input | A.NoValue | A.ItemField
        ):
            return n
        if isinstance(n, A.YearValue):
            return A.Num(Fraction(self.year), span=sp)
        if isinstance(n, A.FieldY):
            return A.Field(n.name, n.year.resolve(self.year), span=sp)
        if isinstance(n, A.RangeY):
            return A.Range(n.name, n.first.resolve(self.year), n.last.resolve(self.year), span=sp)
        if isinstance(n, A.Param):
            entries = [e for e in self.policy.params[n.name] if e.since <= self.date]
            if not entries:
                return A.NoValue(f"parameter {n.name} not in force on {self.date}", span=sp)
            return self.node(entries[-1].value)
        if isinstance(n, A.TableRef):
            t = self.policy.tables[n.name]
            bands = tuple(
                A.Band(row.op, self.node(row.bound) if row.bound else None, self.node(row.value))
                for row in t.rows
            )
            return A.Table(n.name, self.node(t.by), bands, span=sp)
        if isinstance(n, A.Unary):
            return A.Unary(n.op, self.node(n.operand), span=sp)
        if isinstance(n, A.Binary):
            return A.Binary(n.op, self.node(n.left), self.node(n.right), span=sp)
        if isinstance(n, A.Compare):
            return A.Compare(
                n.op, self.node(n.left), self.node(n.right), span=sp, left_text=n.left_text
            )
        if isinstance(n, A.Logic):
            return A.Logic(n.op, tuple(self.node(i) for i in n.items), span=sp)
        if isinstance(n, A.InList):
            return A.InList(self.node(n.operand), n.items, n.negate, span=sp)
        if isinstance(n, A.Call):
            if n.fn in dated.FUNCTIONS:
                return dated.resolve(self, n)
            if n.fn == "growth":
                _, at = n.args
                assert isinstance(at, A.FieldY)
                y = at.year.resolve(self.year)
                return A.Call("growth", (A.Field(at.name, y), A.Field(at.name, y - 1)), span=sp)
            if n.fn == "cagr":
                _, a, b = n.args
                assert isinstance(a, A.FieldY) and isinstance(b, A.FieldY)
                y0, y1 = a.year.resolve(self.year), b.year.resolve(self.year)
                return A.Call(
                    "cagr",
                    (A.Field(a.name, y0), A.Field(a.name, y1), A.Num(Fraction(y1 - y0))),
                    span=sp,
                )
            return A.Call(n.fn, tuple(self.node(a) for a in n.args), span=sp)
        raise TypeError(f"can't resolve {type(n).__name__}")

"""All enterprises × all policies on Polars, column-wise and exact.

Resolved trees (see resolve.py) compile to Polars expressions over integer columns (exact.py).
The compile cache is keyed by the tree itself (nodes compare by content), so a condition or a
sub-expression written in many policies — the bench's 200 policies are 4 templates × 50
parameter sets — is built once and computed once: every distinct condition and amount becomes
one staged column, and each policy's status is a cheap combination of those columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from . import ast as A
from . import exact as X
from .compiler import Compiler
from .explain import typed_inputs
from .frame import prepare
from .model import STATUSES, Policy
from .resolve import Resolved, resolve

STATUS_ENUM = pl.Enum(list(STATUSES))
INELIGIBLE, ELIGIBLE, UNKNOWN, REVIEW = range(4)


# -- plans and evaluation ------------------------------------------------------------------


@dataclass
class PolicyPlan:
    policy: Policy
    resolved: Resolved
    conditions: list[str]  # staged condition columns
    amount: str | None  # staged amount column (fen), None if no benefit
    amount_static_null: bool  # the amount may wait for declared inputs: no "unknown" for that
    amount_may_be_null: bool


@dataclass
class Plan:
    date: dt.date
    policies: list[PolicyPlan]
    staged: dict[str, pl.Expr] = field(default_factory=dict)
    needed: set[str] = field(default_factory=set)

    def status_exprs(self, near_miss: bool = False) -> list[pl.Expr]:
        out: list[pl.Expr] = []
        for pp in self.policies:
            p = pp.policy
            if not pp.resolved.in_force:
                out.append(pl.lit(INELIGIBLE, dtype=pl.UInt8).alias(f"status:{p.id}"))
                if pp.amount is not None:
                    out.append(pl.lit(None, dtype=pl.Int64).alias(f"amount:{p.id}"))
                if near_miss:
                    out.append(pl.lit(False).alias(f"near:{p.id}"))
                continue
            ok = _all([pl.col(c) for c in pp.conditions])
            if pp.amount is not None and pp.amount_may_be_null and not pp.amount_static_null:
                ok = ok & pl.when(pl.col(pp.amount).is_not_null()).then(True)
            code = REVIEW if p.has_manual else ELIGIBLE
            status = ok.cast(pl.UInt8)
            if code != ELIGIBLE:
                status = status * code
            out.append(status.fill_null(UNKNOWN).alias(f"status:{p.id}"))
            if pp.amount is not None:
                amount = pl.when(ok).then(pl.col(pp.amount))
                out.append(amount.alias(f"amount:{p.id}"))
            if near_miss:
                # A near miss: every condition decided, exactly one of them false.
                falses = [(~pl.col(c)).fill_null(False).cast(pl.UInt8) for c in pp.conditions]
                nulls = [pl.col(c).is_null().cast(pl.UInt8) for c in pp.conditions]
                nm = (
                    (pl.sum_horizontal(falses) == 1) & (pl.sum_horizontal(nulls) == 0)
                    if falses
                    else pl.lit(False)
                )
                out.append(nm.alias(f"near:{p.id}"))
        return out


def _all(items: list[pl.Expr]) -> pl.Expr:
    if not items:
        return pl.lit(True)
    out = items[0]
    for e in items[1:]:
        out = out & e
    return out


def compile_plan(
    policies: Sequence[Policy], date: dt.date, inputs: Mapping[str, Any] | None = None
) -> Plan:
    """Compile every policy once for `date`; shared conditions and amounts are staged once."""
    comp = Compiler(date, inputs)
    staged: dict[str, pl.Expr] = {}
    names: dict[A.Node, str] = {}
    plans: list[PolicyPlan] = []
    for p in policies:
        r = resolve(p, date)
        comp.policy = p
        conds: list[str] = []
        for node in r.decidable if r.in_force else []:
            if node not in names:
                names[node] = f"__c{len(names)}"
                staged[names[node]] = comp.b(node).alias(names[node])
            conds.append(names[node])
        amount = None
        static_null = bool(r.benefit_inputs - set(typed_inputs(p, comp.inputs)))
        may_be_null = True
        if r.benefit is not None and r.in_force:
            key = ("amount", r.benefit)
            if key not in names:
                q = comp.q(r.benefit)
                names[key] = f"__a{len(names)}"  # type: ignore[index]
                staged[names[key]] = X.to_fen(q).alias(names[key])  # type: ignore[index]
            amount = names[key]  # type: ignore[index]
        plans.append(PolicyPlan(p, r, conds, amount, static_null, may_be_null))
    return Plan(date, plans, staged, set(comp.needed))


def evaluate_wide(
    policies: Sequence[Policy],
    enterprises: pl.DataFrame | pl.LazyFrame,
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    *,
    near_miss: bool = False,
    plan: Plan | None = None,
    engine: str = "streaming",
) -> pl.DataFrame:
    """One row per enterprise: `uscc`, then per policy `status:<id>` (UInt8 code: index into
    STATUSES) and, for policies with a benefit, `amount:<id>` (Int64 fen, null unless eligible
    or review); with near_miss, `near:<id>` (all conditions decided, exactly one false)."""
    plan = plan or compile_plan(policies, date, inputs)
    lf = prepare(enterprises, plan.needed)
    keep = ["uscc"] if "uscc" in lf.collect_schema() else []
    out = lf.with_columns(list(plan.staged.values())).select(
        [pl.col(k) for k in keep] + plan.status_exprs(near_miss)
    )
    return out.collect(engine=engine)  # type: ignore[call-overload]


def evaluate(
    policies: Sequence[Policy],
    enterprises: pl.DataFrame | pl.LazyFrame,
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    *,
    interesting_only: bool = False,
) -> pl.DataFrame:
    """Long form: `uscc, policy, status (Enum), amount (Decimal(38,2) yuan)`, one row per
    (enterprise, policy); with interesting_only, only rows that are eligible, review, unknown
    or a near miss (every condition decided, exactly one false)."""
    plan = compile_plan(policies, date, inputs)
    wide = evaluate_wide(policies, enterprises, date, inputs, near_miss=interesting_only, plan=plan)
    if "uscc" not in wide.columns:
        wide = wide.with_row_index("uscc").with_columns(pl.col("uscc").cast(pl.String))
    parts = []
    for pp in plan.policies:
        pid = pp.policy.id
        status = pl.col(f"status:{pid}")
        amount = pl.col(f"amount:{pid}") if pp.amount is not None else pl.lit(None, dtype=pl.Int64)
        part = wide.lazy()
        if interesting_only:
            part = part.filter((status != INELIGIBLE) | pl.col(f"near:{pid}"))
        parts.append(
            part.select(
                pl.col("uscc"),
                pl.lit(pid).alias("policy"),
                status.replace_strict(
                    list(range(4)), list(STATUSES), return_dtype=STATUS_ENUM
                ).alias("status"),
                (amount.cast(pl.Decimal(38, 2)) / 100).alias("amount"),
            )
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "uscc": pl.String,
                "policy": pl.String,
                "status": STATUS_ENUM,
                "amount": pl.Decimal(38, 2),
            }
        )
    return pl.concat(parts).collect()

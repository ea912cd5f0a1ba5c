"""All enterprises × all policies on Polars, column-wise and exact.

Resolved trees (see resolve.py) compile to Polars expressions over integer columns (exact.py).
The compile cache is keyed by the tree itself (nodes compare by content), so a condition or a
sub-expression written in many policies — the bench's 200 policies are 4 templates × 50
parameter sets — is built once and computed once: every distinct condition and amount becomes
one staged column, so does every computed sub-expression that several of them contain (a
three-year sum, a guarded divisor; compiler.shared_nodes), and each policy's status is a cheap
combination of those columns. Compiled plans are cached by policy versions, date and inputs."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from . import ast as A
from . import exact as X
from .beneficiary import PERSON_KEY
from .compiler import Compiler, shared_nodes
from .explain import typed_inputs
from .frame import prepare
from .items import join_items
from .model import STATUSES, Policy
from .peers import Peers, population, uses_peers
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
    # staged: true where the amount is known, null where not (one per distinct amount); an
    # eligible policy whose amount is unknown is unknown
    amount_known: str | None = None
    # With manual() branches (manual.py): the condition columns with no branch confirmed
    # (`conditions` has them all confirmed); empty when the policy has none.
    automatic: list[str] = field(default_factory=list)


@dataclass
class Plan:
    date: dt.date
    policies: list[PolicyPlan]
    # stages[k]: the staged columns of level k+1, computed after those of lower levels (a
    # condition reads the shared sub-expressions it contains as columns of an earlier stage).
    stages: list[dict[str, pl.Expr]] = field(default_factory=list)
    needed: set[str] = field(default_factory=set)
    # sum_over/count_over: columns computed from the item frames (items.join_items)
    aggregates: dict[str, Any] = field(default_factory=dict)
    # status_exprs by near_miss: building ~2,000 Polars expressions in Python takes ~0.15 s for
    # 1,000 policies, on every chunk or partition otherwise. Shared by the plans a cache hit
    # rebinds (same versions, so the same ids and expressions).
    exprs_cache: dict[bool, list[pl.Expr]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def staged(self) -> dict[str, pl.Expr]:
        return {name: e for stage in self.stages for name, e in stage.items()}

    def with_staged(
        self, lf: pl.LazyFrame, items: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None
    ) -> pl.LazyFrame:
        """The staged columns over a prepared frame; `items`: the item tables that
        sum_over/count_over read (patents, equipment, tenants), each with a `uscc` column."""
        lf = join_items(lf, self.aggregates, items)
        for stage in self.stages:
            lf = lf.with_columns(list(stage.values()))
        return lf

    def status_exprs(self, near_miss: bool = False) -> list[pl.Expr]:
        hit = self.exprs_cache.get(near_miss)
        if hit is None:
            hit = self.exprs_cache[near_miss] = self._status_exprs(near_miss)
        return list(hit)

    def _status_exprs(self, near_miss: bool) -> list[pl.Expr]:
        out: list[pl.Expr] = []
        for pp in self.policies:
            p = pp.policy
            if not pp.resolved.in_force:
                out.append(pl.lit(INELIGIBLE, dtype=pl.UInt8).alias(f"status:{p.id}"))
                if pp.amount is not None:
                    out.append(pl.lit(None, dtype=pl.Int64).alias(amount_column(p)))
                if near_miss:
                    out.append(pl.lit(False).alias(f"near:{p.id}"))
                continue
            ok = _all([pl.col(c) for c in pp.conditions])

            def known(ok: pl.Expr, pp: PolicyPlan = pp) -> pl.Expr:
                if pp.amount_known is not None:
                    return ok & pl.col(pp.amount_known)
                if pp.amount is not None and pp.amount_may_be_null and not pp.amount_static_null:
                    return ok & pl.when(pl.col(pp.amount).is_not_null()).then(True)
                return ok

            decided = known(ok)
            code = REVIEW if p.has_manual or pp.automatic else ELIGIBLE
            status = decided.cast(pl.UInt8)
            if code != ELIGIBLE:
                status = status * code
            status = status.fill_null(UNKNOWN)
            if pp.automatic:
                # Holds without any manual() branch: eligible (or review for a manual
                # condition); else review if it holds with them (see manual.py).
                own = REVIEW if p.has_manual else ELIGIBLE
                automatic = known(_all([pl.col(c) for c in pp.automatic]))
                status = pl.when(automatic).then(pl.lit(own, dtype=pl.UInt8)).otherwise(status)
            out.append(status.alias(f"status:{p.id}"))
            if pp.amount is not None:
                # when(decided) would give the same: where the amount is null, so is the output
                amount = pl.when(ok).then(pl.col(pp.amount))
                out.append(amount.alias(amount_column(p)))
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


def amount_column(p: Policy) -> str:
    """The wide frame's money column of a policy: `amount:<id>` (fen), or `bound:<id>` for a
    bound staff decide within (benefit.upto) — never read as an amount."""
    return f"bound:{p.id}" if p.bounded else f"amount:{p.id}"


def paid_amount(pp: PolicyPlan) -> str | None:
    """The `amount:<id>` column of a plan's policy, None when it has none (no benefit, or a
    bound)."""
    return f"amount:{pp.policy.id}" if pp.amount is not None and not pp.policy.bounded else None


def _all(items: list[pl.Expr]) -> pl.Expr:
    if not items:
        return pl.lit(True)
    out = items[0]
    for e in items[1:]:
        out = out & e
    return out


_PLANS: OrderedDict[Hashable, Plan] = OrderedDict()
_PLANS_LOCK = threading.Lock()
PLAN_CACHE_SIZE = 32


def _plan_key(
    policies: Sequence[Policy],
    date: dt.date,
    inputs: Mapping[str, Any] | None,
    peers: Peers | None = None,
) -> Hashable | None:
    """Policies by id and version (the hash of the whole file), the date, the inputs and the
    population's statistics: an edited policy is a new version and is compiled again."""
    if any(not p.version for p in policies):
        return None
    given = tuple(sorted((k, type(v).__name__, repr(v)) for k, v in (inputs or {}).items()))
    population = peers.token if peers is not None else None
    return (tuple((p.id, p.version) for p in policies), date, given, population)


def compile_plan(
    policies: Sequence[Policy],
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    peers: Peers | None = None,
) -> Plan:
    """Compile every policy once for `date`; shared conditions, amounts and sub-expressions are
    staged once. Plans are cached by policy versions, date and inputs, so matching partition
    after partition (or a stream chunk after chunk) compiles once. `peers`: the population's
    statistics for rank() and the like (peers.py); without them those are unknown."""
    key = _plan_key(policies, date, inputs, peers)
    if key is not None:
        with _PLANS_LOCK:
            hit = _PLANS.get(key)
            if hit is not None:
                _PLANS.move_to_end(key)
        if hit is not None:
            # The same versions, so the same content: rebind to the caller's policy objects.
            return replace(
                hit,
                policies=[
                    replace(pp, policy=p) for pp, p in zip(hit.policies, policies, strict=True)
                ],
            )
    plan = _compile(policies, date, inputs, peers)
    if key is not None:
        with _PLANS_LOCK:
            _PLANS[key] = plan
            while len(_PLANS) > PLAN_CACHE_SIZE:
                _PLANS.popitem(last=False)
    return plan


def clear_plan_cache() -> None:
    with _PLANS_LOCK:
        _PLANS.clear()


def _compile(
    policies: Sequence[Policy],
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    peers: Peers | None = None,
) -> Plan:
    comp = Compiler(date, inputs, peers)
    resolved = [resolve(p, date) for p in policies]
    trees: list[A.Node] = []
    for r in resolved:
        if r.in_force:
            trees.extend(r.decidable)
            if r.automatic:
                trees.extend(r.decidable_automatic)
            if r.benefit is not None:
                trees.append(r.benefit)
    comp.shared = shared_nodes(trees)
    # node → (level, column, expression); expression None: a column already there
    final: dict[Hashable, tuple[int, str, pl.Expr | None]] = {}

    def stage(key: Hashable, level: int, e: pl.Expr, prefix: str) -> str:
        if key not in final:
            if e.meta.is_column():  # already a column (a field, a shared sub-expression)
                # of the level below (a staged column): what reads it comes after it
                final[key] = (level - 1, e.meta.output_name(), None)
            else:
                name = f"{prefix}{len(final)}"
                final[key] = (level, name, e.alias(name))
        return final[key][1]

    plans: list[PolicyPlan] = []
    for p, r in zip(policies, resolved, strict=True):
        comp.policy = p

        def condition_column(node: A.Node) -> str:
            if node in final:
                return final[node][1]
            try:
                e = comp.b(node)
            except X.CompileError:  # too wide for Int128 (a table of true/false): row by row
                comp._level = 0
                e = comp.exact_rows(node, pl.Boolean())
            return stage(node, comp.levels.get(node, 0) + 1, e, "__c")

        conds = [condition_column(node) for node in (r.decidable if r.in_force else [])]
        autos = (
            [condition_column(node) for node in r.decidable_automatic]
            if r.in_force and r.automatic
            else []
        )
        amount = None
        static_null = bool(r.benefit_inputs - set(typed_inputs(p, comp.inputs)))
        may_be_null = True
        if r.benefit is not None and r.in_force:
            key = ("amount", r.benefit)
            if key not in final:
                try:
                    fen = X.to_fen(comp.q(r.benefit))
                except X.CompileError:  # too wide for Int128: exact row by row
                    comp._level = 0
                    fen = comp.exact_rows(r.benefit, pl.Int64())
                stage(key, comp.levels.get(r.benefit, 0) + 1, fen, "__a")
            amount = final[key][1]
        known = None
        if amount is not None and may_be_null and not static_null:
            known_key = ("known", amount)
            if known_key not in final:
                level = final[("amount", r.benefit)][0] + 1
                name = f"__k{len(final)}"
                e = pl.when(pl.col(amount).is_not_null()).then(True)
                final[known_key] = (level, name, e.alias(name))
            known = final[known_key][1]
        plans.append(PolicyPlan(p, r, conds, amount, static_null, may_be_null, known, autos))
    stages = [dict(s) for s in comp.stages]
    for level, name, staged in final.values():
        if staged is None:
            continue
        while len(stages) < level:
            stages.append({})
        stages[level - 1][name] = staged
    return Plan(date, plans, stages, set(comp.needed), dict(comp.aggregates))


def evaluate_wide(
    policies: Sequence[Policy],
    enterprises: pl.DataFrame | pl.LazyFrame,
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    *,
    near_miss: bool = False,
    plan: Plan | None = None,
    engine: str = "streaming",
    items: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None,
    peers: Peers | None = None,
) -> pl.DataFrame:
    """One row per enterprise: `uscc`, then per policy `status:<id>` (UInt8 code: index into
    STATUSES) and, for policies with a benefit, `amount:<id>` (Int64 fen, null unless eligible
    or review); a policy whose benefit is a bound (benefit.upto) has `bound:<id>` instead of
    `amount:<id>`; with near_miss, `near:<id>` (all conditions decided, exactly one false).
    `items`: the item tables sum_over() reads, by name (`patents`: uscc and the fields). A
    frame of persons (beneficiary: person) keeps its `person_id` column.
    Policies that rank enterprises among peers (peers.py) read `peers`, the population's
    statistics; when none are given, `enterprises` is the population they are computed from."""
    if plan is None:
        if peers is None and uses_peers(policies, date):
            peers = population(policies, enterprises, date, inputs)
        plan = compile_plan(policies, date, inputs, peers)
    lf = prepare(enterprises, plan.needed)
    schema = lf.collect_schema()
    keep = [k for k in ("uscc", PERSON_KEY) if k in schema]
    out = plan.with_staged(lf, items).select(
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
    items: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None,
    peers: Peers | None = None,
) -> pl.DataFrame:
    """Long form: `uscc, policy, status (Enum), amount (Decimal(38,2) yuan)`, one row per
    (enterprise, policy), and `bound` (Decimal(38,2) yuan, the most staff may decide) when a
    policy's benefit is a bound (benefit.upto; its amount is null); with interesting_only,
    only rows that are eligible, review, unknown or a near miss (every condition decided,
    exactly one false). `items` and `peers` as in evaluate_wide."""
    if peers is None and uses_peers(policies, date):
        peers = population(policies, enterprises, date, inputs)
    plan = compile_plan(policies, date, inputs, peers)
    wide = evaluate_wide(
        policies, enterprises, date, inputs, near_miss=interesting_only, plan=plan, items=items
    )
    if "uscc" not in wide.columns:
        wide = wide.with_row_index("uscc").with_columns(pl.col("uscc").cast(pl.String))
    parts = []
    bounds = any(pp.policy.bounded for pp in plan.policies)
    for pp in plan.policies:
        pid = pp.policy.id
        status = pl.col(f"status:{pid}")
        paid = paid_amount(pp)
        amount = pl.col(paid) if paid is not None else pl.lit(None, dtype=pl.Int64)
        bound = (
            pl.col(f"bound:{pid}")
            if pp.amount is not None and pp.policy.bounded
            else pl.lit(None, dtype=pl.Int64)
        )
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
                *([(bound.cast(pl.Decimal(38, 2)) / 100).alias("bound")] if bounds else []),
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

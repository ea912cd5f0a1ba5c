"""One enterprise against one policy, with reasons: each condition, the values it read, what
was missing and by how much a failed threshold was missed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from . import ast as A
from . import manual as M
from .display import kind_of, show, show_pair
from .exact import I64
from .items import ItemLine
from .model import Policy
from .peers import Peers
from .resolve import Resolved, resolve
from .scalar import Evaluator, kleene_and, round_half_up, to_decimal
from .values import Record, convert, record

OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}


@dataclass(frozen=True)
class ValueRead:
    field: str
    year: int | None
    value: Any


@dataclass(frozen=True)
class Shortfall:
    """A failed comparison: `left op needed` would have passed; `actual` is what it was."""

    expression: str
    op: str
    actual: Any
    needed: Any
    text: str  # 研发投入强度 4.6%，需 ≥ 5%


@dataclass(frozen=True)
class ConditionResult:
    label: str
    result: bool | None
    manual: bool = False
    values: tuple[ValueRead, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    # The manual() branches staff must confirm for the condition to hold (result None,
    # manual True: 待审核), e.g. ("经认定具有同等水平",).
    pending: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    policy: str
    title: str
    version: str
    date: dt.date
    status: str  # eligible | ineligible | unknown | review
    amount: Decimal | None
    conditions: tuple[ConditionResult, ...] = ()
    missing: tuple[tuple[str, int | None], ...] = ()
    notes: tuple[str, ...] = ()
    amount_values: tuple[ValueRead, ...] = ()
    # Declared inputs (names) an unknown condition needs and the applicant has not given.
    missing_inputs: tuple[str, ...] = ()
    # The items a per-item amount (sum_over) chose, each with its amount (rules/items.py).
    items: tuple[ItemLine, ...] = ()
    # benefit.upto: the most that may be paid (yuan); the amount is decided by staff (待核定)
    # and `amount` stays None.
    bound: Decimal | None = None

    @property
    def shortfalls(self) -> list[Shortfall]:
        return [s for c in self.conditions for s in c.shortfalls]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["date"] = self.date.isoformat()
        d["amount"] = None if self.amount is None else str(self.amount)
        d["bound"] = None if self.bound is None else str(self.bound)
        d["missing"] = [{"field": f, "year": y} for f, y in self.missing]
        for c in d["conditions"]:
            for v in c["values"]:
                v["value"] = _jsonable(v["value"])
            for s in c["shortfalls"]:
                s["actual"], s["needed"] = _jsonable(s["actual"]), _jsonable(s["needed"])
        d["amount_values"] = [dict(v, value=_jsonable(v["value"])) for v in d["amount_values"]]
        d["items"] = [
            dict(i, amount=None if i["amount"] is None else str(i["amount"])) for i in d["items"]
        ]
        return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, Fraction):
        return (
            str(v)
            if v.denominator not in (1, 2, 4, 5, 10, 20, 25, 50, 100)
            else str(Decimal(v.numerator) / Decimal(v.denominator))
        )
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def explain(
    policy: Policy,
    enterprise: Mapping[str, Any] | Record,
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    peers: Peers | None = None,
) -> Explanation:
    """Evaluate one enterprise (flat row or nested mapping) against one policy on `date`;
    `peers`: the population's statistics, for rank() and the like (peers.py)."""
    if _is_record(enterprise):
        rec: Record = cast(Record, dict(enterprise))
    else:
        rec = record(enterprise)  # type: ignore[arg-type]
    return explain_record(resolve(policy, date), rec, typed_inputs(policy, inputs), peers)


def explain_all(
    policies: Sequence[Policy],
    enterprise: Mapping[str, Any],
    date: dt.date,
    inputs: Mapping[str, Any] | None = None,
    peers: Peers | None = None,
) -> list[Explanation]:
    """One enterprise against every policy (the enterprise page): read the enterprise once."""
    rec = record(enterprise)
    return [explain_record(resolve(p, date), rec, typed_inputs(p, inputs), peers) for p in policies]


def _is_record(x: Mapping[Any, Any]) -> bool:
    return bool(x) and all(isinstance(k, tuple) for k in x)


def typed_inputs(policy: Policy, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        spec = policy.inputs.get(name)
        if spec is None:
            continue
        tname = (
            {"percent": "percent", "count": "integer", "money": "money"}.get(
                spec.type.kind, spec.type.base
            )
            if spec.type.base == "number"
            else spec.type.base
        )
        v = convert(tname, value)
        if v is not None:
            out[name] = v
    return out


def decide(
    r: Resolved, rec: Record, inputs: dict[str, Any] | None = None, peers: Peers | None = None
) -> tuple[str, Decimal | None]:
    """Status and amount only — the same rules as explain_record, without the reasons."""
    inputs = inputs or {}
    if not r.in_force:
        return "ineligible", None
    ev = Evaluator(rec, r.date, inputs, peers)
    ok1 = kleene_and([ev.eval(n) for n in r.decidable])
    ok0 = kleene_and([ev.eval(n) for n in r.decidable_automatic]) if r.automatic else ok1
    status = M.policy_status(ok0, ok1, r.policy.has_manual)
    if status not in ("eligible", "review"):
        return status, None
    if r.benefit is None:
        return status, None
    value = ev.eval(r.benefit)
    if value is not None:
        amount = _amount(value)
        if amount is None:
            return "unknown", None
        return status, None if r.policy.bounded else amount
    return (status if r.benefit_inputs - set(inputs) else "unknown"), None


def explain_record(
    r: Resolved, rec: Record, inputs: dict[str, Any], peers: Peers | None = None
) -> Explanation:
    p = r.policy
    if not r.in_force:
        span = f"{p.effective_from or '…'} – {p.effective_to or '…'}"
        return Explanation(
            p.id,
            p.title,
            p.version,
            r.date,
            "ineligible",
            None,
            notes=(f"政策不在有效期内（{span}）",),
        )
    results: list[ConditionResult] = []
    missing: list[tuple[str, int | None]] = []
    lacking: list[str] = []
    decided: list[Any] = []  # with every manual() branch confirmed
    automatic: list[Any] = []  # with none confirmed
    autos = r.automatic or (None,) * len(r.conditions)
    for (cond, node), auto in zip(r.conditions, autos, strict=True):
        if cond.manual or node is None:
            results.append(ConditionResult(cond.label, None, manual=True))
            continue
        ev = Evaluator(rec, r.date, inputs, peers)
        value = ev.eval(node)
        decided.append(value)
        unconfirmed = Evaluator(rec, r.date, inputs, peers).eval(auto) if auto else value
        automatic.append(unconfirmed)
        shortfalls = tuple(_shortfalls(node, ev)) if value is False else ()
        reads = tuple(ValueRead(f, y, v) for f, y, v in _dedupe(ev.reads))
        if value is None:
            missing += [(f, y) for f, y, v in ev.reads if v is None]
            lacking += ev.inputs_lacking
        if M.result(unconfirmed, value) == M.REVIEW:
            waiting = tuple(M.labels(cond.when))
            results.append(ConditionResult(cond.label, None, True, reads, (), waiting))
            continue
        results.append(ConditionResult(cond.label, value, False, reads, shortfalls))
    status = M.policy_status(kleene_and(automatic), kleene_and(decided), p.has_manual)
    notes: list[str] = []
    amount: Decimal | None = None
    amount_reads: tuple[ValueRead, ...] = ()
    item_lines: tuple[ItemLine, ...] = ()
    if status in ("eligible", "review") and r.benefit is not None:
        ev = Evaluator(rec, r.date, inputs, peers)
        value = ev.eval(r.benefit)
        amount_reads = tuple(ValueRead(f, y, v) for f, y, v in _dedupe(ev.reads))
        item_lines = tuple(ev.item_lines)
        if value is not None:
            amount = _amount(value)
            if amount is None:
                status = "unknown"
                notes.append("金额超出可计算的范围（超过约 9.2 亿亿元）")
        elif r.benefit_inputs - set(inputs):
            notes.append(
                "金额待申报：需填写 "
                + "、".join(p.inputs[i].label for i in sorted(r.benefit_inputs - set(inputs)))
            )
        else:
            status = "unknown"
            missing += [(f, y) for f, y, v in ev.reads if v is None]
            notes.append("条件满足，但计算金额所需数据缺失")
    bound = None
    if p.bounded and amount is not None:
        bound, amount = amount, None
        notes.append(f"最高不超过{show(Fraction(bound), 'money')}，金额待核定")
    pending = [label for c in results for label in c.pending]
    if status == "review" and pending:
        notes.append("待人工认定：" + "、".join(dict.fromkeys(pending)))
    if status == "unknown" and peers is None and _reads_peers(r):
        notes.append("需要参与比较的企业总体（如全区企业）的统计数据")
    lacking = list(dict.fromkeys(lacking)) if status == "unknown" else []
    if lacking:
        notes.append("需申报人填写：" + "、".join(p.inputs[i].label for i in lacking))
    if status == "unknown" and not missing and not lacking:
        notes.append("部分参数在评估日未生效" if _has_novalue(r) else "数据不足")
    return Explanation(
        p.id,
        p.title,
        p.version,
        r.date,
        status,
        amount,
        tuple(results),
        tuple(dict.fromkeys(missing)),
        tuple(notes),
        amount_reads,
        tuple(lacking),
        item_lines,
        bound,
    )


def _amount(value: Any) -> Decimal | None:
    """Yuan to the fen, or None beyond what the batch's Int64 fen holds (≈ 9.2 亿亿元), where
    both evaluators call the amount unknown."""
    fen = round_half_up(Fraction(value), 2) * 100
    return to_decimal(Fraction(value)) if abs(fen) <= I64 else None


def missing_reads(
    r: Resolved,
    rec: Record,
    inputs: dict[str, Any],
    undecided: Sequence[int],
    peers: Peers | None = None,
) -> list[tuple[str, int | None]]:
    """What `explain_record(...).missing` is for an unknown whose undecided conditions are
    known (indexes into `r.decidable`, as the batch finds them): the fields those conditions
    read that have no value — without evaluating the others or building the explanation."""
    missing: list[tuple[str, int | None]] = []
    nodes = r.decidable
    for i in undecided:
        ev = Evaluator(rec, r.date, inputs, peers)
        ev.eval(nodes[i])
        missing += [(f, y) for f, y, v in ev.reads if v is None]
    return list(dict.fromkeys(missing))


def _reads_peers(r: Resolved) -> bool:
    from .peers import FUNCTIONS

    text = repr([n for _, n in r.conditions]) + repr(r.benefit)
    return any(f"Call(fn='{fn}'" in text for fn in FUNCTIONS)


def _has_novalue(r: Resolved) -> bool:
    found = r.__dict__.get("_has_novalue")
    if found is None:  # once per resolved policy: the repr of its trees is not cheap
        found = "NoValue(" in repr([n for _, n in r.conditions]) + repr(r.benefit)
        object.__setattr__(r, "_has_novalue", found)
    return bool(found)


def _dedupe(reads: list[tuple[str, int | None, Any]]) -> list[tuple[str, int | None, Any]]:
    seen: dict[tuple[str, int | None], Any] = {}
    for f, y, v in reads:
        seen.setdefault((f, y), v)
    return [(f, y, v) for (f, y), v in seen.items()]


def can_fall_short(node: A.Node) -> bool:
    """Whether a false condition of this shape can name a gap (`_shortfalls`): only an
    ordered comparison can, alone or inside and/or."""
    if isinstance(node, A.Logic):
        return any(can_fall_short(item) for item in node.items)
    return isinstance(node, A.Compare) and node.op not in ("==", "!=")


def _shortfalls(node: A.Node, ev: Evaluator) -> list[Shortfall]:
    """The failed numeric comparisons that made a condition false."""
    out: list[Shortfall] = []
    if isinstance(node, A.Logic):
        for item in node.items:
            if ev.eval(item) is False:
                out += _shortfalls(item, ev)
    elif isinstance(node, A.Compare) and node.op not in ("==", "!="):
        if isinstance(node.left, A.Call) and node.left.fn == "cagr":
            actual: Any = ev.cagr_value(node.left)
            kind = "percent"
        else:
            actual = ev.eval(node.left)
            kind = kind_of(node.left)
        needed = ev.eval(node.right)
        if isinstance(needed, Fraction | dt.date) and actual is not None:
            rkind = kind_of(node.right)
            kind = kind if kind != "plain" else rkind
            label = node.left_text or "值"
            shown, need = show_pair(actual, needed, kind)
            text = f"{label} {shown}，需 {OP_TEXT[node.op]} {need}"
            out.append(Shortfall(label, node.op, actual, needed, text))
    return out

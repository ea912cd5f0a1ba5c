"""The sections of a policy that declare names — inputs, parameters, tables — and its
conditions, each checked with errors located in the file."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import yaml

from gaoxin import catalogue as C

from . import ast as A
from . import history
from .checker import Checker, Scope
from .errors import ExprError, did_you_mean
from .manual import check_placement
from .model import Condition, InputDef, ParamEntry, TableDef, TableRow
from .parser import parse
from .source import Source
from .types import BOOL, DATE, FIELD_TYPES, NUMBER, Type
from .yamlread import NOWHERE, Bail, Reader

ROW_OPS = {"upto": "<=", "below": "<", "atleast": ">=", "above": ">"}


def check_name(r: Reader, k: yaml.Node, name: str, scope: Scope, what: str) -> bool:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|[^\W\d]\w*", name):
        r.error_at(k, f"bad {what} name '{name}'", "use letters, digits and _")
        return False
    if (
        C.lookup(name)
        or name in scope.params
        or name in scope.tables
        or name in scope.inputs
        or name in ("Y", "and", "or", "not", "in", "true", "false")
    ):
        r.error_at(k, f"{what} name '{name}' is already taken", "choose another name")
        return False
    return True


def declare_inputs(r: Reader, top: dict, inputs: dict[str, InputDef], scope: Scope) -> None:
    if "inputs" not in top:
        return
    try:
        for name, (k, v) in r.mapping(top["inputs"][1], "inputs").items():
            if not check_name(r, k, name, scope, "input"):
                continue
            try:
                spec = r.mapping(v, f"input {name}")
                for key, (kk, _) in spec.items():
                    if key not in ("type", "label"):
                        r.error_at(
                            kk,
                            f"unknown key '{key}' in input {name}",
                            did_you_mean(key, ("type", "label")) or "an input has type: and label:",
                        )
                tname = r.text(spec["type"][1], "type") if "type" in spec else "money"
                if tname not in FIELD_TYPES:
                    r.error_at(
                        spec["type"][1],
                        f"unknown input type '{tname}'",
                        "one of " + ", ".join(FIELD_TYPES),
                    )
                    continue
                label = r.text(spec["label"][1], "label") if "label" in spec else name
                inputs[name] = InputDef(name, FIELD_TYPES[tname], label)
                scope.inputs[name] = FIELD_TYPES[tname]
            except Bail:
                pass
    except Bail:
        pass


def lazy(
    r: Reader, name: str, compute: Callable[[], Type], state: dict[str, Any]
) -> Callable[[], Type]:
    """Memoised type of a parameter or table, with cycle detection."""

    def get() -> Type:
        if name in state["done"]:
            t = state["done"][name]
            if t is None:
                raise Bail()
            return t
        if name in state["busy"]:
            chain = " → ".join([*state["busy"][state["busy"].index(name) :], name])
            raise ExprError(
                f"cycle between parameters: {chain}", -1, "a parameter can't depend on itself"
            )
        state["busy"].append(name)
        try:
            t = compute()
            state["done"][name] = t
            return t
        except ExprError as err:
            r.expr_error(err, getattr(err, "source", None) or NOWHERE)
            state["done"][name] = None
            raise Bail() from None
        except Bail:
            state["done"][name] = None
            raise
        finally:
            state["busy"].pop()

    return get


def declare_params(
    r: Reader, top: dict, checker: Checker, params: dict[str, tuple[ParamEntry, ...]], scope: Scope
) -> None:
    if "parameters" not in top:
        return
    state: dict[str, Any] = {"done": {}, "busy": []}
    scope_state = getattr(scope, "_state", None) or state
    scope._state = scope_state  # type: ignore[attr-defined]
    try:
        items = r.mapping(top["parameters"][1], "parameters").items()
    except Bail:
        return
    for name, (k, v) in items:
        if not check_name(r, k, name, scope, "parameter"):
            continue
        scope.params[name] = lazy(r, name, param_checker(r, name, v, checker, params), scope_state)


def param_checker(
    r: Reader, name: str, v: yaml.Node, checker: Checker, params: dict[str, tuple[ParamEntry, ...]]
) -> Callable[[], Type]:
    def compute() -> Type:
        if isinstance(v, yaml.MappingNode):
            pairs = [(r.date(dk, f"parameter {name}"), dv) for dk, dv in v.value]
        else:
            pairs = [(dt.date.min, v)]
        if not pairs:
            raise r.fail(v, f"parameter {name} has no value")
        entries, types = [], []
        for since, node in sorted(pairs, key=lambda p: p[0]):
            tree, t = guarded(r, node, checker, f"parameter {name}")
            entries.append(ParamEntry(since, tree))
            types.append((t, node))
        for t, node in types[1:]:
            if t.base != types[0][0].base:
                raise r.fail(node, f"parameter {name} changes type: {types[0][0]} then {t}")
        params[name] = tuple(entries)
        return types[0][0]

    return compute


def guarded(r: Reader, node: yaml.Node, checker: Checker, what: str) -> tuple[A.Node, Type]:
    """Check an expression whose errors (including cycles found deeper) belong here."""
    if not isinstance(node, yaml.ScalarNode):
        raise r.fail(node, f"{what} must be an expression")
    src = Source(node, r.file)
    try:
        return checker.check(parse(src.text))
    except ExprError as err:
        if not hasattr(err, "source"):
            err.source = src  # type: ignore[attr-defined]
        raise


def declare_tables(
    r: Reader, top: dict, checker: Checker, tables: dict[str, TableDef], scope: Scope
) -> None:
    if "tables" not in top:
        return
    state = getattr(scope, "_state", None) or {"done": {}, "busy": []}
    scope._state = state  # type: ignore[attr-defined]
    try:
        items = r.mapping(top["tables"][1], "tables").items()
    except Bail:
        return
    for name, (k, v) in items:
        if not check_name(r, k, name, scope, "table"):
            continue
        scope.tables[name] = lazy(r, name, table_checker(r, name, v, checker, tables), state)


def table_checker(
    r: Reader, name: str, v: yaml.Node, checker: Checker, tables: dict[str, TableDef]
) -> Callable[[], Type]:
    def compute() -> Type:
        spec = r.mapping(v, f"table {name}")
        for key, (k, _) in spec.items():
            if key not in ("by", "rows"):
                r.error_at(
                    k,
                    f"unknown key '{key}' in table {name}",
                    did_you_mean(key, ("by", "rows")) or "a table has by: and rows:",
                )
        if "by" not in spec or "rows" not in spec:
            raise r.fail(v, f"table {name} needs by: and rows:")
        by, by_t = guarded(r, spec["by"][1], checker, f"table {name}.by")
        checker.scope.table_by[name] = by_t
        if by_t.base not in (NUMBER, DATE):
            bands = [
                row
                for row in r.sequence(spec["rows"][1], f"table {name}.rows")
                if isinstance(row, yaml.MappingNode)
                and any(str(k.value) in ROW_OPS for k, _ in row.value)
            ]
            if bands:
                raise r.fail(
                    spec["by"][1],
                    f"table {name} is keyed by {by_t} values, but its rows compare by order "
                    "(upto/below/atleast/above): only numbers and dates have an order",
                    "key the table by a number or a date; to choose by text, write "
                    'if(industry == "C3974", a, b) or a condition with in ["…"]',
                )
        rows: list[TableRow] = []
        value_t: Type | None = None
        last_bound = None
        has_else = False
        for row in r.sequence(spec["rows"][1], f"table {name}.rows"):
            cells = r.mapping(row, "a table row")
            if has_else:
                raise r.fail(row, "row after else can never match", "put else last")
            if "else" in cells:
                if len(cells) != 1:
                    raise r.fail(row, "an else row has only else: value", "write {else: 3%}")
                op, bound = None, None
                value, t = guarded(r, cells["else"][1], checker, "else value")
                has_else = True
            else:
                ops = [key for key in cells if key in ROW_OPS]
                extra = [key for key in cells if key not in ROW_OPS and key != "value"]
                if extra:
                    raise r.fail(
                        cells[extra[0]][0],
                        f"unknown key '{extra[0]}' in a table row",
                        did_you_mean(extra[0], [*ROW_OPS, "value", "else"])
                        or "rows use upto/below/atleast/above with value, or else",
                    )
                if len(ops) != 1 or "value" not in cells:
                    raise r.fail(
                        row,
                        "a row needs one of upto/below/atleast/above and a value",
                        "write {upto: 5000万, value: 5%}",
                    )
                op = ROW_OPS[ops[0]]
                bound, bt = guarded(r, cells[ops[0]][1], checker, "table bound")
                if bt.base != by_t.base:
                    raise r.fail(cells[ops[0]][1], f"bound is a {bt} but by is a {by_t}")
                if (
                    isinstance(bound, A.Num)
                    and last_bound is not None
                    and op in ("<=", "<")
                    and bound.value < last_bound
                ):
                    raise r.fail(
                        cells[ops[0]][1],
                        "rows out of order: first matching row wins",
                        "list upto/below rows from the smallest bound",
                    )
                last_bound = bound.value if isinstance(bound, A.Num) else None
                value, t = guarded(r, cells["value"][1], checker, "table value")
            if value_t is not None and t.base != value_t.base:
                raise r.fail(row, f"row value is a {t} but earlier rows are {value_t}")
            value_t = value_t or t
            rows.append(TableRow(op, bound, value))
        if value_t is None:
            raise r.fail(v, f"table {name} has no rows")
        tables[name] = TableDef(name, by, tuple(rows))
        return value_t

    return compute


def condition(r: Reader, item: yaml.Node, checker: Checker) -> Condition:
    spec = r.mapping(item, "a condition")
    keys = ("label", "when", "manual", "note")
    for key, (k, _) in spec.items():
        if key not in keys:
            r.error_at(
                k,
                f"unknown key '{key}' in a condition",
                did_you_mean(key, keys) or "a condition has " + ", ".join(keys),
            )
    if "label" not in spec:
        raise r.fail(item, "a condition needs a label", "label: 在园区注册满一年")
    label = r.text(spec["label"][1], "label")
    manual = "manual" in spec and r.value(spec["manual"][1]) is True
    note = r.text(spec["note"][1], "note") if "note" in spec else ""
    if manual:
        return Condition(label, None, True, note)
    if "when" not in spec:
        raise r.fail(item, f"condition '{label}' needs when: (or manual: true)")
    node = spec["when"][1]
    src = Source(node, r.file) if isinstance(node, yaml.ScalarNode) else None
    if src is None or not src.text.strip():
        raise r.fail(node, f"condition '{label}': when must be an expression")
    checker.allow_manual = True
    try:
        tree, _ = checker.check(parse(src.text), BOOL)
        check_placement(tree)
    except ExprError as err:
        r.expr_error(err, src)
        raise Bail() from None
    finally:
        checker.allow_manual = False
    return Condition(label, tree, False, note)


def _own_history(checker: Checker, fn: str, ids: tuple[str, ...]) -> A.Node:
    call = A.Call(fn, tuple(A.Str(i) for i in ids) if ids else (A.Name(history.SELF),))
    node, _ = checker.visit(call)
    return node


def lifetime_cap(
    r: Reader, node: yaml.Node, checker: Checker, benefit: A.Node
) -> tuple[A.Node, Condition]:
    """`benefit.lifetime_cap: 500万` ("累计最高不超过"): the amount is at most the cap less what
    was already received from this policy, and a policy whose cap is used up is ineligible."""
    if checker.scope.beneficiary != "enterprise":
        raise r.fail(
            node,
            "lifetime_cap reads what the enterprise already received; this policy pays a "
            f"{checker.scope.beneficiary}",
            "payout history of persons, providers and introducers is not read yet",
        )
    cap, t = r.expression(node, checker, NUMBER, "benefit.lifetime_cap")
    if t.kind not in ("money", "plain"):
        raise r.fail(node, f"lifetime_cap must be an amount of money, not a {t}", "e.g. 500万")
    got = _own_history(checker, "received", ())
    left = A.Binary("-", cap, got, span=cap.span)
    amount = A.Call("min", (benefit, left), span=benefit.span)
    text = str(node.value).strip()
    shown = text + "元" if text[-1:] in "万亿" else text
    limit = Condition(
        f"累计获得本政策资金未达上限（累计最高不超过{shown}）",
        A.Compare("<", got, cap, left_text="此前累计获得本政策的资金"),
    )
    return amount, limit


def excludes(r: Reader, node: yaml.Node, checker: Checker) -> Condition:
    """`excludes: [policy-id, …]` ("不得同时享受""已享受 X 的不再享受本项"): a beneficiary that
    received any of them (any year) is ineligible; the payout service also won't identify this
    policy and one of them for the same beneficiary in one run (policies/payouts.py)."""
    if checker.scope.beneficiary != "enterprise":
        raise r.fail(
            node,
            "excludes reads what the enterprise already received; this policy pays a "
            f"{checker.scope.beneficiary}",
            "payout history of persons, providers and introducers is not read yet",
        )
    items = r.sequence(node, "excludes") if isinstance(node, yaml.SequenceNode) else [node]
    if not items:
        raise r.fail(node, "excludes lists no policy", 'e.g. excludes: ["torch-gazelle-award"]')
    ids: list[str] = []
    bad = False
    for item in items:
        pid = r.text(item, "excludes")
        if not history.POLICY_ID.match(pid):
            r.error_at(
                item,
                f"'{pid}' is not a policy id",
                "a policy id is the id: of its file — letters, digits, - _ .",
            )
            bad = True
        elif pid == checker.scope.policy_id:
            r.error_at(
                item,
                "a policy can't exclude itself",
                "for once per enterprise write a condition: times_received(self) == 0",
            )
            bad = True
        else:
            ids.append(pid)
    if bad:
        raise Bail()
    times = _own_history(checker, "times_received", tuple(ids))
    return Condition(
        "未享受过与本政策不得同时享受的政策",
        A.Compare("==", times, A.Num(Fraction(0)), left_text="已享受的次数"),
    )


def item_key(r: Reader, node: yaml.Node, inputs: dict[str, InputDef]) -> str:
    """`item: stage`: the declared text input a payout of this policy is for."""
    name = r.text(node, "item")
    spec = inputs.get(name)
    if spec is None:
        raise r.fail(
            node,
            f"item names an input, and '{name}' is not one of this policy's inputs",
            did_you_mean(name, inputs) or "declare it: inputs: {stage: {type: text, label: 阶段}}",
        )
    if spec.type.base != "text":
        raise r.fail(node, f"item must be a text input; '{name}' is a {spec.type}")
    return name


def once_per(
    r: Reader,
    node: yaml.Node,
    checker: Checker,
    item: str | None,
    inputs: dict[str, InputDef],
) -> Condition:
    """`once_per: enterprise` ("每家企业限享受一次"): ineligible once this policy paid the
    enterprise; `once_per: item` ("每阶段奖励一次""同一项目不重复支持"): once per value of the
    `item:` input."""
    what = r.text(node, "once_per")
    if what not in ("enterprise", "item"):
        raise r.fail(
            node,
            f"once_per is enterprise or item, not '{what}'",
            "once_per: enterprise (每家企业限一次), or item: <input> with once_per: item",
        )
    if checker.scope.beneficiary != "enterprise":
        raise r.fail(
            node,
            "once_per reads what the enterprise already received; this policy pays a "
            f"{checker.scope.beneficiary}",
            "payout history of persons, providers and introducers is not read yet",
        )
    if what == "enterprise":
        times = _own_history(checker, "times_received", ())
        return Condition(
            "此前未获得本政策资金（每家企业限享受一次）",
            A.Compare("==", times, A.Num(Fraction(0)), left_text="已享受的次数"),
        )
    if item is None:
        raise r.fail(node, "once_per: item needs item: <input>", "e.g. item: stage")
    own = checker.scope.policy_id
    chosen = A.Logic(
        "and",
        (
            A.Compare("==", A.Name("policy"), A.Str(own)),
            A.Compare("==", A.Name("item"), A.Name(item)),
        ),
    )
    times, _ = checker.visit(A.Call("count_over", (A.Name(history.TABLE), chosen)))
    label = inputs[item].label
    return Condition(
        f"此前未就同一{label}获得本政策资金（每{label}限享受一次）",
        A.Compare("==", times, A.Num(Fraction(0)), left_text=f"同一{label}已享受的次数"),
    )


def exclusive_ids(condition: Condition) -> tuple[str, ...]:
    """The policy ids of the condition `excludes` made (the ids its times_received reads)."""
    when = condition.when
    assert isinstance(when, A.Compare) and isinstance(when.left, A.Call)
    return tuple(a.value for a in when.left.args[1:] if isinstance(a, A.Str))

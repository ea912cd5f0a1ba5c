"""YAML policy files → checked Policy objects, with every error located at file:line:col."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from gaoxin import catalogue as C

from . import ast as A
from .checker import Checker, Scope
from .errors import ExprError, PolicyError, PolicyErrors, did_you_mean
from .model import (
    CATEGORIES,
    DELIVERIES,
    STATUSES,
    Condition,
    InputDef,
    ParamEntry,
    Policy,
    PolicyTest,
    TableDef,
    TableRow,
)
from .parser import parse
from .source import FileText, Source
from .types import BOOL, FIELD_TYPES, NUMBER, Type
from .units import to_fraction

TOP_KEYS = {
    "id",
    "title",
    "issuer",
    "source",
    "category",
    "effective",
    "year",
    "delivery",
    "notify",
    "parameters",
    "tables",
    "conditions",
    "inputs",
    "benefit",
    "tests",
    "description",
    "notes",
    "stack_group",
    "budget",
}
REQUIRED = ("id", "title", "source", "category", "conditions")
ROW_OPS = {"upto": "<=", "below": "<", "atleast": ">=", "above": ">"}
# libyaml's composer is ~10× faster; its marks (index, line, column) are the same characters.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class _Bail(Exception):
    """Stop reading the current section; the error is already recorded."""


def _canonical(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {str(_canonical(k)): _canonical(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_canonical(v) for v in node.value]
    return node.value


class _Reader:
    def __init__(self, text: str, name: str) -> None:
        self.file = FileText(text, name)
        self.errors: list[PolicyError] = []

    # -- errors
    def error_at(self, node: yaml.Node, message: str, hint: str = "") -> PolicyError:
        m = node.start_mark
        err = PolicyError(message, self.file.name, m.line + 1, m.column + 1, hint)
        self.errors.append(err)
        return err

    def fail(self, node: yaml.Node, message: str, hint: str = "") -> _Bail:
        self.error_at(node, message, hint)
        return _Bail()

    def expr_error(self, err: ExprError, src: Source) -> None:
        source = getattr(err, "source", None) or src
        if err.offset < 0:
            err.offset = 0
        line, col = source.position(err.offset)
        self.errors.append(PolicyError(err.message, self.file.name, line, col, err.hint))

    # -- YAML helpers
    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value)")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            key = str(k.value)
            if key in out:
                raise self.fail(k, f"duplicate key '{key}' in {what}")
            out[key] = (k, v)
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list (- item)")
        return list(node.value)

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be text")
        return str(node.value)

    def date(self, node: yaml.Node, what: str) -> dt.date:
        value = self.text(node, what).strip()
        try:
            if not _DATE_RE.match(value):
                raise ValueError
            y, m, d = (int(p) for p in value.split("-"))
            return dt.date(y, m, d)
        except ValueError:
            raise self.fail(
                node, f"bad date '{value}' in {what}", "write dates as YYYY-MM-DD, e.g. 2025-06-30"
            ) from None

    def value(self, node: yaml.Node) -> Any:
        """Plain data (tests): scalars typed by their YAML tag, dates checked."""
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for k, v in node.value:  # YAML merge keys (<<: *base) first; own keys override
                if k.tag.endswith(":merge"):
                    for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                        merged = self.value(m)
                        if isinstance(merged, dict):
                            out.update(merged)
            for k, v in node.value:
                if not k.tag.endswith(":merge"):
                    out[self.value(k)] = self.value(v)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v) for v in node.value]
        tag, raw = node.tag, str(node.value)
        if tag.endswith(":int"):
            try:
                return int(raw.replace("_", ""))
            except ValueError:
                return raw
        if tag.endswith(":float"):
            try:
                return Decimal(raw.replace("_", ""))
            except ArithmeticError:
                return raw
        if tag.endswith(":bool"):
            return raw.lower() in ("true", "yes", "on", "y")
        if tag.endswith(":null"):
            return None
        if tag.endswith(":timestamp"):
            return self.date(node, "a value")
        return raw

    def expression(
        self, node: yaml.Node, checker: Checker, want: str | None, what: str
    ) -> tuple[A.Node, Type]:
        if not isinstance(node, yaml.ScalarNode) or node.value in (None, ""):
            raise self.fail(node, f"{what} must be an expression")
        src = Source(node, self.file)
        try:
            tree = parse(src.text)
            return checker.check(tree, want)
        except ExprError as err:
            self.expr_error(err, src)
            raise _Bail() from None


class _Nowhere:
    def position(self, offset: int) -> tuple[int, int]:
        return (1, 1)


_NOWHERE: Any = _Nowhere()


def load_text(text: str, name: str = "<policy>") -> Policy:
    """Parse and check one policy; raises PolicyErrors (a PolicyError) listing every error."""
    r = _Reader(text, name)
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PolicyErrors(
            [
                PolicyError(
                    f"YAML syntax error: {e.problem or e}",
                    name,
                    line,
                    col,
                    "check the indentation and the quotes",
                )
            ]
        ) from None
    if root is None:
        raise PolicyErrors(
            [
                PolicyError(
                    "empty policy file",
                    name,
                    1,
                    1,
                    "a policy needs id, title, source, category, conditions",
                )
            ]
        )
    policy = _read(r, root)
    if r.errors or policy is None:
        raise PolicyErrors(r.errors or [PolicyError("invalid policy", name, 1, 1)])
    return policy


def load_file(path: str | Path) -> Policy:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PolicyErrors(
            [PolicyError(f"not UTF-8: {e.reason}", str(p), 1, 1, "save the file as UTF-8")]
        ) from None
    return load_text(text, str(p))


def policy_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml"))
        else:
            out.append(p)
    return out


def load_policies(*paths: str | Path) -> list[Policy]:
    """Every policy under the given files or folders; raises on the first bad file or on two
    policies with the same id."""
    policies: list[Policy] = []
    seen: dict[str, str] = {}
    for path in policy_files(paths):
        p = load_file(path)
        if p.id in seen:
            raise PolicyErrors(
                [
                    PolicyError(
                        f"duplicate policy id '{p.id}' (also in {seen[p.id]})", str(path), 1, 1
                    )
                ]
            )
        seen[p.id] = str(path)
        policies.append(p)
    return policies


def check_paths(paths: Iterable[str | Path]) -> list[PolicyError]:
    errors: list[PolicyError] = []
    for path in policy_files(paths):
        try:
            load_file(path)
        except PolicyErrors as e:
            errors += e.errors
        except OSError as e:
            errors.append(PolicyError(f"can't read: {e.strerror}", str(path), 0, 0))
    return errors


# -- the sections of a policy ----------------------------------------------------------------


def _read(r: _Reader, root: yaml.Node) -> Policy | None:
    try:
        top = r.mapping(root, "a policy")
    except _Bail:
        return None
    for key, (k, _) in top.items():
        if key not in TOP_KEYS:
            r.error_at(
                k,
                f"unknown key '{key}'",
                did_you_mean(key, TOP_KEYS) or "keys: " + ", ".join(sorted(TOP_KEYS)),
            )
    for key in REQUIRED:
        if key not in top:
            r.error_at(
                root, f"missing required key '{key}'", "a policy needs " + ", ".join(REQUIRED)
            )
    if any(key not in top for key in REQUIRED):
        return None

    def scalar(key: str, default: str = "") -> str:
        if key not in top:
            return default
        try:
            return r.text(top[key][1], key)
        except _Bail:
            return default

    category = scalar("category")
    if category not in CATEGORIES:
        r.error_at(
            top["category"][1],
            f"unknown category '{category}'",
            did_you_mean(category, CATEGORIES) or "one of " + ", ".join(CATEGORIES),
        )
    delivery = scalar("delivery", "auto")
    if delivery not in DELIVERIES:
        r.error_at(
            top["delivery"][1], f"unknown delivery '{delivery}'", "one of " + ", ".join(DELIVERIES)
        )
    eff_from = eff_to = None
    if "effective" in top:
        try:
            eff = r.mapping(top["effective"][1], "effective")
            for key, (k, _) in eff.items():
                if key not in ("from", "to"):
                    r.error_at(k, f"unknown key '{key}' in effective", "use from: and to:")
            eff_from = r.date(eff["from"][1], "effective.from") if "from" in eff else None
            eff_to = r.date(eff["to"][1], "effective.to") if "to" in eff else None
        except _Bail:
            pass
    year = None
    if "year" in top:
        ytxt = scalar("year")
        if ytxt.isdigit() and len(ytxt) == 4:
            year = int(ytxt)
        else:
            r.error_at(top["year"][1], f"bad year '{ytxt}'", "write a year such as 2025")
    notify: tuple[str, ...] = ()
    if "notify" in top:
        with contextlib.suppress(_Bail):
            notify = tuple(r.text(n, "notify") for n in r.sequence(top["notify"][1], "notify"))

    scope = Scope()
    checker = Checker(scope)
    params: dict[str, tuple[ParamEntry, ...]] = {}
    tables: dict[str, TableDef] = {}
    inputs: dict[str, InputDef] = {}
    _declare_inputs(r, top, inputs, scope)
    _declare_params(r, top, checker, params, scope)
    _declare_tables(r, top, checker, tables, scope)
    # Check every parameter and table now, even unused ones.
    for get in [*scope.params.values(), *scope.tables.values()]:
        with contextlib.suppress(_Bail):
            get()

    conditions: list[Condition] = []
    try:
        for item in r.sequence(top["conditions"][1], "conditions"):
            with contextlib.suppress(_Bail):
                conditions.append(_condition(r, item, checker))
    except _Bail:
        pass

    benefit = None
    if "benefit" in top:
        try:
            b = r.mapping(top["benefit"][1], "benefit")
            for key, (k, _) in b.items():
                if key not in ("amount", "cap", "per", "note"):
                    r.error_at(
                        k,
                        f"unknown key '{key}' in benefit",
                        did_you_mean(key, ("amount", "cap", "per", "note")),
                    )
            if "amount" not in b:
                raise r.fail(
                    top["benefit"][1],
                    "benefit needs an amount",
                    "write amount: min(rate * rd_expense[Y-1], cap)",
                )
            benefit, _ = r.expression(b["amount"][1], checker, NUMBER, "benefit.amount")
            if "cap" in b:
                cap, _ = r.expression(b["cap"][1], checker, NUMBER, "benefit.cap")
                benefit = A.Call("min", (benefit, cap), span=benefit.span)
        except _Bail:
            pass

    budget = None
    if "budget" in top:
        budget = to_fraction(scalar("budget"))
        if budget is None or budget <= 0:
            r.error_at(top["budget"][1], "budget must be a positive amount", "e.g. budget: 300万")
    tests = _tests(r, top, eff_from, inputs)
    if r.errors:
        return None
    raw = _canonical(root)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode())
    return Policy(
        id=scalar("id"),
        title=scalar("title"),
        source=scalar("source"),
        category=category,
        file=r.file.name,
        version=digest.hexdigest()[:12],
        issuer=scalar("issuer"),
        effective_from=eff_from,
        effective_to=eff_to,
        year=year,
        delivery=delivery,
        notify=notify,
        params=params,
        tables=tables,
        inputs=inputs,
        conditions=tuple(conditions),
        benefit=benefit,
        tests=tuple(tests),
        stack_group=scalar("stack_group") or None,
        budget=budget,
        raw=raw,
    )


def _check_name(r: _Reader, k: yaml.Node, name: str, scope: Scope, what: str) -> bool:
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


def _declare_inputs(r: _Reader, top: dict, inputs: dict[str, InputDef], scope: Scope) -> None:
    if "inputs" not in top:
        return
    try:
        for name, (k, v) in r.mapping(top["inputs"][1], "inputs").items():
            if not _check_name(r, k, name, scope, "input"):
                continue
            try:
                spec = r.mapping(v, f"input {name}")
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
            except _Bail:
                pass
    except _Bail:
        pass


def _lazy(
    r: _Reader, name: str, compute: Callable[[], Type], state: dict[str, Any]
) -> Callable[[], Type]:
    """Memoised type of a parameter or table, with cycle detection."""

    def get() -> Type:
        if name in state["done"]:
            t = state["done"][name]
            if t is None:
                raise _Bail()
            return t  # type: ignore[no-any-return]
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
            r.expr_error(err, getattr(err, "source", None) or _NOWHERE)
            state["done"][name] = None
            raise _Bail() from None
        except _Bail:
            state["done"][name] = None
            raise
        finally:
            state["busy"].pop()

    return get


def _declare_params(
    r: _Reader, top: dict, checker: Checker, params: dict[str, tuple[ParamEntry, ...]], scope: Scope
) -> None:
    if "parameters" not in top:
        return
    state: dict[str, Any] = {"done": {}, "busy": []}
    scope_state = getattr(scope, "_state", None) or state
    scope._state = scope_state  # type: ignore[attr-defined]
    try:
        items = r.mapping(top["parameters"][1], "parameters").items()
    except _Bail:
        return
    for name, (k, v) in items:
        if not _check_name(r, k, name, scope, "parameter"):
            continue
        scope.params[name] = _lazy(
            r, name, _param_checker(r, name, v, checker, params), scope_state
        )


def _param_checker(
    r: _Reader, name: str, v: yaml.Node, checker: Checker, params: dict[str, tuple[ParamEntry, ...]]
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
            tree, t = _guarded(r, node, checker, f"parameter {name}")
            entries.append(ParamEntry(since, tree))
            types.append((t, node))
        for t, node in types[1:]:
            if t.base != types[0][0].base:
                raise r.fail(node, f"parameter {name} changes type: {types[0][0]} then {t}")
        params[name] = tuple(entries)
        return types[0][0]

    return compute


def _guarded(r: _Reader, node: yaml.Node, checker: Checker, what: str) -> tuple[A.Node, Type]:
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


def _declare_tables(
    r: _Reader, top: dict, checker: Checker, tables: dict[str, TableDef], scope: Scope
) -> None:
    if "tables" not in top:
        return
    state = getattr(scope, "_state", None) or {"done": {}, "busy": []}
    scope._state = state  # type: ignore[attr-defined]
    try:
        items = r.mapping(top["tables"][1], "tables").items()
    except _Bail:
        return
    for name, (k, v) in items:
        if not _check_name(r, k, name, scope, "table"):
            continue
        scope.tables[name] = _lazy(r, name, _table_checker(r, name, v, checker, tables), state)


def _table_checker(
    r: _Reader, name: str, v: yaml.Node, checker: Checker, tables: dict[str, TableDef]
) -> Callable[[], Type]:
    def compute() -> Type:
        spec = r.mapping(v, f"table {name}")
        for key, (k, _) in spec.items():
            if key not in ("by", "rows"):
                r.error_at(k, f"unknown key '{key}' in table {name}", "a table has by: and rows:")
        if "by" not in spec or "rows" not in spec:
            raise r.fail(v, f"table {name} needs by: and rows:")
        by, by_t = _guarded(r, spec["by"][1], checker, f"table {name}.by")
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
                value, t = _guarded(r, cells["else"][1], checker, "else value")
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
                bound, bt = _guarded(r, cells[ops[0]][1], checker, "table bound")
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
                value, t = _guarded(r, cells["value"][1], checker, "table value")
            if value_t is not None and t.base != value_t.base:
                raise r.fail(row, f"row value is a {t} but earlier rows are {value_t}")
            value_t = value_t or t
            rows.append(TableRow(op, bound, value))
        if value_t is None:
            raise r.fail(v, f"table {name} has no rows")
        tables[name] = TableDef(name, by, tuple(rows))
        return value_t

    return compute


def _condition(r: _Reader, item: yaml.Node, checker: Checker) -> Condition:
    spec = r.mapping(item, "a condition")
    keys = ("label", "when", "manual", "note")
    for key, (k, _) in spec.items():
        if key not in keys:
            r.error_at(k, f"unknown key '{key}' in a condition", did_you_mean(key, keys))
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
    try:
        tree, _ = checker.check(parse(src.text), BOOL)
    except ExprError as err:
        r.expr_error(err, src)
        raise _Bail() from None
    return Condition(label, tree, False, note)


def _tests(
    r: _Reader, top: dict, eff_from: dt.date | None, inputs: dict[str, InputDef]
) -> list[PolicyTest]:
    out: list[PolicyTest] = []
    if "tests" not in top:
        return out
    try:
        items = r.sequence(top["tests"][1], "tests")
    except _Bail:
        return out
    keys = ("name", "date", "enterprise", "inputs", "expect")
    for item in items:
        try:
            spec = r.mapping(item, "a test")
            for key, (k, _) in spec.items():
                if key not in keys:
                    r.error_at(k, f"unknown key '{key}' in a test", did_you_mean(key, keys))
            name = (
                r.text(spec["name"][1], "name")
                if "name" in spec
                else f"line {item.start_mark.line + 1}"
            )
            if "date" in spec:
                date = r.date(spec["date"][1], "test date")
            elif eff_from:
                date = eff_from
            else:
                raise r.fail(item, "a test needs a date when the policy has no effective.from")
            ent = r.value(spec["enterprise"][1]) if "enterprise" in spec else {}
            if not isinstance(ent, dict):
                raise r.fail(spec["enterprise"][1], "enterprise must be a mapping")
            for key in ent:
                if C.lookup(str(key)) is None and C.parse_header(str(key)) is None:
                    r.error_at(
                        spec["enterprise"][1],
                        f"unknown field '{key}' in test enterprise",
                        did_you_mean(str(key), [f.name for f in C.FIELDS]),
                    )
            given_inputs = r.value(spec["inputs"][1]) if "inputs" in spec else {}
            if "expect" not in spec:
                raise r.fail(item, "a test needs expect: {status: ..., amount: ...}")
            exp = r.mapping(spec["expect"][1], "expect")
            status = r.text(exp["status"][1], "status") if "status" in exp else None
            if status is not None and status not in STATUSES:
                raise r.fail(
                    exp["status"][1], f"unknown status '{status}'", "one of " + ", ".join(STATUSES)
                )
            amount = None
            if "amount" in exp:
                raw = r.value(exp["amount"][1])
                if raw is not None:
                    frac = to_fraction(raw)
                    if frac is None:
                        raise r.fail(exp["amount"][1], f"bad amount '{raw}'", "e.g. 6万 or 1851.77")
                    amount = Decimal(frac.numerator) / Decimal(frac.denominator)
            out.append(
                PolicyTest(
                    name,
                    date,
                    ent,
                    given_inputs or {},
                    status,
                    amount,
                    "amount" in exp,
                    item.start_mark.line + 1,
                )
            )
        except _Bail:
            pass
    return out

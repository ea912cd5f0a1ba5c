"""YAML policy files → checked Policy objects, with every error located at file:line:col."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from . import ast as A
from . import history
from .beneficiary import BENEFICIARIES, DEFAULT
from .checker import Checker, Scope
from .errors import PolicyError, PolicyErrors, did_you_mean
from .model import CATEGORIES, DELIVERIES, STAGES, Condition, InputDef, ParamEntry, Policy, TableDef
from .sections import (
    condition,
    declare_inputs,
    declare_params,
    declare_tables,
    excludes,
    exclusive_ids,
    item_key,
    lifetime_cap,
    once_per,
)
from .testspec import read_tests
from .types import NUMBER
from .units import to_fraction
from .yamlread import LOADER, Bail, Reader, canonical

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
    "stage",
    "region",
    "beneficiary",
    "excludes",
    "item",
    "once_per",
}
BENEFIT_KEYS = ("amount", "upto", "cap", "lifetime_cap", "note")
REQUIRED = ("id", "title", "source", "category", "conditions")
# A source that cites a file of ours (policy-examples.md, RULES.md, x.yaml) instead of the
# issuer's document.
_FILE_NAME = re.compile(r"\.(?:md|ya?ml|py|txt|csv|json|xlsx?)\b", re.IGNORECASE)
ROW_OPS = {"upto": "<=", "below": "<", "atleast": ">=", "above": ">"}


# libyaml's composer is ~10× faster; its marks (index, line, column) are the same characters.
def load_text(text: str, name: str = "<policy>") -> Policy:
    """Parse and check one policy; raises PolicyErrors (a PolicyError) listing every error."""
    r = Reader(text, name)
    try:
        root = yaml.compose(text, Loader=LOADER)
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


def _read(r: Reader, root: yaml.Node) -> Policy | None:
    try:
        top = r.mapping(root, "a policy")
    except Bail:
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
        except Bail:
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
    stage = scalar("stage", "final")
    if stage not in STAGES:
        r.error_at(
            top["stage"][1],
            f"unknown stage '{stage}'",
            "final (正式文件) or for_comment (征求意见稿)",
        )
    source = scalar("source")
    if _FILE_NAME.search(source):
        r.error_at(
            top["source"][1],
            "source names a file, not a document",
            "cite the issuer's document and its number, e.g. 厦高管〔2025〕12号; "
            "notes may name where the clause was found",
        )
    eff_from = eff_to = None
    if "effective" in top:
        try:
            eff = r.mapping(top["effective"][1], "effective")
            for key, (k, _) in eff.items():
                if key not in ("from", "to"):
                    r.error_at(
                        k,
                        f"unknown key '{key}' in effective",
                        did_you_mean(key, ("from", "to")) or "use from: and to:",
                    )
            eff_from = r.date(eff["from"][1], "effective.from") if "from" in eff else None
            eff_to = r.date(eff["to"][1], "effective.to") if "to" in eff else None
        except Bail:
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
        with contextlib.suppress(Bail):
            notify = tuple(r.text(n, "notify") for n in r.sequence(top["notify"][1], "notify"))

    if "inputs" in top and delivery != "apply" and delivery in DELIVERIES:
        r.error_at(
            top["inputs"][0],
            f"inputs need delivery: apply, but this policy's delivery is {delivery}"
            + ("" if "delivery" in top else " (the default)")
            + ": nobody applies, so nobody declares the inputs and every result that needs "
            "one would stay unknown",
            "write delivery: apply (网上简易申报), or use registry fields instead of inputs",
        )
    beneficiary = scalar("beneficiary", DEFAULT)
    if beneficiary not in BENEFICIARIES:
        r.error_at(
            top["beneficiary"][1],
            f"unknown beneficiary '{beneficiary}'",
            did_you_mean(beneficiary, BENEFICIARIES)
            or "one of " + ", ".join(f"{k} ({v})" for k, v in BENEFICIARIES.items()),
        )
    scope = Scope(beneficiary=beneficiary, policy_id=scalar("id"))
    checker = Checker(scope)
    params: dict[str, tuple[ParamEntry, ...]] = {}
    tables: dict[str, TableDef] = {}
    inputs: dict[str, InputDef] = {}
    declare_inputs(r, top, inputs, scope)
    declare_params(r, top, checker, params, scope)
    declare_tables(r, top, checker, tables, scope)
    # Check every parameter and table now, even unused ones.
    for get in [*scope.params.values(), *scope.tables.values()]:
        with contextlib.suppress(Bail):
            get()

    conditions: list[Condition] = []
    try:
        for item in r.sequence(top["conditions"][1], "conditions"):
            with contextlib.suppress(Bail):
                conditions.append(condition(r, item, checker))
    except Bail:
        pass

    benefit = None
    bounded = False
    if "benefit" in top:
        try:
            b = r.mapping(top["benefit"][1], "benefit")
            for key, (k, _) in b.items():
                if key not in BENEFIT_KEYS:
                    r.error_at(
                        k,
                        f"unknown key '{key}' in benefit",
                        did_you_mean(key, BENEFIT_KEYS)
                        or "a benefit has " + ", ".join(BENEFIT_KEYS),
                    )
            if "amount" in b and "upto" in b:
                raise r.fail(
                    b["upto"][0],
                    "a benefit has an amount or a bound (upto), not both",
                    "amount: the rule computes it; upto: staff decide it, at most the bound "
                    '("最高不超过 X 万元")',
                )
            if "amount" not in b and "upto" not in b:
                raise r.fail(
                    top["benefit"][1],
                    "benefit needs an amount (or upto: a bound staff decide within)",
                    "write amount: min(rate * rd_expense[Y-1], cap), or upto: 50万",
                )
            bounded = "upto" in b
            if bounded and beneficiary == "person":
                raise r.fail(
                    b["upto"][0],
                    "upto (an amount staff decide) is not available for persons yet",
                    "write amount: for a policy with beneficiary: person",
                )
            key = "upto" if bounded else "amount"
            benefit, _ = r.expression(b[key][1], checker, NUMBER, f"benefit.{key}")
            if "cap" in b:
                cap, _ = r.expression(b["cap"][1], checker, NUMBER, "benefit.cap")
                benefit = A.Call("min", (benefit, cap), span=benefit.span)
            if "lifetime_cap" in b:
                benefit, limit = lifetime_cap(r, b["lifetime_cap"][1], checker, benefit)
                conditions.append(limit)
        except Bail:
            pass
    excluded: tuple[str, ...] = ()
    if "excludes" in top:
        with contextlib.suppress(Bail):
            exclusive = excludes(r, top["excludes"][1], checker)
            conditions.append(exclusive)
            excluded = exclusive_ids(exclusive)
    item_input: str | None = None
    if "item" in top:
        with contextlib.suppress(Bail):
            item_input = item_key(r, top["item"][1], inputs)
    if "once_per" in top:
        with contextlib.suppress(Bail):
            conditions.append(once_per(r, top["once_per"][1], checker, item_input, inputs))

    budget = None
    if "budget" in top:
        budget = to_fraction(scalar("budget"))
        if budget is None or budget <= 0:
            r.error_at(top["budget"][1], "budget must be a positive amount", "e.g. budget: 300万")
    tests = read_tests(r, top, eff_from, inputs, beneficiary)
    if r.errors:
        return None
    raw = canonical(root)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode())
    history.TITLES[scalar("id")] = scalar("title")  # how received("…") reads in words
    return Policy(
        id=scalar("id"),
        title=scalar("title"),
        source=source,
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
        stage=stage,
        region=scalar("region"),
        beneficiary=beneficiary,
        item=item_input,
        bounded=bounded,
        excludes=excluded,
        raw=raw,
    )

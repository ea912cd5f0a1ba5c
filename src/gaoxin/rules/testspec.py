"""The `tests:` section of a policy: named cases with a date, an enterprise, declared inputs
and the expected status and amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import yaml

from gaoxin import catalogue as C

from .errors import did_you_mean
from .model import STATUSES, InputDef, PolicyTest
from .units import to_fraction
from .yamlread import Bail, Reader


def read_tests(
    r: Reader,
    top: dict,
    eff_from: dt.date | None,
    inputs: dict[str, InputDef],
    beneficiary: str = "enterprise",
) -> list[PolicyTest]:
    out: list[PolicyTest] = []
    if "tests" not in top:
        return out
    try:
        items = r.sequence(top["tests"][1], "tests")
    except Bail:
        return out
    keys = ("name", "date", "enterprise", "person", "inputs", "expect", "population")
    for item in items:
        try:
            spec = r.mapping(item, "a test")
            for key, (k, _) in spec.items():
                if key not in keys:
                    r.error_at(
                        k,
                        f"unknown key '{key}' in a test",
                        did_you_mean(key, keys) or "a test has " + ", ".join(keys),
                    )
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
            if "enterprise" in spec:
                _check_fields(r, spec["enterprise"][1], ent, "test enterprise")
            if "person" in spec:
                ent = {**ent, **_person(r, spec["person"][1], beneficiary)}
            population: list[dict] = []
            if "population" in spec:
                for node in r.sequence(spec["population"][1], "population"):
                    other = r.value(node)
                    if not isinstance(other, dict):
                        raise r.fail(node, "each enterprise of population must be a mapping")
                    _check_fields(r, node, other, "population")
                    population.append(other)
            given_inputs = r.value(spec["inputs"][1]) if "inputs" in spec else {}
            if not isinstance(given_inputs, dict):
                raise r.fail(spec["inputs"][1], "inputs must be a mapping")
            for key in given_inputs:
                if str(key) not in inputs:
                    r.error_at(
                        _key_node(spec["inputs"][1], str(key)),
                        f"unknown input '{key}' in test",
                        did_you_mean(str(key), inputs) or "declare it under inputs:",
                    )
            if "expect" not in spec:
                raise r.fail(item, "a test needs expect: {status: ..., amount: ...}")
            exp = r.mapping(spec["expect"][1], "expect")
            for key, (k, _) in exp.items():
                if key not in ("status", "amount", "bound"):
                    r.error_at(
                        k,
                        f"unknown key '{key}' in expect",
                        did_you_mean(key, ("status", "amount", "bound"))
                        or "expect has status:, amount: and bound:",
                    )
            status = r.text(exp["status"][1], "status") if "status" in exp else None
            if status is not None and status not in STATUSES:
                raise r.fail(
                    exp["status"][1], f"unknown status '{status}'", "one of " + ", ".join(STATUSES)
                )
            amount, bound = (
                _money(r, exp[key][1]) if key in exp else None for key in ("amount", "bound")
            )
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
                    tuple(population),
                    bound,
                    "bound" in exp,
                )
            )
        except Bail:
            pass
    return out


def _person(r: Reader, node: yaml.Node, beneficiary: str) -> dict:
    """A test's person (beneficiary: person): the person's fields, read beside the
    enterprise's."""
    if beneficiary != "person":
        raise r.fail(node, "person: is for a policy with beneficiary: person")
    person = r.value(node)
    if not isinstance(person, dict):
        raise r.fail(node, "person must be a mapping")
    for key in person:
        found = C.lookup(str(key)) or getattr(C.parse_header(str(key)), "field", None)
        if found is None or found.group is not C.FieldGroup.PERSON:
            r.error_at(
                _key_node(node, str(key)),
                f"unknown field '{key}' in test person",
                did_you_mean(str(key), [f.name for f in C.PERSON_FIELDS])
                or "a person's fields: " + ", ".join(f.name for f in C.PERSON_FIELDS),
            )
    return person


def _check_fields(r: Reader, node: yaml.Node, ent: dict, what: str) -> None:
    """An enterprise's fields (a test's or one of its population): catalogue fields, and item
    tables as lists of items; a person's fields go under person:."""
    for key in ent:
        if str(key) in C.ITEM_TABLE:
            if not isinstance(ent[key], list):
                r.error_at(
                    _key_node(node, str(key)),
                    f"{key} is an item table: list its items",
                    f"write {key}: [{{…}}, {{…}}]",
                )
            continue
        found = C.lookup(str(key)) or getattr(C.parse_header(str(key)), "field", None)
        if found is None or found.group is C.FieldGroup.PERSON:
            r.error_at(
                _key_node(node, str(key)),
                f"unknown field '{key}' in {what}",
                "a person's fields go under person:"
                if found is not None
                else did_you_mean(
                    str(key), [f.name for f in C.FIELDS] + [t.name for t in C.ITEM_TABLES]
                ),
            )


def _key_node(node: yaml.Node, key: str) -> yaml.Node:
    """The key `key` of a mapping as written (for its line), or the mapping itself when the
    key came from a merge (<<: *base)."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and str(k.value) == key:
                return k
    return node


def _money(r: Reader, node: yaml.Node) -> Decimal | None:
    raw = r.value(node)
    if raw is None:
        return None
    frac = to_fraction(raw)
    if frac is None:
        raise r.fail(node, f"bad amount '{raw}'", "e.g. 6万 or 1851.77")
    return Decimal(frac.numerator) / Decimal(frac.denominator)

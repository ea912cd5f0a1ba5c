"""Running the tests embedded in policy files (`rules test`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .explain import explain, typed_inputs
from .model import Policy, PolicyTest
from .peers import from_records, uses_peers
from .values import record


@dataclass(frozen=True)
class TestOutcome:
    policy: str
    file: str
    test: str
    line: int
    passed: bool
    message: str = ""


def _truth(v: bool | None, manual: bool = False, pending: tuple[str, ...] = ()) -> str:
    if pending:
        return "待人工认定 (manual): " + "、".join(pending)
    if manual:
        return "待人工审核 (manual)"
    return {True: "是 (true)", False: "否 (false)", None: "未知 (unknown)"}[v]


def _amount(v: Decimal | None) -> str:
    return "无 (none)" if v is None else str(v)


def run_test(policy: Policy, test: PolicyTest) -> TestOutcome:
    peers = None
    if uses_peers([policy], test.date):
        everyone = [record(e) for e in (test.enterprise, *test.population)]
        peers = from_records([policy], everyone, test.date, typed_inputs(policy, test.inputs))
    result = explain(policy, test.enterprise, test.date, test.inputs, peers)
    problems = []
    if test.status is not None and result.status != test.status:
        reasons = "; ".join(s.text for s in result.shortfalls) or "; ".join(
            f"{c.label}: {_truth(c.result, c.manual, c.pending)}"
            for c in result.conditions
            if c.result is not True
        )
        missing = ", ".join(f"{f}[{y}]" if y else f for f, y in result.missing)
        lacking = ", ".join(f"inputs.{name}" for name in result.missing_inputs)
        missing = ", ".join(x for x in (missing, lacking) if x)
        problems.append(
            f"status {result.status}, expected {test.status}"
            + (f" ({reasons})" if reasons else "")
            + (f" missing: {missing}" if missing else "")
        )
    if test.amount_given and result.amount != test.amount:
        problems.append(f"amount {_amount(result.amount)}, expected {_amount(test.amount)}")
    if test.bound_given and result.bound != test.bound:
        problems.append(f"bound {_amount(result.bound)}, expected {_amount(test.bound)}")
    return TestOutcome(
        policy.id, policy.file, test.name, test.line, not problems, "; ".join(problems)
    )


def run_tests(policies: list[Policy]) -> tuple[list[TestOutcome], list[Policy]]:
    """Every test of every policy, and the policies that have no tests."""
    outcomes = [run_test(p, t) for p in policies for t in p.tests]
    return outcomes, [p for p in policies if not p.tests]

"""A person's judgement as one branch of a condition: `revenue[Y-1] >= 1亿 or
manual("经认定具有同等水平")` ("……或经认定具有同等水平的").

The machine can't decide a manual branch; staff can. A condition with manual branches is
evaluated twice — every branch as not confirmed (W0) and every branch as confirmed (W1) —
each time in the ordinary three-valued logic, so both evaluators run it unchanged. Because a
manual branch may only be an operand of `and`/`or` (never under `not`, inside `if()` or a
comparison), the condition is monotone in it, and:

- W0 true: the condition holds without anyone's judgement (true);
- W1 false: it fails whatever staff decide (false);
- W1 true (W0 false or unknown): it holds if staff confirm a branch (review, 待审核);
- otherwise: data is missing (unknown).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import ast as A
from .errors import ExprError

REVIEW = "review"  # a condition's result when only a manual branch can make it hold


def is_manual(n: object) -> bool:
    return isinstance(n, A.Call) and n.fn == "manual"


def labels(n: object) -> list[str]:
    """The labels of the manual branches in `n`, in the order written."""
    if is_manual(n):
        assert isinstance(n, A.Call)
        first = n.args[0]
        return [first.value] if isinstance(first, A.Str) else []
    out: list[str] = []
    if isinstance(n, A.Node):
        for v in vars(n).values():
            for x in v if isinstance(v, tuple) else (v,):
                if isinstance(x, A.Node):
                    out += labels(x)
    return list(dict.fromkeys(out))


def confirmed(n: A.Node, value: bool) -> A.Node:
    """`n` with every manual branch replaced by `value` (W1 when true, W0 when false)."""
    if is_manual(n):
        return A.Bool(value, span=n.span)
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(n):
        v = getattr(n, f.name)
        if isinstance(v, A.Node):
            changes[f.name] = confirmed(v, value)
        elif isinstance(v, tuple) and any(isinstance(x, A.Node) for x in v):
            changes[f.name] = tuple(confirmed(x, value) if isinstance(x, A.Node) else x for x in v)
    return dataclasses.replace(n, **changes) if changes else n


def misplaced(tree: A.Node) -> A.Node | None:
    """The first manual branch that is not an operand of and/or (from the condition's root
    down), or None."""

    def walk(n: object, allowed: bool) -> A.Node | None:
        if is_manual(n):
            assert isinstance(n, A.Node)
            return None if allowed else n
        if isinstance(n, A.Logic):
            for item in n.items:
                found = walk(item, True)
                if found is not None:
                    return found
            return None
        if isinstance(n, A.Node):
            for v in vars(n).values():
                for x in v if isinstance(v, tuple) else (v,):
                    found = walk(x, False)
                    if found is not None:
                        return found
        return None

    return walk(tree, True)


def check_placement(tree: A.Node) -> None:
    bad = misplaced(tree)
    if bad is not None:
        raise ExprError(
            "manual() can only be a branch of 'or' / 'and' in a condition",
            bad.span[0],
            'write e.g. revenue[Y-1] >= 1亿 or manual("经认定具有同等水平"); '
            "not under not, if(), a comparison or a function",
        )


def result(without: Any, with_confirmed: Any) -> Any:
    """A condition's result from W0 and W1: True, False, REVIEW or None (unknown)."""
    if without is True:
        return True
    if with_confirmed is False:
        return False
    if with_confirmed is True:
        return REVIEW
    return None


def policy_status(ok0: Any, ok1: Any, has_manual: bool) -> str:
    """The status from all conditions without (ok0) and with (ok1) the manual branches
    confirmed; `has_manual`: a whole condition is manual (manual: true)."""
    if ok0 is True:
        return "review" if has_manual else "eligible"
    if ok1 is False:
        return "ineligible"
    return "review" if ok1 is True else "unknown"

"""The policy rules engine: policies as data (YAML), checked at load time, evaluated exactly
for one enterprise (`explain`) or for many at once on Polars (`evaluate`).

No Django here: the engine runs from the command line and in tests without the web app."""

from __future__ import annotations

from .errors import PolicyError, PolicyErrors
from .explain import (
    ConditionResult,
    Explanation,
    Shortfall,
    ValueRead,
    decide,
    explain,
    explain_all,
)
from .loader import check_paths, load_file, load_policies, load_text
from .model import STATUSES, Policy
from .testing import TestOutcome, run_tests

_BATCH = ("evaluate", "evaluate_wide", "compile_plan", "Plan")
_ALLOCATION = ("apply_stacking", "prorate")


def __getattr__(name: str) -> object:
    """The batch API imports Polars; load it on first use, not with the package."""
    if name in _BATCH:
        from . import batch

        return getattr(batch, name)
    if name in _ALLOCATION:
        from . import allocation

        return getattr(allocation, name)
    raise AttributeError(f"module 'gaoxin.rules' has no attribute {name!r}")


__all__ = [
    "STATUSES",
    "ConditionResult",
    "Explanation",
    "Plan",
    "Policy",
    "PolicyError",
    "PolicyErrors",
    "Shortfall",
    "TestOutcome",
    "ValueRead",
    "apply_stacking",
    "check_paths",
    "compile_plan",
    "decide",
    "evaluate",
    "evaluate_wide",
    "explain",
    "explain_all",
    "load_file",
    "load_policies",
    "load_text",
    "prorate",
    "run_tests",
]

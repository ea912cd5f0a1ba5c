"""The policy rules engine: policies as data (YAML), checked at load time, evaluated exactly
for one enterprise (`explain`) or for many at once on Polars (`evaluate`).

No Django here: the engine runs from the command line and in tests without the web app."""

from __future__ import annotations

from .errors import PolicyError, PolicyErrors
from .explain import ConditionResult, Explanation, Shortfall, ValueRead, explain
from .loader import check_paths, load_file, load_policies, load_text
from .model import STATUSES, Policy
from .testing import TestOutcome, run_tests

__all__ = [
    "STATUSES",
    "ConditionResult",
    "Explanation",
    "Policy",
    "PolicyError",
    "PolicyErrors",
    "Shortfall",
    "TestOutcome",
    "ValueRead",
    "check_paths",
    "explain",
    "load_file",
    "load_policies",
    "load_text",
    "run_tests",
]

"""A loaded, checked policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import ast as A
from .types import Type

STATUSES = ("ineligible", "eligible", "unknown", "review")  # index = batch status code
CATEGORIES = ("subsidy", "voucher", "award", "interest", "qualification", "screen")
DELIVERIES = ("auto", "apply", "notice")
STAGES = ("final", "for_comment")  # 正式文件 | 征求意见稿 (matched and shown, never paid)


@dataclass(frozen=True)
class Condition:
    label: str
    when: A.Node | None  # checked, years still relative to Y; None for a manual condition
    manual: bool = False
    note: str = ""  # what staff should judge (manual conditions)


@dataclass(frozen=True)
class ParamEntry:
    since: dt.date
    value: A.Node


@dataclass(frozen=True)
class TableRow:
    op: str | None  # <= (upto) | < (below) | >= (atleast) | > (above) | None (else)
    bound: A.Node | None
    value: A.Node


@dataclass(frozen=True)
class TableDef:
    name: str
    by: A.Node
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class InputDef:
    name: str
    type: Type
    label: str


@dataclass(frozen=True)
class PolicyTest:
    name: str
    date: dt.date
    enterprise: dict[str, Any]
    inputs: dict[str, Any]
    status: str | None
    amount: Decimal | None
    amount_given: bool  # expect: {amount: ...} was written (None = "no amount")
    line: int
    # The other enterprises of the population (rank() and the like compare with them);
    # the tested enterprise is one of the population too.
    population: tuple[dict[str, Any], ...] = ()
    bound: Decimal | None = None  # expect: {bound: ...} (benefit.upto)
    bound_given: bool = False


@dataclass
class Policy:
    id: str
    title: str
    source: str
    category: str
    file: str
    version: str
    issuer: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    year: int | None = None
    delivery: str = "auto"
    notify: tuple[str, ...] = ()
    params: dict[str, tuple[ParamEntry, ...]] = field(default_factory=dict)
    tables: dict[str, TableDef] = field(default_factory=dict)
    inputs: dict[str, InputDef] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    benefit: A.Node | None = None
    tests: tuple[PolicyTest, ...] = ()
    stack_group: str | None = None  # 就高不重复: of policies sharing a group, pay only the highest
    budget: Fraction | None = None  # programme total (yuan): amounts are prorated to fit it
    stage: str = "final"  # STAGES
    region: str = ""  # where it applies: 全国, 福建省, 福建省/厦门市, 福建省/厦门市/火炬高新区
    beneficiary: str = "enterprise"  # who is paid (rules/beneficiary.py): evaluated per person
    # The input whose value a payout is for (a listing stage, a project): the payout records it
    # as its item (payouts table, rules/history.py), and pays each item once a year.
    item: str | None = None
    # benefit.upto ("最高不超过 X 万元""给予不超过 X 的补助"): `benefit` is the bound, and the
    # amount is decided by staff within it (待核定); results carry a bound, never an amount.
    bounded: bool = False
    excludes: tuple[str, ...] = ()  # 不得同时享受: ids of policies this one is exclusive with
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # Resolved forms by evaluation date (see resolve.py); not part of the policy's identity.
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_manual(self) -> bool:
        return any(c.manual for c in self.conditions)

    def in_force(self, on: dt.date) -> bool:
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on > self.effective_to)

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from gaoxin.rules import Explanation, Policy, PolicyError, PolicyErrors, explain, load_text

HEADER = """\
id: t
title: 测试
source: 测试
category: subsidy
"""
DATE = dt.date(2025, 6, 30)


def policy(body: str, name: str = "t.yaml") -> Policy:
    return load_text(HEADER + textwrap.dedent(body), name)


def when(expr: str, **extra: str) -> Policy:
    """A policy with one condition."""
    body = f"conditions:\n  - label: 条件\n    when: {expr}\n"
    for key, value in extra.items():
        body += f"{key}:\n" + textwrap.indent(textwrap.dedent(value), "  ")
    return policy(body)


def status(p: Policy, enterprise: dict, date: dt.date = DATE, **inputs: object) -> str:
    return explain(p, enterprise, date, inputs or None).status


def run(p: Policy, enterprise: dict, date: dt.date = DATE, **inputs: object) -> Explanation:
    return explain(p, enterprise, date, inputs or None)


def error_of(body: str) -> PolicyError:
    """The error loading HEADER + body (as p.yaml) raises."""
    with pytest.raises(PolicyError) as info:
        load_text(HEADER + body, "p.yaml")
    return info.value


def first_error(body: str) -> str:
    """The first of the errors `policy(body)` raises, as the loader prints it."""
    with pytest.raises(PolicyErrors) as info:
        policy(body)
    return str(info.value.errors[0])

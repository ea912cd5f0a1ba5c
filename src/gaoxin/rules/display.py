"""How values are shown in explanations: 4.6%, 3,800万元, 2025-06-30."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from gaoxin import catalogue as C

from . import ast as A


def kind_of(n: A.Node) -> str:
    if isinstance(n, A.Num):
        return n.kind
    if isinstance(n, A.Field | A.Range):
        f = C.BY_NAME.get(n.name)
        if f is None:
            return "plain"
        return {"money": "money", "integer": "count"}.get(f.type.value, "plain")
    if isinstance(n, A.ItemField):
        table = C.ITEM_TABLE.get(n.table)
        f = table.field(n.name) if table is not None else None
        return {"money": "money", "integer": "count"}.get(f.type.value, "plain") if f else "plain"
    if isinstance(n, A.Table):
        return kind_of(n.bands[0].value) if n.bands else "plain"
    if isinstance(n, A.Unary):
        return kind_of(n.operand)
    if isinstance(n, A.Binary):
        a, b = kind_of(n.left), kind_of(n.right)
        if n.op == "/":
            return "percent" if a == b or (a == "money" and b == "money") else a
        if n.op == "*":
            return b if a in ("percent", "plain") else a
        return a if a != "plain" else b
    if isinstance(n, A.Call):
        if n.fn in ("growth", "cagr"):
            return "percent"
        if n.fn == "years_since":
            return "years"
        if n.fn in ("months_since", "year_after", "within", "first_time"):
            return "months" if n.fn == "months_since" else "plain"
        if n.fn == "year_of":
            return "year"
        if n.fn in ("count", "count_over"):
            return "count"
        if n.fn == "sum_over":
            return kind_of(n.args[2])
        if n.fn == "if":
            return kind_of(n.args[1])
        if n.fn == "rank":
            return "plain"
        if n.fn in ("percentile", "present", "missing", "manual"):
            return "percent" if n.fn == "percentile" else "plain"
        if n.args:
            return kind_of(n.args[0])
    return "plain"


def _trim(x: Fraction, digits: int) -> str:
    text = f"{float(x):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def show_pair(actual: Any, needed: Any, kind: str) -> tuple[str, str]:
    """Both values, with enough digits that a near miss doesn't print as equal (4% vs 4%)."""
    a, b = show(actual, kind), show(needed, kind)
    digits = 4
    while a == b and actual != needed and digits <= 12 and isinstance(actual, Fraction):
        scale = 100 if kind == "percent" else 1
        a = _trim(actual * scale, digits) + ("%" if kind == "percent" else "")
        b = _trim(Fraction(needed) * scale, digits) + ("%" if kind == "percent" else "")
        digits += 2
    return a, b


def show(value: Any, kind: str = "plain") -> str:
    if value is None:
        return "未知"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        value = Fraction(value)
    if isinstance(value, Fraction):
        if kind == "percent":
            return _trim(value * 100, 2) + "%"
        if kind == "money":
            if value.denominator == 1 and value % 10000 == 0 and value != 0:
                return _trim(value / 10000, 0) + "万元"
            return _trim(value, 2) + "元"
        if kind == "years":
            return _trim(value, 2) + "年"
        if kind == "months":
            return _trim(value, 2) + "个月"
        if kind == "year" and value.denominator == 1:
            return str(value.numerator)  # a calendar year: 2025, not 2,025
        return _trim(value, 4)
    return str(value)

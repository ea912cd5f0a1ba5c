"""A checked expression in plain Chinese, for pages: `min(rate * (rd_expense[Y-1] -
rd_expense[Y-2]), cap)` reads 「（研发费用（上一年度） − 研发费用（两年前））× 12%」与「200万元」中
较小者. Parameters read as their value on the date, inputs as their label, fields as their
Chinese alias with the year in words; no code, no function names."""

from __future__ import annotations

import datetime as dt

from gaoxin import catalogue as C

from . import ast as A
from . import dated, events, history, presence
from . import items as linked
from . import peers as standing
from .display import kind_of, show
from .model import Policy

SME_WORDS = "属于中小企业（按《中小企业划型标准规定》以所属行业的人数、营业收入、资产总额划型）"
_OPS = {"+": "＋", "-": "−", "*": "×", "/": "÷"}
_CMP = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


def year_words(year: A.Year) -> str:
    if not year.relative:
        return f"{year.offset}年"
    if year.offset == 0:
        return "评估年度"
    if year.offset == -1:
        return "上一年度"
    if year.offset < 0:
        return f"{-year.offset}年前"
    return f"{year.offset}年后"


def _alias(name: str) -> str:
    found = C.BY_NAME.get(name)
    return found.alias if found is not None else "（数据项）"


class Describer:
    def __init__(self, policy: Policy, on: dt.date, money: bool = False) -> None:
        self.policy = policy
        self.on = on
        self.money = money  # an amount: whole numbers of 1,000 or more are yuan
        self.beside: str | None = None  # the kind an as_of() is compared with (like())

    def __call__(self, n: A.Node) -> str:
        if isinstance(n, A.Num):
            if n.kind in events.DURATION_KINDS:
                return events.duration_words(n)
            if self.money and n.kind == "plain" and n.value.denominator == 1 and n.value >= 1000:
                return show(n.value, "money")
            return show(n.value, n.kind)
        if isinstance(n, A.Str):
            return f"“{n.value}”"
        if isinstance(n, A.Bool):
            return "是" if n.value else "否"
        if isinstance(n, A.DateLit):
            return n.value.isoformat()
        if isinstance(n, A.YearValue):
            return "评估年度"
        if isinstance(n, A.Field):
            return _alias(n.name) + (f"（{n.year}年）" if n.year else "")
        if isinstance(n, A.FieldY):
            return f"{_alias(n.name)}（{year_words(n.year)}）"
        if isinstance(n, A.RangeY):
            return f"{_alias(n.name)}（{year_words(n.first)}至{year_words(n.last)}）"
        if isinstance(n, A.Range):
            return f"{_alias(n.name)}（{n.first}至{n.last}年）"
        if isinstance(n, A.ItemField):
            return linked.item_alias(n)
        if isinstance(n, A.Input):
            found = self.policy.inputs.get(n.name)
            return f"申报的{found.label}" if found is not None and found.label else "申报数据"
        if isinstance(n, A.Param):
            return self.param(n.name)
        if isinstance(n, A.TableRef | A.Table):
            return "按分档表确定的值"
        if isinstance(n, A.Unary):
            inner = self(n.operand)
            return f"并非（{inner}）" if n.op == "not" else f"−{inner}"
        if isinstance(n, A.Binary):
            return f"{self.group(n.left)} {_OPS.get(n.op, n.op)} {self.group(n.right)}"
        if isinstance(n, A.Compare):
            return f"{self(n.left)} {_CMP.get(n.op, n.op)} {self.like(n.right, n.left)}"
        if isinstance(n, A.Logic):
            word = " 且 " if n.op == "and" else " 或 "
            return word.join(self.group(i) for i in n.items)
        if isinstance(n, A.InList):
            items = "、".join(self(i) for i in n.items)
            return f"{self(n.operand)}{'不' if n.negate else ''}属于 {items}"
        if isinstance(n, A.Call):
            return self.call(n)
        return "（见规则文本）"

    def like(self, n: A.Node, other: A.Node) -> str:
        """A bare number beside an amount reads as an amount (200万元, not 2,000,000)."""
        value = self.resolved(n)
        kind = self.kind(other)
        if isinstance(value, A.Num) and value.kind == "plain" and kind in ("money", "percent"):
            return show(value.value, kind)
        if isinstance(value, A.Call) and value.fn == "as_of":  # its values, likewise
            self.beside, before = kind, self.beside
            try:
                return self(n)
            finally:
                self.beside = before
        return self(n)

    def kind(self, n: A.Node) -> str:
        """money | percent | count | plain, of a checked node (display.kind_of for the forms
        before resolution: fields with relative years, parameters)."""
        n = self.resolved(n)
        if isinstance(n, A.FieldY | A.RangeY):
            return kind_of(A.Field(n.name))
        if isinstance(n, A.Binary):
            a, b = self.kind(n.left), self.kind(n.right)
            if n.op == "/":
                return "percent" if a == b == "money" else a
            if n.op == "*":
                return b if a in ("percent", "plain") else a
            return a if a != "plain" else b
        if isinstance(n, A.Call) and n.fn in ("min", "max", "sum", "avg", "round", "floor"):
            kinds = [self.kind(a) for a in n.args]
            return "money" if "money" in kinds else kinds[0] if kinds else "plain"
        if isinstance(n, A.Call) and n.fn in ("if", "coalesce"):
            return self.kind(n.args[1] if n.fn == "if" else n.args[0])
        if isinstance(n, A.Call) and n.fn == "as_of":
            return self.kind(n.args[0])
        if isinstance(n, A.Call) and n.fn == "peer_avg":
            return self.kind(n.args[0])
        return kind_of(n)

    def resolved(self, n: A.Node) -> A.Node:
        """A parameter's expression in force on the date; any other node as it is."""
        if isinstance(n, A.Param):
            entries = self.policy.params.get(n.name) or ()
            in_force = [e for e in entries if e.since <= self.on] or list(entries[:1])
            if in_force:
                return max(in_force, key=lambda e: e.since).value
        return n

    def group(self, n: A.Node) -> str:
        text = self(n)
        return f"（{text}）" if isinstance(n, A.Binary | A.Logic | A.Compare) else text

    def param(self, name: str) -> str:
        entries = self.policy.params.get(name) or ()
        in_force = [e for e in entries if e.since <= self.on] or list(entries[:1])
        if not in_force:
            return "（参数）"
        return self(max(in_force, key=lambda e: e.since).value)

    def call(self, n: A.Call) -> str:
        fn, args = n.fn, n.args
        if fn in history.FUNCTIONS:
            return history.describe(self, n)
        if fn in linked.ITEM_FUNCTIONS:
            return linked.describe(self, n)
        if fn in presence.FUNCTIONS:
            return presence.describe(self, n)
        if fn in dated.FUNCTIONS:
            return dated.describe(self, n)
        if fn in standing.FUNCTIONS:
            return standing.describe(self, n)
        if fn == "manual" and args and isinstance(args[0], A.Str):
            return f"{args[0].value}（须经人工认定）"
        if fn == "if" and _is_size_test(args[0]):
            return (
                "属于中小企业（按《中小企业划型标准规定》以所属行业的人数、营业收入、资产总额划型）"
            )
        parts = [self(a) for a in args]
        if fn in ("min", "max") and len(args) > 1:
            word = "较小者" if fn == "min" else "较大者"
            money = next((a for a in args if self.kind(a) == "money"), None)
            if money is not None:
                parts = [self.like(a, money) for a in args]
            return "「" + "」与「".join(parts) + f"」中{word}"
        if fn in ("sum", "avg", "min", "max", "count"):
            words = {"sum": "合计", "avg": "平均值", "min": "最小值", "max": "最大值"}
            return f"{parts[0]}{words.get(fn, '中有数据的年数')}"
        if fn == "growth":
            return f"{_alias(_name(args[0]))}增长率（{_year_of(args[1])}）"
        if fn == "cagr":
            return f"{_alias(_name(args[0]))}复合增长率（{_year_of(args[1])}至{_year_of(args[2])}）"
        if fn == "years_since":
            return f"自{parts[0]}起已满年数"
        if fn == "has":
            return f"持有有效的{parts[0]}称号或证书"
        if fn == "year_of":
            found = C.BY_NAME.get(_name(args[0]))
            if found is not None and found.kind is C.FieldKind.QUALIFICATION:
                return f"取得{found.alias}的年份"
            return f"{parts[0]}的年份"
        if fn == "round":
            return f"{parts[0]}（四舍五入）"
        if fn == "floor":
            return f"{parts[0]}（向下取整）"
        if fn == "ceil":
            return f"{parts[0]}（向上取整）"
        if fn == "abs":
            return f"{parts[0]}的绝对值"
        if fn == "if":
            return f"若{parts[0]}，为{parts[1]}；否则为{parts[2]}"
        if fn == "starts_with":
            return f"{parts[0]}以{parts[1]}开头"
        if fn == "marginal":
            return "按分段累进计算"
        if fn in events.FUNCTIONS:
            return events.describe_call(n, parts)
        return "（见规则文本）"


def _is_size_test(n: A.Node) -> bool:
    """The expansion of sme(Y-1): a chain of if(starts_with(industry, …), …)."""
    return (
        isinstance(n, A.Call)
        and n.fn == "starts_with"
        and isinstance(n.args[0], A.Field)
        and n.args[0].name == "industry"
    )


def _name(n: A.Node) -> str:
    return getattr(n, "name", "")


def _year_of(n: A.Node) -> str:
    year = getattr(n, "year", None)
    return year_words(year) if isinstance(year, A.Year) else "—"


def describe(node: A.Node, policy: Policy, on: dt.date, money: bool = False) -> str:
    """`node` (a checked condition, or with `money` an amount, of `policy`) in plain Chinese
    as of `on`. A policy's bound (benefit.upto) reads as one: 最高不超过 …，金额由工作人员核定."""
    text = Describer(policy, on, money)(node)
    if money and policy.bounded and node is policy.benefit:
        return f"最高不超过{text}（金额由工作人员在上限内核定）"
    return text

"""Shortfalls as people read them: the engine writes the expression as the policy author
wrote it (`rd_expense[Y-1] 1,174,189,175.82元，需 > 1,725,979,729.96元`); enterprises and staff
read `研发费用（2025年） 11.74 亿元，需 > 17.26 亿元`."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from gaoxin import catalogue
from gaoxin.core.formatting import money

_FIELD = re.compile(
    r"\b(?P<name>[a-z][a-z0-9_]*)\b"
    r"(?:\[(?P<start>Y(?:[+-]\d+)?|\d{4})(?:\.\.(?P<end>Y(?:[+-]\d+)?|\d{4}))?\])?"
)
_DATE_CALL = re.compile(
    r"\b(?P<fn>year_of|years_since|months_since|year_after)\((?P<name>[a-z][a-z0-9_]*)\)"
)
_AGGREGATE = re.compile(r"\b(?P<fn>sum|avg)\((?P<inner>[a-z][a-z0-9_]*\[[^\]]*\])\)")
_AGGREGATE_WORD = {"sum": "合计", "avg": "平均"}
_YUAN = re.compile(r"(?P<n>-?[\d,]+(?:\.\d+)?)(?P<unit>万|亿)?元")
_UNIT = {"万": Decimal(10_000), "亿": Decimal(100_000_000), None: Decimal(1)}


def _year(text: str, year: int) -> str:
    if text.isdigit():
        return text
    offset = int(text[1:] or 0)
    return str(year + offset)


def humanise(text: str, year: int) -> str:
    """Field names as their Chinese alias with the years they mean; amounts in 元/万元/亿元."""

    def field(match: re.Match[str]) -> str:
        found = catalogue.BY_NAME.get(match["name"])
        if found is None:
            return match.group(0)
        if match["start"] is None:
            return found.alias
        start = _year(match["start"], year)
        if match["end"]:
            return f"{found.alias}（{start}–{_year(match['end'], year)}年）"
        return f"{found.alias}（{start}年）"

    def date_call(match: re.Match[str]) -> str:
        found = catalogue.BY_NAME.get(match["name"])
        if found is None:
            return match.group(0)
        if match["fn"] == "years_since":
            return f"自{found.alias}起已满年数"
        if match["fn"] in ("months_since", "year_after"):
            from gaoxin.rules import ast as A
            from gaoxin.rules.events import describe_call

            call = A.Call(match["fn"], (A.Field(found.name),))
            return describe_call(call, [found.alias])
        if found.kind is catalogue.FieldKind.QUALIFICATION:
            return f"取得{found.alias}的年份"
        return f"{found.alias}的年份"

    def aggregate(match: re.Match[str]) -> str:
        inner = _FIELD.sub(field, match["inner"])
        return match.group(0) if inner == match["inner"] else inner + _AGGREGATE_WORD[match["fn"]]

    text = _AGGREGATE.sub(aggregate, _DATE_CALL.sub(date_call, text))
    text = _FIELD.sub(field, text)
    return _YUAN.sub(lambda m: money(Decimal(m["n"].replace(",", "")) * _UNIT[m["unit"]]), text)


def humanise_explanation(explanation: dict[str, Any], year: int) -> dict[str, Any]:
    for condition in explanation.get("conditions", []):
        for shortfall in condition.get("shortfalls", []):
            shortfall["text"] = humanise(shortfall["text"], year)
    return explanation

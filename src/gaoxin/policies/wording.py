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

    text = _calls(_item_calls(text), year)
    text = _AGGREGATE.sub(aggregate, _DATE_CALL.sub(date_call, text))
    text = _FIELD.sub(field, text)
    return _YUAN.sub(lambda m: money(Decimal(m["n"].replace(",", "")) * _UNIT[m["unit"]]), text)


_ITEM_CALL = re.compile(r"\b(?P<fn>sum_over|count_over)\(\s*(?P<table>\w+)\s*,")


def _item_calls(text: str) -> str:
    """`count_over(patents, …)` → 符合条件的专利件数; `sum_over(equipment, …)` → 逐项计算的设备
    合计: the whole call, however nested its arguments."""
    out, at = [], 0
    for match in _ITEM_CALL.finditer(text):
        if match.start() < at:
            continue
        depth, end = 0, len(text)
        for i in range(match.start() + len(match["fn"]), len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                end = i + 1
                break
        table = catalogue.ITEM_TABLE.get(match["table"])
        alias = table.alias if table is not None else match["table"]
        words = (
            f"符合条件的{alias}件数" if match["fn"] == "count_over" else f"逐项计算的{alias}合计"
        )
        out += [text[at : match.start()], words]
        at = end
    return "".join(out) + text[at:]


def humanise_explanation(explanation: dict[str, Any], year: int) -> dict[str, Any]:
    for condition in explanation.get("conditions", []):
        for shortfall in condition.get("shortfalls", []):
            shortfall["text"] = humanise(shortfall["text"], year)
    return explanation


_CALL = re.compile(r"\b(?P<fn>growth|rank|percentile|peer_avg|coalesce|as_of|present|missing)\(")


def _calls(text: str, year: int) -> str:
    """Growth rates, standing among peers, fallbacks and parameters as of a date, in words:
    `rank(growth(revenue, Y-1), chain)` → 营业收入增长率（2025年）在同产业链企业中的排名."""
    out, i = [], 0
    for match in _CALL.finditer(text):
        if match.start() < i:
            continue  # inside a call already rewritten
        args, end = _arguments(text, match.end())
        if args is None:
            continue
        out.append(text[i : match.start()])
        out.append(_call_words(match["fn"], [humanise(a, year) for a in args], args, year))
        i = end
    out.append(text[i:])
    return "".join(out)


def _arguments(text: str, start: int) -> tuple[list[str] | None, int]:
    """The top-level arguments of a call whose '(' ends at `start`, and where it closes."""
    depth, args, begin = 0, [], start
    for k in range(start, len(text)):
        c = text[k]
        if c in "([":
            depth += 1
        elif c in ")]":
            if depth == 0 and c == ")":
                args.append(text[begin:k].strip())
                return args, k + 1
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[begin:k].strip())
            begin = k + 1
    return None, start


def _call_words(fn: str, parts: list[str], raw: list[str], year: int) -> str:
    if fn == "growth" and len(parts) == 2:
        return f"{parts[0]}增长率（{_year(raw[1].replace(' ', ''), year)}年）"
    if fn in ("rank", "percentile", "peer_avg"):
        who = f"同{parts[1]}企业" if len(parts) > 1 else "全区企业"
        if fn == "peer_avg":
            return f"{who}{parts[0]}的平均值"
        return f"{parts[0]}在{who}中的{'排名' if fn == 'rank' else '百分位'}"
    if fn == "coalesce":
        return parts[0] + "".join(f"（无数据时按{p}）" for p in parts[1:])
    if fn == "as_of" and len(parts) == 2:
        on = parts[1] if not re.search(r"[A-Za-z_]", parts[1]) else "规定日期"  # an input's name
        return f"{on}当日适用的标准"
    if fn in ("present", "missing") and parts:
        return f"{parts[0]}{'有' if fn == 'present' else '无'}数据"
    return fn + "(" + ", ".join(parts) + ")"

"""Policy text → draft rule: find the thresholds, amounts, rates, caps, steps, dates and
durations of a clause of a Chinese policy document, and write a draft rule for a person to
finish.

No Django and no model: jieba (its dictionary ships in the wheel) finds the field terms, and
patterns find the numbers with their units (万/亿/元/%/‰/平方米/年/个月) and the words around
them (不低于/不超过/以上/以下/达到/超过/高于/最高/每满/每件/之日起…). Every item keeps its
character span in the source so that a page can highlight it.

The reading is deliberately literal: 以上/不低于/达到/(含) → ≥, 超过/高于/大于 → >,
不超过/以下/最高 → ≤, 低于/小于/不足 → <. Band tables are read together: where one band
says "(含)" at a value and its neighbour says plain 以上/以下 at the same value, the plain
word is read as excluding the edge (F1's "1000平方米以下部分 … 1000平方米(含)-5000平方米部分").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from typing import Any

import yaml

from gaoxin import catalogue

# --- what the items are -------------------------------------------------------------------

THRESHOLD = "threshold"  # a condition: 营业收入 ≥ 2000万
AMOUNT = "amount"  # a fixed award: 给予10万元奖励
RATE = "rate"  # a share of a base: 研发费用的10%, 1:0.5 配套, 1‰, 2倍
CAP = "cap"  # an upper bound on the award: 最高不超过300万元
PER_UNIT = "per_unit"  # so much for each item, person, m², step: 每件1万元, 每人每年1.2万元
STEP = "step"  # the size of a step: 每满100万元, 每递增5亿元
DATE = "date"  # a calendar day: 2017年1月12日以后
DURATION = "duration"  # a span of time: 3年(含)以上, 12个月内, 自认定之日起三年内
KINDS = (THRESHOLD, AMOUNT, RATE, CAP, PER_UNIT, STEP, DATE, DURATION)

KIND_LABELS = {
    THRESHOLD: "门槛",
    AMOUNT: "金额",
    RATE: "比例",
    CAP: "上限",
    PER_UNIT: "单价",
    STEP: "每满",
    DATE: "日期",
    DURATION: "期限",
}

# Fields that are not in the catalogue but that policies often name: the draft declares them
# as `inputs:` (what an applicant states) or, for ratios, writes them as an expression.
INPUT_FIELDS: dict[str, tuple[str, str]] = {
    "deductible_rd": ("money", "允许加计扣除研发费用"),
    "local_tax": ("money", "地方级税收"),
    "district_tax": ("money", "区级税收"),
    "investment": ("money", "固定资产投资额"),
    "equipment_investment": ("money", "设备投资额"),
    "annual_investment": ("money", "年度总投资"),
    "investment_per_mu": ("money", "亩均投资"),
    "annual_salary": ("money", "年薪"),
    "rented_area": ("number", "租赁面积（平方米）"),
    "rent_price": ("money", "实际租赁价格"),
    "contract_payable": ("money", "合同应付金额"),
    "redeemed": ("money", "创新券兑付金额"),
    "loan_amount": ("money", "贷款金额"),
    "score": ("number", "评分"),
}
# Derived measures: the expression a draft writes for them (Y-1 is replaced by the year found).
DERIVED_FIELDS: dict[str, str] = {
    "rd_ratio": "rd_expense[{y}] / revenue[{y}]",
    "revenue_cagr": "cagr(revenue, {first}, {last})",
}

# Chinese terms → field. Longest terms win where they overlap (地方级税收 over 税收).
TERMS: dict[str, str] = {
    "营业收入": "revenue",
    "营收": "revenue",
    "销售收入": "revenue",
    "主营业务收入": "main_business_revenue",
    "高新技术产品收入": "high_tech_revenue",
    "研发费用": "rd_expense",
    "研发投入": "rd_expense",
    "研究开发费用": "rd_expense",
    "研发经费": "rd_expense",
    "自主研发费用": "rd_expense",
    "R&D投入": "rd_expense",
    "加计扣除研发费用": "deductible_rd",
    "地方级税收": "local_tax",
    "区级税收": "district_tax",
    "纳税": "tax",
    "纳税总额": "tax",
    "税收": "tax",
    "固定资产投资": "investment",
    "固定资产实际投资": "investment",
    "投资额": "investment",
    "实际投资": "investment",
    "设备投资": "equipment_investment",
    "设备投入": "equipment_investment",
    "设备实际投资": "equipment_investment",
    "总投资": "annual_investment",
    "亩均投资": "investment_per_mu",
    "年薪": "annual_salary",
    "租赁面积": "rented_area",
    "租用面积": "rented_area",
    "租赁价格": "rent_price",
    "合同应付金额": "contract_payable",
    "兑付金额": "redeemed",
    "贷款": "loan_amount",
    "注册资本": "registered_capital",
    "实缴注册资本": "registered_capital",
    "股权融资": "equity_raised",
    "成立时间": "registered_at",
    "评分": "score",
    "得分": "score",
    "职工": "employees",
    "从业人员": "employees",
    "研发人员": "rd_staff",
    "科技人员": "tech_staff",
    "利润总额": "profit",
    "净利润": "net_profit",
    "出口额": "exports",
    "资产总额": "total_assets",
    "发明专利": "invention_patents",
}
# Add every catalogue alias (营业收入, 研发费用, 纳税总额 …) so the two never drift apart.
for _f in catalogue.FIELDS:
    if _f.type in (catalogue.FieldType.MONEY, catalogue.FieldType.INTEGER):
        TERMS.setdefault(_f.alias, _f.name)
# A generic investment term inherits the specific one named earlier in the sentence.
GENERIC = {"investment"}
SPECIFIC_INVESTMENT = {"investment", "equipment_investment", "annual_investment"}


@dataclass(frozen=True)
class Item:
    kind: str
    value: Decimal | dt.date  # 元 for money, a fraction for %/‰, the count for durations
    comparison: str  # ">=", ">", "<=", "<", "="
    unit: str  # 元, m², 年, 个月, 分, "" for fractions, "日" for dates
    start: int  # character span in the source
    end: int
    field: str | None = None  # the catalogue or input field it most likely refers to
    years: str | None = None  # "Y-1", "Y-3..Y-1", "Y"
    event: str | None = None  # 认定 for 自认定之日起三年内
    plain: bool = False  # the comparison came from a bare 以上/以下 (may be read again)
    text: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def value_text(self) -> str:
        """The value as a person writes it: 2000万元, 10%, 1‰, 3年, 2017-01-12."""
        if isinstance(self.value, dt.date):
            return self.value.isoformat()
        if self.unit == "":
            return percent_text(self.value)
        if self.unit == "元":
            return money_text(self.value) + "元"
        return f"{number_text(self.value)}{self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value.isoformat() if isinstance(self.value, dt.date) else str(self.value),
            "comparison": self.comparison,
            "unit": self.unit,
            "field": self.field,
            "years": self.years,
            "span": [self.start, self.end],
            "text": self.text,
        }


def number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def money_text(value: Decimal) -> str:
    """2000万, 1.2万, 5亿, 18 — the rules language's money literals."""
    if value and value % Decimal(100_000_000) == 0:
        return number_text(value / Decimal(100_000_000)) + "亿"
    if value >= 10_000 and (value * 100) % Decimal(10_000) == 0:
        return number_text(value / Decimal(10_000)) + "万"
    return number_text(value)


def percent_text(value: Decimal) -> str:
    """10%, 1.5%, 50%; below 1% in per mille: 1‰, 1.2‰."""
    if value * 100 >= 1 or value == 0:
        return number_text(value * 100) + "%"
    return number_text(value * 1000) + "‰"


# --- numbers ------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}


def _num(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def cn_number(text: str) -> Decimal | None:
    """Arabic digits or small Chinese numerals (三, 十二, 二十) as a Decimal; None for what is
    not a number (三二, 十十)."""
    if not re.fullmatch(
        r"[\d,]+(\.\d+)?|[一二两三四五六七八九]|[一二两三四五六七八九]?十[一二三四五六七八九]?",
        text,
    ):
        return None
    if re.fullmatch(r"[\d,]+(\.\d+)?", text):
        return _num(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return Decimal((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0))
    return Decimal(_CN_DIGITS[text])


MULTIPLIERS = {"": 1, "千": 1_000, "万": 10_000, "亿": 100_000_000, "万亿": 10**12}
D = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"  # 5,000 or 5000 or 1.5
NUM = r"(?P<n>" + D + ")"
CN = r"(?P<n>\d+|[一二两三四五六七八九十]{1,3})"
# Order matters: the first alternative that matches at a position wins.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "date",
        re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    ),
    ("ratio", re.compile(r"(?<![\d.])1\s*[:：]\s*(?P<n>\d+(?:\.\d+)?)")),
    (
        "money_range",
        re.compile(
            r"(?P<n>"
            + D
            + r")\s*(?P<m>万亿|亿|万|千)?元?\s*(?P<inc1>[(（]含[)）])?\s*[~～\-—–至]\s*"
            r"(?P<n2>" + D + r")\s*(?P<m2>万亿|亿|万|千)?元"
            r"(?:\s*[(（]含(?P<inc2>[^)）]{0,12})[)）])?"
        ),
    ),
    (
        "area_range",
        re.compile(
            r"(?P<n>\d+(?:\.\d+)?)\s*(?:平方米|m²|㎡)\s*(?P<inc1>[(（]含[)）])?\s*[~～\-—–至]\s*"
            r"(?P<n2>\d+(?:\.\d+)?)\s*(?:平方米|m²|㎡)"
        ),
    ),
    (
        "percent_range",
        re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*[%％]?\s*[~～\-—–至]\s*(?P<n2>\d+(?:\.\d+)?)\s*[%％]"),
    ),
    ("money", re.compile(NUM + r"\s*(?P<m>万亿|亿|万|千)?\s*元")),
    ("percent", re.compile(NUM + r"\s*(?P<u>[%％‰])")),
    ("times", re.compile(NUM + r"\s*倍")),
    ("area", re.compile(NUM + r"\s*(?:平方米|m²|㎡)")),
    ("months", re.compile(CN + r"\s*个\s*月")),
    ("years", re.compile(CN + r"\s*(?:个\s*(?:完整|自然)\s*年度?|个?\s*年(?![期度0-9]))")),
    ("score", re.compile(NUM + r"\s*分(?![之钟期])")),
    ("count", re.compile(NUM + r"\s*(?P<u>人|件|项|家|台)(?![民才员次])")),
]

# Comparison words right before a number (checked longest first), and right after it.
BEFORE_WORDS: list[tuple[str, str]] = [
    ("不低于", ">="),
    ("不少于", ">="),
    ("大于等于", ">="),
    ("达到", ">="),
    ("不超过", "<="),
    ("不高于", "<="),
    ("不大于", "<="),
    ("小于等于", "<="),
    ("超过", ">"),
    ("高于", ">"),
    ("大于", ">"),
    ("突破", ">"),
    ("低于", "<"),
    ("小于", "<"),
    ("不足", "<"),
    ("少于", "<"),
    ("最高", "<="),
    ("最多", "<="),
    ("满", ">="),
    ("在", ""),
]
AFTER_INCLUDED = re.compile(r"^\s*(?:[(（]含[^)）]{0,6}[)）])")
AFTER_WORDS = re.compile(
    r"^\s*(?:[(（]含[^)）]{0,6}[)）])?\s*(?P<w>及以上|以上|及以下|以下|以内|之内|内|以后|之后|后|以前|之前|前)"
)
BENEFIT_WORDS = re.compile(r"奖励|补助|资助|贴息|奖补|给予|额度|总额|限额|补贴|扶持")
THRESHOLD_AFTER = re.compile(
    r"^\s*(?:[(（]含[^)）]{0,6}[)）])?\s*(?:的(?:企业|项目|单位|公司|制造业|人才|高级|部分|国家|市级)|、|且|或|，但|,但)"
)
CLAUSE_BREAK = re.compile(r"[。；;：:\n]|[（(]\d+[)）]|\d+[.、．](?!\d)")
SEGMENT_BREAK = re.compile(r"[，,。；;：:、\n]")
YEAR_REFS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"上一?年度?|前一年度?"), "Y-1"),
    (re.compile(r"近\s*(?:三|3)\s*年"), "Y-3..Y-1"),
    (re.compile(r"近\s*(?:两|二|2)\s*年"), "Y-2..Y-1"),
    (re.compile(r"当年度?|本年度|当期|年度内"), "Y"),
]
RESTATEMENT = re.compile(r"[(（]即[^)）]*[)）]")


@cache
def _jieba() -> Any:
    """jieba with the field terms added to its dictionary (loaded once, offline)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for term in TERMS:
        tokenizer.add_word(term, freq=200_000)
    return tokenizer


def terms_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, field) of every field term, from jieba's tokens: a token that is a term, or
    contains one (the longest), names that field."""
    found: list[tuple[int, int, str]] = []
    by_length = sorted(TERMS, key=len, reverse=True)
    for word, start, end in _jieba().tokenize(text):
        if word in TERMS:
            found.append((start, end, TERMS[word]))
            continue
        for term in by_length:
            at = word.find(term)
            if at >= 0:
                found.append((start + at, start + at + len(term), TERMS[term]))
                break
    return found


def _masked(text: str) -> str:
    """The text with restatements "(即…)" and document numbers blanked (same length)."""

    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group(0))

    text = RESTATEMENT.sub(blank, text)
    text = re.sub(r"〔\d{4}〕\d+号", blank, text)
    text = re.sub(r"\d+(?:\.\d+)?\s*(?:万亿|亿|万|千)?元?的基础上", blank, text)
    return text


# --- extraction ---------------------------------------------------------------------------


@dataclass
class _Context:
    text: str
    terms: list[tuple[int, int, str]] = field(default_factory=list)

    def clause_start(self, pos: int) -> int:
        starts = [m.end() for m in CLAUSE_BREAK.finditer(self.text, 0, pos)]
        return starts[-1] if starts else 0

    def segment_start(self, pos: int) -> int:
        starts = [m.end() for m in SEGMENT_BREAK.finditer(self.text, 0, pos)]
        return starts[-1] if starts else 0

    def field_before(self, pos: int) -> str | None:
        """The nearest field term before pos in the same clause; a generic investment term
        takes the specific one named earlier in the clause."""
        start = self.clause_start(pos)
        named = [(s, f) for s, e, f in self.terms if start <= s and e <= pos]
        if not named:
            return None
        nearest = named[-1][1]
        if nearest in GENERIC:
            specific = [f for _s, f in named if f in SPECIFIC_INVESTMENT and f not in GENERIC]
            if specific:
                return specific[-1]
        return nearest

    def years_before(self, pos: int) -> str | None:
        start = self.clause_start(pos)
        window = self.text[start:pos]
        best: tuple[int, str] | None = None
        for pattern, ref in YEAR_REFS:
            for m in pattern.finditer(window):
                if best is None or m.start() > best[0]:
                    best = (m.start(), ref)
        return best[1] if best else None


def _comparison_before(before: str) -> tuple[str, str]:
    """The comparison word ending right before the number (allowing a few characters of
    filler like 为/在/给予), and the word."""
    tail = before[-6:]
    for word, op in BEFORE_WORDS:
        at = tail.rfind(word)
        if at >= 0:
            gap = tail[at + len(word) :]
            if len(gap.strip()) <= 2 and not re.search(r"[，,。；;]", gap):
                return op, word
    return "", ""


def _after(text: str, end: int) -> tuple[str, bool, str]:
    """The comparison said after a number: (op, included, word)."""
    rest = text[end : end + 16]
    included = bool(AFTER_INCLUDED.match(rest))
    m = AFTER_WORDS.match(rest)
    if not m:
        return "", included, ""
    word = m.group("w")
    op = {
        "及以上": ">=",
        "以上": ">=",
        "及以下": "<=",
        "以下": "<=",
        "以内": "<=",
        "之内": "<=",
        "内": "<=",
        "以后": ">",
        "之后": ">",
        "后": ">",
        "以前": "<",
        "之前": "<",
        "前": "<",
    }[word]
    return op, included, word


def extract(text: str) -> list[Item]:
    """Every threshold, amount, rate, cap, per-unit amount, step, date and duration of a
    clause, in the order they appear."""
    masked = _masked(text)
    ctx = _Context(masked, terms_in(masked))
    items: list[Item] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in PATTERNS:
        for m in pattern.finditer(masked):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            found = list(_read(name, m, ctx))
            if found:
                taken.append((m.start(), m.end()))
                items.extend(found)
    items.sort(key=lambda i: (i.start, i.end))
    items = _read_bands(items)
    return [replace(i, text=text[i.start : i.end]) for i in items]


def _read(name: str, m: re.Match[str], ctx: _Context) -> Iterator[Item]:
    text = ctx.text
    start, end = m.start(), m.end()
    before = text[ctx.segment_start(start) : start]
    clause_before = text[ctx.clause_start(start) : start]
    fld = ctx.field_before(start)
    years = ctx.years_before(start)
    if name == "date":
        try:
            day = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return  # 2023年13月40日 is not a day
        op, _inc, _w = _after(text, end)
        if not op and re.search(r"[自从]\s*$", text[max(0, start - 2) : start]):
            op = ">="  # 自2023年1月1日起
        if not op and re.search(r"(?:至|到|截至|截止)\s*$", text[max(0, start - 3) : start]):
            op = "<="  # 执行至2027年12月31日
        yield Item(DATE, day, op or "=", "日", start, end)
        return
    if name == "ratio":
        yield Item(RATE, _num(m["n"]), "=", "", start, end)
        return
    if name in ("money_range", "area_range", "percent_range"):
        yield from _range(name, m, ctx, fld, years)
        return
    op_before, word = _comparison_before(before)
    op_after, included, after_word = _after(text, end)
    if name == "money":
        value = _num(m["n"]) * MULTIPLIERS[m["m"] or ""]
        yield _money(
            m, ctx, value, before, clause_before, op_before, word, op_after, included, fld, years
        )
        return
    if name in ("percent", "times"):
        value = _num(m["n"]) / (1 if name == "times" else 1000 if m["u"] == "‰" else 100)
        condition = (
            op_before in (">=", ">", "<")
            or (op_before == "<=" and word in ("不高于", "不大于", "小于等于"))
            or op_after in (">=", "<=")
            or (included and word != "")
        )
        if condition and word not in ("最高", "最多"):
            op = _op(op_before, op_after, included)
            share = text.rfind("占", ctx.clause_start(start), start)
            if share >= 0:  # a share: of R&D expense when that is what the clause names before 占
                fld = "rd_ratio" if ctx.field_before(share) == "rd_expense" else None
            elif "增长率" in before:
                fld = "revenue_cagr" if fld in (None, "revenue") else fld
            yield Item(THRESHOLD, value, op, "", start, end, fld, years)
        else:
            op = "<=" if re.search(r"最高|不超过|最多", before) else "="
            yield Item(RATE, value, op, "", start, end, fld, years)
        return
    if name == "area":
        op = _op(op_before, op_after, included) or "="
        yield Item(
            THRESHOLD,
            _num(m["n"]),
            op,
            "m²",
            start,
            end,
            fld,
            years,
            plain=_plain(after_word, included),
        )
        return
    if name in ("score", "count"):
        op = _op(op_before, op_after, included)
        if not op or word in ("最高", "最多"):
            return  # a count or score with no comparison is not a condition
        unit = "分" if name == "score" else m["u"]
        if name == "score":
            fld = "score" if fld in (None, "score") else fld
        yield Item(THRESHOLD, _num(m["n"]), op, unit, start, end, fld, years)
        return
    if name in ("months", "years"):
        if re.search(r"(近|前|第|每|上|下)\s*$", text[max(0, start - 2) : start]) or (
            name == "years" and len(m["n"]) == 4
        ):
            return  # 近三年 is a year reference, 第一年 an ordinal, 每年 a period
        unit = "个月" if name == "months" else "年"
        event = None
        op = _op(op_before, op_after, included)
        ev = re.search(
            r"自(?P<e>[^，,。；;自]{1,8}?)(?:之日|时间|日)起[^，,。；;]*$", clause_before
        )
        if ev:
            event = ev["e"].removeprefix("正式")
        if not op:
            op = "="
        dfield = "registered_at" if "成立" in before or "成立" in clause_before[-12:] else None
        count = cn_number(m["n"])
        if count is not None:
            yield Item(DURATION, count, op, unit, start, end, dfield, None, event)
        return


def _op(op_before: str, op_after: str, included: bool) -> str:
    """The comparison from the words before and after a number: "(含)" makes a strict one
    inclusive (大于2000万元(含) → ≥)."""
    op = op_before or op_after
    if included and op == ">":
        return ">="
    if included and op == "<":
        return "<="
    if not op and included:
        return ">="
    return op


def _plain(after_word: str, included: bool) -> bool:
    return after_word in ("以上", "以下") and not included


def _money(
    m: re.Match[str],
    ctx: _Context,
    value: Decimal,
    before: str,
    clause_before: str,
    op_before: str,
    word: str,
    op_after: str,
    included: bool,
    fld: str | None,
    years: str | None,
) -> Item:
    start, end = m.start(), m.end()
    text = ctx.text
    after_word = _after(text, end)[2]
    if re.search(r"每满\s*$|每递增\s*$|每增加\s*$|每增长\s*$", before):
        return Item(STEP, value, "=", "元", start, end, fld, years)
    if text[end : end + 2].startswith("/"):
        return Item(PER_UNIT, value, "=", "元", start, end)
    if re.search(r"(?<!每)递增\s*$", before):
        return Item(PER_UNIT, value, "=", "元", start, end)
    if re.search(r"每(?:件|人|项|台|套|个|满|递增)", before):
        op = "<=" if re.search(r"最高|不超过|最多", before) else "="
        return Item(PER_UNIT, value, op, "元", start, end)
    threshold_after = bool(THRESHOLD_AFTER.match(text[end : end + 12]))
    benefit_context = bool(BENEFIT_WORDS.search(before))
    if benefit_context and fld is not None:
        named = [f for s, e, f in ctx.terms if ctx.segment_start(start) <= s and e <= start]
        if named and not re.search(r"奖励|补助|资助|贴息|奖补|给予|补贴", before):
            benefit_context = False  # 资产总额不超过2亿元: the 总额 of a field
    if op_after in (">=", "<=") or (included and op_before != "<="):
        op = _op(op_before, op_after, included)
        return Item(
            THRESHOLD, value, op, "元", start, end, fld, years, plain=_plain(after_word, included)
        )
    if op_before in (">=", ">", "<") and word not in ("最高", "最多"):
        return Item(
            THRESHOLD, value, _op(op_before, op_after, included), "元", start, end, fld, years
        )
    if (
        op_before == "<="
        and word not in ("最高", "最多")
        and (threshold_after or not benefit_context)
        and not re.search(r"最高|累计", before)
    ):
        return Item(
            THRESHOLD, value, _op(op_before, op_after, included), "元", start, end, fld, years
        )
    if re.search(r"最高|不超过|最多|上限|封顶", before):
        return Item(CAP, value, "<=", "元", start, end)
    if op_before == "" and fld is not None and not benefit_context and threshold_after:
        return Item(THRESHOLD, value, ">=", "元", start, end, fld, years)
    return Item(AMOUNT, value, "=", "元", start, end)


def _range(
    name: str, m: re.Match[str], ctx: _Context, fld: str | None, years: str | None
) -> Iterator[Item]:
    start, end = m.start(), m.end()
    if name == "percent_range":
        low, high = _num(m["n"]) / 100, _num(m["n2"]) / 100
        base = fld
        yield Item(RATE, low, ">=", "", start, end, base, years)
        yield Item(RATE, high, "<=", "", start, end, base, years)
        return
    if name == "money_range":
        low = _num(m["n"]) * MULTIPLIERS[m["m"] or m["m2"] or ""]
        high = _num(m["n2"]) * MULTIPLIERS[m["m2"] or ""]
        unit = "元"
    else:
        low, high = _num(m["n"]), _num(m["n2"])
        unit = "m²"
    low_inc = bool(m["inc1"])
    if not low_inc and m.groupdict().get("inc2") is None:
        # "5000万元—1亿元" says nothing of its edges: read them with the neighbouring bands
        yield Item(THRESHOLD, low, ">=", unit, start, end, fld, years, plain=True)
        yield Item(THRESHOLD, high, "<=", unit, start, end, fld, years, plain=True)
        return
    # "5亿元~10亿元(含10亿元)": the named edge is included, so the other is not (bands meet).
    inc2 = m.groupdict().get("inc2")
    high_inc = True
    if inc2 is not None and inc2.strip():
        named = inc2.strip()
        if str(m["n2"]) in named:
            high_inc = True
            low_inc = low_inc or False
        elif str(m["n"]) in named:
            low_inc, high_inc = True, False
    yield Item(THRESHOLD, low, ">=" if low_inc else ">", unit, start, end, fld, years)
    yield Item(THRESHOLD, high, "<=" if high_inc else "<", unit, start, end, fld, years)


def _read_bands(items: list[Item]) -> list[Item]:
    """A bare 以上/以下 at a value where another band says (含) or 不超过 at the same value
    reads as excluding the edge: each value belongs to one band."""
    out = []
    for item in items:
        if item.kind == THRESHOLD and item.plain:
            same = [
                o
                for o in items
                if o is not item
                and o.kind == THRESHOLD
                and o.value == item.value
                and o.unit == item.unit
                and not o.plain
            ]
            if item.comparison == ">=" and any(o.comparison == "<=" for o in same):
                item = replace(item, comparison=">")
            elif item.comparison == "<=" and any(o.comparison == ">=" for o in same):
                item = replace(item, comparison="<")
            elif item.comparison == "<=":
                plain_above = [
                    o
                    for o in items
                    if o is not item
                    and o.kind == THRESHOLD
                    and o.value == item.value
                    and o.plain
                    and o.comparison == ">="
                ]
                if plain_above:
                    item = replace(item, comparison="<")
        out.append(item)
    return out


# --- the draft rule -----------------------------------------------------------------------


@dataclass
class Draft:
    """What the page shows: the items found and the draft rule's YAML."""

    text: str
    items: list[Item]
    yaml: str
    todos: int  # how many TODO marks a person must resolve


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def _year_expr(years: str | None) -> tuple[str, bool]:
    """The year index for a yearly field, and whether it was guessed."""
    if years is None:
        return "Y-1", True
    return years.split("..")[-1], False


def _literal(item: Item) -> str:
    assert isinstance(item.value, Decimal)
    if item.unit == "元":
        return money_text(item.value)
    if item.unit == "":
        return percent_text(item.value)
    return number_text(item.value)


_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "=="}


class _Writer:
    def __init__(self, text: str, items: list[Item]) -> None:
        self.text = text
        self.items = items
        self.inputs: dict[str, tuple[str, str]] = {}
        self.todos = 0

    def todo(self, what: str) -> str:
        self.todos += 1
        return f"  # TODO {what}"

    def also(self, items: list[Item], what: str, how: str) -> str:
        """A TODO naming the values after the first that the draft did not use."""
        if len(items) < 2:
            return ""
        return self.todo(f"原文还有{what} {'、'.join(i.value_text() for i in items[1:])}：{how}")

    def snippet(self, item: Item) -> str:
        starts = [m.end() for m in SEGMENT_BREAK.finditer(self.text, 0, item.start)]
        start = starts[-1] if starts else 0
        m = SEGMENT_BREAK.search(self.text, item.end)
        end = m.start() if m else len(self.text)
        return self.text[start:end].strip()[:60] or item.text

    def field_expr(self, name: str, years: str | None) -> tuple[str, str]:
        """The expression for a field, and a TODO comment when the year was guessed."""
        note = ""
        if name in DERIVED_FIELDS:
            last, guessed = _year_expr(years)
            first = "Y-3"
            if years and ".." in years:
                start = years.split("..")[0]
                first = f"Y-{int(start.removeprefix('Y-')) + 0}" if start != "Y" else "Y"
            expr = DERIVED_FIELDS[name].format(y=last, first=first, last=last)
            if guessed:
                note = self.todo("年度按上年度（Y-1）起草，请核对")
            return expr, note
        known = catalogue.BY_NAME.get(name)
        if known is not None:
            if known.yearly:
                year, guessed = _year_expr(years)
                if guessed:
                    note = self.todo("原文未写年度，按上年度（Y-1）起草")
                return f"{name}[{year}]", note
            return name, note
        kind, label = INPUT_FIELDS.get(name, ("money", name))
        self.inputs[name] = (kind, label)
        return name, note

    def condition(self, item: Item) -> list[str]:
        label = self.snippet(item)
        lines = [f"  - label: {_q(label)}"]
        if item.kind == THRESHOLD and item.field:
            expr, note = self.field_expr(item.field, item.years)
            lines.append(f"    when: {expr} {_OPS[item.comparison]} {_literal(item)}{note}")
        elif item.kind == DURATION and item.field == "registered_at" and item.unit == "年":
            lines.append(
                f"    when: years_since(registered_at) {_OPS[item.comparison]} "
                f"{number_text(_dec(item))}" + self.todo("“完整年度”“距截止年”等口径请核对")
            )
        else:
            what = f"{item.label} {item.comparison} {item.value_text()}"
            if item.event:
                what += f"（自{item.event}之日起）"
            lines.append("    manual: true")
            note = f"TODO 原文“{item.text}”（{what}）：未识别字段，请写成条件或保留人工审核"
            lines.append(f"    note: {_q(note)}")
            self.todos += 1
        return lines

    def band(self) -> tuple[str, list[tuple[Item, Item]]] | None:
        """A band table: as many lower edges (以上/超过) on one field as there are rates, paired
        in the order the text gives them (I2: 1亿~5亿 → 1‰, 5亿~10亿 → 1.2‰, 10亿以上 → 1.5‰)."""
        rates = [i for i in self.items if i.kind == RATE]
        if len(rates) < 2:
            return None
        lows: dict[str, list[Item]] = {}
        for i in self.items:
            if i.kind == THRESHOLD and i.field and i.comparison in (">=", ">"):
                lows.setdefault(i.field, []).append(i)
        for name, edges in lows.items():
            if len(edges) == len(rates) and len({e.value for e in edges}) == len(edges):
                return name, list(zip(edges, rates, strict=True))
        return None

    def table(self, band: tuple[str, list[tuple[Item, Item]]]) -> list[str]:
        name, pairs = band
        first = min(pairs, key=lambda p: p[0].value)[0]
        expr, note = self.field_expr(name, first.years)
        lines = [
            "",
            "tables:",
            "  band_rate:" + self.todo("分档：门槛与比例按原文出现的顺序配对，请核对"),
            f"    by: {expr}{note}",
            "    rows:",
        ]
        for edge, rate in sorted(pairs, key=lambda p: p[0].value, reverse=True):
            key = "atleast" if edge.comparison == ">=" else "above"
            lines.append(f"      - {{{key}: {_literal(edge)}, value: {_literal(rate)}}}")
        return lines

    def benefit(self, band: tuple[str, list[tuple[Item, Item]]] | None = None) -> list[str]:
        rates = [i for i in self.items if i.kind == RATE]
        steps = [i for i in self.items if i.kind == STEP]
        per_units = [i for i in self.items if i.kind == PER_UNIT]
        amounts = [i for i in self.items if i.kind == AMOUNT]
        caps = [i for i in self.items if i.kind == CAP]
        lines = ["benefit:"]
        if steps:
            step = steps[0]
            base, note = self._base(step)
            each = per_units[0] if per_units else None
            each_text = _literal(each) if each else "0"
            lines.append(
                f"  amount: floor({base} / {_literal(step)}) * {each_text}"
                + (note or self.todo("每满一档给予的金额请核对"))
            )
        elif band:
            rate = band[1][0][1]
            base, note = self._base(rate) if rate.field else self.field_expr(band[0], rate.years)
            lines.append(f"  amount: band_rate * {base}{note}")
        elif rates:
            rate = rates[0]
            base, note = self._base(rate)
            comment = note
            if rate.comparison == "<=":
                comment += self.todo("原文为最高比例，实际比例由人核定")
            comment += self.also(rates, "比例", "分档时写成 tables")
            lines.append(f"  amount: {_literal(rate)} * {base}{comment}")
        elif per_units:
            each = per_units[0]
            self.inputs.setdefault("count", ("integer", "TODO 件数或人数"))
            comment = self.also(per_units, "单价", "按类别分别计算")
            lines.append(f"  amount: count * {_literal(each)}{comment}")
        elif amounts:
            comment = self.also(amounts, "金额", "按条件分别给予时用 if()")
            lines.append(f"  amount: {_literal(amounts[0])}{comment}")
        elif caps:
            lines.append(
                f"  amount: {_literal(caps[0])}" + self.todo("原文只写上限：实际金额由人核定")
            )
        else:
            return ["# TODO 原文未写金额：补上 benefit（amount、cap）"]
        if caps and (steps or rates or per_units or amounts):
            comment = ""
            if len(caps) > 1:
                others = "、".join(c.value_text() for c in caps[1:])
                comment = self.todo(f"原文还有上限 {others}")
            lines.append(f"  cap: {_literal(caps[0])}{comment}")
        return lines

    def _base(self, item: Item) -> tuple[str, str]:
        if item.field:
            return self.field_expr(item.field, item.years)
        self.inputs.setdefault("base_amount", ("money", "TODO 计算基数"))
        return "base_amount", self.todo("计算基数未识别，请改为字段或申报数值")


def _dec(item: Item) -> Decimal:
    assert isinstance(item.value, Decimal)
    return item.value


def draft_rule(text: str, items: list[Item] | None = None, *, today: dt.date | None = None) -> str:
    """A draft rule in the policy language: conditions and benefit from the items found, TODO
    marks where a person must decide. It loads (`gaoxin rules check`) as it is."""
    return draft(text, items, today=today).yaml


def draft(text: str, items: list[Item] | None = None, *, today: dt.date | None = None) -> Draft:
    import hashlib

    items = extract(text) if items is None else items
    today = today or dt.date.today()
    w = _Writer(text, items)
    band = w.band()
    banded = set()
    if band:  # one condition: the lowest band's edge; the bands' edges are the table's rows
        lowest = min(band[1], key=lambda p: p[0].value)[0]
        banded = {id(i) for i in items if i.kind == THRESHOLD and i.field == band[0]}
    per_field: dict[str | None, int] = {}
    for item in items:
        if item.kind == THRESHOLD and item.field:
            per_field[item.field] = per_field.get(item.field, 0) + 1
    conditions: list[str] = []
    for item in items:
        if id(item) in banded and item is not lowest:
            continue
        if item.kind in (THRESHOLD, DATE) or (item.kind == DURATION and item.comparison != "="):
            lines = w.condition(item)
            if item.kind == THRESHOLD and per_field.get(item.field, 0) > 1 and not banded:
                lines[0] += w.todo("同一字段有多个门槛（分档或“或”条件）：请合并或改用 or")
            conditions.extend(lines)
    benefit = w.benefit(band)
    tables = w.table(band) if band else []
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    head = [
        "# 由政策原文起草的草稿：逐项核对原文，处理每个 TODO 后再保存。",
        f"id: draft-{digest}" + w.todo("改为稳定的编号"),
        "title: 待定政策名称" + w.todo("政策名称"),
        "issuer: 待定发文单位" + w.todo("发文单位"),
        "source: 待定文件名称及文号" + w.todo("《文件名称》及文号"),
        "category: subsidy" + w.todo("subsidy | voucher | award | interest | qualification"),
        f"effective: {{from: {today.year}-01-01}}" + w.todo("起止日期"),
    ]
    body = ["", "conditions:"] + (conditions or ["  []" + w.todo("原文未写条件")])
    if conditions == []:
        body = ["", "conditions: []" + w.todo("原文未写条件")]
    inputs: list[str] = []
    if w.inputs:
        inputs = ["", "inputs:                        # 申报人填写的数值"]
        for name, (kind, label) in w.inputs.items():
            inputs.append(f"  {name}: {{type: {kind}, label: {_q(label)}}}")
    delivery = "apply" if w.inputs else "auto"
    head.append(
        f"delivery: {delivery}"
        + ("" if w.inputs else w.todo("auto 免申即享 | apply 网上申报 | notice 仅告知"))
    )
    printable = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cs"))
    notes = ["notes: |", "  原文：" + " ".join(printable.split())]
    lines = head + notes + inputs + tables + body + [""] + benefit
    rule = "".join(c for c in "\n".join(lines) if not "\ud800" <= c <= "\udfff")  # lone halves
    return Draft(text, items, rule + "\n", w.todos)


def check_draft(yaml_text: str) -> list[str]:
    """The problems `gaoxin rules check` reports for a draft ([] when it loads)."""
    from gaoxin.rules import PolicyError, PolicyErrors, load_text

    try:
        load_text(yaml_text, "draft.yaml")
    except PolicyErrors as exc:
        return [f"{e.line}:{e.col}: {e.message}" for e in exc.errors]
    except PolicyError as exc:
        return [f"{exc.line}:{exc.col}: {exc.message}"]
    except yaml.YAMLError as exc:  # pragma: no cover - the loader reports YAML errors itself
        return [str(exc)]
    return []

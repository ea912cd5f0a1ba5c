"""Policy authoring by form: what staff fill in (conditions as rows, the benefit from a
template, dates, contacts, delivery) as a `Draft`, written as a policy text (`to_yaml`) and read
back from one (`from_yaml`).

No Django: the page (`form_views`) turns request data into a Draft and back. A text the form
can't represent — a parameter, an expression beyond a row, a key the form has no field for — is
never half-read: `from_yaml` raises `Unrepresentable` with the reasons, and the page opens the
text in the text editor. The last check of `from_yaml` is that writing the Draft gives the same
policy again, so nothing written by hand is silently lost.

Every line written is tagged with the form field it came from (`Written.sources`), so that a
problem the rules engine reports at a line is shown on that field."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.catalogue import FieldKind, FieldType
from gaoxin.rules import loader
from gaoxin.rules.loader import BENEFIT_KEYS

# -- what the form holds ----------------------------------------------------------------------

COMPARE = (">=", ">", "<=", "<", "==", "!=")
HAS, HAS_NOT, YES, NO, YEARS_AT_LEAST, YEARS_BELOW, YEARS_AT_MOST = (
    "has",
    "has_not",
    "yes",
    "no",
    "years_at_least",
    "years_below",
    "years_at_most",
)
YEAR_IS, YEAR_BY = "year_is", "year_by"  # the year of an event: is (==) / is no later than (<=)
MANUAL = "manual"  # 人工认定: a branch a person decides, `manual("…")` (its field is MANUAL too)
SINCE = {YEARS_AT_LEAST: ">=", YEARS_BELOW: "<", YEARS_AT_MOST: "<="}  # years_since(x) …
YEAR_OF = {YEAR_IS: "==", YEAR_BY: "<="}  # year_of(x) … Y - k
YEARS = ("Y", "Y-1", "Y-2", "Y-3")  # a yearly field's year: Y is the year evaluated
JOINS = ("and", "or")
BAND_OPS = {"upto": "≤", "below": "<", "atleast": "≥", "above": ">"}
CONTACT_ROLES = ("legal_rep", "finance_head", "contact")
CATEGORIES = ("subsidy", "voucher", "award", "interest", "qualification", "screen")
DELIVERIES = ("auto", "apply", "notice")
STAGES = ("final", "for_comment")

NONE, FIXED, RATE, BANDS, PER_ITEM, UPTO = "none", "fixed", "rate", "bands", "per_item", "upto"
TABLE = "tiers"  # the bands template's table


def templates() -> tuple[str, ...]:
    """The benefit templates offered. "A bound decided by a person" (`benefit: {upto: X}`) is
    offered only once the rules engine knows the key, so the form never writes a text that
    doesn't load."""
    offered = (NONE, FIXED, RATE, BANDS, PER_ITEM)
    return (*offered, UPTO) if "upto" in BENEFIT_KEYS else offered


@dataclass
class Row:
    """One comparison: 营业收入（上年）≥ 500万."""

    field: str = ""
    year: str = "Y-1"
    op: str = ">="
    value: str = ""


@dataclass
class Group:
    """One condition as enterprises read it (its label), true when all (and) or any (or) of
    its rows hold; or a condition a person judges (`manual`)."""

    label: str = ""
    join: str = "and"
    rows: list[Row] = field(default_factory=lambda: [Row()])
    manual: bool = False
    note: str = ""


@dataclass
class Band:
    op: str = "upto"
    bound: str = ""
    amount: str = ""


@dataclass
class Benefit:
    template: str = FIXED
    amount: str = ""  # fixed; the bound of `upto`
    base: str = "rd_expense"  # rate × base; the bands' measure
    base_year: str = "Y-1"
    rate: str = ""
    cap: str = ""
    lifetime_cap: str = ""  # 累计最高不超过: what this policy pays one beneficiary in all
    bands: list[Band] = field(default_factory=lambda: [Band()])
    otherwise: str = "0"  # the bands' last row: 其余
    table: str = "patents"  # per item
    item_field: str = ""  # the selection: "" selects every item
    item_op: str = "=="
    item_value: str = ""
    per_item: str = ""  # a fixed amount per item …
    per_item_rate: str = ""  # … or a rate of one of the item's money fields
    per_item_field: str = ""
    note: str = ""


@dataclass
class Draft:
    id: str = ""
    title: str = ""
    issuer: str = ""
    source: str = ""
    category: str = "subsidy"
    delivery: str = "auto"
    effective_from: str = ""
    effective_to: str = ""
    notify: list[str] = field(default_factory=lambda: ["legal_rep", "finance_head"])
    stack_group: str = ""
    once_per: str = ""  # "" or "enterprise": 每家企业限享受一次
    excludes: str = ""  # ids of policies not to be held together with this one, comma-separated
    region: str = ""
    stage: str = "final"
    budget: str = ""
    notes: str = ""
    description: str = ""
    groups: list[Group] = field(default_factory=lambda: [Group()])
    benefit: Benefit = field(default_factory=Benefit)
    tests: str = ""  # the tests block as YAML (a list)


class Unrepresentable(Exception):
    """The text has something the form has no place for; `reasons` says what, in Chinese."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# -- checking what was filled in ---------------------------------------------------------------

_MONEY = re.compile(r"^-?\d+(\.\d+)?(万|亿)?元?$")
_INTEGER = re.compile(r"^\d+$")
_RATE = re.compile(r"^\d+(\.\d+)?(%|‰)$")
_YEARS = re.compile(r"^\d+年?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
_WORD = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]+$")


def field_choices() -> list[catalogue.Field]:
    """The enterprise fields a row may compare (not the USCC or the name)."""
    return [f for f in catalogue.FIELDS if f.name not in ("uscc", "name", "legal_representative")]


def ops_for(found: catalogue.Field) -> tuple[str, ...]:
    if found.kind is FieldKind.QUALIFICATION:
        return (HAS, HAS_NOT, *SINCE, *YEAR_OF)
    if found.type is FieldType.BOOLEAN:
        return (YES, NO)
    if found.type is FieldType.TEXT:
        return ("==", "!=")
    if found.type is FieldType.DATE:
        return (*COMPARE, *SINCE, *YEAR_OF)
    return COMPARE


def _date_ok(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def value_problem(found: catalogue.Field, op: str, value: str) -> str:
    """What is wrong with a row's value, in words; "" when it will do."""
    if op in (HAS, HAS_NOT, YES, NO, *YEAR_OF):
        return ""
    if not value:
        return _("请填写比较的值")
    if op in SINCE:
        return "" if _YEARS.match(value) else _("填写整年数，如 1 或 3年")
    if found.type is FieldType.MONEY:
        return "" if _MONEY.match(value) else _("填写金额，如 500万、2亿、1200000")
    if found.type is FieldType.INTEGER:
        return "" if _INTEGER.match(value) else _("填写整数，如 100")
    if found.type is FieldType.DATE:
        return "" if _date_ok(value) else _("填写日期，如 2025-01-01")
    if '"' in value or "\\" in value:
        return _("文字中不能有引号或反斜杠")
    return ""


def check(draft: Draft) -> dict[str, str]:
    """Every problem of what was filled in, keyed by the form field's name (`g0-r1-value`)."""
    errors: dict[str, str] = {}
    if not _ID.match(draft.id):
        errors["id"] = _("编号用小写字母、数字和连字符，3–100 个字符，如 torch-rd-subsidy-2026")
    for name in ("title", "source"):
        if not getattr(draft, name).strip():
            errors[name] = _("必填")
    for name in ("effective_from", "effective_to"):
        value = getattr(draft, name)
        if value and not _date_ok(value):
            errors[name] = _("填写日期，如 2026-01-01")
    if (
        "effective_from" not in errors
        and "effective_to" not in errors
        and draft.effective_from
        and draft.effective_to
        and draft.effective_to < draft.effective_from
    ):
        errors["effective_to"] = _("截止日期早于生效日期")
    if draft.category not in CATEGORIES:
        errors["category"] = _("请选择类别")
    if draft.delivery not in DELIVERIES:
        errors["delivery"] = _("请选择兑现方式")
    if draft.stage not in STAGES:
        errors["stage"] = _("请选择文件阶段")
    if any(r not in CONTACT_ROLES for r in draft.notify):
        errors["notify"] = _("请选择推送对象")
    if draft.stack_group and not _WORD.match(draft.stack_group):
        errors["stack_group"] = _("只用字母、数字、汉字、连字符")
    if draft.once_per not in ("", "enterprise"):
        errors["once_per"] = _("请选择")
    if any(not _ID.match(i) for i in excluded(draft)):
        errors["excludes"] = _("填写政策编号（英文小写、数字、连字符），多个用逗号分隔")
    if draft.budget and not _MONEY.match(draft.budget):
        errors["budget"] = _("填写金额，如 300万")
    if not draft.groups:
        errors["groups"] = _("至少一个条件")
    for g, group in enumerate(draft.groups):
        if not group.label.strip():
            errors[f"g{g}-label"] = _("写明企业看到的条件，如 上年营业收入不低于 500 万元")
        if group.join not in JOINS:
            errors[f"g{g}-join"] = _("请选择“全部满足”或“满足其一”")
        if group.manual:
            continue
        if not group.rows:
            errors[f"g{g}-label"] = _("至少一行比较，或勾选“人工审核”")
        for r, row in enumerate(group.rows):
            found = catalogue.BY_NAME.get(row.field)
            key = f"g{g}-r{r}"
            if row.field == MANUAL or row.op == MANUAL:
                if row.field != MANUAL or row.op != MANUAL:
                    errors[f"{key}-op"] = _("这一字段不能这样比较")
                elif not row.value.strip():
                    errors[f"{key}-value"] = _("写明由人认定的内容，如 经认定的市级专精特新企业")
                elif '"' in row.value or "\\" in row.value:
                    errors[f"{key}-value"] = _("文字中不能有引号或反斜杠")
                continue
            if found is None or found not in field_choices():
                errors[f"{key}-field"] = _("请选择字段")
                continue
            if row.op not in ops_for(found):
                errors[f"{key}-op"] = _("这一字段不能这样比较")
                continue
            if (found.yearly or row.op in YEAR_OF) and row.year not in YEARS:
                errors[f"{key}-year"] = _("请选择年度")
            problem = value_problem(found, row.op, row.value.strip())
            if problem:
                errors[f"{key}-value"] = problem
    errors.update(_benefit_problems(draft.benefit))
    if draft.tests.strip():
        try:
            tests = yaml.safe_load(draft.tests)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            mark = getattr(exc, "problem_mark", None)
            errors["tests"] = (
                _("第 %(n)s 行：测试不是有效的 YAML") % {"n": mark.line + 1}
                if mark is not None
                else _("测试不是有效的 YAML")
            )
        else:
            if not isinstance(tests, list):
                errors["tests"] = _("测试是一个列表，每项以“- name:”开头")
    return errors


def _benefit_problems(b: Benefit) -> dict[str, str]:
    errors: dict[str, str] = {}

    def money(name: str, value: str, required: bool = True) -> None:
        if (value or required) and not _MONEY.match(value):
            errors[name] = _("填写金额，如 10万")

    if b.template not in templates():
        errors["benefit-template"] = _("请选择金额的计算方式")
        return errors
    if b.template in (FIXED, UPTO):
        money("benefit-amount", b.amount)
    if b.template in (RATE, BANDS):
        found = catalogue.BY_NAME.get(b.base)
        if found is None or not found.is_number:
            errors["benefit-base"] = _("请选择金额或数量字段")
        elif found.yearly and b.base_year not in YEARS:
            errors["benefit-base_year"] = _("请选择年度")
    if b.template == RATE and not _RATE.match(b.rate):
        errors["benefit-rate"] = _("填写比例：百分数或千分数")
    if b.template == BANDS:
        if not b.bands:
            errors["benefit-bands"] = _("至少一档")
        for i, band in enumerate(b.bands):
            if band.op not in BAND_OPS:
                errors[f"benefit-band{i}-op"] = _("请选择")
            money(f"benefit-band{i}-bound", band.bound)
            money(f"benefit-band{i}-amount", band.amount)
        money("benefit-otherwise", b.otherwise)
    if b.template == PER_ITEM:
        table = catalogue.ITEM_TABLE.get(b.table)
        if table is None or table.name != b.table:
            errors["benefit-table"] = _("请选择子表")
            return errors
        if b.item_field:
            found = table.field(b.item_field)
            if found is None or found.name != b.item_field:
                errors["benefit-item_field"] = _("请选择该表的字段")
            elif b.item_op not in ops_for(found) or b.item_op in (*SINCE, *YEAR_OF):
                errors["benefit-item_op"] = _("这一字段不能这样比较")
            else:
                problem = value_problem(found, b.item_op, b.item_value.strip())
                if problem:
                    errors["benefit-item_value"] = problem
        if b.per_item_rate or b.per_item_field:
            if not _RATE.match(b.per_item_rate):
                errors["benefit-per_item_rate"] = _("填写比例：百分数")
            found = table.field(b.per_item_field)
            if found is None or found.type is not FieldType.MONEY:
                errors["benefit-per_item_field"] = _("请选择该表的金额字段")
            if b.per_item:
                errors["benefit-per_item"] = _("每项金额与比例只填一种")
        else:
            money("benefit-per_item", b.per_item)
    if b.template != NONE:
        money("benefit-cap", b.cap, required=False)
        money("benefit-lifetime_cap", b.lifetime_cap, required=False)
    return errors


# -- writing the text -------------------------------------------------------------------------


def _plain(text: str) -> str:
    """A scalar as YAML reads it back as the same string: plain when it is, else quoted."""
    if text and text == text.strip() and "\n" not in text:
        try:
            if yaml.safe_load(f"k: {text}") == {"k": text}:
                return text
        except (yaml.YAMLError, ValueError, OverflowError):
            pass
    return json.dumps(text, ensure_ascii=False)


def _year(year: str) -> str:
    """Y-1 as an expression writes it: Y - 1."""
    return year.replace("-", " - ")


def row_expression(row: Row) -> str:
    if row.op == MANUAL:
        return f'manual("{row.value.strip()}")'
    found = catalogue.BY_NAME[row.field]
    name, value = found.name, row.value.strip()
    if row.op == HAS:
        return f"has({name})"
    if row.op == HAS_NOT:
        return f"not has({name})"
    if row.op == YES:
        return name
    if row.op == NO:
        return f"not {name}"
    if row.op in SINCE:
        return f"years_since({name}) {SINCE[row.op]} {value.removesuffix('年')}"
    if row.op in YEAR_OF:
        return f"year_of({name}) {YEAR_OF[row.op]} {_year(row.year)}"
    ref = f"{name}[{row.year}]" if found.yearly else name
    literal = f'"{value}"' if found.type is FieldType.TEXT else value
    return f"{ref} {row.op} {literal}"


def _measure(name: str, year: str) -> str:
    found = catalogue.BY_NAME[name]
    return f"{name}[{year}]" if found.yearly else name


def _item_expression(b: Benefit) -> str:
    table = catalogue.ITEM_TABLE[b.table]
    if b.item_field:
        found = table.field(b.item_field)
        assert found is not None
        if b.item_op == YES:
            where = found.name
        elif b.item_op == NO:
            where = f"not {found.name}"
        else:
            value = b.item_value.strip()
            literal = f'"{value}"' if found.type is FieldType.TEXT else value
            where = f"{found.name} {b.item_op} {literal}"
    else:
        where = "true"
    each = f"{b.per_item_field} * {b.per_item_rate}" if b.per_item_field else b.per_item.strip()
    return f"sum_over({table.name}, {where}, {each})"


@dataclass
class Written:
    text: str
    sources: list[str]  # per line (0-based): the form field it came from

    def field_at(self, line: int) -> str:
        """The form field of a 1-based line."""
        if 1 <= line <= len(self.sources):
            return self.sources[line - 1]
        return ""


def to_yaml(draft: Draft) -> Written:
    """The policy text of a checked Draft (`check(draft)` is empty)."""
    lines: list[str] = []
    sources: list[str] = []

    def put(line: str, source: str) -> None:
        lines.append(line)
        sources.append(source)

    put(f"id: {_plain(draft.id)}", "id")
    put(f"title: {_plain(draft.title)}", "title")
    if draft.issuer:
        put(f"issuer: {_plain(draft.issuer)}", "issuer")
    put(f"source: {_plain(draft.source)}", "source")
    put(f"category: {draft.category}", "category")
    if draft.effective_from or draft.effective_to:
        parts = [
            f"{k}: {v}"
            for k, v in (("from", draft.effective_from), ("to", draft.effective_to))
            if v
        ]
        put("effective: {" + ", ".join(parts) + "}", "effective_from")
    put(f"delivery: {draft.delivery}", "delivery")
    if draft.notify:
        put(f"notify: [{', '.join(draft.notify)}]", "notify")
    if draft.stack_group:
        put(f"stack_group: {_plain(draft.stack_group)}", "stack_group")
    if draft.once_per:
        put(f"once_per: {draft.once_per}", "once_per")
    if excluded(draft):
        put(f"excludes: [{', '.join(excluded(draft))}]", "excludes")
    if draft.budget:
        put(f"budget: {draft.budget}", "budget")
    if draft.region:
        put(f"region: {_plain(draft.region)}", "region")
    if draft.stage != "final":
        put(f"stage: {draft.stage}", "stage")
    if draft.notes:
        put(f"notes: {_plain(draft.notes)}", "notes")
    if draft.description:
        put(f"description: {_plain(draft.description)}", "description")
    b = draft.benefit
    if b.template == BANDS:
        put("tables:", "benefit-bands")
        put(f"  {TABLE}:", "benefit-bands")
        put(f"    by: {_measure(b.base, b.base_year)}", "benefit-base")
        put("    rows:", "benefit-bands")
        for i, band in enumerate(b.bands):
            put(
                f"      - {{{band.op}: {band.bound}, value: {band.amount}}}",
                f"benefit-band{i}-bound",
            )
        put(f"      - {{else: {b.otherwise}}}", "benefit-otherwise")
    put("conditions:", "groups")
    for g, group in enumerate(draft.groups):
        put(f"  - label: {_plain(group.label)}", f"g{g}-label")
        if group.manual:
            put("    manual: true", f"g{g}-label")
            if group.note:
                put(f"    note: {_plain(group.note)}", f"g{g}-note")
            continue
        joined = f" {group.join} ".join(row_expression(r) for r in group.rows)
        put(
            f"    when: {_plain(joined)}",
            f"g{g}-r0-value" if len(group.rows) == 1 else f"g{g}-label",
        )
    if b.template != NONE:
        put("benefit:", "benefit-template")
        if b.template == FIXED:
            put(f"  amount: {b.amount}", "benefit-amount")
        elif b.template == UPTO:
            put(f"  upto: {b.amount}", "benefit-amount")
        elif b.template == RATE:
            put(f"  amount: {_measure(b.base, b.base_year)} * {b.rate}", "benefit-rate")
        elif b.template == BANDS:
            put(f"  amount: {TABLE}", "benefit-bands")
        else:
            put(f"  amount: {_plain(_item_expression(b))}", "benefit-per_item")
        if b.cap:
            put(f"  cap: {b.cap}", "benefit-cap")
        if b.lifetime_cap:
            put(f"  lifetime_cap: {b.lifetime_cap}", "benefit-lifetime_cap")
        if b.note:
            put(f"  note: {_plain(b.note)}", "benefit-note")
    if draft.tests.strip():
        tests = yaml.safe_load(draft.tests)
        dumped = yaml.safe_dump(
            {"tests": tests}, allow_unicode=True, sort_keys=False, width=100
        ).rstrip("\n")
        for line in dumped.splitlines():
            put(line, "tests")
    return Written("\n".join(lines) + "\n", sources)


# -- reading a text back -----------------------------------------------------------------------

# The policy's keys the form has a place for: all but these (the text editor writes them).
# `item` (once per stage or project) names an input, and the form writes none.
TOP_KEYS = loader.TOP_KEYS - {"year", "parameters", "inputs", "beneficiary", "item"}
_HAS = re.compile(r"^(?P<not>not\s+)?has\(\s*(?P<name>\w+)\s*\)$")
_YEARS_SINCE = re.compile(
    r"^years_since\(\s*(?P<name>\w+)\s*\)\s*(?P<op>>=|<=|<)\s*(?P<value>\d+)$"
)
_YEAR_OF = re.compile(
    r"^year_of\(\s*(?P<name>\w+)\s*\)\s*(?P<op>==|<=)\s*Y(?:\s*-\s*(?P<back>\d))?$"
)
_MANUAL = re.compile(r'^manual\("(?P<text>[^"\\]*)"\)$')
_NOT = re.compile(r"^not (?P<name>\w+)$")
_COMPARE = re.compile(
    r"^(?P<name>\w+)(?:\[(?P<year>Y(?:-\d)?)\])?\s*(?P<op>>=|>|<=|<|==|!=)\s*(?P<value>.+)$"
)
_NAME = re.compile(r"^(?P<name>\w+)$")
_MEASURE = re.compile(r"^(?P<name>\w+)(?:\[(?P<year>Y(?:-\d)?)\])?$")
_RATE_OF = re.compile(r"^(?P<measure>\w+(?:\[Y(?:-\d)?\])?)\s*\*\s*(?P<rate>\S+)$")
_SUM_OVER = re.compile(r"^sum_over\((?P<table>\w+), (?P<where>.+), (?P<each>[^,]+)\)$")


def _split(when: str) -> tuple[str, list[str]]:
    """`a and b and c` → ("and", [a, b, c]). Brackets group nothing in a row, so a join
    inside brackets, or and/or mixed, is not the form's (the atoms then fail `_row`)."""
    parts, joins, at, quoted, depth, i = [], set(), 0, False, 0, 0
    while i < len(when):
        c = when[i]
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "([":
            depth += 1
        elif not quoted and c in ")]":
            depth -= 1
        elif not quoted and depth == 0:
            for join in JOINS:
                if when.startswith(f" {join} ", i):
                    parts.append(when[at:i])
                    joins.add(join)
                    at = i + len(join) + 2
                    i = at - 1
                    break
        i += 1
    parts.append(when[at:])
    if len(joins) > 1:
        raise Unrepresentable(
            [_("条件“%(w)s”同时有“并且”和“或者”，请在文本编辑器中修改") % {"w": when}]
        )
    return (joins.pop() if joins else "and"), parts


def _row(atom: str) -> Row:
    atom = atom.strip()
    if m := _HAS.match(atom):
        return Row(m["name"], "", HAS_NOT if m["not"] else HAS, "")
    if m := _YEARS_SINCE.match(atom):
        op = {v: k for k, v in SINCE.items()}[m["op"]]
        return Row(m["name"], "", op, m["value"])
    if m := _YEAR_OF.match(atom):
        op = {v: k for k, v in YEAR_OF.items()}[m["op"]]
        return Row(m["name"], f"Y-{m['back']}" if m["back"] else "Y", op, "")
    if m := _MANUAL.match(atom):
        return Row(MANUAL, "", MANUAL, m["text"])
    if m := _NOT.match(atom):
        return Row(m["name"], "", NO, "")
    if m := _COMPARE.match(atom):
        value = m["value"]
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        return Row(m["name"], m["year"] or "", m["op"], value)
    if m := _NAME.match(atom):
        return Row(m["name"], "", YES, "")
    raise Unrepresentable([_("条件“%(w)s”不是表单的一行（字段、比较、值）") % {"w": atom}])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def excluded(draft: Draft) -> list[str]:
    """The policy ids of `excludes`, as written in the form (comma- or space-separated)."""
    return [i for i in re.split(r"[\s,，、]+", draft.excludes.strip()) if i]


def from_yaml(text: str) -> Draft:
    """The Draft of a policy text, or Unrepresentable with the reasons."""
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise Unrepresentable([_(_("文本不是有效的 YAML"))]) from exc
    if not isinstance(data, dict):
        raise Unrepresentable([_(_("文本不是一项政策"))])
    extra = sorted(set(map(str, data)) - TOP_KEYS)
    reasons = [_("表单没有“%(k)s”一项") % {"k": k} for k in extra]
    draft = Draft(
        id=_text(data.get("id")),
        title=_text(data.get("title")),
        issuer=_text(data.get("issuer")),
        source=_text(data.get("source")),
        category=_text(data.get("category")),
        delivery=_text(data.get("delivery") or "auto"),
        stack_group=_text(data.get("stack_group")),
        once_per=_text(data.get("once_per")),
        excludes=", ".join(map(str, data.get("excludes") or [])),
        budget=_text(data.get("budget")),
        region=_text(data.get("region")),
        stage=_text(data.get("stage") or "final"),
        notes=_text(data.get("notes")),
        description=_text(data.get("description")),
        notify=[_text(n) for n in data.get("notify") or []],
        groups=[],
    )
    effective = data.get("effective") or {}
    if not isinstance(effective, dict) or set(effective) - {"from", "to"}:
        reasons.append(_(_("有效期只能写 from 和 to")))
    else:
        draft.effective_from = _text(effective.get("from"))
        draft.effective_to = _text(effective.get("to"))
    for condition in data.get("conditions") or []:
        try:
            draft.groups.append(_group(condition))
        except Unrepresentable as exc:
            reasons.extend(exc.reasons)
    try:
        draft.benefit = _benefit(data.get("benefit"), data.get("tables"))
    except Unrepresentable as exc:
        reasons.extend(exc.reasons)
    if data.get("tests") is not None:
        draft.tests = yaml.safe_dump(data["tests"], allow_unicode=True, sort_keys=False, width=100)
    if reasons:
        raise Unrepresentable(reasons)
    problems = check(draft)
    if problems:
        raise Unrepresentable([f"{k}：{v}" for k, v in problems.items()])
    again = yaml.safe_load(to_yaml(draft).text)
    if _normal(again) != _normal(data):
        raise Unrepresentable([_(_("表单写出的文本与原文不完全相同"))])
    return draft


def _group(condition: Any) -> Group:
    if not isinstance(condition, dict) or set(condition) - {"label", "when", "manual", "note"}:
        raise Unrepresentable([_(_("条件只能有 label、when、manual、note"))])
    label = _text(condition.get("label"))
    if condition.get("manual") is True and "when" not in condition:
        return Group(label, "and", [], True, _text(condition.get("note")))
    if "manual" in condition or "note" in condition or "when" not in condition:
        raise Unrepresentable([_("条件“%(l)s”的写法表单不支持") % {"l": label}])
    join, atoms = _split(_text(condition["when"]))
    return Group(label, join, [_row(a) for a in atoms])


def _benefit(benefit: Any, tables: Any) -> Benefit:
    if benefit is None:
        if tables:
            raise Unrepresentable([_(_("有分档表但没有金额"))])
        return Benefit(template=NONE)
    if not isinstance(benefit, dict) or set(benefit) - {
        "amount",
        "cap",
        "lifetime_cap",
        "note",
        "upto",
    }:
        raise Unrepresentable([_(_("金额只能有 amount、cap、lifetime_cap、note"))])
    out = Benefit(
        cap=_text(benefit.get("cap")),
        lifetime_cap=_text(benefit.get("lifetime_cap")),
        note=_text(benefit.get("note")),
    )
    if "upto" in benefit:
        if "amount" in benefit or tables:
            raise Unrepresentable([_(_("“由人决定的上限”与计算公式不能同时写"))])
        out.template, out.amount = UPTO, _text(benefit["upto"])
        return out
    amount = _text(benefit.get("amount")).strip()
    if tables:
        if not isinstance(tables, dict) or list(tables) != [TABLE] or amount != TABLE:
            raise Unrepresentable(
                [_("表单只写一张名为 %(t)s 的分档表，金额即按它取") % {"t": TABLE}]
            )
        return _bands(out, tables[TABLE])
    if _MONEY.match(amount):
        out.template, out.amount = FIXED, amount
        return out
    if m := _RATE_OF.match(amount):
        measure = _MEASURE.match(m["measure"])
        assert measure is not None
        out.template, out.base, out.base_year, out.rate = (
            RATE,
            measure["name"],
            measure["year"] or "",
            m["rate"],
        )
        return out
    if m := _SUM_OVER.match(amount):
        out.template, out.table = PER_ITEM, m["table"]
        where = m["where"]
        if where != "true":
            row = _row(where)
            out.item_field, out.item_op, out.item_value = row.field, row.op, row.value
        each = m["each"].strip()
        if rate := _RATE_OF.match(each):
            out.per_item_field, out.per_item_rate = rate["measure"], rate["rate"]
        else:
            out.per_item = each
        return out
    raise Unrepresentable([_("金额公式“%(a)s”不是表单的模板之一") % {"a": amount}])


def _bands(out: Benefit, table: Any) -> Benefit:
    if not isinstance(table, dict) or set(table) != {"by", "rows"}:
        raise Unrepresentable([_(_("分档表只能有 by 和 rows"))])
    measure = _MEASURE.match(_text(table["by"]))
    if measure is None:
        raise Unrepresentable([_(_("分档依据须是一个字段"))])
    out.template, out.base, out.base_year = BANDS, measure["name"], measure["year"] or ""
    rows = table["rows"] or []
    out.bands = []
    for i, row in enumerate(rows):
        last = i == len(rows) - 1
        if last and isinstance(row, dict) and set(row) == {"else"}:
            out.otherwise = _text(row["else"])
            return out
        if not isinstance(row, dict) or len(row) != 2 or "value" not in row:
            raise Unrepresentable([_("分档表的每一档写 {upto: 界限, value: 金额}")])
        (op,) = set(row) - {"value"}
        if op not in BAND_OPS:
            raise Unrepresentable([_("分档“%(o)s”表单不支持") % {"o": op}])
        out.bands.append(Band(str(op), _text(row[op]), _text(row["value"])))
    raise Unrepresentable([_("分档表的最后一行须是 {else: 金额}")])


def _normal(value: Any) -> Any:
    """For comparing two texts' data: expressions compared without their spacing."""
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _squeeze(value)
    return value


def _squeeze(text: str) -> str:
    out, quoted = [], False
    for c in text:
        if c == '"':
            quoted = not quoted
        if quoted or not c.isspace():
            out.append(c)
    return "".join(out)

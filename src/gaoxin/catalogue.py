"""The field catalogue: every enterprise field Gaoxin knows, in one table.

The registry's models, the Excel/CSV import and export, the JSON API and the rules engine all
read this table, so a field is named, typed and labelled once. It is plain data with no Django
import: the rules engine (`gaoxin.rules`) takes it as it is.

Flat layout (docs/rules-contract.md): one row per enterprise, `uscc` first, static fields by
name, yearly fields as `field_YEAR` (`revenue_2024`), qualifications as the date granted with
an optional `_until` column. Chinese headers use the alias (`营业收入_2024`,
`高新技术企业_有效期至`).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    TEXT = "text"
    MONEY = "money"  # yuan, exact to the fen (Decimal with two places)
    INTEGER = "integer"  # counts: staff, patents
    BOOLEAN = "boolean"
    DATE = "date"


class FieldKind(StrEnum):
    STATIC = "static"  # one value per enterprise
    YEARLY = "yearly"  # one value per enterprise and year: revenue[2024]
    QUALIFICATION = "qualification"  # a certificate with a grant date and an expiry date


class FieldGroup(StrEnum):
    IDENTITY = "identity"
    STAFF = "staff"
    IP = "ip"
    FINANCE = "finance"
    COMPLIANCE = "compliance"
    QUALIFICATION = "qualification"
    PERSON = "person"  # a person linked to an enterprise (beneficiary: person)
    ITEM = "item"  # a row of an enterprise's item table (patents, equipment, tenants)


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # English snake_case: the code name, the API key, the rules-language name
    alias: str  # Chinese name: the rules-language alias and the Excel header
    type: FieldType
    kind: FieldKind
    group: FieldGroup
    label_en: str
    unit: str = ""  # 元, 人, 件 — shown beside values; money is always yuan
    required: bool = False  # needed to create an enterprise
    non_negative: bool = True  # numbers below zero are refused (profit may be negative)
    help: str = ""  # one line a form or a policy author reads

    @property
    def yearly(self) -> bool:
        return self.kind is FieldKind.YEARLY

    @property
    def is_number(self) -> bool:
        return self.type in (FieldType.MONEY, FieldType.INTEGER)


_S, _Y, _Q = FieldKind.STATIC, FieldKind.YEARLY, FieldKind.QUALIFICATION
_ID, _ST, _IP, _FI, _CO, _QU = (
    FieldGroup.IDENTITY,
    FieldGroup.STAFF,
    FieldGroup.IP,
    FieldGroup.FINANCE,
    FieldGroup.COMPLIANCE,
    FieldGroup.QUALIFICATION,
)
T = FieldType

FIELDS: tuple[Field, ...] = (
    # identity
    Field(
        "uscc",
        "统一社会信用代码",
        T.TEXT,
        _S,
        _ID,
        "Unified social credit code",
        required=True,
        help="18 位，GB 32100-2015，末位为校验码",
    ),
    Field("name", "企业名称", T.TEXT, _S, _ID, "Enterprise name", required=True),
    Field("legal_representative", "法定代表人", T.TEXT, _S, _ID, "Legal representative"),
    Field("registered_at", "成立日期", T.DATE, _S, _ID, "Registration date"),
    Field("registered_capital", "注册资本", T.MONEY, _S, _ID, "Registered capital", "元"),
    Field(
        "industry",
        "国民经济行业代码",
        T.TEXT,
        _S,
        _ID,
        "Industry code (GB/T 4754)",
        help="GB/T 4754-2017 门类字母加 2–4 位数字，如 C3974",
    ),
    Field("area", "片区", T.TEXT, _S, _ID, "Area"),
    Field("chain", "产业链", T.TEXT, _S, _ID, "Industry chain"),
    Field("segment", "产业链环节", T.TEXT, _S, _ID, "Chain segment"),
    Field("in_zone", "园区注册", T.BOOLEAN, _S, _ID, "Registered in the zone"),
    Field(
        "landed_at",
        "落户日期",
        T.DATE,
        _S,
        _ID,
        "Date landed in the zone",
        help="在园区新注册或迁入园区（落户）的日期；“落户后第几年”从这一天起算",
    ),
    # staff
    Field("employees", "职工总数", T.INTEGER, _S, _ST, "Employees", "人"),
    Field("tech_staff", "科技人员", T.INTEGER, _S, _ST, "S&T staff", "人"),
    Field("rd_staff", "研发人员", T.INTEGER, _S, _ST, "R&D staff", "人"),
    Field("postgrad_staff", "硕博人员", T.INTEGER, _S, _ST, "Master's and PhD holders", "人"),
    # intellectual property
    Field("class1_ip", "Ⅰ类知识产权", T.INTEGER, _S, _IP, "Class-I IP", "件"),
    Field("invention_patents", "发明专利", T.INTEGER, _S, _IP, "Invention patents", "件"),
    Field("utility_models", "实用新型", T.INTEGER, _S, _IP, "Utility models", "件"),
    Field("software_copyrights", "软件著作权", T.INTEGER, _S, _IP, "Software copyrights", "件"),
    # compliance
    Field(
        "major_incident",
        "重大安全质量事故或严重环境违法",
        T.BOOLEAN,
        _S,
        _CO,
        "Major safety or quality accident, or serious environmental offence",
        help="申请认定前一年内是否发生",
    ),
    # yearly financials
    Field("revenue", "营业收入", T.MONEY, _Y, _FI, "Revenue", "元"),
    Field("main_business_revenue", "主营业务收入", T.MONEY, _Y, _FI, "Main-business revenue", "元"),
    Field(
        "high_tech_revenue", "高新技术产品收入", T.MONEY, _Y, _FI, "High-tech product revenue", "元"
    ),
    Field("rd_expense", "研发费用", T.MONEY, _Y, _FI, "R&D expense", "元"),
    Field("rd_expense_domestic", "境内研发费用", T.MONEY, _Y, _FI, "Domestic R&D expense", "元"),
    Field("profit", "利润总额", T.MONEY, _Y, _FI, "Total profit", "元", non_negative=False),
    Field("net_profit", "净利润", T.MONEY, _Y, _FI, "Net profit", "元", non_negative=False),
    Field("tax", "纳税总额", T.MONEY, _Y, _FI, "Taxes paid", "元"),
    Field("total_assets", "资产总额", T.MONEY, _Y, _FI, "Total assets", "元"),
    Field("total_liabilities", "负债总额", T.MONEY, _Y, _FI, "Total liabilities", "元"),
    Field("exports", "出口额", T.MONEY, _Y, _FI, "Exports", "元"),
    Field("equity_raised", "股权融资额", T.MONEY, _Y, _FI, "Equity financing raised", "元"),
    # qualifications: the date granted; the expiry date sits in the `_until` column
    Field("high_tech_enterprise", "高新技术企业", T.DATE, _Q, _QU, "National high-tech enterprise"),
    Field("tech_sme", "科技型中小企业", T.DATE, _Q, _QU, "Tech-based SME"),
    Field("srdi_sme", "专精特新中小企业", T.DATE, _Q, _QU, "Specialised and innovative SME"),
    Field("little_giant", "专精特新小巨人", T.DATE, _Q, _QU, '"Little giant" (national)'),
    Field("gazelle", "瞪羚企业", T.DATE, _Q, _QU, "Gazelle enterprise"),
    Field("unicorn", "独角兽企业", T.DATE, _Q, _QU, "Unicorn enterprise"),
    Field("single_champion", "制造业单项冠军", T.DATE, _Q, _QU, "Manufacturing single champion"),
    Field("listed", "上市企业", T.DATE, _Q, _QU, "Listed company"),
)

_PE, _IT = FieldGroup.PERSON, FieldGroup.ITEM

# The fields of a person linked to an enterprise (a talent, a team leader, a founder): what a
# policy with `beneficiary: person` reads beside the employing enterprise's fields. Not
# registry columns of the enterprise, so not in FIELDS (the registry's models, import and
# export); the engine finds them by name like the enterprise's fields.
PERSON_FIELDS: tuple[Field, ...] = (
    Field("person_name", "姓名", T.TEXT, _S, _PE, "Name"),
    Field(
        "degree",
        "学位",
        T.TEXT,
        _S,
        _PE,
        "Degree",
        help="学士、硕士、博士（含境外学位）",
    ),
    Field("professional_title", "职称", T.TEXT, _S, _PE, "Professional title"),
    Field(
        "talent_category",
        "人才类别",
        T.TEXT,
        _S,
        _PE,
        "Talent category",
        help="如 高级经营管理人才、高级技术人才、团队带头人、创始人",
    ),
    Field("birth_date", "出生日期", T.DATE, _S, _PE, "Date of birth"),
    Field("settled_at", "个人落户日期", T.DATE, _S, _PE, "Date of settling (落户)"),
    Field("joined_at", "入职日期", T.DATE, _S, _PE, "Date joined the enterprise"),
    Field("contract_years", "劳动合同年限", T.INTEGER, _S, _PE, "Labour contract term", "年"),
    Field(
        "social_insurance_months",
        "社保缴纳月数",
        T.INTEGER,
        _S,
        _PE,
        "Months of social insurance paid by the enterprise",
        "月",
        help="由所在企业连续缴纳的月数",
    ),
    Field("annual_salary", "年薪", T.MONEY, _Y, _PE, "Annual salary", "元"),
    Field(
        "retained_income_tax",
        "个税地方留成",
        T.MONEY,
        _Y,
        _PE,
        "Local retained share of individual income tax paid",
        "元",
        help="所缴个人所得税中市、区两级留成部分",
    ),
)


@dataclass(frozen=True, slots=True)
class ItemTable:
    """A child table of the enterprise: one row per item (a patent, a piece of equipment, a
    tenant of an incubator). `sum_over(table, where, amount)` reads it; inside, names are the
    table's fields first, then the enterprise's."""

    name: str  # patents: the name a policy writes, and the key of the item frame
    alias: str  # 专利
    label_en: str
    fields: tuple[Field, ...]
    label_field: str  # the field that names an item in an explanation (patent number)

    def field(self, name_or_alias: str) -> Field | None:
        return next((f for f in self.fields if name_or_alias in (f.name, f.alias)), None)


ITEM_TABLES: tuple[ItemTable, ...] = (
    ItemTable(
        "patents",
        "专利",
        "Patents",
        (
            Field("number", "专利号", T.TEXT, _S, _IT, "Patent number"),
            Field("kind", "专利类型", T.TEXT, _S, _IT, "Kind", help="发明、实用新型、外观设计"),
            Field("scope", "授权范围", T.TEXT, _S, _IT, "Where granted", help="国内 或 PCT"),
            Field("granted_on", "授权日", T.DATE, _S, _IT, "Date granted"),
        ),
        "number",
    ),
    ItemTable(
        "equipment",
        "设备",
        "Equipment purchases",
        (
            Field("name", "设备名称", T.TEXT, _S, _IT, "Equipment"),
            Field("amount", "购置金额", T.MONEY, _S, _IT, "Amount paid", "元"),
            Field("purchased_on", "购置日期", T.DATE, _S, _IT, "Date purchased"),
            Field(
                "robot",
                "工业机器人",
                T.BOOLEAN,
                _S,
                _IT,
                "Industrial robot",
                help="含机械手臂、智能化成套设备、自动控制系统、应急预警系统",
            ),
        ),
        "name",
    ),
    ItemTable(
        "tenants",
        "入驻企业",
        "Tenants of an incubator",
        (
            Field("name", "入驻企业名称", T.TEXT, _S, _IT, "Tenant"),
            Field("leased_area", "租用面积", T.INTEGER, _S, _IT, "Leased area", "平方米"),
            Field("moved_in", "入驻日期", T.DATE, _S, _IT, "Date moved in"),
            Field(
                "strategic_emerging",
                "战略性新兴产业企业",
                T.BOOLEAN,
                _S,
                _IT,
                "Strategic emerging industry (recognised and filed)",
                help="经认定备案",
            ),
            Field("paid_in_capital", "实缴注册资本", T.MONEY, _S, _IT, "Paid-in capital", "元"),
        ),
        "name",
    ),
)
# What a beneficiary already received (rules/history.py): one row per payout that counts — the
# payout service's own records, not registry data, so it is read like an item table (tests,
# the batch's `items=`, the CLI's --items) but is not one of the registry's ITEM_TABLES
# (nothing imports or edits it as enterprise data).
PAYOUT_HISTORY = ItemTable(
    "payouts",
    "兑现记录",
    "Payouts received",
    (
        Field("policy", "政策", T.TEXT, _S, _IT, "Policy id"),
        Field("year", "年度", T.INTEGER, _S, _IT, "Year of the payout (the policy's year)"),
        Field("amount", "金额", T.MONEY, _S, _IT, "Amount", "元"),
        Field(
            "item",
            "事项",
            T.TEXT,
            _S,
            _IT,
            "What the payout was for (a stage, a project)",
            help="政策以 item: 指定的申报数据（阶段、项目）；其他政策为空",
        ),
    ),
    "policy",
)
ITEM_TABLE: dict[str, ItemTable] = {t.name: t for t in (*ITEM_TABLES, PAYOUT_HISTORY)} | {
    t.alias: t for t in (*ITEM_TABLES, PAYOUT_HISTORY)
}

BY_NAME: dict[str, Field] = {f.name: f for f in (*FIELDS, *PERSON_FIELDS)}
BY_ALIAS: dict[str, Field] = {f.alias: f for f in (*FIELDS, *PERSON_FIELDS)}
PERSON_NAMES = frozenset(f.name for f in PERSON_FIELDS)

STATIC_FIELDS = tuple(f for f in FIELDS if f.kind is FieldKind.STATIC)
YEARLY_FIELDS = tuple(f for f in FIELDS if f.kind is FieldKind.YEARLY)
QUALIFICATIONS = tuple(f for f in FIELDS if f.kind is FieldKind.QUALIFICATION)

UNTIL_SUFFIX = "_until"
UNTIL_SUFFIX_ZH = "_有效期至"
FIRST_SUFFIX = "_first"
FIRST_SUFFIX_ZH = "_首次认定"

# Qualification certificates and how long they run when the source gives no expiry date.
QUALIFICATION_YEARS: dict[str, int | None] = {
    "high_tech_enterprise": 3,
    "tech_sme": 1,
    "srdi_sme": 3,
    "little_giant": 3,
    "gazelle": 1,
    "unicorn": 1,
    "single_champion": 3,
    "listed": None,  # no expiry
}


def lookup(name_or_alias: str) -> Field | None:
    """A field by its English name or its Chinese alias."""
    return BY_NAME.get(name_or_alias) or BY_ALIAS.get(name_or_alias)


@dataclass(frozen=True, slots=True)
class Column:
    """What one flat-layout header means: a field, the year of a yearly field, or the expiry
    column of a qualification."""

    field: Field
    year: int | None = None
    until: bool = False
    # `<qualification>_first`: whether the certificate in the row is the enterprise's first of
    # that kind (首次认定) or a renewal (重新认定); not part of the import template.
    first: bool = False

    @property
    def header(self) -> str:
        return flat_header(self.field, self.year, until=self.until, first=self.first)

    @property
    def header_zh(self) -> str:
        return flat_header(self.field, self.year, until=self.until, chinese=True, first=self.first)


# A qualification's derived columns: `_until` (its expiry) or `_first` (首次认定), by suffix.
_QUALIFICATION_SUFFIXES = (
    (UNTIL_SUFFIX, True),
    (UNTIL_SUFFIX_ZH, True),
    (FIRST_SUFFIX, False),
    (FIRST_SUFFIX_ZH, False),
)
_YEAR_SUFFIX = re.compile(r"^(?P<base>.+?)[_\-\s]?(?P<year>(19|20)\d{2})年?$")


@functools.lru_cache(maxsize=4096)
def without_unit(header: str) -> str:
    """`营业收入_2024（元）` → `营业收入_2024`: a header's unit is a hint only."""
    text = header.strip().replace("（", "(").replace("）", ")")
    return re.sub(r"\(.*?\)$", "", text).strip()


def parse_header(header: str) -> Column | None:
    """`revenue_2024`, `营业收入_2024`, `营业收入2024年`, `high_tech_enterprise_until`,
    `高新技术企业_有效期至` → the column they name; None for an unknown header."""
    text = without_unit(header)
    if not text:
        return None
    field = lookup(text)
    if field is not None:
        return None if field.yearly else Column(field)
    for suffix, until in _QUALIFICATION_SUFFIXES:
        if text.endswith(suffix):
            field = lookup(text[: -len(suffix)])
            if field is not None and field.kind is FieldKind.QUALIFICATION:
                return Column(field, until=until, first=not until)
            return None
    match = _YEAR_SUFFIX.match(text)
    if match:
        field = lookup(match["base"])
        if field is not None and field.yearly:
            return Column(field, year=int(match["year"]))
    return None


def nearest_header(header: str) -> str | None:
    """The known header closest to one that names no field (`营业收人_2024` → `营业收入_2024`,
    `revenu_2024` → `revenue_2024`): Chinese candidates for a Chinese header, English ones for
    an English header; a yearly field keeps the header's year."""
    chinese = not header.isascii()
    match = _YEAR_SUFFIX.match(header.strip())
    if match:
        yearly = [f.alias if chinese else f.name for f in YEARLY_FIELDS]
        base = difflib.get_close_matches(match["base"], yearly, n=1, cutoff=0.5)
        if base:
            return f"{base[0]}_{match['year']}"
    known = [c.header_zh if chinese else c.header for c in flat_columns([])]
    known += [f.alias if chinese else f.name for f in YEARLY_FIELDS]
    close = difflib.get_close_matches(header, known, n=1, cutoff=0.5)
    return close[0] if close else None


def flat_header(
    field: Field,
    year: int | None = None,
    *,
    until: bool = False,
    chinese: bool = False,
    first: bool = False,
) -> str:
    base = field.alias if chinese else field.name
    if first:
        return base + (FIRST_SUFFIX_ZH if chinese else FIRST_SUFFIX)
    if until:
        return base + (UNTIL_SUFFIX_ZH if chinese else UNTIL_SUFFIX)
    if year is not None:
        return f"{base}_{year}"
    return base


def flat_columns(years: tuple[int, ...] | list[int]) -> list[Column]:
    """Every column of the flat layout for the given years, in the template's order."""
    columns = [Column(f) for f in STATIC_FIELDS]
    columns += [Column(f, year=y) for f in YEARLY_FIELDS for y in years]
    for q in QUALIFICATIONS:
        columns += [Column(q), Column(q, until=True)]
    return columns


def first_columns() -> list[Column]:
    """`<qualification>_first` for every qualification: read by the rules engine (first_time),
    derived from the certificates on file; not a column of the import template."""
    return [Column(q, first=True) for q in QUALIFICATIONS]

"""What the policy service's lists export: a policy's matches and near misses, the payouts of
免申即享 (the 拨付清单 a finance bureau pays from), and the applications under review."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gaoxin.catalogue import parse_header
from gaoxin.core.exporting import Column, Export, Kind
from gaoxin.core.language import field_label
from gaoxin.enterprises.taxonomy_choices import label
from gaoxin.ledger.money import to_yuan


def _missing(names: list[str]) -> str:
    out = []
    for name in names or []:
        column = parse_header(name)
        if column is None:
            out.append(name)
        elif column.first:
            out.append(f"{field_label(column.field)}（是否首次认定）")
        elif column.year is None:
            out.append(field_label(column.field))
        else:
            out.append(f"{field_label(column.field)}（{column.year}）")
    return "、".join(out)


def _chain(code: str) -> str:
    return label("chain", code)


def _area(code: str) -> str:
    return label("area", code)


def _fen(name: str) -> Any:
    def read(row: Any) -> Any:
        fen = getattr(row, name)
        return None if fen is None else to_yuan(fen)

    return read


POLICIES = Export(
    _("政策库"),
    "policies",
    [
        Column(_("编号"), lambda p: p.slug, width=28),
        Column(_("名称"), lambda p: p.title, width=36),
        Column(_("发布单位"), lambda p: p.issuer, width=24),
        Column(_("政策依据"), lambda p: p.source, width=36),
        Column(_("类别"), lambda p: p.get_category_display()),
        Column(_("兑现方式"), lambda p: p.get_delivery_display()),
        Column(_("状态"), lambda p: p.get_status_display()),
        Column(_("生效日期"), lambda p: p.effective_from, Kind.DATE),
        Column(_("截止日期"), lambda p: p.effective_to, Kind.DATE),
        Column(_("符合条件的企业（家）"), lambda p: p.eligible_count, Kind.INTEGER),
    ],
)

MATCHES = Export(
    _("政策匹配结果"),
    "policy-matches",
    [
        Column(_("统一社会信用代码"), lambda m: m.enterprise.uscc, width=22),
        Column(_("企业名称"), lambda m: m.enterprise.name, width=36),
        Column(_("产业链"), lambda m: m.enterprise.chain, labels=_chain),
        Column(_("片区"), lambda m: m.enterprise.area, labels=_area),
        Column(_("结果"), lambda m: m.get_status_display()),
        Column(_("预计金额（万元）"), lambda m: m.amount, Kind.WAN),
        Column(_("差距"), lambda m: m.shortfall, width=40),
        Column(_("缺少的数据"), lambda m: _missing(m.missing), width=30),
        Column(_("评估日期"), lambda m: m.evaluated_on, Kind.DATE),
        Column(_("规则版本"), lambda m: m.version.version),
    ],
)

NEAR_MISSES = Export(
    _("差一点符合的企业"),
    "policy-near-misses",
    [
        Column(_("统一社会信用代码"), lambda m: m.enterprise.uscc, width=22),
        Column(_("企业名称"), lambda m: m.enterprise.name, width=36),
        Column(_("产业链"), lambda m: m.enterprise.chain, labels=_chain),
        Column(_("片区"), lambda m: m.enterprise.area, labels=_area),
        Column(_("差距"), lambda m: m.shortfall, width=40),
        Column(_("差距比例"), lambda m: m.gap, Kind.PERCENT),
        Column(_("评估日期"), lambda m: m.evaluated_on, Kind.DATE),
        Column(_("规则版本"), lambda m: m.version.version),
    ],
)

PAYOUTS = Export(
    _("拨付清单"),
    "payouts",
    [
        Column(_("批次号"), lambda p: p.batch.number if p.batch else "", width=24),
        Column(_("政策"), lambda p: p.policy.title, width=30),
        Column(_("企业名称"), lambda p: p.enterprise.name, width=36),
        Column(_("统一社会信用代码"), lambda p: p.enterprise.uscc, width=22),
        Column(_("开户银行"), lambda p: p.bank_name, width=24),
        Column(_("账户名称"), lambda p: p.account_name, width=36),
        Column(_("银行账号"), lambda p: p.account_number, width=24),
        Column(_("金额（元）"), _fen("amount_fen"), Kind.YUAN),
        # benefit.upto: the bound, apart from the amount (empty until decided)
        Column(_("上限（元）"), _fen("bound_fen"), Kind.YUAN),
        Column(_("预算年度"), lambda p: p.year),
        Column(_("状态"), lambda p: p.get_state_display()),
        Column(_("核验人"), lambda p: p.verified_by),
        Column(_("企业确认时间"), lambda p: p.confirmed_at, Kind.DATETIME),
    ],
)

APPLICATIONS = Export(
    _("政策申报"),
    "applications",
    [
        Column(_("企业名称"), lambda a: a.enterprise.name, width=36),
        Column(_("统一社会信用代码"), lambda a: a.enterprise.uscc, width=22),
        Column(_("政策"), lambda a: a.policy.title, width=30),
        Column(_("年度"), lambda a: a.year),
        Column(_("测算金额（万元）"), _fen("amount_fen"), Kind.WAN),
        Column(_("状态"), lambda a: a.get_state_display()),
        Column(_("提交时间"), lambda a: a.submitted_at, Kind.DATETIME),
    ],
)

"""The audit log as people read it: actions, objects and fields by their Chinese labels, values
as labels and amounts instead of codes (`payout_pushed` → 兑现：已推送, `state: verified` →
状态：已核验, `amount_fen: 12345` → 金额：123.45 元).

Core knows no domain app: labels come from the models' own verbose names and choices (through
Django's app registry), from the field catalogue, and from the table of action words below."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaoxin import catalogue

# Actions recorded as words of their own. An action `<prefix>_<value>` whose value is a choice
# of the object's model (payout_pushed, voucher_settled, fund) reads as that choice's label.
ACTIONS: dict[str, Any] = {
    "create": gettext_lazy("新建"),
    "update": gettext_lazy("修改"),
    "delete": gettext_lazy("删除"),
    "save": gettext_lazy("保存规则"),
    "save_unchanged": gettext_lazy("保存规则（内容未变）"),
    "publish": gettext_lazy("发布"),
    "expire": gettext_lazy("设为失效"),
    # core.workflow's moves, as the workflows name them
    "submit": gettext_lazy("提交审批"),
    "approve": gettext_lazy("审批通过"),
    "return": gettext_lazy("退回修改"),
    "supersede": gettext_lazy("被新版本取代"),
    "install": gettext_lazy("随政策库安装发布"),
    "import": gettext_lazy("导入"),
    "report": gettext_lazy("报送数据"),
    "qualify": gettext_lazy("登记资质"),
    "assign": gettext_lazy("分派服务专员"),
    "contact": gettext_lazy("修改联系人"),
    "apply": gettext_lazy("提交申报"),
    "notify": gettext_lazy("推送消息"),
    "retry_delivery": gettext_lazy("重发消息"),
    "opt_out": gettext_lazy("退订推送"),
    "webhook": gettext_lazy("配置群机器人"),
    "issue_token": gettext_lazy("签发接口令牌"),
    "revoke_token": gettext_lazy("吊销接口令牌"),
    "change_password": gettext_lazy("修改密码"),
    "grant_quota": gettext_lazy("核定创新券额度"),
    "grant_quotas": gettext_lazy("批量核定创新券额度"),
    "batch_create": gettext_lazy("生成兑现批次"),
    "batch_approve": gettext_lazy("审批兑现批次"),
    "batch_pay": gettext_lazy("拨付兑现批次"),
    "batch_publish": gettext_lazy("公示兑现批次"),
    "payout_allocation": gettext_lazy("名单超预算的处理"),
    "application_approve": gettext_lazy("申报审核通过"),
    "application_return": gettext_lazy("申报退回修改"),
    "application_reject": gettext_lazy("申报未通过"),
    "voucher_placed": gettext_lazy("创新券下单"),
    "voucher_settlement_issued": gettext_lazy("开具创新券结算单"),
    "voucher_settlement_paid": gettext_lazy("创新券结算付款"),
    "supermarket.provider_registered": gettext_lazy("服务机构注册"),
    "supermarket.provider_approved": gettext_lazy("服务机构审核通过"),
    "supermarket.provider_rejected": gettext_lazy("服务机构审核未通过"),
    "supermarket.provider_suspended": gettext_lazy("服务机构暂停"),
    "supermarket.provider_reinstated": gettext_lazy("服务机构恢复"),
    "supermarket.listing_created": gettext_lazy("新建服务产品"),
    "supermarket.listing_changed": gettext_lazy("修改服务产品"),
    "supermarket.listing_submitted": gettext_lazy("服务产品提交审核"),
    "supermarket.listing_approved": gettext_lazy("服务产品上架"),
    "supermarket.listing_rejected": gettext_lazy("服务产品审核未通过"),
    "supermarket.listing_withdrawn": gettext_lazy("服务产品下架"),
}
# Keys of audit snapshots that are not model fields.
KEYS: dict[str, Any] = {
    "payouts": gettext_lazy("兑现事项"),
    "total_fen": gettext_lazy("金额合计"),
    "allocation": gettext_lazy("处理方式"),
    "order": gettext_lazy("排序"),
    "year": gettext_lazy("年度"),
    "budget_left_fen": gettext_lazy("剩余预算"),
    "requested_fen": gettext_lazy("测算金额合计"),
    "requested_enterprises": gettext_lazy("测算企业数"),
    "allocated_fen": gettext_lazy("核定金额合计"),
    "allocated_enterprises": gettext_lazy("核定企业数"),
    "lines": gettext_lazy("分录"),
    "state": gettext_lazy("状态"),
    "roles": gettext_lazy("角色"),
    "count": gettext_lazy("数量"),
}
# Snapshot values that are words of the code, not of people.
WORDS: dict[str, Any] = {
    "prorate": gettext_lazy("按比例分配"),
    "rank": gettext_lazy("按排序截断"),
    "amount_desc": gettext_lazy("金额从高到低"),
    "amount_asc": gettext_lazy("金额从低到高"),
    "earliest": gettext_lazy("成立时间从早到晚"),
}
OTHER = gettext_lazy("其他信息")
# Machine bookkeeping kept in snapshots for audits by developers, not shown on pages.
HIDDEN = {
    "idempotency_key",
    "fingerprint",
    "reservation_key",
    "dedupe_key",
    "field_sources",
    "slug",  # a policy's id in its file, fixed at creation
}


_MODEL_LABEL = re.compile(r"^[a-z_]+\.[a-z_]+$")


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def model_of(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def model_label(label: str) -> str:
    model = model_of(label)
    return str(model._meta.verbose_name) if model is not None else str(OTHER)


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def action_label(action: str, model_label_: str = "") -> str:
    if action in ACTIONS:
        return str(ACTIONS[action])
    model = model_of(model_label_) if model_label_ else None
    value = action.partition("_")[2]
    for name in ("state", "kind", "status"):
        field = _field(model, name)
        for candidate in (value, action):
            if field is not None and field.choices and candidate in dict(field.choices):
                label = dict(field.choices)[candidate]
                return f"{model._meta.verbose_name}：{label}" if model else str(label)
    return str(_("其他操作"))


def field_label(model_label_: str, name: str) -> str:
    field = _field(model_of(model_label_), name)
    if field is not None and str(field.verbose_name) != name.replace("_", " "):
        return str(field.verbose_name)
    found = catalogue.BY_NAME.get(name.split(".")[-1])
    if found is not None:
        return found.alias
    return str(KEYS.get(name, OTHER))


def value_text(model_label_: str, name: str, value: Any) -> str:
    """A snapshot value as people read it."""
    if value is None or value == "":
        return "—"
    model = model_of(model_label_)
    field = _field(model, name)
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if name.endswith("_fen") and isinstance(value, int):
        from gaoxin.core.formatting import money

        return money(Decimal(value) / 100)
    if field is not None and field.choices:
        return str(dict(field.choices).get(value, value))
    if field is not None and field.is_relation and field.related_model is not None:
        related = field.related_model
        try:
            target = related._default_manager.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            return str(value)  # a snapshot that kept the object's number, not its key
        return str(target) if target is not None else "—"
    if isinstance(value, list):
        return "、".join(value_text("", "", v) for v in value[:20]) or "—"
    if isinstance(value, dict):
        return "；".join(
            f"{field_label(model_label_, str(k))}：{value_text(model_label_, str(k), v)}"
            for k, v in list(value.items())[:10]
        )
    if isinstance(value, str) and value in WORDS:
        return str(WORDS[value])
    if isinstance(value, str) and _MODEL_LABEL.match(value) and model_of(value) is not None:
        return model_label(value)
    return str(value)


def changes(entry: Any, limit: int | None = None) -> list[Change]:
    """The fields an audit entry changed, labelled, with readable before and after."""
    out = []
    shown = [c for c in entry.changed_fields() if c[0] not in HIDDEN]
    for name, before, after in shown[:limit]:
        out.append(
            Change(
                field_label(entry.model, name),
                value_text(entry.model, name, before),
                value_text(entry.model, name, after),
            )
        )
    return out

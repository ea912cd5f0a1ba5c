from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("未开放")
    OPEN = "open", _("开放中")
    CLOSED = "closed", _("已关闭")


class OrderState(models.TextChoices):
    PLACED = "placed", _("待接单")
    ACCEPTED = "accepted", _("服务中")
    DELIVERED = "delivered", _("已确认交付")
    REDEEMED = "redeemed", _("待审核")
    FIRST_APPROVED = "first_approved", _("待复审")
    APPROVED = "approved", _("待结算")
    SETTLED = "settled", _("已结算")
    CANCELLED = "cancelled", _("已取消")
    REJECTED = "rejected", _("未通过")


# The orders whose deduction still counts against the enterprise's quota and the budget.
ACTIVE_STATES = (
    OrderState.PLACED,
    OrderState.ACCEPTED,
    OrderState.DELIVERED,
    OrderState.REDEEMED,
    OrderState.FIRST_APPROVED,
    OrderState.APPROVED,
    OrderState.SETTLED,
)
REVIEW_STATES = (OrderState.REDEEMED, OrderState.FIRST_APPROVED)


class SettlementState(models.TextChoices):
    ISSUED = "issued", _("待付款")
    PAID = "paid", _("已付款")

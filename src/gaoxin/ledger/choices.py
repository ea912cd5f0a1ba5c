from django.db import models
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    DEBIT = "debit", _("借方")
    CREDIT = "credit", _("贷方")


class AccountKind(models.TextChoices):
    """A budget pool has one account of each of the first five kinds (docs/ledger.md).

    The funding account records where the pool's money came from (credit-normal); the other four
    say where that money is now (debit-normal), so funding = budget + reserved + payable + paid.
    """

    FUNDING = "funding", _("预算来源")
    BUDGET = "budget", _("可用预算")
    RESERVED = "reserved", _("已预留")
    PAYABLE = "payable", _("应付")
    PAID = "paid", _("已支付")
    EXPENSE = "expense", _("费用")
    RECEIVABLE = "receivable", _("应收")
    OTHER = "other", _("其他")


NORMAL_SIDE = {
    AccountKind.FUNDING: Side.CREDIT,
    AccountKind.BUDGET: Side.DEBIT,
    AccountKind.RESERVED: Side.DEBIT,
    AccountKind.PAYABLE: Side.DEBIT,
    AccountKind.PAID: Side.DEBIT,
    AccountKind.EXPENSE: Side.DEBIT,
    AccountKind.RECEIVABLE: Side.DEBIT,
    AccountKind.OTHER: Side.DEBIT,
}

POOL_KINDS = (
    AccountKind.FUNDING,
    AccountKind.BUDGET,
    AccountKind.RESERVED,
    AccountKind.PAYABLE,
    AccountKind.PAID,
)


class EntryKind(models.TextChoices):
    FUND = "fund", _("拨入预算")
    RESERVE = "reserve", _("预留")
    RELEASE = "release", _("释放预留")
    SETTLE = "settle", _("结算确认应付")
    PAY = "pay", _("支付")
    MANUAL = "manual", _("手工分录")

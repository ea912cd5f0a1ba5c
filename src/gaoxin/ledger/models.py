"""A double-entry ledger in integer fen (docs/ledger.md).

Postings are signed: a debit is positive, a credit negative; the postings of a journal entry
sum to zero. Each account's `balance_fen` is the running sum of its postings, moved by
`services._write_entry` in the same transaction as the postings (so a budget check reads five
rows, not every posting of the year); `selectors.check_balances` holds it equal to the sums.
Entries and postings are only ever inserted, by `services.py`; a correction is a new entry.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaoxin.ledger.choices import AccountKind, EntryKind, Side


class BudgetPool(models.Model):
    """The budget of one owner (a policy, a voucher programme) for one year. Its money lives in
    its five accounts; `total_fen` is the funded total, kept by `fund_budget` under the pool's
    row lock in the same transaction as the funding entry (a test holds it equal to the funding
    account's balance)."""

    name = models.CharField(_("预算名称"), max_length=200)
    owner_type = models.CharField(_("所属对象类型"), max_length=80)
    owner_id = models.CharField(_("所属对象编号"), max_length=64)
    year = models.PositiveSmallIntegerField(_("预算年度"), db_index=True)
    total_fen = models.BigIntegerField(_("预算总额（分）"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预算池")
        verbose_name_plural = _("预算池")
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "year"], name="ledger_pool_owner_year"
            ),
            models.CheckConstraint(condition=models.Q(total_fen__gte=0), name="ledger_pool_total"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.year}）"


class LedgerAccount(models.Model):
    code = models.CharField(_("科目代码"), max_length=100, unique=True)
    name = models.CharField(_("科目名称"), max_length=200)
    kind = models.CharField(_("科目类别"), max_length=20, choices=AccountKind.choices)
    normal_side = models.CharField(_("余额方向"), max_length=6, choices=Side.choices)
    # A generic reference to what the account belongs to, e.g. ("policies.policy", "3") or
    # ("enterprises.enterprise", "7"); blank for none.
    owner_type = models.CharField(_("所属对象类型"), max_length=80, blank=True)
    owner_id = models.CharField(_("所属对象编号"), max_length=64, blank=True)
    pool = models.ForeignKey(
        BudgetPool,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("预算池"),
    )
    # The signed sum of the account's postings (debit positive), kept by `_write_entry`.
    balance_fen = models.BigIntegerField(_("过账合计（分，借正贷负）"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints = [
            models.UniqueConstraint(fields=["pool", "kind"], name="ledger_account_pool_kind"),
        ]
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Reservation(models.Model):
    """Money set aside in a pool for one payout or voucher order, named by the idempotency key
    of its reserve entry. What is still reserved, payable and paid is derived from the postings
    of the entries that point here."""

    key = models.CharField(_("预留编号"), max_length=200, unique=True)
    pool = models.ForeignKey(
        BudgetPool, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("预算池")
    )
    amount_fen = models.BigIntegerField(_("预留金额（分）"))
    payee_type = models.CharField(_("收款对象类型"), max_length=80, blank=True)
    payee_id = models.CharField(_("收款对象编号"), max_length=64, blank=True)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预算预留")
        verbose_name_plural = _("预算预留")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="ledger_reservation_positive"
            ),
        ]
        indexes = [models.Index(fields=["payee_type", "payee_id"])]

    def __str__(self) -> str:
        return self.key


class JournalEntry(models.Model):
    """One balanced transaction. `idempotency_key` is unique: a retried call finds the entry
    its first attempt wrote; `fingerprint` (a hash of the request) tells a true retry from a
    different request that reuses a key."""

    at = models.DateTimeField(_("记账时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("分录类型"), max_length=20, choices=EntryKind.choices)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=150)
    # Callers' keys have at most 200 characters; derived keys ("release:<key>") a few more.
    idempotency_key = models.CharField(_("幂等键"), max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    pool = models.ForeignKey(
        BudgetPool,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("预算池"),
    )
    reservation = models.ForeignKey(
        Reservation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("预算预留"),
    )

    class Meta:
        verbose_name = _("记账分录")
        verbose_name_plural = _("记账分录")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return self.idempotency_key


class Posting(models.Model):
    """One line of an entry: `amount_fen` > 0 debits the account, < 0 credits it."""

    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="postings", verbose_name=_("分录")
    )
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="postings", verbose_name=_("账户")
    )
    amount_fen = models.BigIntegerField(_("金额（分，借正贷负）"))

    class Meta:
        verbose_name = _("记账明细")
        verbose_name_plural = _("记账明细")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_fen=0), name="ledger_posting_nonzero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen:+d}"

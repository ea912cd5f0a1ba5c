"""火炬创新券: the yearly scheme, each enterprise's quota, orders, reviews and settlements.

Money is integer fen. What the budget holds is on the ledger (a pool owned by the scheme);
an order's `deduction_fen` is what it claims on the enterprise's quota, written in the same
transaction as the ledger entry that reserves or settles it.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gaoxin.vouchers.choices import OrderState, SchemeStatus, SettlementState


class VoucherScheme(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    name = models.CharField(_("名称"), max_length=100)
    policy = models.ForeignKey(
        "policies.Policy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("资格政策"),
    )
    ratio = models.DecimalField(
        _("抵扣比例"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal(1))],
    )
    order_cap_fen = models.BigIntegerField(_("单笔抵扣上限（分）"))
    enterprise_cap_fen = models.BigIntegerField(_("单家企业年度额度上限（分）"))
    second_review_from_fen = models.BigIntegerField(_("两级审核起点（分）"))
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("创新券年度方案")
        verbose_name_plural = _("创新券年度方案")
        ordering = ("-year",)
        permissions = [
            ("manage_voucherscheme", "Can run the voucher scheme (budget, quotas)"),
            ("settle_voucherorder", "Can settle vouchers with providers"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(order_cap_fen__gt=0), name="scheme_order_cap"),
            models.CheckConstraint(
                condition=Q(enterprise_cap_fen__gt=0), name="scheme_enterprise_cap"
            ),
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="scheme_dates"),
        ]

    def __str__(self) -> str:
        return self.name


class VoucherQuota(models.Model):
    scheme = models.ForeignKey(VoucherScheme, on_delete=models.PROTECT, related_name="quotas")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="voucher_quotas"
    )
    granted_fen = models.BigIntegerField(_("年度额度（分）"))
    basis = models.JSONField(_("核定依据"), default=dict, blank=True)
    granted_by = models.CharField(max_length=150)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("创新券额度")
        verbose_name_plural = _("创新券额度")
        ordering = ("scheme", "enterprise")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "enterprise"], name="one_quota_a_year"),
            models.CheckConstraint(condition=Q(granted_fen__gt=0), name="quota_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.year} {self.enterprise}"


class VoucherOrder(models.Model):
    number = models.CharField(_("订单号"), max_length=20, unique=True, null=True, blank=True)
    scheme = models.ForeignKey(VoucherScheme, on_delete=models.PROTECT, related_name="orders")
    quota = models.ForeignKey(VoucherQuota, on_delete=models.PROTECT, related_name="orders")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="voucher_orders"
    )
    listing = models.ForeignKey(
        "supermarket.ServiceListing", on_delete=models.PROTECT, related_name="voucher_orders"
    )
    provider = models.ForeignKey(
        "supermarket.ProviderProfile", on_delete=models.PROTECT, related_name="voucher_orders"
    )
    contract_fee_fen = models.BigIntegerField(_("合同金额（分）"))
    contract_file = models.FileField(_("合同文件"), upload_to="vouchers/contracts/%Y/%m/")
    contract_name = models.CharField(_("合同文件名"), max_length=200)
    reserved_fen = models.BigIntegerField(_("预留抵扣（分）"))
    deduction_fen = models.BigIntegerField(_("抵扣金额（分）"))
    # How the deduction was reached: each limit and which one bound it.
    basis = models.JSONField(default=dict, blank=True)
    invoice_fee_fen = models.BigIntegerField(_("实际结算金额（分）"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=OrderState.choices, default=OrderState.PLACED
    )
    reviews = models.JSONField(default=list, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    settlement = models.ForeignKey(
        "VoucherSettlement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    placed_by = models.CharField(max_length=150)
    placed_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("创新券订单")
        verbose_name_plural = _("创新券订单")
        ordering = ("-placed_at", "-id")
        permissions = [("review_voucherorder", "Can review voucher redemptions")]
        indexes = [
            models.Index(fields=["scheme", "state"]),
            models.Index(fields=["provider", "state"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(contract_fee_fen__gt=0), name="order_fee_positive"),
            models.CheckConstraint(
                condition=Q(deduction_fen__gte=0) & Q(deduction_fen__lte=F("reserved_fen")),
                name="order_deduction_within_reserved",
            ),
            models.CheckConstraint(
                condition=Q(reserved_fen__lte=F("contract_fee_fen")),
                name="order_reserved_within_fee",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def reservation_key(self) -> str:
        return f"voucher-order:{self.pk}"

    @property
    def self_pay_fen(self) -> int:
        """What the enterprise pays the provider itself."""
        return (self.invoice_fee_fen or self.contract_fee_fen) - self.deduction_fen


class ProviderReview(models.Model):
    """评价: an enterprise rates a provider once per delivered order."""

    order = models.OneToOneField(VoucherOrder, on_delete=models.CASCADE, related_name="rating")
    provider = models.ForeignKey(
        "supermarket.ProviderProfile", on_delete=models.CASCADE, related_name="ratings"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("评价"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="review_stars_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.stars}★"


class VoucherSettlement(models.Model):
    """结算单: what the zone owes one provider for one period's approved redemptions."""

    number = models.CharField(_("结算单号"), max_length=24, unique=True)
    scheme = models.ForeignKey(VoucherScheme, on_delete=models.PROTECT, related_name="settlements")
    provider = models.ForeignKey(
        "supermarket.ProviderProfile", on_delete=models.PROTECT, related_name="settlements"
    )
    period = models.CharField(_("结算期"), max_length=8)  # 2026Q3
    # 1 for the period's statement; 2, 3… for supplementary ones (orders approved after it)
    sequence = models.PositiveSmallIntegerField(_("序号"), default=1)
    period_end = models.DateField(_("结算截止日"))
    total_fen = models.BigIntegerField(_("结算金额（分）"))
    order_count = models.PositiveIntegerField(_("订单数"))
    state = models.CharField(
        _("状态"), max_length=8, choices=SettlementState.choices, default=SettlementState.ISSUED
    )
    issued_by = models.CharField(max_length=150)
    issued_at = models.DateTimeField(auto_now_add=True)
    paid_by = models.CharField(max_length=150, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("创新券结算单")
        verbose_name_plural = _("创新券结算单")
        ordering = ("-period", "provider", "-sequence")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "provider", "period", "sequence"],
                name="one_settlement_a_period",
            )
        ]

    def __str__(self) -> str:
        return self.number

"""Service providers (服务机构) and the catalogue of the tech-service supermarket (科技服务超市)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaoxin.supermarket.choices import ListingStatus, ProviderStatus


class ServiceCategory(models.Model):
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("服务类别")
        verbose_name_plural = _("服务类别")
        ordering = ("position", "code")

    def __str__(self) -> str:
        return self.name


class Reviewed(models.Model):
    """What zone staff's review of a provider or a listing leaves: who, when, and why not."""

    reason = models.CharField(_("原因"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ProviderProfile(Reviewed):
    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="provider_profile",
        verbose_name=_("服务机构"),
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    categories = models.ManyToManyField(ServiceCategory, blank=True, verbose_name=_("服务类别"))
    qualifications = models.TextField(_("资质"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    description = models.TextField(_("机构简介"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ProviderStatus.choices, default=ProviderStatus.PENDING
    )

    class Meta:
        verbose_name = _("服务机构档案")
        verbose_name_plural = _("服务机构档案")
        ordering = ("organisation__name",)
        permissions = [
            ("review_providerprofile", "Can review service providers"),
            ("register_providerprofile", "Can register as a service provider"),
        ]

    def __str__(self) -> str:
        return self.organisation.name


class ServiceListing(Reviewed):
    provider = models.ForeignKey(
        ProviderProfile,
        on_delete=models.CASCADE,
        related_name="listings",
        verbose_name=_("服务机构"),
    )
    category = models.ForeignKey(
        ServiceCategory, on_delete=models.PROTECT, related_name="listings", verbose_name=_("类别")
    )
    title = models.CharField(_("服务名称"), max_length=120)
    description = models.TextField(_("服务内容"))
    price_min_fen = models.BigIntegerField(_("最低价（分）"))
    price_max_fen = models.BigIntegerField(_("最高价（分）"))
    unit = models.CharField(_("计价单位"), max_length=20)
    delivery_terms = models.TextField(_("交付条款"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ("-updated_at", "-id")
        permissions = [("review_servicelisting", "Can review service listings")]
        indexes = [models.Index(fields=["status", "category"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_min_fen__gt=0), name="listing_price_min_positive"
            ),
            models.CheckConstraint(
                condition=Q(price_max_fen__gte=F("price_min_fen")), name="listing_price_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def price_text(self) -> str:
        """ "12,000 ~ 80,000 元", or one price when the range is a single price."""
        low, high = yuan_number(self.price_min_fen), yuan_number(self.price_max_fen)
        numbers = low if low == high else f"{low} ~ {high}"
        return f"{numbers} {gettext('元')}"


def yuan_number(fen: int) -> str:
    """Whole yuan without decimals (12,000), otherwise two places (1,200.50)."""
    return f"{fen // 100:,}" if fen % 100 == 0 else f"{Decimal(fen) / 100:,.2f}"

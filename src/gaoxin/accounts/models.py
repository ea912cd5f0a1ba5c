from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaoxin.accounts.choices import SCOPE_ORDER, DataScope, OrganisationKind


class Organisation(models.Model):
    """A zone department, an enterprise, a service provider or a financial institution.
    Zone departments form a tree (`parent`); `path` holds the ids from the root so that
    "this department and below" is one prefix query."""

    kind = models.CharField(_("类型"), max_length=32, choices=OrganisationKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级部门"),
    )
    path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ("kind", "name")
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="organisation_kind_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        if path != self.path:
            self.path = path
            Organisation.objects.filter(pk=self.pk).update(path=path)

    @property
    def is_zone(self) -> bool:
        return self.kind == OrganisationKind.ZONE_DEPARTMENT


class Role(models.Model):
    code = models.SlugField(_("编码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    organisation_kind = models.CharField(
        _("适用组织类型"), max_length=32, choices=OrganisationKind.choices
    )
    data_scope = models.CharField(
        _("数据范围"), max_length=32, choices=DataScope.choices, default=DataScope.SELF
    )
    permissions = models.ManyToManyField(Permission, blank=True, verbose_name=_("权限"))
    builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ("organisation_kind", "code")

    def __str__(self) -> str:
        return gettext(self.name)  # built-in role names are marked with gettext_noop


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("所属组织"),
    )
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=32, blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("角色"))

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def organisation_kind(self) -> str | None:
        return self.organisation.kind if self.organisation_id else None  # type: ignore[union-attr]

    @property
    def is_zone_staff(self) -> bool:
        return self.is_superuser or self.organisation_kind == OrganisationKind.ZONE_DEPARTMENT

    @property
    def is_enterprise_user(self) -> bool:
        return self.organisation_kind == OrganisationKind.ENTERPRISE

    def data_scope(self) -> DataScope:
        if self.is_superuser:
            return DataScope.ALL
        scopes = {r.data_scope for r in self.roles.all()}
        for scope in SCOPE_ORDER:
            if scope in scopes:
                return scope
        return DataScope.SELF


class LoginLog(models.Model):
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    success = models.BooleanField(_("成功"))
    reason = models.CharField(_("结果"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("登录日志")
        verbose_name_plural = _("登录日志")
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["ip", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.success}"


class ApiToken(models.Model):
    """A bearer token for integrations; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who changed what, before and after: one row per change, written by `record_change()` in
    the same transaction as the change itself — also for commands and background jobs."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人"), max_length=150)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=40)
    model = models.CharField(_("对象类型"), max_length=80)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200)
    # The aggregate a change belongs to (an enterprise for its yearly figures), so that a
    # profile's change history is one indexed query.
    subject_model = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=["subject_model", "subject_id", "-at"]),
            models.Index(fields=["model", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class IdempotentRequest(models.Model):
    """A write a client may retry: the `Idempotency-Key` it sent, scoped to the caller and the
    endpoint (method and path), with the first response, so that the same request again gets
    that response back without running twice (`gaoxin.core.idempotency`). These keys are the
    client's; they never name a ledger entry (the ledger derives its own keys)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("用户"),
    )
    scope = models.CharField(_("接口"), max_length=300)
    key = models.CharField(_("幂等键"), max_length=200)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(_("响应状态"))
    content_type = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="core_idempotent_user_scope_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

"""Targeted push (精准推送): one `Message` per enterprise and subject, delivered through the
in-app inbox, e-mail and group robots (`Delivery`, one row per channel and recipient)."""

from __future__ import annotations

import urllib.parse

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gaoxin.enterprises.models import Contact, Enterprise
from gaoxin.notifications.choices import Channel, DeliveryStatus, WebhookKind


class WebhookEndpoint(models.Model):
    """A group robot (WeCom, DingTalk) or a JSON endpoint that every message is posted to."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    kind = models.CharField(_("类型"), max_length=12, choices=WebhookKind.choices)
    active = models.BooleanField(_("启用"), default=True)
    secret = models.CharField(
        _("签名密钥"),
        max_length=200,
        blank=True,
        help_text=_("钉钉机器人“加签”的密钥，或通用接口用于 HMAC-SHA256 签名的密钥；可不填。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("推送渠道")
        verbose_name_plural = _("推送渠道")
        ordering = ("name", "id")
        permissions = [("manage_webhooks", _("管理推送渠道"))]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        """The address without its query, where robot keys and access tokens live."""
        parts = urllib.parse.urlsplit(self.url)
        masked = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return f"{masked}?…" if parts.query else masked


class Message(models.Model):
    """One notification to one enterprise about one subject (a policy version matched…).
    `dedupe_key` makes a push happen once, however often the caller asks."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="messages", verbose_name=_("企业")
    )
    subject_type = models.CharField(_("事由类型"), max_length=60)
    subject_id = models.CharField(_("事由编号"), max_length=64)
    dedupe_key = models.CharField(_("去重键"), max_length=200, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    created_by = models.CharField(_("发起人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["enterprise", "-created_at"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One message through one channel to one recipient: a contact (inbox, e-mail), the whole
    enterprise (inbox, when no contact has an account) or a webhook endpoint."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("消息")
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("联系人"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("用户"),
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("推送渠道"),
    )
    address = models.CharField(_("地址"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("错误信息"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ("-created_at", "-id")
        permissions = [("retry_delivery", _("重新发送推送"))]
        indexes = [
            models.Index(fields=["status", "channel"]),
            models.Index(fields=["channel", "user"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.channel} {self.address or self.user_id or ''}"


class MessageRead(models.Model):
    """That a user has read a message in the inbox: read state per person, also for messages
    addressed to the whole enterprise."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reads"
    )
    read_at = models.DateTimeField(_("阅读时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已读记录")
        verbose_name_plural = _("已读记录")
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="message_read_unique")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.user_id}"

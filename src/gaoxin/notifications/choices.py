from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("邮件")
    WEBHOOK = "webhook", _("群机器人")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED_OPT_OUT = "skipped_opt_out", _("已退订，未发送")
    SKIPPED_NO_ADDRESS = "skipped_no_address", _("无地址，未发送")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    GENERIC = "generic", _("通用 JSON 接口")

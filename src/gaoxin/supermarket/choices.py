from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class ProviderStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已入驻")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已上架")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已下架")


# code, Chinese name (seeded by migration 0002; shown through gettext)
CATEGORIES = (
    ("rd", gettext_noop("技术研发")),
    ("testing", gettext_noop("检测认证")),
    ("ip", gettext_noop("知识产权")),
    ("simulation", gettext_noop("工业仿真")),
    ("smart_manufacturing", gettext_noop("智能制造")),
    ("finance", gettext_noop("金融")),
    ("training", gettext_noop("人才培训")),
    ("consulting", gettext_noop("管理咨询")),
)

from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    EXPIRED = "expired", _("已失效")


class VersionState(models.TextChoices):
    """A version's way to publication: written, submitted, approved by another person, then
    published (`policies.versions.REVIEW`)."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待审批")
    APPROVED = "approved", _("已审批，待发布")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本取代")


class Stage(models.TextChoices):
    """Whether the document is in force or a draft circulated for comment."""

    FINAL = "final", _("正式文件")
    FOR_COMMENT = "for_comment", _("征求意见稿")


class Category(models.TextChoices):
    SUBSIDY = "subsidy", _("补助")
    VOUCHER = "voucher", _("创新券")
    AWARD = "award", _("奖励")
    INTEREST = "interest", _("贴息")
    QUALIFICATION = "qualification", _("资质认定")
    SCREEN = "screen", _("培育筛选")


class Delivery(models.TextChoices):
    AUTO = "auto", _("免申即享")
    APPLY = "apply", _("网上申报")
    NOTICE = "notice", _("仅告知")


class MatchStatus(models.TextChoices):
    ELIGIBLE = "eligible", _("符合")
    REVIEW = "review", _("待人工审核")
    UNKNOWN = "unknown", _("数据不足")
    INELIGIBLE = "ineligible", _("差一点")  # stored only as a near miss


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("匹配中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class PayoutState(models.TextChoices):
    """免申即享, step by step (PRODUCT.md: how real platforms run it)."""

    IDENTIFIED = "identified", _("已识别")
    PUSHED = "pushed", _("已推送")
    CONFIRMED = "confirmed", _("企业已确认")
    VERIFIED = "verified", _("已核验")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已拨付")
    PUBLISHED = "published", _("已公示")
    ARCHIVED = "archived", _("已归档")
    REJECTED = "rejected", _("未通过")


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    HIGH = "high", _("高（需人工复核）")


class BatchState(models.TextChoices):
    DRAFT = "draft", _("待审批")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已拨付")
    PUBLISHED = "published", _("已公示")


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("已提交，待审核")
    RETURNED = "returned", _("已退回，待企业修改")
    FIRST_APPROVED = "first_approved", _("初审通过，待复审")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")

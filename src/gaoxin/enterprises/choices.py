from django.db import models
from django.utils.translation import gettext_lazy as _


class DataSource(models.TextChoices):
    """Where a value came from. Government data prevails over zone-verified data, which
    prevails over what the enterprise declared."""

    GOVERNMENT = "government", _("政府部门数据")
    VERIFIED = "verified", _("园区核实")
    DECLARED = "declared", _("企业申报")


# Highest precedence first.
SOURCE_PRECEDENCE = [DataSource.GOVERNMENT, DataSource.VERIFIED, DataSource.DECLARED]


class ContactRole(models.TextChoices):
    LEGAL_REP = "legal_rep", _("法定代表人")
    FINANCE_HEAD = "finance_head", _("财务负责人")
    CONTACT = "contact", _("联系人")


class SizeBand(models.TextChoices):
    """Enterprise size by the 2011 MIIT classification (工信部联企业〔2011〕300号), with the
    thresholds of the enterprise's industry (`gaoxin.enterprise_size`)."""

    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")
    UNKNOWN = "unknown", _("未知")


class PatentKind(models.TextChoices):
    """专利类型: the values a rule compares (`kind == "发明"`) are the Chinese words."""

    INVENTION = "发明", _("发明")
    UTILITY_MODEL = "实用新型", _("实用新型")
    DESIGN = "外观设计", _("外观设计")


class PatentScope(models.TextChoices):
    DOMESTIC = "国内", _("国内")
    PCT = "PCT", _("PCT国际")


class Degree(models.TextChoices):
    """学位 as a rule compares it (`degree == "博士"`)."""

    BACHELOR = "学士", _("学士")
    MASTER = "硕士", _("硕士")
    DOCTOR = "博士", _("博士")
    OTHER = "其他", _("其他")


class Recognition(models.TextChoices):
    """Whether a certificate is the enterprise's first of its kind or a renewal, as the source
    says; blank when it does not (the history on file may still tell, see flat.py)."""

    FIRST = "first", _("首次认定")
    RENEWAL = "renewal", _("重新认定")
    UNSTATED = "", _("未注明")

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    ZONE_DEPARTMENT = "zone_department", _("园区部门")
    ENTERPRISE = "enterprise", _("企业")
    SERVICE_PROVIDER = "service_provider", _("服务机构")
    FINANCIAL_INSTITUTION = "financial_institution", _("金融机构")


class DataScope(models.TextChoices):
    """How far a zone staff member sees, as in RuoYi-style government systems."""

    ALL = "all", _("全部数据")
    DEPARTMENT = "department", _("本部门数据")
    DEPARTMENT_AND_BELOW = "department_and_below", _("本部门及以下数据")
    SELF = "self", _("仅本人数据")


# Widest first: a user with several roles gets the widest scope among them.
SCOPE_ORDER = [DataScope.ALL, DataScope.DEPARTMENT_AND_BELOW, DataScope.DEPARTMENT, DataScope.SELF]

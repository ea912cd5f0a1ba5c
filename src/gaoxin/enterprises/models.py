"""The enterprise registry. Field names, Chinese labels and types come from the field
catalogue (`gaoxin.catalogue`); a test holds these models and the catalogue together."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from gaoxin.accounts.models import Organisation
from gaoxin.enterprises.choices import (
    ContactRole,
    DataSource,
    Degree,
    PatentKind,
    PatentScope,
    Recognition,
    SizeBand,
)

MONEY = {"max_digits": 18, "decimal_places": 2, "null": True, "blank": True}


def money(label: StrOrPromise) -> models.DecimalField:
    return models.DecimalField(label, **MONEY)  # type: ignore[arg-type]


def count(label: StrOrPromise) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, null=True, blank=True)


class Enterprise(models.Model):
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True)
    registered_at = models.DateField(_("成立日期"), null=True, blank=True)
    registered_capital = money(_("注册资本"))
    industry = models.CharField(_("国民经济行业代码"), max_length=8, blank=True, db_index=True)
    area = models.CharField(_("片区"), max_length=40, blank=True, db_index=True)
    chain = models.CharField(_("产业链"), max_length=40, blank=True, db_index=True)
    segment = models.CharField(_("产业链环节"), max_length=60, blank=True)
    in_zone = models.BooleanField(_("园区注册"), null=True, blank=True)
    landed_at = models.DateField(_("落户日期"), null=True, blank=True)
    employees = count(_("职工总数"))
    tech_staff = count(_("科技人员"))
    rd_staff = count(_("研发人员"))
    postgrad_staff = count(_("硕博人员"))
    class1_ip = count(_("Ⅰ类知识产权"))
    invention_patents = count(_("发明专利"))
    utility_models = count(_("实用新型"))
    software_copyrights = count(_("软件著作权"))
    major_incident = models.BooleanField(_("重大安全质量事故或严重环境违法"), null=True, blank=True)

    size_band = models.CharField(
        _("企业规模"),
        max_length=10,
        choices=SizeBand.choices,
        default=SizeBand.UNKNOWN,
        db_index=True,
    )
    # The latest year with a revenue figure and that figure, kept by the services so that the
    # registry list sorts by size without a join.
    latest_year = models.PositiveSmallIntegerField(_("最新年度"), null=True, blank=True)
    latest_revenue = money(_("最新营业收入"))
    # field name -> {"source": DataSource, "at": ISO time}: where each static value came from.
    field_sources = models.JSONField(default=dict, blank=True)

    organisation = models.OneToOneField(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprise",
        verbose_name=_("企业账号组织"),
    )
    department = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="served_enterprises",
        verbose_name=_("服务部门"),
        limit_choices_to={"kind": "zone_department"},
    )
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="served_enterprises",
        verbose_name=_("服务专员"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ("name", "id")
        permissions = [
            ("import_enterprises", _("导入企业")),
            ("export_enterprises", _("导出企业")),
            ("declare_enterprise", _("企业申报本企业数据")),
        ]
        indexes = [
            models.Index(fields=["-latest_revenue", "id"]),
            models.Index(fields=["chain", "segment"]),
        ]

    def __str__(self) -> str:
        return self.name


class YearlyValues(models.Model):
    """The yearly fields of the catalogue, one column each."""

    year = models.PositiveSmallIntegerField(_("年度"))
    revenue = money(_("营业收入"))
    main_business_revenue = money(_("主营业务收入"))
    high_tech_revenue = money(_("高新技术产品收入"))
    rd_expense = money(_("研发费用"))
    rd_expense_domestic = money(_("境内研发费用"))
    profit = money(_("利润总额"))
    net_profit = money(_("净利润"))
    tax = money(_("纳税总额"))
    total_assets = money(_("资产总额"))
    total_liabilities = money(_("负债总额"))
    exports = money(_("出口额"))
    equity_raised = money(_("股权融资额"))

    class Meta:
        abstract = True


class ReportedFigures(YearlyValues):
    """One year's figures as one source reported them. Kept per source so that staff can see
    what the enterprise declared beside what a government source says."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="reports")
    source = models.CharField(_("数据来源"), max_length=12, choices=DataSource.choices)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)
    recorded_by = models.CharField(_("记录人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("年度数据（按来源）")
        verbose_name_plural = _("年度数据（按来源）")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "source"], name="reported_figures_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.source}"


class YearlyFigures(YearlyValues):
    """The figures in force for one enterprise and year: each field taken from the most
    authoritative source that has it. Rebuilt by the services whenever a report changes."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="years")
    sources = models.JSONField(default=dict, blank=True)  # field -> DataSource

    class Meta:
        verbose_name = _("年度指标")
        verbose_name_plural = _("年度指标")
        ordering = ("year",)
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="yearly_figures_unique")
        ]
        indexes = [
            models.Index(fields=["year", "enterprise"]),
            # The registry list's default order: a year's enterprises by revenue (listing.Rows).
            models.Index(fields=["year", "-revenue", "enterprise"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year}"


class Qualification(models.Model):
    """A certificate: 国家高新技术企业, 专精特新… valid from the grant date to the expiry date
    inclusive."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="qualifications"
    )
    kind = models.CharField(_("资质"), max_length=40, db_index=True)
    granted_on = models.DateField(_("认定日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    certificate_no = models.CharField(_("证书编号"), max_length=60, blank=True)
    recognition = models.CharField(
        _("认定类型"),
        max_length=8,
        choices=Recognition.choices,
        default="",
        db_default="",  # bulk inserts (imports, the demo) name only the columns they fill
        blank=True,
    )
    source = models.CharField(
        _("数据来源"), max_length=12, choices=DataSource.choices, default=DataSource.VERIFIED
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        verbose_name = _("资质")
        verbose_name_plural = _("资质")
        ordering = ("kind", "-granted_on")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "kind", "granted_on"], name="qualification_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.kind} {self.granted_on}"

    def valid_on(self, day: dt.date) -> bool:
        return self.granted_on <= day and (self.valid_until is None or day <= self.valid_until)


class Contact(models.Model):
    """A person of an enterprise that pushes go to: the legal representative, the finance
    head, contact persons."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(_("角色"), max_length=20, choices=ContactRole.choices)
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("手机号"), max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_roles",
    )
    receives_push = models.BooleanField(_("接收推送"), default=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ("enterprise", "role", "name")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class ImportBatch(models.Model):
    """One upload of an Excel/CSV file: previewed, then committed all at once or not at all."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        FAILED = "failed", _("有错误")
        COMMITTED = "committed", _("已导入")
        DISCARDED = "discarded", _("已放弃")

    class Mode(models.TextChoices):
        CREATE = "create", _("仅新增企业")
        UPSERT = "upsert", _("新增并更新已有企业（按统一社会信用代码）")

    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    mode = models.CharField(_("导入方式"), max_length=10, choices=Mode.choices)
    source = models.CharField(_("数据来源"), max_length=12, choices=DataSource.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("数据行数"), default=0)
    create_count = models.PositiveIntegerField(_("新增"), default=0)
    update_count = models.PositiveIntegerField(_("更新"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(default=list, blank=True)  # the first errors, for the page
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


# -- records linked to an enterprise (the rules engine's persons and item tables) ----------


class Person(models.Model):
    """A person of an enterprise whom a policy may pay (a talent, a team leader, a founder):
    the fields of `catalogue.PERSON_FIELDS`. A policy with `beneficiary: person` is evaluated
    for each person, with the employer's fields beside the person's."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="people", verbose_name=_("所在企业")
    )
    name = models.CharField(_("姓名"), max_length=100)
    degree = models.CharField(_("学位"), max_length=10, choices=Degree.choices, blank=True)
    professional_title = models.CharField(_("职称"), max_length=40, blank=True)
    talent_category = models.CharField(_("人才类别"), max_length=40, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    settled_at = models.DateField(_("个人落户日期"), null=True, blank=True)
    joined_at = models.DateField(_("入职日期"), null=True, blank=True)
    contract_years = count(_("劳动合同年限"))
    social_insurance_months = count(_("社保缴纳月数"))
    # A login of the person's own, when they have one (sees the payouts made to them).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person_records",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ("enterprise", "name", "id")

    def __str__(self) -> str:
        return self.name


class PersonYear(models.Model):
    """A person's yearly figures: salary and the locally retained share of income tax."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("年度"))
    annual_salary = money(_("年薪"))
    retained_income_tax = money(_("个税地方留成"))

    class Meta:
        verbose_name = _("人员年度数据")
        verbose_name_plural = _("人员年度数据")
        ordering = ("person", "year")
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="person_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"


class Patent(models.Model):
    """A patent of the enterprise (item table `patents`): paid patent by patent."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="patents")
    number = models.CharField(_("专利号"), max_length=40)
    kind = models.CharField(_("专利类型"), max_length=10, choices=PatentKind.choices)
    scope = models.CharField(
        _("授权范围"), max_length=10, choices=PatentScope.choices, default=PatentScope.DOMESTIC
    )
    granted_on = models.DateField(_("授权日"), null=True, blank=True)

    class Meta:
        verbose_name = _("专利")
        verbose_name_plural = _("专利")
        ordering = ("enterprise", "-granted_on", "number")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "number"], name="patent_unique")
        ]

    def __str__(self) -> str:
        return self.number


class EquipmentPurchase(models.Model):
    """A piece of equipment the enterprise bought (item table `equipment`)."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="equipment_purchases"
    )
    name = models.CharField(_("设备名称"), max_length=100)
    amount = money(_("购置金额"))
    purchased_on = models.DateField(_("购置日期"), null=True, blank=True)
    robot = models.BooleanField(_("工业机器人"), null=True, blank=True)

    class Meta:
        verbose_name = _("设备购置")
        verbose_name_plural = _("设备购置")
        ordering = ("enterprise", "-purchased_on", "id")

    def __str__(self) -> str:
        return self.name


class Tenancy(models.Model):
    """A tenant of an incubator or science park run by the enterprise (item table `tenants`):
    the park is paid by its tenants' leased area."""

    incubator = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="tenancies", verbose_name=_("园区")
    )
    tenant = models.ForeignKey(
        Enterprise,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leases",
        verbose_name=_("入驻企业"),
    )
    tenant_name = models.CharField(_("入驻企业名称"), max_length=200)
    leased_area = count(_("租用面积"))
    moved_in = models.DateField(_("入驻日期"), null=True, blank=True)
    strategic_emerging = models.BooleanField(_("战略性新兴产业企业"), null=True, blank=True)
    paid_in_capital = money(_("实缴注册资本"))

    class Meta:
        verbose_name = _("入驻企业")
        verbose_name_plural = _("入驻企业")
        ordering = ("incubator", "tenant_name", "id")

    def __str__(self) -> str:
        return self.tenant_name

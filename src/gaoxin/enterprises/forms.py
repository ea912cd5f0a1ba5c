"""Forms built from the field catalogue: each field is parsed by `values.parse_value`, so a
form accepts exactly what the import and the API accept ("500万", "2024/6/30", "是")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gaoxin import catalogue
from gaoxin.catalogue import FieldType
from gaoxin.core.language import field_label, field_unit
from gaoxin.enterprises.choices import ContactRole, DataSource, Recognition
from gaoxin.enterprises.taxonomy_choices import area_choices, chain_choices
from gaoxin.enterprises.values import InvalidValue, parse_value

IDENTITY = [
    "name",
    "legal_representative",
    "registered_at",
    "registered_capital",
    "industry",
    "area",
    "chain",
    "segment",
    "in_zone",
    "landed_at",
]
STAFF_AND_IP = [
    "employees",
    "tech_staff",
    "rd_staff",
    "postgrad_staff",
    "class1_ip",
    "invention_patents",
    "utility_models",
    "software_copyrights",
    "major_incident",
]
_INPUT_TYPES = {FieldType.DATE: "date", FieldType.INTEGER: "number"}
_BOOLEAN_CHOICES = [("", "—"), ("是", _("是")), ("否", _("否"))]


class CatalogueField(forms.CharField):
    def __init__(self, field: catalogue.Field, **kwargs: Any) -> None:
        self.catalogue_field = field
        unit = field_unit(field)
        label = field_label(field) + (f" ({unit})" if unit else "")
        widget: forms.Widget
        if field.type is FieldType.BOOLEAN:
            widget = forms.Select(choices=_BOOLEAN_CHOICES)
        elif field.name == "chain":
            widget = forms.Select(choices=[("", "—"), *chain_choices()])
        elif field.name == "area":
            widget = forms.Select(choices=[("", "—"), *area_choices()])
        else:
            attrs = {"inputmode": "decimal"} if field.type is FieldType.MONEY else {}
            widget = forms.TextInput(attrs={**attrs, "type": _INPUT_TYPES.get(field.type, "text")})
        help_text = field.help or (_("可写 500万、2亿") if field.type is FieldType.MONEY else "")
        super().__init__(
            label=label, required=field.required, help_text=help_text, widget=widget, **kwargs
        )

    def clean(self, value: Any) -> Any:
        raw = super().clean(value)
        try:
            return parse_value(self.catalogue_field, raw)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc)) from None


def display_value(field: catalogue.Field, value: Any) -> str:
    if value is None:
        return ""
    if field.type is FieldType.BOOLEAN:
        return "是" if value else "否"
    if field.type is FieldType.MONEY:
        return format(value, "f")
    return str(value)


def static_form(
    names: list[str],
    *,
    data: Any = None,
    initial: dict | None = None,
    locked: frozenset[str] | set[str] = frozenset(),
) -> forms.Form:
    """A form over the named static fields; `locked` fields are shown read-only (a value
    confirmed by a more authoritative source)."""
    form = forms.Form(data=data, initial=initial or {})
    for name in names:
        field = CatalogueField(catalogue.BY_NAME[name])
        if name in locked:
            field.disabled = True
            field.help_text = _("已由更权威的来源确认，如有异议请联系园区")
        form.fields[name] = field
    return form


def yearly_form(*, data: Any = None, initial: dict | None = None) -> forms.Form:
    form = forms.Form(data=data, initial=initial or {})
    for field in catalogue.YEARLY_FIELDS:
        form.fields[field.name] = CatalogueField(field)
    return form


def initial_from(obj: Any, names: list[str] | tuple[str, ...]) -> dict[str, str]:
    return {n: display_value(catalogue.BY_NAME[n], getattr(obj, n)) for n in names}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件"), help_text=_(".xlsx 或 .csv（UTF-8 或 GBK），第一行为表头")
    )
    mode = forms.ChoiceField(
        label=_("导入方式"),
        choices=[
            ("create", _("仅新增企业")),
            ("upsert", _("新增并更新已有企业（按统一社会信用代码）")),
        ],
    )
    source = forms.ChoiceField(
        label=_("数据来源"),
        initial=DataSource.VERIFIED,
        choices=[
            (DataSource.VERIFIED, DataSource.VERIFIED.label),
            (DataSource.GOVERNMENT, DataSource.GOVERNMENT.label),
        ],
        help_text=_("政府部门数据优先于园区核实数据，园区核实数据优先于企业申报数据"),
    )


def qualification_choices() -> list[tuple[str, str]]:
    return [(q.name, field_label(q)) for q in catalogue.QUALIFICATIONS]


class QualificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("资质"), choices=qualification_choices)
    granted_on = forms.DateField(
        label=_("认定日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("不填则按资质有效年限推算（高企 3 年）"),
    )
    certificate_no = forms.CharField(label=_("证书编号"), required=False, max_length=60)
    recognition = forms.ChoiceField(
        label=_("认定类型"),
        choices=Recognition.choices,
        required=False,
        help_text=_("首次认定与重新认定的奖励可能不同；不清楚时不填，按已登记的历史证书判断"),
    )


class ContactForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=ContactRole.choices)
    name = forms.CharField(label=_("姓名"), max_length=100)
    phone = forms.CharField(label=_("手机号"), required=False, max_length=32)
    email = forms.EmailField(label=_("邮箱"), required=False)
    receives_push = forms.BooleanField(label=_("接收政策推送"), required=False, initial=True)


LINKED_TABLES = [
    ("persons", _("人员（人才、团队带头人、创始人）")),
    ("patents", _("专利")),
    ("equipment", _("设备购置")),
    ("tenants", _("孵化载体的入驻企业")),
]


class LinkedImportForm(forms.Form):
    table = forms.ChoiceField(label=_("导入内容"), choices=LINKED_TABLES)
    file = forms.FileField(
        label=_("文件"), help_text=_(".xlsx 或 .csv（UTF-8 或 GBK），第一行为表头")
    )

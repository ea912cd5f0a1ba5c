from django import forms
from django.utils.translation import gettext_lazy as _


class PolicyTextForm(forms.Form):
    text = forms.CharField(
        label=_("规则文本（YAML）"),
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "font-monospace"}),
        help_text=_("一项政策一个文件：条件、参数、金额公式和测试。保存前会逐行检查。"),
    )

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gaoxin.notifications.choices import WebhookKind


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=WebhookKind.choices)
    url = forms.URLField(
        label=_("地址"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "群机器人的 Webhook 地址，例如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        ),
    )
    secret = forms.CharField(
        label=_("签名密钥"),
        max_length=200,
        required=False,
        help_text=_("钉钉“加签”密钥或通用接口的签名密钥；修改时留空表示保持原密钥。"),
        widget=forms.PasswordInput(render_value=False),
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

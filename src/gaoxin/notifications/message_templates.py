"""The wording of pushed messages: Chinese Django templates in code, English through gettext.
A message is rendered once, in the language active when it is pushed (Chinese by default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, Template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MessageTemplate:
    title: str | Promise
    body: str | Promise


MESSAGE_TEMPLATES: dict[str, MessageTemplate] = {
    "policy_matched": MessageTemplate(
        _("您的企业可能符合《{{ policy }}》"),
        _(
            "【{{ zone }}】您的企业可能符合《{{ policy }}》，预计可获 {{ amount }}。"
            "点击查看：{{ link }}"
        ),
    ),
    "payout_listed": MessageTemplate(
        _("《{{ policy }}》免申即享：请确认"),
        _(
            "【{{ zone }}】您的企业已列入《{{ policy }}》免申即享名单，拟兑现 {{ amount }}。"
            "请核对企业信息和收款账户：{{ link }}"
        ),
    ),
}


def render(kind: str, **values: Any) -> tuple[str, str]:
    """The title and body of a message of `kind`, with `values` filled in (not HTML-escaped:
    the result is plain text, escaped again wherever a page shows it)."""
    template = MESSAGE_TEMPLATES[kind]
    values.setdefault("zone", settings.GAOXIN_ZONE_NAME)
    context = Context(values, autoescape=False)
    title = Template(str(template.title)).render(context).strip()
    body = Template(str(template.body)).render(context).strip()
    return title, body

"""What the service supermarket's lists export: the service providers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaoxin.core.exporting import Column, Export, Kind


def _categories(profile: Any) -> str:
    return "、".join(gettext(c.name) for c in profile.categories.all())


PROVIDERS = Export(
    _("服务机构"),
    "providers",
    [
        Column(_("服务机构"), lambda p: p.organisation.name, width=36),
        Column(_("统一社会信用代码"), lambda p: p.uscc, width=22),
        Column(_("服务类别"), _categories, width=30),
        Column(_("联系人"), lambda p: p.contact_name),
        Column(_("联系电话"), lambda p: p.contact_phone),
        Column(_("联系邮箱"), lambda p: p.contact_email, width=24),
        Column(_("状态"), lambda p: p.get_status_display()),
        Column(_("原因"), lambda p: p.reason, width=30),
        Column(_("申请时间"), lambda p: p.created_at, Kind.DATETIME),
        Column(_("审核时间"), lambda p: p.reviewed_at, Kind.DATETIME),
    ],
)

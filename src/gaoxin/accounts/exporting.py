"""The login log as its page filters it, and as it exports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaoxin.accounts.models import LoginLog
from gaoxin.core.exporting import Column, Export, Kind


def login_entries(params: Any) -> tuple[QuerySet[LoginLog], str]:
    logs = LoginLog.objects.all()
    q = (params.get("q") or "").strip()[:100]
    if q:
        logs = logs.filter(username__icontains=q)
    return logs.order_by("-at", "-id"), q


def _result(log: LoginLog) -> str:
    if log.success:
        return gettext("成功")
    return gettext("已锁定") if log.reason == "locked" else gettext("密码错误")


LOGINS = Export(
    _("登录日志"),
    "login-log",
    [
        Column(_("时间"), lambda log: log.at, Kind.TIMESTAMP),
        Column(_("用户名"), lambda log: log.username),
        Column(_("IP 地址"), lambda log: log.ip),
        Column(_("结果"), _result),
        Column(_("浏览器"), lambda log: log.user_agent, width=60),
    ],
)

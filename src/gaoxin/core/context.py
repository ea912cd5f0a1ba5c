"""The frame every page shares: the navigation the user's role may open, and the zone name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str


def navigation(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = [NavItem(_("首页"), "home", "house")]
    if user.is_zone_staff and user.has_perm("enterprises.view_enterprise"):
        items.append(NavItem(_("企业库"), "enterprises:list", "buildings"))
    if user.is_zone_staff and user.has_perm("policies.view_policy"):
        items.append(NavItem(_("政策服务"), "policies:list", "journal-check"))
        items.append(NavItem(_("兑现报表"), "policies:report", "bar-chart"))
    if user.has_perm("policies.review_application"):
        items.append(NavItem(_("申报审核"), "policies:applications", "clipboard-check"))
    items.append(NavItem(_("科技服务超市"), "supermarket:list", "shop"))
    if user.has_perm("supermarket.register_providerprofile"):
        items.append(NavItem(_("我的服务"), "supermarket:mine", "briefcase"))
    if user.is_zone_staff and user.has_perm("supermarket.review_servicelisting"):
        items.append(NavItem(_("服务审核"), "supermarket:review", "patch-check"))
    if user.is_zone_staff and user.has_perm("vouchers.view_voucherscheme"):
        items.append(NavItem(_("创新券"), "vouchers:scheme", "ticket-perforated"))
    if user.is_zone_staff and user.has_perm("vouchers.view_voucherorder"):
        items.append(NavItem(_("创新券订单"), "vouchers:review", "receipt"))
        items.append(NavItem(_("创新券报表"), "vouchers:report", "pie-chart"))
    if user.is_zone_staff and user.has_perm("vouchers.view_vouchersettlement"):
        items.append(NavItem(_("创新券结算"), "vouchers:settlements", "bank"))
    if user.organisation_kind == "service_provider":
        items.append(NavItem(_("创新券订单"), "vouchers:provider", "receipt"))
        items.append(NavItem(_("创新券结算"), "vouchers:settlements", "bank"))
    if user.has_perm("enterprises.import_enterprises"):
        items.append(NavItem(_("数据导入"), "enterprises:import", "upload"))
    if user.is_enterprise_user:
        items.append(NavItem(_("我的政策"), "policies:mine", "stars"))
        items.append(NavItem(_("我的兑现"), "policies:my_payouts", "cash-coin"))
        items.append(NavItem(_("我的申报"), "policies:my_applications", "send"))
        items.append(NavItem(_("我的创新券"), "vouchers:mine", "ticket-perforated"))
        items.append(NavItem(_("我的企业"), "enterprises:mine", "building"))
    if user.has_perm("notifications.view_delivery"):
        items.append(NavItem(_("推送记录"), "notifications:deliveries", "send"))
    if user.has_perm("notifications.manage_webhooks"):
        items.append(NavItem(_("推送渠道"), "notifications:webhooks", "broadcast"))
    if user.has_perm("core.view_auditentry"):
        items.append(NavItem(_("操作日志"), "system:audit", "journal-text"))
    if user.has_perm("accounts.view_loginlog"):
        items.append(NavItem(_("登录日志"), "system:logins", "shield-lock"))
    items.append(NavItem(_("账号安全"), "accounts:password", "key"))
    return items


def frame(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = navigation(user)
    urls = [reverse(item.url_name) for item in items]
    # the longest matching prefix is the active entry (/supermarket/review/ is not the catalogue)
    matching = [u for u in urls if (request.path == u if u == "/" else request.path.startswith(u))]
    current = max(matching, key=len, default=None)
    nav = [
        {"label": item.label, "url": url, "icon": item.icon, "active": url == current}
        for item, url in zip(items, urls, strict=True)
    ]
    return {"nav": nav, "zone_name": settings.GAOXIN_ZONE_NAME}

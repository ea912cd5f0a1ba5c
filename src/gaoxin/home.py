"""The home page of each role. It sits above the apps because it gathers what each of them
has for the user who signs in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from gaoxin.enterprises import selectors
from gaoxin.enterprises.dashboard import dashboard
from gaoxin.notifications.selectors import unread_count
from gaoxin.supermarket import selectors as market
from gaoxin.supermarket.choices import ListingStatus
from gaoxin.vouchers import selectors as vouchers
from gaoxin.vouchers.choices import OrderState, SettlementState


@dataclass(frozen=True)
class Card:
    """One thing the user can do today: where, how many, and what the number means."""

    label: str
    url: str
    icon: str
    count: int | None = None
    note: str = ""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_enterprise_user:
        return redirect("enterprises:mine")
    if user.is_zone_staff and user.has_perm("enterprises.view_enterprise"):
        context = dashboard(selectors.visible_to(user))
        return render(request, "home_staff.html", context)
    return render(
        request, "home_other.html", {"organisation": user.organisation, "cards": cards_for(user)}
    )


def cards_for(user: Any) -> list[Card]:
    """The home of a provider, a bank or staff without the registry: each thing the role can
    do today, with its own figures (scoped to the user's organisation by the selectors)."""
    cards = []
    if user.has_perm("supermarket.register_providerprofile"):
        cards += _provider_cards(user)
    listings = market.public_listings().count()
    cards.append(
        Card(
            _("科技服务超市"),
            reverse("supermarket:list"),
            "shop",
            listings,
            _("项服务在架，可按类别和价格查找"),
        )
    )
    unread = unread_count(user)
    cards.append(Card(_("消息"), reverse("notifications:inbox"), "bell", unread, _("条未读消息")))
    cards.append(Card(_("账号安全"), reverse("accounts:password"), "key", None, _("修改密码")))
    return cards


def _provider_cards(user: Any) -> list[Card]:
    profile = market.own_profile(user)
    if profile is None:
        return [
            Card(
                _("登记服务机构"),
                reverse("supermarket:profile"),
                "briefcase",
                None,
                _("入驻科技服务超市的第一步：填写机构资料，提交园区审核"),
            )
        ]
    own = market.listings_visible_to(user).filter(provider=profile)
    orders = vouchers.orders_visible_to(user)
    statements = vouchers.settlements_visible_to(user)
    return [
        Card(
            _("我的服务"),
            reverse("supermarket:mine"),
            "briefcase",
            own.filter(status=ListingStatus.APPROVED).count(),
            _("项已上架，%(n)s 项待审核；机构状态：%(s)s")
            % {
                "n": own.filter(status=ListingStatus.SUBMITTED).count(),
                "s": profile.get_status_display(),
            },
        ),
        Card(
            _("创新券订单"),
            reverse("vouchers:provider"),
            "receipt",
            orders.filter(state=OrderState.PLACED).count(),
            _("笔待接单，%(n)s 笔服务中") % {"n": orders.filter(state=OrderState.ACCEPTED).count()},
        ),
        Card(
            _("创新券结算"),
            reverse("vouchers:settlements"),
            "bank",
            statements.filter(state=SettlementState.ISSUED).count(),
            _("张结算单待园区付款，%(n)s 张已付款")
            % {"n": statements.filter(state=SettlementState.PAID).count()},
        ),
    ]

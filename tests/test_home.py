"""The home of roles without the registry dashboard (provider, bank) shows what the role can
do today — real links with the role's own figures — not a promise of features to come."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients import client_for
from tests.vouchers.conftest import open_year, place

pytestmark = pytest.mark.django_db


def cards(zone: Any, role: str) -> dict[str, tuple[int | None, str]]:
    client = client_for(zone, role)
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "将在平台上线后出现" not in html and "上线后" not in html
    found = {str(c.label): (c.count, c.url) for c in page.context["cards"]}
    for _count, url in found.values():
        assert client.get(url).status_code == 200, url  # every card opens a page of the role
        assert f'href="{url}"' in html
    return found


def test_a_provider_without_a_profile_is_shown_how_to_register(zone: Any) -> None:
    home = cards(zone, "provider")
    assert home["登记服务机构"] == (None, "/supermarket/mine/profile/")
    assert "我的服务" not in home
    assert home["科技服务超市"][0] == 0
    assert home["账号安全"] == (None, "/accounts/password/")


def test_provider_and_bank_homes_count_their_own_work(zone: Any) -> None:
    year = open_year(zone)
    place(year)
    place(year, fee_fen=1_500_000)
    provider = cards(zone, "provider")
    assert provider["我的服务"] == (1, "/supermarket/mine/")
    assert provider["创新券订单"] == (2, "/vouchers/provider/")  # two orders wait to be taken
    assert provider["创新券结算"] == (0, "/vouchers/settlements/")
    assert provider["科技服务超市"] == (1, "/supermarket/")
    assert provider["消息"][1] == "/inbox/"
    bank = cards(zone, "bank")
    assert set(bank) == {"科技服务超市", "消息", "账号安全"}  # no provider figures leak
    assert bank["科技服务超市"][0] == 1

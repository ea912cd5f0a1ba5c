"""Before an order: a manual quota never above the scheme's cap; the enterprise sees its
eligibility and quota (and why not) before it uploads a contract; the provider is told of a
new order in its inbox and by e-mail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from gaoxin.core.audit import Actor
from gaoxin.core.errors import ValidationFailed
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.notifications.models import Delivery, Message
from gaoxin.notifications.selectors import inbox_for
from gaoxin.policies import services as policies
from gaoxin.vouchers import services
from gaoxin.vouchers.models import VoucherQuota
from tests.clients import client_for, post_json
from tests.vouchers.conftest import VoucherYear, as_, open_year, place

LAST = dt.date.today().year - 1
VOUCHER_POLICY = Path(__file__).parents[2] / "policies" / "xiamen" / "torch-innovation-voucher.yaml"


# -- a manual quota never above the scheme's cap ------------------------------------------


def test_the_service_refuses_a_manual_quota_above_the_cap(year: VoucherYear) -> None:
    cap = year.scheme.enterprise_cap_fen
    admin = as_(year.zone, "zone_admin")
    with pytest.raises(ValidationFailed, match="单家企业年度额度上限") as err:
        services.grant_quota(
            actor=admin,
            scheme=year.scheme,
            enterprise=year.zone.enterprise_b,
            amount_fen=cap + 1,
            note="申诉",
        )
    assert err.value.details == {"cap_fen": cap, "amount_fen": cap + 1}
    assert not VoucherQuota.objects.filter(enterprise=year.zone.enterprise_b).exists()
    # raising an existing quota above the cap is refused too; the cap itself is allowed
    with pytest.raises(ValidationFailed):
        services.grant_quota(
            actor=admin,
            scheme=year.scheme,
            enterprise=year.zone.enterprise_a,
            amount_fen=cap + 1,
            note="追加",
        )
    quota = services.grant_quota(
        actor=admin, scheme=year.scheme, enterprise=year.zone.enterprise_a, amount_fen=cap, note="x"
    )
    assert quota.granted_fen == cap


def test_the_form_refuses_a_manual_quota_above_the_cap_and_shows_the_cap(
    year: VoucherYear,
) -> None:
    admin = client_for(year.zone, "zone_admin")
    cap_yuan = year.scheme.enterprise_cap_fen // 100
    page = admin.get("/vouchers/manage/").content.decode()
    assert 'id="g-amount-cap"' in page and "不超过单家企业年度上限" in page
    response = admin.post(
        f"/vouchers/manage/{year.scheme.pk}/grant_one/",
        {"enterprise": year.zone.enterprise_b.uscc, "amount": str(cap_yuan + 1), "note": "申诉"},
        follow=True,
    )
    assert "单家企业年度额度上限" in response.content.decode()
    assert not VoucherQuota.objects.filter(enterprise=year.zone.enterprise_b).exists()
    admin.post(
        f"/vouchers/manage/{year.scheme.pk}/grant_one/",
        {"enterprise": year.zone.enterprise_b.uscc, "amount": str(cap_yuan), "note": "申诉"},
    )
    quota = VoucherQuota.objects.get(enterprise=year.zone.enterprise_b)
    assert quota.granted_fen == year.scheme.enterprise_cap_fen


def test_the_api_grants_a_manual_quota_within_the_cap_only(year: VoucherYear) -> None:
    cap = year.scheme.enterprise_cap_fen
    url = f"/api/vouchers/schemes/{year.scheme.pk}/quotas"
    admin = client_for(year.zone, "zone_admin")
    b = year.zone.enterprise_b.pk
    over = post_json(admin, url, {"enterprise_id": b, "amount_fen": cap + 1, "note": "申诉"})
    assert over.status_code == 422
    assert over.json()["field"] == "amount" and "上限" in over.json()["message"]
    assert not VoucherQuota.objects.filter(enterprise_id=b).exists()
    ok = post_json(admin, url, {"enterprise_id": b, "amount_fen": cap, "note": "申诉"})
    assert ok.status_code == 200, ok.content
    assert ok.json() == {
        "scheme_id": year.scheme.pk,
        "enterprise_id": b,
        "granted_fen": cap,
        "cap_fen": cap,
        "note": "申诉",
    }
    # not a manager: refused; an enterprise outside the caller's scope: not found
    refused = post_json(
        client_for(year.zone, "enterprise_a"),
        url,
        {"enterprise_id": b, "amount_fen": 1, "note": "x"},
    )
    assert refused.status_code in (403, 404)
    outside = post_json(
        client_for(year.zone, "staff"), url, {"enterprise_id": b, "amount_fen": 1, "note": "x"}
    )
    assert outside.status_code in (403, 404)
    assert VoucherQuota.objects.get(enterprise_id=b).granted_fen == cap


# -- eligibility and quota before the contract ----------------------------------------------


def _year_with_policy(zone: Any, revenue_b: str | None) -> VoucherYear:
    installer = Actor.system("test:install")  # a shipped policy: installed, not approved by hand
    policy = policies.save_policy(actor=installer, text=VOUCHER_POLICY.read_text(encoding="utf-8"))
    policies.publish(actor=installer, policy=policy, match=False)
    enterprise = zone.enterprise_b
    enterprise.in_zone = True
    enterprise.save(update_fields=["in_zone"])
    if revenue_b is not None:
        registry.report_figures(
            actor=as_(zone, "zone_admin"),
            enterprise=enterprise,
            year=LAST,
            source=DataSource.VERIFIED,
            values={"revenue": revenue_b},
        )
    return open_year(zone, policy=policy)


@pytest.mark.django_db
def test_an_ineligible_enterprise_is_told_why_before_it_uploads(zone: Any) -> None:
    year = _year_with_policy(zone, "5亿")
    client = client_for(zone, "enterprise_b")
    for url in (f"/supermarket/{year.listing.pk}/", f"/vouchers/order/{year.listing.pk}/"):
        html = client.get(url).content.decode()
        assert 'data-status="ineligible"' in html, url
        assert "上一年度营业收入不超过4亿元" in html
        assert "火炬创新券（示例）" in html
        assert "revenue" not in html.split('id="voucher-eligibility"')[1].split("</div>")[0]
        assert "order-with-voucher" not in html
    form = client.get(f"/vouchers/order/{year.listing.pk}/").content.decode()
    assert 'id="place-order" disabled' in form


@pytest.mark.django_db
def test_an_enterprise_without_data_is_told_what_is_missing(zone: Any) -> None:
    year = _year_with_policy(zone, None)
    html = client_for(zone, "enterprise_b").get(f"/supermarket/{year.listing.pk}/").content
    text = html.decode()
    assert 'data-status="unknown"' in text
    assert "营业收入" in text and "去补充数据" in text


@pytest.mark.django_db
def test_an_eligible_enterprise_sees_the_quota_it_would_get(zone: Any) -> None:
    year = _year_with_policy(zone, "1500万")
    text = client_for(zone, "enterprise_b").get(f"/supermarket/{year.listing.pk}/").content
    html = text.decode()
    assert 'data-status="eligible"' in html or 'data-status="review"' in html
    assert "10.00 万元" in html or "10.00万元" in html
    # with a granted quota the page offers the order and says how much is left
    a_page = client_for(zone, "enterprise_a").get(f"/supermarket/{year.listing.pk}/").content
    assert "order-with-voucher" in a_page.decode()


# -- the provider is told of a new order --------------------------------------------------


def test_the_provider_is_told_of_a_new_order_in_its_inbox_and_by_email(
    year: VoucherYear, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order = place(year)
    message = Message.objects.get(dedupe_key=f"voucher-provider:{order.pk}:placed")
    assert order.number in message.title and "10,000.00" in message.body
    assert message.link == f"/vouchers/orders/{order.pk}/"
    provider_user = year.zone.users["provider"]
    assert message in inbox_for(provider_user)
    # the enterprise's own users don't get the provider's notice
    assert message not in inbox_for(year.zone.users["enterprise_a"])
    email = Delivery.objects.get(message=message, channel="email")
    assert (email.address, email.status) == (year.provider.contact_email, "sent")
    sent = [m for m in mail.outbox if order.number in m.subject]
    assert len(sent) == 1 and sent[0].to == [year.provider.contact_email]
    assert f"/vouchers/orders/{order.pk}/" in sent[0].body
    inbox = client_for(year.zone, "provider").get("/inbox/").content.decode()
    assert order.number in inbox

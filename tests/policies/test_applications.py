"""网上申报: applying with declared inputs, attachments checked, review in one or two levels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.enterprises import services as registry
from gaoxin.enterprises.choices import DataSource
from gaoxin.policies import applications, services
from gaoxin.policies.models import Application, Payout

pytestmark = pytest.mark.django_db
YEAR = dt.date.today().year
STAFF, CHIEF = Actor.system("reviewer-li"), Actor.system("reviewer-wang")
VOUCHER = """id: voucher-apply-test
title: 创新券抵扣（申报测试）
issuer: 园区管委会
source: 测试文件
category: voucher
effective: {from: 2020-01-01}
delivery: apply
inputs:
  service_fee: {type: money, label: 服务合同金额}
conditions:
  - label: 在园区注册
    when: in_zone
  - label: 服务合同金额不低于 1 万元
    when: service_fee >= 1万
benefit:
  amount: min(service_fee * 35%, 60万)
tests:
  - name: 合同 10 万 → 3.5 万
    date: 2026-06-30
    enterprise: {in_zone: true}
    inputs: {service_fee: 10万}
    expect: {status: eligible, amount: 3.5万}
"""


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("合同.pdf", b"%PDF-1.4 contract", content_type="application/pdf")


def setup_policy(zone: Any, in_zone: bool = True) -> Any:
    registry.update_enterprise(
        actor=STAFF,
        enterprise=zone.enterprise_a,
        values={"in_zone": in_zone},
        source=DataSource.VERIFIED,
    )
    policy = services.save_policy(actor=STAFF, text=VOUCHER)
    services.publish(actor=STAFF, policy=policy, match=False)
    return policy


def submit(zone: Any, policy: Any, fee: str, files: tuple[Any, ...] = ()) -> Application:
    return applications.submit(
        actor=Actor.for_user(zone.users["enterprise_a"]),
        enterprise=zone.enterprise_a,
        policy=policy,
        inputs={"service_fee": fee},
        attachments=files,
    )


def test_apply_approve_becomes_a_payout(zone: Any) -> None:
    policy = setup_policy(zone)
    application = submit(zone, policy, "10万", (pdf(),))
    assert (application.state, application.amount_fen) == ("submitted", 3_500_000)
    assert application.attachments.get().size == len(b"%PDF-1.4 contract")
    applications.review(actor=STAFF, application=application, decision="approve")
    application.refresh_from_db()
    assert application.state == "approved"
    payout = Payout.objects.get()
    assert (payout.state, payout.amount_fen, application.payout) == ("verified", 3_500_000, payout)


def test_large_amounts_need_a_second_reviewer(zone: Any) -> None:
    policy = setup_policy(zone)
    application = submit(zone, policy, "200万")  # 70万 → capped at 60万: two levels
    applications.review(actor=STAFF, application=application, decision="approve")
    application.refresh_from_db()
    assert application.state == "first_approved" and not Payout.objects.exists()
    with pytest.raises(PermissionDenied, match="初审以外"):
        applications.review(actor=STAFF, application=application, decision="approve")
    applications.review(actor=CHIEF, application=application, decision="approve")
    application.refresh_from_db()
    assert application.state == "approved" and Payout.objects.get().amount_fen == 60_000_000


def test_returned_then_resubmitted(zone: Any) -> None:
    policy = setup_policy(zone)
    application = submit(zone, policy, "10万")
    with pytest.raises(ValidationFailed, match="意见"):
        applications.review(actor=STAFF, application=application, decision="return")
    applications.review(
        actor=STAFF, application=application, decision="return", comment="请补充合同扫描件"
    )
    with pytest.raises(Conflict):
        applications.review(actor=STAFF, application=application, decision="approve")
    again = submit(zone, policy, "12万", (pdf(),))
    assert again.pk == application.pk and again.state == "submitted"
    assert again.amount_fen == 4_200_000 and again.reviews[0]["comment"] == "请补充合同扫描件"


def test_refusals_say_why_and_write_nothing(zone: Any) -> None:
    policy = setup_policy(zone, in_zone=False)
    with pytest.raises(ValidationFailed, match="不符合申报条件：在园区注册"):
        submit(zone, policy, "10万")
    registry.update_enterprise(
        actor=STAFF,
        enterprise=zone.enterprise_a,
        values={"in_zone": True},
        source=DataSource.VERIFIED,
    )
    with pytest.raises(ValidationFailed, match="服务合同金额"):
        submit(zone, policy, "很多")
    with pytest.raises(ValidationFailed, match="请填写"):
        submit(zone, policy, "")
    fake = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationFailed, match="内容与扩展名不符"):
        submit(zone, policy, "10万", (fake,))
    script = SimpleUploadedFile("run.exe", b"MZ")
    with pytest.raises(ValidationFailed, match="类型不支持"):
        submit(zone, policy, "10万", (script,))
    with pytest.raises(PermissionDenied):
        applications.submit(
            actor=Actor.for_user(zone.users["enterprise_b"]),
            enterprise=zone.enterprise_a,
            policy=policy,
            inputs={"service_fee": "10万"},
        )
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "enterprise_a",
        "enterprise_b",
        "provider",
        "bank",
        "staff_other",
        "staff",
        "commissioner",
        "leader",
        "zone_admin",
    ],
)
def test_application_pages_by_role(zone: Any, role: str) -> None:
    from django.test import Client

    policy = setup_policy(zone)
    application = submit(zone, policy, "10万", (pdf(),))
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    reviewers = {"staff", "zone_admin"}  # staff_other's department does not serve A
    detail = client.get(f"/applications/{application.pk}/")
    assert detail.status_code == (
        302
        if role == "anonymous"
        else 200
        if role in reviewers
        else 404
        if role == "staff_other"
        else 403
    ), role
    file = client.get(f"/attachments/{application.attachments.get().pk}/")
    assert file.status_code == (
        302 if role == "anonymous" else 200 if role in reviewers | {"enterprise_a"} else 404
    ), role
    client.post(f"/applications/{application.pk}/decide/", {"decision": "approve"})
    application.refresh_from_db()
    assert application.state == ("approved" if role in reviewers else "submitted"), role
    page = client.get(f"/my/policies/{policy.pk}/apply/")
    assert page.status_code == (
        302 if role == "anonymous" else 200 if role in ("enterprise_a", "enterprise_b") else 404
    ), role


@pytest.mark.parametrize(
    "role", ["anonymous", "enterprise_a", "enterprise_b", "staff_other", "staff", "zone_admin"]
)
def test_application_api_by_role(zone: Any, role: str) -> None:
    from django.test import Client

    policy = setup_policy(zone)
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    created = client.post(
        f"/api/policies/{policy.pk}/apply",
        {"inputs": {"service_fee": "10万"}},
        content_type="application/json",
    )
    if role == "enterprise_a":
        assert created.status_code == 201 and created.json()["amount"] == "35000.00"
    elif role == "enterprise_b":  # B is not in the zone registry's list of in-zone firms
        assert created.status_code == 422
    else:
        assert created.status_code in (401, 404)
    if role != "enterprise_a":
        submit(zone, policy, "10万")
    application = Application.objects.get(enterprise=zone.enterprise_a)
    queue = client.get("/api/policies/applications")
    reviewers = {"staff", "zone_admin"}  # may review, and see enterprise A
    may_review = reviewers | {"staff_other"}  # may review, but not A (another department)
    assert queue.status_code == (
        401 if role == "anonymous" else 200 if role in may_review else 403
    ), role
    if role == "staff_other":
        assert queue.json() == []
    decided = client.post(
        f"/api/policies/applications/{application.pk}/review",
        {"decision": "approve"},
        content_type="application/json",
    )
    application.refresh_from_db()
    assert application.state == ("approved" if role in reviewers else "submitted"), role
    assert decided.status_code == (
        200
        if role in reviewers
        else 401
        if role == "anonymous"
        else 404
        if role == "staff_other"
        else 403
    ), role

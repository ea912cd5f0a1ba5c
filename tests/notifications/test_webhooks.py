"""Webhooks: the JSON each kind of endpoint receives, failures recorded, retries counted.
The receiver is a local HTTP server on 127.0.0.1; nothing leaves the machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict
from gaoxin.core.models import AuditEntry
from gaoxin.notifications import sending, services
from gaoxin.notifications.models import Delivery, Message, WebhookEndpoint
from tests.notifications.conftest import Receiver

ACTOR = Actor.system("test")


def endpoint(url: str, kind: str = "wecom", secret: str = "") -> WebhookEndpoint:
    return services.save_webhook(actor=ACTOR, name=f"{kind} 群", url=url, kind=kind, secret=secret)


def push(enterprise: Any, key: str = "policy-match:7:1") -> Message:
    return services.notify(
        actor=ACTOR,
        enterprise=enterprise,
        subject_type="policy_version",
        subject_id="7",
        dedupe_key=key,
        title="您的企业可能符合《研发费用补助》",
        body="预计可获 35.00 万元。",
        link="/p/7/",
        channels=("webhook",),
    )


def test_wecom_payload(
    zone: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(receiver.url, "wecom")
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/robot/send?key=k1"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["json"] == {
        "msgtype": "text",
        "text": {
            "content": "厦门甲科技有限公司\n您的企业可能符合《研发费用补助》\n"
            "预计可获 35.00 万元。\n/p/7/"
        },
    }
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("webhook", "sent", 1)
    # The robot key in the query is not copied into the log.
    assert delivery.address == receiver.url.split("?")[0]


def test_dingtalk_payload_is_signed(
    zone: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(receiver.url, "dingtalk", secret="SECabc")
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a)
    request = receiver.requests[0]
    assert request["json"]["msgtype"] == "text"
    assert request["json"]["text"]["content"].startswith("厦门甲科技有限公司\n")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    timestamp = query["timestamp"][0]
    digest = hmac.new(b"SECabc", f"{timestamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert query["key"] == ["k1"]


def test_generic_payload_and_signature(
    zone: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(receiver.url, "generic", secret="s3cret")
    with django_capture_on_commit_callbacks(execute=True):
        message = push(zone.enterprise_a)
    request = receiver.requests[0]
    body = request["json"]
    assert body == {
        "id": message.pk,
        "dedupe_key": "policy-match:7:1",
        "enterprise": {
            "id": zone.enterprise_a.pk,
            "name": "厦门甲科技有限公司",
            "uscc": zone.enterprise_a.uscc,
        },
        "subject_type": "policy_version",
        "subject_id": "7",
        "title": "您的企业可能符合《研发费用补助》",
        "body": "预计可获 35.00 万元。",
        "link": "/p/7/",
        "created_at": message.created_at.isoformat(),
    }
    expected = hmac.new(b"s3cret", request["raw"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Gaoxin-Signature"] == f"sha256={expected}"


def test_server_error_marks_failed_then_retry_sends(
    zone: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(receiver.url, "wecom")
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.sent_at is None

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_delivery(actor=ACTOR, delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert delivery.sent_at is not None
    assert len(receiver.requests) == 2
    assert AuditEntry.objects.filter(action="retry_delivery").count() == 1
    with pytest.raises(Conflict):
        services.retry_delivery(actor=ACTOR, delivery=delivery)


def test_robot_error_code_is_a_failure(
    zone: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(receiver.url, "wecom")
    receiver.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error == "errcode 93000: invalid webhook url"


def test_unreachable_endpoint_fails_within_the_timeout(
    zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint("http://127.0.0.1:9/robot", "generic")  # the discard port: connection refused
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("URLError: ")


def test_retry_task_resends_failed_webhooks(
    zone: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from gaoxin.notifications.tasks import retry_failed_deliveries

    endpoint(receiver.url, "wecom")
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a)
    receiver.status = 200
    result = retry_failed_deliveries.enqueue()
    assert result.return_value == 1
    assert Delivery.objects.get().status == "sent"


def test_inactive_endpoint_receives_nothing(zone: Any, receiver: Receiver) -> None:
    ep = endpoint(receiver.url, "wecom")
    services.save_webhook(
        actor=ACTOR, endpoint=ep, name=ep.name, url=ep.url, kind=ep.kind, active=False
    )
    message = push(zone.enterprise_a)
    assert message.deliveries.count() == 0


def test_webhook_audit_never_holds_the_secret_or_key(zone: Any, receiver: Receiver) -> None:
    endpoint(receiver.url, "dingtalk", secret="SECabc")
    entry = AuditEntry.objects.get(action="webhook")
    text = json.dumps(entry.after)
    assert "SECabc" not in text and "key=k1" not in text
    assert entry.after["secret_set"] is True


def test_dingtalk_signature_matches_the_documented_example() -> None:
    url = sending.dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=t", "SEC1", now_ms=1700000000000
    )
    digest = hmac.new(b"SEC1", b"1700000000000\nSEC1", hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    assert url == (
        f"https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign={sign}"
    )

"""The inbox, the delivery log and the webhook pages, requested by every role: the status each
role gets, that enterprise A never sees B's messages, and that refused requests write nothing."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client

from gaoxin.core.audit import Actor
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Contact
from gaoxin.notifications import services
from gaoxin.notifications.models import Delivery, Message, MessageRead, WebhookEndpoint
from tests.clients import client_for
from tests.conftest import ROLES

ALL = set(ROLES) - {"anonymous"}
DELIVERY_READERS = {"staff", "staff_other", "zone_admin"}
ADMIN = {"zone_admin"}
ACTOR = Actor.system("test")


@pytest.fixture
def pushed(zone: Any, contacts: dict[str, Contact]) -> dict[str, Any]:
    def push(enterprise: Any, key: str, title: str) -> Message:
        return services.notify(
            actor=ACTOR,
            enterprise=enterprise,
            subject_type="policy_version",
            subject_id="7",
            dedupe_key=key,
            title=title,
            body=f"{title}。点击查看：/p/7/",
            link="/p/7/",
        )

    a = push(zone.enterprise_a, "policy-match:7:a", "甲企业的政策匹配")
    b = push(zone.enterprise_b, "policy-match:7:b", "乙企业的政策匹配")
    hook = WebhookEndpoint.objects.create(
        name="招商群机器人", url="http://127.0.0.1:9/robot", kind="wecom"
    )
    failed = Delivery.objects.create(
        message=a,
        channel="webhook",
        endpoint=hook,
        address=hook.url,
        status="failed",
        attempts=1,
        last_error="HTTP 500 Internal Server Error",
    )
    return {"a": a, "b": b, "hook": hook, "failed": failed}


# (name, path template, roles answered 200)
PAGES: list[tuple[str, str, set[str]]] = [
    ("inbox", "/inbox/", ALL),
    ("inbox unread", "/inbox/?unread=1", ALL),
    ("inbox A message", "/inbox/{a}/", {"enterprise_a"}),
    ("inbox B message", "/inbox/{b}/", {"enterprise_b"}),
    ("delivery log", "/notifications/deliveries/", DELIVERY_READERS),
    (
        "delivery log filtered",
        "/notifications/deliveries/?channel=email&status=pending&q=%E5%8E%A6%E9%97%A8",
        DELIVERY_READERS,
    ),
    ("delivery export", "/notifications/deliveries/?format=xlsx", DELIVERY_READERS),
    ("webhooks", "/notifications/webhooks/", ADMIN),
    ("webhook new", "/notifications/webhooks/new/", ADMIN),
    ("webhook edit", "/notifications/webhooks/{hook}/", ADMIN),
]


def fill(path: str, pushed: dict[str, Any]) -> str:
    return path.format(a=pushed["a"].pk, b=pushed["b"].pk, hook=pushed["hook"].pk)


def readable(response: Any) -> str:
    if "spreadsheetml" in response.get("Content-Type", ""):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,path,allowed", PAGES, ids=[p[0] for p in PAGES])
def test_pages(
    zone: Any, pushed: dict[str, Any], role: str, name: str, path: str, allowed: set[str]
) -> None:
    client = client_for(zone, role)
    audit = AuditEntry.objects.count()
    response = client.get(fill(path, pushed))
    if role in allowed:
        assert response.status_code == 200, (name, role, response.status_code)
    elif role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (403, 404), (name, role, response.status_code)
    assert AuditEntry.objects.count() == audit, "a read must not write"
    body = readable(response)
    a, b = zone.enterprise_a, zone.enterprise_b
    if role == "enterprise_a":
        assert "乙企业的政策匹配" not in body and b.name not in body
    if role == "enterprise_b":
        assert "甲企业的政策匹配" not in body and a.name not in body
    if role in ("provider", "bank", "anonymous", "commissioner", "leader"):
        assert "甲企业的政策匹配" not in body and "乙企业的政策匹配" not in body
    if role == "staff_other" and name.startswith("delivery"):
        # 招商局 serves enterprise B only: A's deliveries are outside its data scope.
        assert a.name not in body
    if role not in ("enterprise_a",):
        assert not MessageRead.objects.filter(message=pushed["a"]).exists()


def test_inbox_lists_own_messages_with_unread_badge(zone: Any, pushed: dict[str, Any]) -> None:
    client = client_for(zone, "enterprise_a")
    html = client.get("/inbox/").content.decode()
    assert "甲企业的政策匹配" in html and "乙企业的政策匹配" not in html
    assert '<span class="badge text-bg-primary">未读</span>' in html
    assert (
        'class="position-absolute top-0 start-100 translate-middle badge rounded-pill '
        'text-bg-danger">1</span>' in html
    )
    detail = client.get(f"/inbox/{pushed['a'].pk}/").content.decode()
    assert "甲企业的政策匹配。点击查看：/p/7/" in detail
    assert MessageRead.objects.filter(message=pushed["a"], user=zone.users["enterprise_a"]).exists()
    html = client.get("/inbox/").content.decode()
    assert '<span class="badge text-bg-light border">已读</span>' in html
    assert "text-bg-danger" not in html  # no unread count left in the top bar
    assert client.get("/inbox/?unread=1").content.decode().count("甲企业的政策匹配") == 0


def test_unread_count_in_the_top_bar(zone: Any, pushed: dict[str, Any]) -> None:
    response = client_for(zone, "enterprise_a").get("/my/enterprise/")
    assert response.context["unread_count"] == 1
    assert 'href="/inbox/"' in response.content.decode()
    response = client_for(zone, "staff").get("/")
    assert response.context["unread_count"] == 0
    login = Client().get("/accounts/login/")
    assert 'href="/inbox/"' not in login.content.decode()


def test_delivery_log_filters_and_export(zone: Any, pushed: dict[str, Any]) -> None:
    client = client_for(zone, "zone_admin")
    html = client.get("/notifications/deliveries/?channel=webhook&status=failed").content.decode()
    assert "招商群机器人" in html and "HTTP 500 Internal Server Error" in html
    assert "王法人" not in html
    html = client.get("/notifications/deliveries/?channel=email").content.decode()
    assert "王法人" in html and "招商群机器人" not in html
    response = client.get("/notifications/deliveries/?channel=email&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == (
        "创建时间",
        "企业",
        "标题",
        "渠道",
        "接收人",
        "地址",
        "状态",
        "尝试次数",
        "错误信息",
        "发送时间",
    )
    recipients = sorted((r[1], r[4], r[5], r[6]) for r in values[1:])
    assert recipients == [
        ("厦门乙科技有限公司", "陈法人（法定代表人）", "chen@b.example", "待发送"),
        ("厦门甲科技有限公司", "李财务（财务负责人）", "li@a.example", "待发送"),
        ("厦门甲科技有限公司", "王法人（法定代表人）", "wang@a.example", "待发送"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_retry_by_role(
    zone: Any, pushed: dict[str, Any], role: str, django_capture_on_commit_callbacks: Any
) -> None:
    failed = pushed["failed"]
    audit = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(zone, role).post(f"/notifications/deliveries/{failed.pk}/retry/")
    failed.refresh_from_db()
    if role == "zone_admin":
        assert response.status_code == 302
        assert failed.attempts == 2  # sent again (the discard port refuses: failed again)
        assert AuditEntry.objects.count() == audit + 1
        return
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (403, 404)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert AuditEntry.objects.count() == audit


@pytest.mark.parametrize("role", ROLES)
def test_webhook_create_by_role(zone: Any, role: str) -> None:
    data = {
        "name": "企业服务群",
        "kind": "wecom",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "active": "on",
    }
    audit = AuditEntry.objects.count()
    response = client_for(zone, role).post("/notifications/webhooks/new/", data)
    if role == "zone_admin":
        assert response.status_code == 302, response.content.decode()[:2000]
        endpoint = WebhookEndpoint.objects.get()
        assert (endpoint.name, endpoint.kind, endpoint.active) == ("企业服务群", "wecom", True)
        assert AuditEntry.objects.count() == audit + 1
        return
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert role == "anonymous" and response["Location"].startswith("/accounts/login/")
    assert not WebhookEndpoint.objects.exists()
    assert AuditEntry.objects.count() == audit


def test_webhook_edit_keeps_the_secret_when_left_empty(zone: Any) -> None:
    endpoint = services.save_webhook(
        actor=ACTOR,
        name="钉钉群",
        url="https://oapi.dingtalk.com/robot/send?access_token=t",
        kind="dingtalk",
        secret="SECabc",
    )
    client = client_for(zone, "zone_admin")
    response = client.post(
        f"/notifications/webhooks/{endpoint.pk}/",
        {"name": "钉钉群（新）", "kind": "dingtalk", "url": endpoint.url, "secret": ""},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.secret, endpoint.active) == ("钉钉群（新）", "SECabc", False)
    html = client.get(f"/notifications/webhooks/{endpoint.pk}/").content.decode()
    assert "SECabc" not in html


def test_webhook_form_rejects_a_bad_address(zone: Any) -> None:
    response = client_for(zone, "zone_admin").post(
        "/notifications/webhooks/new/", {"name": "x", "kind": "wecom", "url": "ftp://x"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_navigation_entries(zone: Any) -> None:
    admin = client_for(zone, "zone_admin").get("/").content.decode()
    assert 'href="/notifications/deliveries/"' in admin
    assert 'href="/notifications/webhooks/"' in admin
    staff = client_for(zone, "staff").get("/").content.decode()
    assert 'href="/notifications/deliveries/"' in staff
    assert 'href="/notifications/webhooks/"' not in staff


def test_webhook_list_hides_robot_keys(zone: Any) -> None:
    services.save_webhook(
        actor=ACTOR,
        name="企业服务群",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-123",
        kind="wecom",
    )
    html = client_for(zone, "zone_admin").get("/notifications/webhooks/").content.decode()
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…" in html
    assert "robot-key-123" not in html

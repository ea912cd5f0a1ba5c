"""The push pages and messages in English: no Chinese left in the page chrome."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from gaoxin.core.audit import Actor
from gaoxin.enterprises.models import Contact
from gaoxin.notifications import message_templates, services
from gaoxin.notifications.models import Delivery, WebhookEndpoint
from tests.test_i18n import _cjk_lines, _strip, chrome_text, data_values, english_client


@pytest.fixture
def pushed(zone: Any, contacts: dict[str, Contact]) -> Any:
    message = services.notify(
        actor=Actor.system("test"),
        enterprise=zone.enterprise_a,
        subject_type="policy_version",
        subject_id="7",
        dedupe_key="policy-match:7:a",
        title="Policy match",
        body="Details",
        link="/p/7/",
    )
    hook = WebhookEndpoint.objects.create(name="Robot", url="http://127.0.0.1:9/r", kind="wecom")
    Delivery.objects.create(
        message=message, channel="webhook", endpoint=hook, status="failed", attempts=1
    )
    return message


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("enterprise_a", "/inbox/"),
        ("enterprise_a", "/inbox/?unread=1"),
        ("enterprise_a", "/inbox/{m}/"),
        ("zone_admin", "/inbox/"),
        ("zone_admin", "/notifications/deliveries/"),
        ("zone_admin", "/notifications/webhooks/"),
        ("zone_admin", "/notifications/webhooks/new/"),
        ("zone_admin", "/notifications/webhooks/{h}/"),
    ],
)
def test_pages_in_english(zone: Any, pushed: Any, role: str, path: str) -> None:
    hook = WebhookEndpoint.objects.get()
    response = english_client(zone.users[role]).get(path.format(m=pushed.pk, h=hook.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    left = _cjk_lines(_strip(chrome_text(html), data_values()))
    assert not left, f"{path}: Chinese in the page chrome:\n" + "\n".join(left)


def test_unread_badge_label_in_english(zone: Any, pushed: Any) -> None:
    html = english_client(zone.users["enterprise_a"]).get("/inbox/").content.decode()
    assert 'aria-label="Messages (1 unread)"' in html


def test_message_template_in_english() -> None:
    with translation.override("en"):
        title, body = message_templates.render(
            "policy_matched",
            zone="Torch Zone",
            policy="R&D grant",
            amount="356,000 yuan",
            link="https://x/p/1/",
        )
    assert title == "Your enterprise may qualify for “R&D grant”"
    assert body == (
        "[Torch Zone] Your enterprise may qualify for “R&D grant”, with an estimated "
        "356,000 yuan. Details: https://x/p/1/"
    )

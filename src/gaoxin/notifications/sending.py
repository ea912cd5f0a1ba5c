"""Sending one delivery through its channel. No database writes here: `services` records the
outcome. Webhooks are posted with urllib and a timeout; e-mail goes through Django's mail
backend (settings.EMAIL_BACKEND)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from gaoxin.notifications.choices import Channel, WebhookKind
from gaoxin.notifications.models import Delivery, Message, WebhookEndpoint

WEBHOOK_TIMEOUT = 5  # seconds
USER_AGENT = "Gaoxin-Notifications/1"


class SendFailed(Exception):
    """The channel refused or could not be reached; the message is the recorded error."""


def absolute_link(link: str) -> str:
    """A link a person can open from an e-mail or a chat: site-relative links are prefixed with
    GAOXIN_SITE_URL when it is set."""
    base = getattr(settings, "GAOXIN_SITE_URL", "")
    if link.startswith("/") and base:
        return base.rstrip("/") + link
    return link


def text_of(message: Message) -> str:
    """The message as plain text: body, then the link unless the body already holds it."""
    link = absolute_link(message.link)
    body = message.body.replace(message.link, link) if message.link else message.body
    if link and link not in body:
        body = f"{body}\n{link}"
    return body


def send(delivery: Delivery) -> None:
    if delivery.channel == Channel.EMAIL:
        send_email(delivery)
    elif delivery.channel == Channel.WEBHOOK:
        send_webhook(delivery)
    # The inbox needs no sending: the delivery row is the inbox entry.


def send_email(delivery: Delivery) -> None:
    message = delivery.message
    if not delivery.address:
        raise SendFailed(_("没有邮箱地址"))
    email = EmailMessage(
        subject=message.title,
        body=text_of(message),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc


def webhook_payload(message: Message, kind: str) -> dict[str, Any]:
    if kind in (WebhookKind.WECOM, WebhookKind.DINGTALK):
        content = f"{message.enterprise.name}\n{message.title}\n{text_of(message)}"
        return {"msgtype": "text", "text": {"content": content}}
    return {
        "id": message.pk,
        "dedupe_key": message.dedupe_key,
        "enterprise": {
            "id": message.enterprise_id,
            "name": message.enterprise.name,
            "uscc": message.enterprise.uscc,
        },
        "subject_type": message.subject_type,
        "subject_id": message.subject_id,
        "title": message.title,
        "body": message.body,
        "link": absolute_link(message.link),
        "created_at": message.created_at.isoformat(),
    }


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """DingTalk's 加签: timestamp and the base64 HMAC-SHA256 of "timestamp\\nsecret"."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def send_webhook(delivery: Delivery) -> None:
    endpoint: WebhookEndpoint | None = delivery.endpoint
    if endpoint is None:
        raise SendFailed(_("推送渠道已删除"))
    if not endpoint.active:
        raise SendFailed(_("推送渠道已停用"))
    payload = json.dumps(webhook_payload(delivery.message, endpoint.kind), ensure_ascii=False)
    data = payload.encode()
    url = endpoint.url
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    if endpoint.secret and endpoint.kind == WebhookKind.DINGTALK:
        url = dingtalk_signed_url(url, endpoint.secret)
    elif endpoint.secret and endpoint.kind == WebhookKind.GENERIC:
        signature = hmac.new(endpoint.secret.encode(), data, hashlib.sha256).hexdigest()
        headers["X-Gaoxin-Signature"] = f"sha256={signature}"
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SendFailed(_("推送渠道地址无效"))
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            answer = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendFailed(f"{type(exc).__name__}: {reason}") from exc
    if endpoint.kind in (WebhookKind.WECOM, WebhookKind.DINGTALK):
        # The robots answer 200 with {"errcode": 0, "errmsg": "ok"}, or an errcode on failure.
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            result = {}
        code = result.get("errcode", 0) if isinstance(result, dict) else 0
        if code:
            raise SendFailed(f"errcode {code}: {result.get('errmsg', '')}")

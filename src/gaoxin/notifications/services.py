"""All writes of targeted push: create a message once per dedupe key, resolve its recipients,
record deliveries, send them in a background task, retry the failed ones, read, opt out,
configure webhook endpoints."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, ValidationFailed
from gaoxin.enterprises.choices import ContactRole
from gaoxin.enterprises.models import Contact, Enterprise
from gaoxin.notifications import sending
from gaoxin.notifications.choices import Channel, DeliveryStatus, WebhookKind
from gaoxin.notifications.models import Delivery, Message, MessageRead, WebhookEndpoint

log = logging.getLogger(__name__)

DEFAULT_ROLES = (ContactRole.LEGAL_REP.value, ContactRole.FINANCE_HEAD.value)
DEFAULT_CHANNELS = (Channel.INBOX.value, Channel.EMAIL.value, Channel.WEBHOOK.value)
MAX_ATTEMPTS = 5  # automatic retries stop here; staff may still retry by hand
SENDABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def notify(
    *,
    actor: Actor,
    enterprise: Enterprise,
    subject_type: str,
    subject_id: str | int,
    dedupe_key: str,
    title: str,
    body: str,
    link: str = "",
    roles: Sequence[str] = DEFAULT_ROLES,
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> Message:
    """Push one message to an enterprise's people in `roles` through `channels`, once.

    The same `dedupe_key` twice returns the first message and creates nothing. Contacts who
    opted out get a `skipped_opt_out` delivery (so the log shows why nobody was told); e-mail
    and webhooks are sent by a task queued after commit; the inbox needs no sending."""
    _check(dedupe_key=dedupe_key, title=title, roles=roles, channels=channels)
    return _push(
        actor=actor,
        enterprise=enterprise,
        subject_type=subject_type,
        subject_id=subject_id,
        dedupe_key=dedupe_key,
        title=title,
        body=body,
        link=link,
        deliveries=lambda message: resolve_deliveries(message, roles=roles, channels=channels),
    )


def notify_people(
    *,
    actor: Actor,
    enterprise: Enterprise,
    subject_type: str,
    subject_id: str | int,
    dedupe_key: str,
    title: str,
    body: str,
    link: str = "",
    users: Sequence[Any] = (),
    emails: Sequence[str] = (),
) -> Message:
    """Tell people outside the enterprise about its business, once per `dedupe_key` (a service
    provider's staff of an enterprise's new order): an inbox delivery addressed to each of
    `users` by name (the enterprise's own users don't see it) and an e-mail to each address
    of `emails` (sent by the same queued task as `notify`). The message belongs to
    `enterprise`, the one it is about, so the delivery log of staff in its scope shows it."""
    _check(dedupe_key=dedupe_key, title=title, roles=DEFAULT_ROLES, channels=DEFAULT_CHANNELS)

    def deliveries(message: Message) -> list[Delivery]:
        now = timezone.now()
        out = [
            Delivery(
                message=message,
                channel=Channel.INBOX,
                user=user,
                status=DeliveryStatus.SENT,
                sent_at=now,
            )
            for user in users
        ]
        addresses = list(dict.fromkeys(e.strip() for e in emails if e and e.strip()))
        out += [
            Delivery(message=message, channel=Channel.EMAIL, address=address[:500])
            for address in addresses
        ]
        if not addresses:
            out.append(
                Delivery(
                    message=message,
                    channel=Channel.EMAIL,
                    status=DeliveryStatus.SKIPPED_NO_ADDRESS,
                )
            )
        return out

    return _push(
        actor=actor,
        enterprise=enterprise,
        subject_type=subject_type,
        subject_id=subject_id,
        dedupe_key=dedupe_key,
        title=title,
        body=body,
        link=link,
        deliveries=deliveries,
    )


def _push(
    *,
    actor: Actor,
    enterprise: Enterprise,
    subject_type: str,
    subject_id: str | int,
    dedupe_key: str,
    title: str,
    body: str,
    link: str,
    deliveries: Callable[[Message], list[Delivery]],
) -> Message:
    existing = Message.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return _same_enterprise(existing, enterprise)
    try:
        # One transaction (a savepoint inside a caller's) for the message, its deliveries and
        # its audit entry; a concurrent push of the same key makes the insert fail, and all of
        # it is rolled back.
        with transaction.atomic():
            message = Message.objects.create(
                enterprise=enterprise,
                subject_type=subject_type,
                subject_id=str(subject_id),
                dedupe_key=dedupe_key,
                title=title.strip()[:200],
                body=body.strip(),
                link=link,
                created_by=actor.label[:150],
            )
            made = Delivery.objects.bulk_create(deliveries(message))
            counts: dict[str, int] = {}
            for d in made:
                key = f"{d.channel}:{d.status}"
                counts[key] = counts.get(key, 0) + 1
            record_change(
                actor=actor,
                action="notify",
                obj=message,
                after={"dedupe_key": dedupe_key, "title": message.title, "deliveries": counts},
                subject=enterprise,
            )
            if any(d.status == DeliveryStatus.PENDING for d in made):
                _queue_send(message.pk)
    except IntegrityError:  # another process pushed the same key a moment ago
        existing = Message.objects.filter(dedupe_key=dedupe_key).first()
        if existing is None:
            raise
        return _same_enterprise(existing, enterprise)
    return message


def _check(*, dedupe_key: str, title: str, roles: Sequence[str], channels: Sequence[str]) -> None:
    if not dedupe_key.strip():
        raise ValidationFailed(_("推送缺少去重键"), field="dedupe_key")
    if not title.strip():
        raise ValidationFailed(_("推送标题必填"), field="title")
    unknown_roles = set(roles) - set(ContactRole.values)
    if unknown_roles or not roles:
        raise ValidationFailed(_("推送对象的角色无效"), field="roles")
    unknown_channels = set(channels) - set(Channel.values)
    if unknown_channels or not channels:
        raise ValidationFailed(_("推送渠道无效"), field="channels")


def _same_enterprise(message: Message, enterprise: Enterprise) -> Message:
    if message.enterprise_id != enterprise.pk:
        raise Conflict(_("这个去重键已用于另一家企业的消息"), field="dedupe_key")
    return message


def recipients(enterprise: Enterprise, roles: Iterable[str]) -> list[Contact]:
    """The enterprise's contacts in `roles`, legal representative first."""
    order = {role: i for i, role in enumerate(ContactRole.values)}
    contacts = list(
        Contact.objects.filter(enterprise=enterprise, role__in=list(roles)).select_related("user")
    )
    return sorted(contacts, key=lambda c: (order.get(c.role, 99), c.pk))


def resolve_deliveries(
    message: Message, *, roles: Sequence[str], channels: Sequence[str]
) -> list[Delivery]:
    now = timezone.now()
    out: list[Delivery] = []
    contacts = recipients(message.enterprise, roles)
    for contact in contacts:
        opted_out = not contact.receives_push
        if Channel.INBOX in channels:
            out.append(
                Delivery(
                    message=message,
                    channel=Channel.INBOX,
                    contact=contact,
                    user=contact.user,
                    status=DeliveryStatus.SKIPPED_OPT_OUT if opted_out else DeliveryStatus.SENT,
                    sent_at=None if opted_out else now,
                )
            )
        if Channel.EMAIL in channels:
            if opted_out:
                status = DeliveryStatus.SKIPPED_OPT_OUT
            elif contact.email:
                status = DeliveryStatus.PENDING
            else:
                status = DeliveryStatus.SKIPPED_NO_ADDRESS
            out.append(
                Delivery(
                    message=message,
                    channel=Channel.EMAIL,
                    contact=contact,
                    user=contact.user,
                    address=contact.email,
                    status=status,
                )
            )
    if Channel.INBOX in channels and not contacts:
        # Nobody in those roles is on record: the message goes to the enterprise's inbox.
        out.append(
            Delivery(
                message=message, channel=Channel.INBOX, status=DeliveryStatus.SENT, sent_at=now
            )
        )
    if Channel.WEBHOOK in channels:
        for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk"):
            out.append(
                Delivery(
                    message=message,
                    channel=Channel.WEBHOOK,
                    endpoint=endpoint,
                    address=_redacted(endpoint.url),
                )
            )
    return out


def _redacted(url: str) -> str:
    """The endpoint's address without its query (robot keys and tokens live there)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:500]


def _queue_send(message_id: int) -> None:
    from gaoxin.notifications.tasks import send_message

    transaction.on_commit(lambda: send_message.enqueue(message_id))


def send_delivery(delivery_id: int) -> Delivery:
    """Send one pending or failed delivery and record the outcome. Safe to call twice at once:
    the attempt is claimed by a conditional update, so only one caller sends."""
    delivery = Delivery.objects.select_related("message__enterprise", "endpoint").get(
        pk=delivery_id
    )
    if delivery.status not in SENDABLE:
        return delivery
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=delivery.status, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        delivery.refresh_from_db()
        return delivery
    delivery.attempts += 1
    try:
        sending.send(delivery)
    except Exception as exc:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = str(exc)[:500]
        log.warning("delivery %s failed: %s", delivery.pk, delivery.last_error)
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.last_error = ""
        delivery.sent_at = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=delivery.status, last_error=delivery.last_error, sent_at=delivery.sent_at
    )
    return delivery


def send_message(message_id: int) -> int:
    """Send the message's pending deliveries; the number sent."""
    ids = Delivery.objects.filter(message_id=message_id, status=DeliveryStatus.PENDING).values_list(
        "pk", flat=True
    )
    return sum(send_delivery(pk).status == DeliveryStatus.SENT for pk in list(ids))


def retry_failed(max_attempts: int = MAX_ATTEMPTS) -> int:
    """Send every failed delivery again that has had fewer than `max_attempts`; the number
    sent now. Run periodically by the `retry_failed_deliveries` task."""
    ids = Delivery.objects.filter(
        status=DeliveryStatus.FAILED, attempts__lt=max_attempts
    ).values_list("pk", flat=True)
    return sum(send_delivery(pk).status == DeliveryStatus.SENT for pk in list(ids))


@transaction.atomic
def retry_delivery(*, actor: Actor, delivery: Delivery) -> Delivery:
    """Staff ask for one failed delivery to be sent again (in the background)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED:
        raise Conflict(_("只有发送失败的推送可以重新发送"))
    record_change(
        actor=actor,
        action="retry_delivery",
        obj=delivery,
        before={"status": delivery.status, "attempts": delivery.attempts},
        subject=delivery.message.enterprise,
    )
    from gaoxin.notifications.tasks import send_delivery_task

    pk = delivery.pk
    transaction.on_commit(lambda: send_delivery_task.enqueue(pk))
    return delivery


def mark_read(*, user: Any, message: Message) -> MessageRead:
    """Record that `user` has read `message` (idempotent). The caller has checked that the
    message is in the user's inbox (`selectors.inbox_for`)."""
    read, _created = MessageRead.objects.get_or_create(message=message, user=user)
    return read


@transaction.atomic
def opt_out(*, actor: Actor, contact: Contact) -> Contact:
    """The contact no longer receives pushes; later messages record `skipped_opt_out`."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if not contact.receives_push:
        return contact
    before = snapshot(contact, ["receives_push"])
    contact.receives_push = False
    contact.save(update_fields=["receives_push"])
    record_change(
        actor=actor,
        action="opt_out",
        obj=contact,
        before=before,
        after=snapshot(contact, ["receives_push"]),
        subject=contact.enterprise,
    )
    return contact


WEBHOOK_FIELDS = ("name", "url", "kind", "active")


@transaction.atomic
def save_webhook(
    *,
    actor: Actor,
    name: str,
    url: str,
    kind: str,
    active: bool = True,
    secret: str | None = None,
    endpoint: WebhookEndpoint | None = None,
) -> WebhookEndpoint:
    """Create or change a webhook endpoint. `secret` None keeps the stored secret; the audit
    entry records whether a secret is set, never the secret itself."""
    name, url = name.strip(), url.strip()
    if not name:
        raise ValidationFailed(_("名称必填"), field="name")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(_("请填写以 http:// 或 https:// 开头的地址"), field="url")
    if kind not in WebhookKind.values:
        raise ValidationFailed(_("推送渠道类型无效"), field="kind")
    if endpoint is not None:
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _webhook_snapshot(endpoint) if endpoint else None
    endpoint = endpoint or WebhookEndpoint()
    endpoint.name, endpoint.url, endpoint.kind, endpoint.active = name, url, kind, active
    if secret is not None:
        endpoint.secret = secret.strip()
    endpoint.full_clean()
    endpoint.save()
    record_change(
        actor=actor,
        action="webhook",
        obj=endpoint,
        before=before,
        after=_webhook_snapshot(endpoint),
    )
    return endpoint


def _webhook_snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    values = snapshot(endpoint, WEBHOOK_FIELDS)
    values["url"] = _redacted(endpoint.url)
    values["secret_set"] = bool(endpoint.secret)
    return values

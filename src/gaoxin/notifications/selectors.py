"""Reads of targeted push, scoped to who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from gaoxin.core.errors import NotFound
from gaoxin.enterprises import selectors as enterprise_selectors
from gaoxin.notifications.choices import Channel, DeliveryStatus
from gaoxin.notifications.models import Delivery, Message, MessageRead


def inbox_for(user: Any) -> QuerySet[Message]:
    """The messages in `user`'s inbox, each with `is_read`.

    An enterprise user sees its own enterprise's messages that were delivered to the inbox
    addressed to them or to the enterprise as a whole (user unset); anyone else sees only
    messages addressed to them by name. Skipped (opted-out) deliveries show nowhere."""
    messages = Message.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return messages.none()
    delivered = Delivery.objects.filter(
        message=OuterRef("pk"), channel=Channel.INBOX, status=DeliveryStatus.SENT
    )
    if user.is_enterprise_user:
        delivered = delivered.filter(Q(user=user) | Q(user__isnull=True))
        messages = messages.filter(enterprise__organisation_id=user.organisation_id)
    else:
        delivered = delivered.filter(user=user)
    return messages.filter(Exists(delivered)).annotate(is_read=Exists(_read_by(user)))


def _read_by(user: Any) -> QuerySet[MessageRead]:
    return MessageRead.objects.filter(message=OuterRef("pk"), user=user)


def unread(messages: QuerySet[Message], user: Any) -> QuerySet[Message]:
    """Of `messages` (from `inbox_for(user)`), those `user` has not read."""
    return messages.exclude(Exists(_read_by(user)))


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread(inbox_for(user), user).count()


def get_inbox_message(user: Any, pk: Any) -> Message:
    try:
        return inbox_for(user).select_related("enterprise").get(pk=int(pk))
    except (Message.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("没有找到这条消息，或您无权查看")) from None


def deliveries_visible_to(user: Any) -> QuerySet[Delivery]:
    """The delivery log a zone staff member may read: deliveries of messages to the
    enterprises in their data scope."""
    deliveries = Delivery.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.has_perm(
        "notifications.view_delivery"
    ):
        return deliveries.none()
    visible = enterprise_selectors.visible_to(user)
    return deliveries.filter(message__enterprise__in=visible.values("pk"))

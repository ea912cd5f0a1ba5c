"""Explicit audit: services call `record_change()` inside their transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest

from gaoxin.core.models import AuditEntry

if TYPE_CHECKING:
    from gaoxin.accounts.models import User


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or a command or job named by its label."""

    user: User | None
    label: str
    ip: str | None = None

    @classmethod
    def of(cls, request: HttpRequest) -> Actor:
        user = request.user if request.user.is_authenticated else None
        label = user.get_username() if user is not None else "anonymous"
        return cls(user=user, label=label, ip=client_ip(request))

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(user=user, label=user.get_username())

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(user=None, label=label)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = to_jsonable(getattr(obj, attname))
    return out


def record_change(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    subject: models.Model | None = None,
    note: str = "",
) -> AuditEntry:
    subject = subject if subject is not None else obj
    return AuditEntry.objects.create(
        actor=actor.user,
        actor_label=actor.label[:150],
        ip=actor.ip,
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        subject_model=subject._meta.label_lower,
        subject_id=str(subject.pk),
        before=before,
        after=after,
        note=note[:300],
    )


def build_entry(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    subject: models.Model | None = None,
    note: str = "",
) -> AuditEntry:
    """An unsaved entry, for imports that write thousands in one bulk_create."""
    subject = subject if subject is not None else obj
    return AuditEntry(
        actor=actor.user,
        actor_label=actor.label[:150],
        ip=actor.ip,
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        subject_model=subject._meta.label_lower,
        subject_id=str(subject.pk),
        before=before,
        after=after,
        note=note[:300],
    )

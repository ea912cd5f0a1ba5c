"""A small state machine for records that move through people's hands (a policy version's
draft → submitted → approved → published; later a financing request, a visit, an investment
project): which moves exist, who may make each, and a log of every move.

The log is the audit table (`gaoxin.core.audit`): each move is one entry whose action is
the move's name, `before`/`after` hold the state field, the note holds the reason. So the
history of a record's moves needs no table of its own, and shows in the system's audit log
with every other change.

    REVIEW = Workflow("state", [
        Move("submit", ("draft",), "submitted", _("提交审批"), "app.change_x"),
        Move("approve", ("submitted",), "approved", _("审批通过"), "app.approve_x",
             other_than="submit"),
        Move("return", ("submitted", "approved"), "draft", _("退回修改"), "app.approve_x",
             needs_note=True),
    ])
    REVIEW.move(obj, "approve", actor=actor, note="")  # inside the caller's transaction
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.core.models import AuditEntry

NOTE_CHARS = 300  # the audit entry's note


@dataclass(frozen=True)
class Move:
    """One allowed move: from any of `sources` to `target`.

    `permission`: the user's permission needed (None: any actor, including commands).
    `other_than`: the move may not be made by whoever made the latest move of that name on the
    same record (an approval by someone other than the submitter).
    `needs_note`: a reason is required (returning a draft)."""

    name: str
    sources: tuple[str, ...]
    target: str
    label: str | Promise
    permission: str | None = None
    other_than: str | None = None
    needs_note: bool = False
    users_only: bool = True  # a command (no user) may not make it
    commands_only: bool = False  # only a command (no user) makes it
    offered: bool = True  # False: made by the system as a consequence, never a button


@dataclass(frozen=True)
class Step:
    """One logged move, as a history shows it."""

    name: str
    label: str
    source: str
    target: str
    actor: str
    user_id: int | None
    at: Any
    note: str


class Workflow:
    def __init__(self, field: str, moves: Sequence[Move]) -> None:
        self.field = field
        self.moves = {m.name: m for m in moves}

    def state(self, obj: models.Model) -> str:
        return str(getattr(obj, self.field))

    def allowed(self, obj: models.Model, actor: Actor) -> list[Move]:
        """The moves this actor may make on the record now (for the buttons of a page)."""
        return [
            m for m in self.moves.values() if m.offered and self._refusal(obj, m, actor) is None
        ]

    def check(self, obj: models.Model, name: str, actor: Actor, note: str = "") -> Move:
        move = self.moves.get(name)
        if move is None:
            raise ValidationFailed(_("没有这一操作：%(n)s") % {"n": name})
        refusal = self._refusal(obj, move, actor)
        if refusal is not None:
            raise refusal
        if move.needs_note and not note.strip():
            raise ValidationFailed(_("请写明理由"), field="note")
        if len(note) > NOTE_CHARS:
            raise ValidationFailed(_("说明过长（%(n)s 字以内）") % {"n": NOTE_CHARS}, field="note")
        return move

    def move(
        self,
        obj: models.Model,
        name: str,
        *,
        actor: Actor,
        note: str = "",
        fields: Sequence[str] = (),
        subject: models.Model | None = None,
    ) -> Move:
        """Make the move: check it, set the state, save `fields` with it, log it (under
        `subject`'s history too: a version's moves on its policy's page). The caller holds the
        transaction and a row lock on `obj` (select_for_update)."""
        move = self.check(obj, name, actor, note)
        source = self.state(obj)
        setattr(obj, self.field, move.target)
        obj.save(update_fields=[self.field, *fields])
        record_change(
            actor=actor,
            action=move.name,
            obj=obj,
            before={self.field: source},
            after={self.field: move.target},
            subject=subject,
            note=note.strip(),
        )
        return move

    def history(self, obj: models.Model) -> list[Step]:
        """Every logged move of the record, oldest first."""
        entries = AuditEntry.objects.filter(
            model=obj._meta.label_lower, object_id=str(obj.pk), action__in=list(self.moves)
        ).order_by("at", "id")
        return [
            Step(
                name=e.action,
                label=str(self.moves[e.action].label),
                source=str((e.before or {}).get(self.field, "")),
                target=str((e.after or {}).get(self.field, "")),
                actor=e.actor_label,
                user_id=e.actor_id,
                at=e.at,
                note=e.note,
            )
            for e in entries
        ]

    def last_by(self, obj: models.Model, name: str) -> AuditEntry | None:
        return (
            AuditEntry.objects.filter(
                model=obj._meta.label_lower, object_id=str(obj.pk), action=name
            )
            .order_by("-at", "-id")
            .first()
        )

    def _refusal(self, obj: models.Model, move: Move, actor: Actor) -> Exception | None:
        state = self.state(obj)
        if state not in move.sources:
            return Conflict(_("当前状态不能执行“%(m)s”") % {"m": move.label}, field=self.field)
        user = actor.user
        if move.users_only and user is None:
            return PermissionDenied(_("须由工作人员操作"))
        if move.commands_only and user is not None:
            return PermissionDenied(_("“%(m)s”只由系统命令执行") % {"m": move.label})
        if move.permission and (user is None or not user.has_perm(move.permission)):
            return PermissionDenied(_("您没有“%(m)s”的权限") % {"m": move.label})
        if move.other_than:
            earlier = self.last_by(obj, move.other_than)
            if earlier is not None and (
                (user is not None and earlier.actor_id == user.pk)
                or (user is None and earlier.actor_label == actor.label)
            ):
                return PermissionDenied(
                    _("“%(m)s”须由另一位工作人员进行（不能审批自己提交的版本）") % {"m": move.label}
                )
        return None

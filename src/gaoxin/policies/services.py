"""Writes to the policy library: saving a text as a new version, publishing, expiring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, NotFound, ValidationFailed
from gaoxin.policies import library, versions
from gaoxin.policies.choices import PolicyStatus, VersionState
from gaoxin.policies.library import parse
from gaoxin.policies.models import Policy, PolicyVersion

FIELDS = (
    "slug",
    "title",
    "issuer",
    "source",
    "category",
    "delivery",
    "status",
    "effective_from",
    "effective_to",
    "stage",
    "region",
    "current",
)


@transaction.atomic
def save_policy(*, actor: Actor, text: str, policy: Policy | None = None) -> Policy:
    """Save a policy text as a draft version. A text that does not load is refused with its
    problems by line; a text whose content is unchanged makes no new version. A draft never
    changes what is in force: a published policy keeps its version until the draft is
    submitted, approved by another person and published; the draft replaces any earlier
    version still on its way (`versions.REVIEW`)."""
    loaded = parse(text)
    if policy is None:
        if Policy.objects.filter(slug=loaded.id).exists():
            raise Conflict(_("编号“%(s)s”已被另一项政策使用") % {"s": loaded.id}, field="text")
        policy = Policy(slug=loaded.id)
        before = None
    else:
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        if loaded.id != policy.slug:
            raise ValidationFailed(
                _("政策编号（id）不能修改：应为“%(s)s”") % {"s": policy.slug}, field="text"
            )
        before = snapshot(policy, FIELDS)
    never_published = policy.status == PolicyStatus.DRAFT
    if never_published:  # its page shows the text being written
        versions.apply_text(policy, loaded)
    policy.save()
    version = PolicyVersion.objects.filter(policy=policy, version=loaded.version).first()
    created = version is None
    if version is None:
        for older in policy.versions.filter(state__in=versions.OPEN).select_for_update():
            versions.REVIEW.move(older, "supersede", actor=actor, note=_("保存了新的修改稿"))
        version = PolicyVersion.objects.create(
            policy=policy, version=loaded.version, text=text, created_by=actor.label[:150]
        )
    if never_published:
        policy.current = version
        policy.save(update_fields=["current", "updated_at"])
    record_change(
        actor=actor,
        action="save" if created else "save_unchanged",
        obj=policy,
        before=before,
        after=snapshot(policy, FIELDS),
        note=_("规则版本 %(v)s") % {"v": version.version},
    )
    return policy


def move_version(
    *, actor: Actor, version: PolicyVersion, move: str, note: str = ""
) -> PolicyVersion:
    """Submit, approve or return a version (publishing is `publish_version`)."""
    if move in ("publish", "supersede", "install"):
        raise ValidationFailed(_("没有这一操作：%(n)s") % {"n": move})
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=version.policy_id)
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        versions.REVIEW.move(version, move, actor=actor, note=note, subject=policy)
    return version


@transaction.atomic
def publish_version(
    *, actor: Actor, version: PolicyVersion, match: bool = True, move: str = "publish"
) -> Policy:
    """Put an approved version in force: the policy takes its title, dates and delivery, the
    version it replaces is superseded, and matching against the registry is queued after
    commit (`match` False: the caller matches itself)."""
    policy = Policy.objects.select_for_update().get(pk=version.policy_id)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    loaded = parse(version.text, f"{policy.slug}.yaml")
    if loaded.effective_to is not None and loaded.effective_to < timezone.localdate():
        raise Conflict(
            _("政策已于 %(d)s 截止，不能发布；请先修改有效期") % {"d": loaded.effective_to}
        )
    versions.REVIEW.check(version, move, actor)
    before = snapshot(policy, FIELDS)
    for older in policy.versions.filter(state=VersionState.PUBLISHED).exclude(pk=version.pk):
        versions.REVIEW.move(
            older, "supersede", actor=actor, note=_("新版本已发布"), subject=policy
        )
    versions.REVIEW.move(version, move, actor=actor, subject=policy)
    versions.apply_text(policy, loaded)
    policy.current = version
    policy.status = PolicyStatus.PUBLISHED
    policy.published_at = timezone.now()
    policy.save()
    record_change(
        actor=actor,
        action="publish",
        obj=policy,
        before=before,
        after=snapshot(policy, FIELDS),
        note=_("规则版本 %(v)s") % {"v": version.version},
    )
    if match:
        _queue_matching(version)
    return policy


def publish(*, actor: Actor, policy: Policy, match: bool = True) -> Policy:
    """Publish the policy's text on its way (or its current text). People publish an approved
    version (`publish_version`); a command installing the shipped library (texts reviewed in
    the repository) publishes a draft directly, logged as such."""
    policy = Policy.objects.get(pk=policy.pk)
    version = versions.pending(policy) or policy.current
    if version is None:
        raise ValidationFailed(_("政策还没有规则文本"))
    if version.state == VersionState.PUBLISHED:
        return policy
    move = "publish" if version.state == VersionState.APPROVED else "install"
    return publish_version(actor=actor, version=version, match=match, move=move)


@transaction.atomic
def expire(*, actor: Actor, policy: Policy, note: str = "") -> Policy:
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.status == PolicyStatus.EXPIRED:
        return policy
    before = snapshot(policy, FIELDS)
    policy.status = PolicyStatus.EXPIRED
    policy.save()
    record_change(
        actor=actor,
        action="expire",
        obj=policy,
        before=before,
        after=snapshot(policy, FIELDS),
        note=note,
    )
    return policy


def expire_ended(*, actor: Actor, on: dt.date | None = None) -> list[Policy]:
    """Set 已失效 every published policy whose end date has passed (the end date itself still
    counts). Run daily: `gaoxin manage expire_policies`, or the `expire_ended_task`."""
    on = on or timezone.localdate()
    due = Policy.objects.filter(status=PolicyStatus.PUBLISHED, effective_to__lt=on)
    return [
        expire(
            actor=actor,
            policy=policy,
            note=_("截止日期 %(d)s 已过，自动失效") % {"d": policy.effective_to},
        )
        for policy in due.order_by("pk")
    ]


def _queue_matching(version: PolicyVersion) -> None:
    from gaoxin.policies.tasks import start_matching

    pk = version.pk
    transaction.on_commit(lambda: start_matching(pk))


@dataclass(frozen=True)
class Installed:
    published: list[Policy]
    expired: list[Policy]  # the zone's, but already past their end date: kept as 已失效


def install_zone_library(
    *, actor: Actor, region: str | None = None, folder: Path | None = None, match: bool = False
) -> Installed:
    """Save and publish the shipped policies the zone publishes (national, and those of the
    regions containing the zone); those already ended are saved as 已失效. Other regions'
    policies stay in the library (`import_library_policy`)."""
    region = region or settings.GAOXIN_ZONE_REGION
    published, expired = [], []
    today = timezone.localdate()
    for path, loaded in library.shipped_policies(folder):
        if not library.zone_publishes(loaded, region):
            continue
        policy = save_policy(actor=actor, text=path.read_text(encoding="utf-8"))
        if loaded.effective_to is not None and loaded.effective_to < today:
            expired.append(expire(actor=actor, policy=policy, note=_("截止日期已过")))
        else:
            published.append(publish(actor=actor, policy=policy, match=match))
    return Installed(published, expired)


def import_library_policy(*, actor: Actor, policy_id: str, folder: Path | None = None) -> Policy:
    """Import one policy of the shipped library (another region's example) as a draft, for the
    zone to adapt and publish."""
    for path, loaded in library.shipped_policies(folder):
        if loaded.id == policy_id:
            return save_policy(actor=actor, text=path.read_text(encoding="utf-8"))
    raise NotFound(_("政策示例库中没有编号为“%(s)s”的政策") % {"s": policy_id})

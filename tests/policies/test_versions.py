"""A policy version's way to publication: draft → submitted → approved by another person →
published, or returned with a reason; every move in the log; who may make which move; the
publish confirmation of an approved version with its difference and dry run."""

from __future__ import annotations

from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.policies import services, versions
from gaoxin.policies.models import Policy, PolicyVersion
from gaoxin.policies.preview import publish_preview
from tests.clients import client_for
from tests.conftest import ROLES
from tests.policies.test_policies import TEXT, figures

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def approved(zone: Any, text: str = TEXT, policy: Policy | None = None) -> PolicyVersion:
    """The text saved by staff, submitted by staff and approved by the zone admin."""
    staff = Actor.for_user(zone.users["staff"])
    saved = services.save_policy(actor=staff, text=text, policy=policy)
    draft = versions.pending(saved)
    assert draft is not None
    services.move_version(actor=staff, version=draft, move="submit")
    return services.move_version(
        actor=Actor.for_user(zone.users["zone_admin"]), version=draft, move="approve"
    )


def test_a_version_goes_draft_submitted_approved_published_each_move_logged(zone: Any) -> None:
    version = approved(zone)
    assert version.state == "approved"
    policy = Policy.objects.get()
    assert policy.status == "draft"
    services.publish_version(actor=Actor.for_user(zone.users["zone_admin"]), version=version)
    version.refresh_from_db()
    policy.refresh_from_db()
    assert (version.state, policy.status, policy.current_id) == (
        "published",
        "published",
        version.pk,
    )
    steps = versions.REVIEW.history(version)
    assert [(s.name, s.source, s.target, s.actor) for s in steps] == [
        ("submit", "draft", "submitted", "staff"),
        ("approve", "submitted", "approved", "zone_admin"),
        ("publish", "approved", "published", "zone_admin"),
    ]


def test_the_approver_is_not_the_submitter(zone: Any) -> None:
    admin = Actor.for_user(zone.users["zone_admin"])
    policy = services.save_policy(actor=admin, text=TEXT)
    draft = versions.pending(policy)
    assert draft is not None
    services.move_version(actor=admin, version=draft, move="submit")
    with pytest.raises(PermissionDenied, match="另一位"):
        services.move_version(actor=admin, version=draft, move="approve")
    draft.refresh_from_db()
    assert draft.state == "submitted"
    assert [m.name for m in versions.REVIEW.allowed(draft, admin)] == ["return"]


def test_staff_submit_but_neither_approve_nor_publish(zone: Any) -> None:
    staff = Actor.for_user(zone.users["staff"])
    other = Actor.for_user(zone.users["staff_other"])
    policy = services.save_policy(actor=staff, text=TEXT)
    draft = versions.pending(policy)
    assert draft is not None
    services.move_version(actor=staff, version=draft, move="submit")
    with pytest.raises(PermissionDenied):  # no 发布政策 permission, though not the submitter
        services.move_version(actor=other, version=draft, move="approve")
    with pytest.raises(Conflict):  # only an approved version is published
        services.publish_version(actor=Actor.for_user(zone.users["zone_admin"]), version=draft)


def test_returning_needs_a_reason_and_goes_back_to_draft(zone: Any) -> None:
    admin = Actor.for_user(zone.users["zone_admin"])
    staff = Actor.for_user(zone.users["staff"])
    draft = versions.pending(services.save_policy(actor=staff, text=TEXT))
    assert draft is not None
    services.move_version(actor=staff, version=draft, move="submit")
    with pytest.raises(ValidationFailed, match="理由"):
        services.move_version(actor=admin, version=draft, move="return", note="  ")
    services.move_version(actor=admin, version=draft, move="return", note="上限写错了")
    draft.refresh_from_db()
    assert draft.state == "draft"
    assert versions.REVIEW.history(draft)[-1].note == "上限写错了"
    services.move_version(actor=staff, version=draft, move="submit")  # submitted again


def test_editing_a_published_policy_keeps_the_version_in_force_until_published(
    zone: Any,
) -> None:
    first = approved(zone)
    services.publish_version(
        actor=Actor.for_user(zone.users["zone_admin"]), version=first, match=False
    )
    policy = Policy.objects.get()
    second = approved(zone, TEXT.replace("10%", "12%"), policy)
    policy.refresh_from_db()
    assert policy.current_id == first.pk  # the approved edit is not yet in force
    found = versions.diff(second)
    assert found.against == first
    assert [c.key for c in found.changes] == ["benefit"]
    assert ("+", "  amount: min(rd_expense[Y-1] * 12%, 50万)") in found.lines
    services.publish_version(
        actor=Actor.for_user(zone.users["zone_admin"]), version=second, match=False
    )
    first.refresh_from_db()
    policy.refresh_from_db()
    assert (policy.current_id, first.state) == (second.pk, "superseded")


def test_a_new_save_supersedes_the_version_on_its_way(zone: Any) -> None:
    version = approved(zone)
    staff = Actor.for_user(zone.users["staff"])
    services.save_policy(actor=staff, text=TEXT.replace("10%", "11%"), policy=version.policy)
    version.refresh_from_db()
    assert version.state == "superseded"
    assert PolicyVersion.objects.filter(state__in=versions.OPEN).count() == 1


def test_a_command_installs_a_shipped_text_but_a_person_cannot_skip_approval(zone: Any) -> None:
    policy = services.save_policy(actor=SYSTEM, text=TEXT)
    with pytest.raises(PermissionDenied):
        services.publish(actor=Actor.for_user(zone.users["zone_admin"]), policy=policy)
    services.publish(actor=SYSTEM, policy=policy, match=False)
    assert Policy.objects.get().current.state == "published"


def test_publish_page_shows_the_difference_and_the_dry_run_then_publishes(zone: Any) -> None:
    figures(zone.enterprise_a, "300万")
    version = approved(zone)
    client = client_for(zone, "zone_admin")
    assert client.get(f"/policies/{version.policy_id}/publish/").status_code == 302
    url = f"/policies/{version.policy_id}/versions/{version.pk}/publish/"
    page = client.get(url).content.decode()
    assert 'id="preview-enterprises">1<' in page and "30.00 万元" in page
    assert 'id="diff-first"' in page and 'id="confirm-publish"' in page
    preview = publish_preview(versions.as_published(version.policy, version))
    client.post(url, {"expected": "stale"})
    assert Policy.objects.get().status == "draft"
    client.post(url, {"expected": preview.fingerprint})
    assert Policy.objects.get().status == "published"


def test_a_draft_has_no_publish_page(zone: Any) -> None:
    draft = versions.pending(services.save_policy(actor=SYSTEM, text=TEXT))
    assert draft is not None
    client = client_for(zone, "zone_admin")
    response = client.get(f"/policies/{draft.policy_id}/versions/{draft.pk}/publish/")
    assert response.status_code == 302
    assert Policy.objects.get().status == "draft"


def test_moves_through_the_pages(zone: Any) -> None:
    draft = versions.pending(services.save_policy(actor=SYSTEM, text=TEXT))
    assert draft is not None
    base = f"/policies/{draft.policy_id}/versions/{draft.pk}/"
    staff = client_for(zone, "staff")
    assert 'id="submit-version"' in staff.get(base).content.decode()
    staff.post(base + "submit/")
    page = staff.get(base).content.decode()
    assert 'id="own-submission"' not in page or 'id="approve-version"' not in page
    assert 'id="approve-version"' not in page
    admin = client_for(zone, "zone_admin")
    assert 'id="approve-version"' in admin.get(base).content.decode()
    admin.post(base + "nonsense/")
    admin.post(base + "approve/")
    draft.refresh_from_db()
    assert draft.state == "approved"
    page = admin.get(base).content.decode()
    assert 'id="publish"' in page and "staff" in page and "zone_admin" in page
    policy_page = admin.get(f"/policies/{draft.policy_id}/").content.decode()
    assert "提交审批" in policy_page and "审批通过" in policy_page  # in the policy's history


VIEWERS = {"staff", "staff_other", "commissioner", "leader", "zone_admin"}
MOVERS = {"staff", "staff_other", "zone_admin"}


@pytest.mark.parametrize("role", ROLES)
def test_version_pages_by_role(zone: Any, role: str) -> None:
    draft = versions.pending(services.save_policy(actor=SYSTEM, text=TEXT))
    assert draft is not None
    base = f"/policies/{draft.policy_id}/versions/{draft.pk}/"
    client = client_for(zone, role)
    page = client.get(base)
    publish = client.get(base + "publish/")
    submit = client.post(base + "submit/")
    draft.refresh_from_db()
    if role == "anonymous":
        assert {page.status_code, publish.status_code, submit.status_code} == {302}
        assert draft.state == "draft"
        return
    assert page.status_code == (200 if role in VIEWERS else 403 if role else 404), role
    assert publish.status_code == (302 if role == "zone_admin" else 403), role
    if role in MOVERS:
        assert submit.status_code == 302 and draft.state == "submitted"
    else:
        assert submit.status_code == 403 and draft.state == "draft"

"""notify(): once per dedupe key, to the right people, through each channel."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.models import Contact
from gaoxin.notifications import message_templates, selectors, services
from gaoxin.notifications.models import Delivery, Message, MessageRead

ACTOR = Actor.system("test")


def push(enterprise: Any, key: str = "policy-match:7:1", **kwargs: Any) -> Message:
    title, body = message_templates.render(
        "policy_matched", policy="高新技术企业认定奖励", amount="20.00 万元", link="/p/7/"
    )
    values: dict[str, Any] = {
        "actor": ACTOR,
        "enterprise": enterprise,
        "subject_type": "policy_version",
        "subject_id": 7,
        "dedupe_key": key,
        "title": title,
        "body": body,
        "link": "/p/7/",
        "channels": ("inbox", "email"),
    }
    values.update(kwargs)
    return services.notify(**values)


def rows(message: Message) -> list[tuple[str, str | None, str, str]]:
    return sorted(
        (d.channel, d.contact.name if d.contact else None, d.address, d.status)
        for d in message.deliveries.select_related("contact")
    )


def test_render_policy_matched_template() -> None:
    title, body = message_templates.render(
        "policy_matched", policy="研发费用补助", amount="35.00 万元", link="https://x/p/1/"
    )
    assert title == "您的企业可能符合《研发费用补助》"
    assert body == (
        "【厦门火炬高新区】您的企业可能符合《研发费用补助》，预计可获 35.00 万元。"
        "点击查看：https://x/p/1/"
    )


def test_recipients_by_role(zone: Any, contacts: dict[str, Contact], mailoutbox: Any) -> None:
    message = push(zone.enterprise_a)
    assert rows(message) == [
        ("email", "李财务", "li@a.example", "pending"),
        ("email", "王法人", "wang@a.example", "pending"),
        ("inbox", "李财务", "", "sent"),
        ("inbox", "王法人", "", "sent"),
    ]
    only_finance = push(zone.enterprise_a, key="k2", roles=("finance_head",))
    assert {d.contact.name for d in only_finance.deliveries.all() if d.contact} == {"李财务"}
    contacts_too = push(zone.enterprise_a, key="k3", roles=("contact",), channels=("inbox",))
    assert [d.contact.name for d in contacts_too.deliveries.all() if d.contact] == ["赵联系"]


def test_dedupe_same_key_twice_creates_nothing_new(
    zone: Any, contacts: dict[str, Contact], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = push(zone.enterprise_a)
    counts = (Message.objects.count(), Delivery.objects.count(), AuditEntry.objects.count())
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = push(zone.enterprise_a, title="换个标题")
    assert second.pk == first.pk and second.title == first.title
    assert (Message.objects.count(), Delivery.objects.count(), AuditEntry.objects.count()) == counts
    assert len(mail.outbox) == sent == 2
    assert callbacks == []


def test_dedupe_key_of_another_enterprise_is_a_conflict(
    zone: Any, contacts: dict[str, Contact]
) -> None:
    push(zone.enterprise_a)
    with pytest.raises(Conflict):
        push(zone.enterprise_b)
    assert Message.objects.count() == 1


def test_opted_out_contact_is_skipped(
    zone: Any, contacts: dict[str, Contact], django_capture_on_commit_callbacks: Any
) -> None:
    services.opt_out(actor=ACTOR, contact=contacts["finance_a"])
    entry = AuditEntry.objects.get(action="opt_out")
    assert (entry.before, entry.after) == ({"receives_push": True}, {"receives_push": False})
    with django_capture_on_commit_callbacks(execute=True):
        message = push(zone.enterprise_a)
    assert rows(message) == [
        ("email", "李财务", "li@a.example", "skipped_opt_out"),
        ("email", "王法人", "wang@a.example", "sent"),
        ("inbox", "李财务", "", "skipped_opt_out"),
        ("inbox", "王法人", "", "sent"),
    ]
    assert [m.to for m in mail.outbox] == [["wang@a.example"]]


def test_opt_out_twice_writes_one_audit_entry(zone: Any, contacts: dict[str, Contact]) -> None:
    services.opt_out(actor=ACTOR, contact=contacts["legal_a"])
    services.opt_out(actor=ACTOR, contact=contacts["legal_a"])
    assert AuditEntry.objects.filter(action="opt_out").count() == 1


def test_contact_without_email_is_recorded_not_sent(
    zone: Any, contacts: dict[str, Contact], django_capture_on_commit_callbacks: Any
) -> None:
    Contact.objects.filter(pk=contacts["finance_a"].pk).update(email="")
    with django_capture_on_commit_callbacks(execute=True):
        message = push(zone.enterprise_a, channels=("email",))
    assert rows(message) == [
        ("email", "李财务", "", "skipped_no_address"),
        ("email", "王法人", "wang@a.example", "sent"),
    ]


def test_enterprise_without_contacts_gets_an_enterprise_inbox_message(zone: Any) -> None:
    message = push(zone.enterprise_b)
    assert [(d.channel, d.user_id, d.contact_id, d.status) for d in message.deliveries.all()] == [
        ("inbox", None, None, "sent")
    ]
    assert list(selectors.inbox_for(zone.users["enterprise_b"])) == [message]


def test_email_content(
    zone: Any,
    contacts: dict[str, Contact],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.GAOXIN_SITE_URL = "https://gaoxin.example.gov.cn"
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a, roles=("legal_rep",))
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["wang@a.example"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert email.subject == "您的企业可能符合《高新技术企业认定奖励》"
    assert email.body == (
        "【厦门火炬高新区】您的企业可能符合《高新技术企业认定奖励》，预计可获 20.00 万元。"
        "点击查看：https://gaoxin.example.gov.cn/p/7/"
    )
    delivery = Delivery.objects.get(channel="email")
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None


def test_email_failure_is_recorded_and_retried(
    zone: Any,
    contacts: dict[str, Contact],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.mail import EmailMessage

    def broken(self: Any, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a, roles=("legal_rep",))
    delivery = Delivery.objects.get(channel="email")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "ConnectionRefusedError: SMTP down"
    monkeypatch.undo()
    assert services.retry_failed() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert [m.to for m in mail.outbox] == [["wang@a.example"]]


def test_retry_gives_up_after_max_attempts(
    zone: Any, contacts: dict[str, Contact], monkeypatch: pytest.MonkeyPatch
) -> None:
    message = push(zone.enterprise_a, roles=("legal_rep",))
    Delivery.objects.filter(message=message, channel="email").update(
        status="failed", attempts=services.MAX_ATTEMPTS
    )
    assert services.retry_failed() == 0
    assert Delivery.objects.get(channel="email").attempts == services.MAX_ATTEMPTS


def test_a_sent_delivery_is_not_sent_again(
    zone: Any, contacts: dict[str, Contact], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        push(zone.enterprise_a, roles=("legal_rep",))
    delivery = Delivery.objects.get(channel="email")
    services.send_delivery(delivery.pk)
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_notify_is_audited(zone: Any, contacts: dict[str, Contact]) -> None:
    message = push(zone.enterprise_a)
    entry = AuditEntry.objects.get(action="notify")
    assert entry.actor_label == "test"
    assert (entry.model, entry.object_id) == ("notifications.message", str(message.pk))
    assert (entry.subject_model, entry.subject_id) == (
        "enterprises.enterprise",
        str(zone.enterprise_a.pk),
    )
    assert entry.after["deliveries"] == {"inbox:sent": 2, "email:pending": 2}


@pytest.mark.parametrize(
    "bad",
    [{"dedupe_key": " "}, {"title": ""}, {"roles": ("ceo",)}, {"channels": ("sms",)}],
)
def test_bad_arguments_are_refused(zone: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        push(zone.enterprise_a, **bad)
    assert Message.objects.count() == 0


def test_inbox_scoping_and_unread(zone: Any, contacts: dict[str, Contact]) -> None:
    a_msg = push(zone.enterprise_a, key="a1")
    b_msg = push(zone.enterprise_b, key="b1")
    ent_a, ent_b = zone.users["enterprise_a"], zone.users["enterprise_b"]
    assert list(selectors.inbox_for(ent_a)) == [a_msg]
    assert list(selectors.inbox_for(ent_b)) == [b_msg]
    for role in ("staff", "zone_admin", "provider", "bank"):
        assert list(selectors.inbox_for(zone.users[role])) == []
    assert selectors.unread_count(ent_a) == 1
    services.mark_read(user=ent_a, message=a_msg)
    services.mark_read(user=ent_a, message=a_msg)
    assert MessageRead.objects.count() == 1
    assert selectors.unread_count(ent_a) == 0
    assert selectors.unread_count(ent_b) == 1


def test_message_to_another_person_of_the_same_enterprise_is_not_in_my_inbox(
    zone: Any, contacts: dict[str, Contact]
) -> None:
    """Addressed to the finance head's own account: not in the legal representative's inbox."""
    from tests.factories import UserFactory

    finance_user = UserFactory(
        username="ent_a_finance", organisation=zone.users["enterprise_a"].organisation
    )
    Contact.objects.filter(pk=contacts["finance_a"].pk).update(user=finance_user)
    message = push(zone.enterprise_a, roles=("finance_head",))
    assert list(selectors.inbox_for(finance_user)) == [message]
    assert list(selectors.inbox_for(zone.users["enterprise_a"])) == []

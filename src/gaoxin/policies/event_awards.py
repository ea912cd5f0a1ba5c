"""免申即享 for event awards: a first recognition, a listing, a landing pays its award from the
event record, without an application.

When an event record is written (a certificate recorded or imported, a landing date set:
`enterprises.signals.events_recorded`), the published 免申即享 (`delivery: auto`) policies
whose conditions read that event's date — `has(high_tech_enterprise)`,
`first_time(high_tech_enterprise)`, `within(landed_at, 3年)` … — are evaluated for that
enterprise. An eligible result with an amount enters the 免申即享 flow as any identified payout
does (payouts.identify): a Payout in state 已识别 with its risk assessed, audited, and pushed
to the enterprise's legal representative and finance head. The enterprise confirms, staff
verify, a batch reserves the budget and pays, as for every payout.

Once per event: an `EventAward` row per policy, enterprise and event (the same certificate or
landing date written again carries the same key) is written in the same transaction as the
payout, so a re-import, a second save or a retried task never awards twice. An event whose
policy is not met (the data is missing, the revenue too low) records nothing: writing the
event again once the data is there tries again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.signals import Event
from gaoxin.ledger.money import to_fen
from gaoxin.policies import peer_stats
from gaoxin.policies.choices import Delivery, PolicyStatus, Stage
from gaoxin.policies.matching import rules_policy
from gaoxin.policies.models import EventAward, Payout, Policy, PolicyMatch
from gaoxin.policies.wording import humanise_explanation
from gaoxin.rules import Policy as RulesPolicy
from gaoxin.rules import explain
from gaoxin.rules.items import uses_items
from gaoxin.rules.peers import Peers
from gaoxin.rules.resolve import fields_of, resolve
from gaoxin.rules.values import record

# Who the audit log names for payouts an event identified on its own.
EVENT_ACTOR = "系统自动识别（事件奖励）"


@dataclass(frozen=True)
class Awarded:
    policy_id: int
    enterprise_id: int
    event: str
    payout_id: int


def event_fields(policy: RulesPolicy, on: dt.date) -> set[str]:
    """The registry fields the policy's conditions read on `on` (parameters and tables as
    they stand then): the events it reacts to are those among them."""
    found: set[str] = set()
    for _condition, node in resolve(policy, on).conditions:
        if node is not None:
            found |= fields_of(node)
    return found


def reacting(on: dt.date) -> list[tuple[Policy, RulesPolicy, set[str]]]:
    """Published 免申即享 policies in force with the event fields their conditions read."""
    published = Policy.objects.filter(
        status=PolicyStatus.PUBLISHED,
        delivery=Delivery.AUTO,
        stage=Stage.FINAL,
        current__isnull=False,
    ).select_related("current", "current__policy")
    out = []
    for policy in published:
        if policy.effective_to is not None and policy.effective_to < on:
            continue
        assert policy.current is not None
        loaded = rules_policy(policy.current)
        if not loaded.in_force(on) or loaded.beneficiary != "enterprise":
            continue  # a person, provider or introducer is paid through its own records
        fields = event_fields(loaded, on)
        if fields:
            out.append((policy, loaded, fields))
    return out


def event_label(event: str) -> str:
    """`high_tech_enterprise:2025-01-02` → 高新技术企业 2025-01-02 (as people read it)."""
    from gaoxin import catalogue
    from gaoxin.core.language import field_label

    name, _sep, day = event.partition(":")
    found = catalogue.BY_NAME.get(name)
    return f"{field_label(found) if found is not None else name} {day}".strip()


@dataclass
class _Reads:
    """What award_events reads once per call rather than once per event and policy: an
    enterprise's flat row (with its items or without), a policy's peer statistics."""

    on: dt.date
    rows: dict[tuple[int, bool], dict[str, Any] | None] = field(default_factory=dict)
    peers: dict[int, Peers | None] = field(default_factory=dict)

    def row(self, enterprise_id: int, items: bool) -> dict[str, Any] | None:
        key = (enterprise_id, items)
        if key not in self.rows:
            self.rows[key] = flat_rows([enterprise_id], self.on, items=items).get(enterprise_id)
        return self.rows[key]

    def peers_of(self, policy: Policy) -> Peers | None:
        if policy.pk not in self.peers:
            assert policy.current is not None
            self.peers[policy.pk] = peer_stats.current([policy.current], self.on)
        return self.peers[policy.pk]


def award_events(events: Sequence[Event], on: dt.date | None = None) -> list[Awarded]:
    """Identify (and push) the awards these events trigger; see the module's docstring."""
    on = on or timezone.localdate()
    policies = reacting(on)
    if not policies:
        return []
    reads = _Reads(on)
    out: list[Awarded] = []
    for enterprise_id, name, key in dict.fromkeys(events):
        for policy, loaded, fields in policies:
            if name in fields:
                awarded = award_one(policy, loaded, enterprise_id, key, on, reads)
                if awarded is not None:
                    out.append(awarded)
    return out


def award_one(
    policy: Policy,
    loaded: RulesPolicy,
    enterprise_id: int,
    event: str,
    on: dt.date,
    reads: _Reads | None = None,
) -> Awarded | None:
    if EventAward.objects.filter(policy=policy, enterprise_id=enterprise_id, event=event).exists():
        return None
    reads = reads or _Reads(on)
    row = reads.row(enterprise_id, uses_items(loaded))
    if row is None:
        return None
    found = explain(loaded, record(row), on, peers=reads.peers_of(policy))
    if found.status != "eligible" or found.amount is None or found.amount <= 0:
        return None
    year = loaded.year or on.year
    explanation = humanise_explanation(found.to_dict(), year)
    actor = Actor.system(EVENT_ACTOR)
    try:
        with transaction.atomic():
            payout = (
                Payout.objects.select_for_update()
                .filter(policy=policy, year=year, enterprise_id=enterprise_id)
                .first()
            )
            if payout is None:
                note = _("由事件记录触发，无需申报：%(e)s") % {"e": event_label(event)}
                payout = _identify(
                    actor, policy, enterprise_id, year, found.amount, explanation, note
                )
            EventAward.objects.create(
                policy=policy, enterprise_id=enterprise_id, event=event, payout=payout
            )
    except IntegrityError:  # the same event taken at once by another worker: it awarded
        return None
    return Awarded(policy.pk, enterprise_id, event, payout.pk)


def _identify(
    actor: Actor,
    policy: Policy,
    enterprise_id: int,
    year: int,
    amount: Decimal,
    explanation: dict[str, object],
    note: str,
) -> Payout:
    from gaoxin.policies.payouts import identified, push_payout

    assert policy.current is not None
    # The award's match as identify would read it: the event's explanation is its basis.
    match = PolicyMatch(policy=policy, version=policy.current, enterprise_id=enterprise_id)
    match.explanation = explanation
    payout = identified(actor, policy, match, year, to_fen(amount), None, note)
    push_payout(actor=actor, payout=payout)
    return payout

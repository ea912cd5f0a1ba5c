"""免申即享 for persons: a policy with `beneficiary: person` (a talent's housing subsidy, a
senior talent's award) evaluated over the persons table in one batch, each eligible person
given a payout through the same flow as an enterprise's — pushed to the employer, confirmed
with the person's own account, verified, batched, paid on the ledger with the person as the
payee (`enterprises.person`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor
from gaoxin.core.errors import Conflict, ValidationFailed
from gaoxin.core.formatting import money
from gaoxin.enterprises.models import Person
from gaoxin.enterprises.people import person_record, persons_frame
from gaoxin.policies.budgeting import Item
from gaoxin.policies.choices import Delivery, RiskLevel
from gaoxin.policies.models import Payout, Policy
from gaoxin.policies.preview import Preview, budget_left, channel_counts
from gaoxin.policies.standing import ensure_pushable
from gaoxin.policies.wording import humanise_explanation
from gaoxin.rules import STATUSES, explain
from gaoxin.rules.batch import evaluate_wide


def pays_persons(policy: Policy) -> bool:
    from gaoxin.policies.matching import rules_policy

    return policy.current is not None and rules_policy(policy.current).beneficiary == "person"


def person_candidates(policy: Policy, year: int, on: dt.date | None = None) -> list[Item]:
    """Persons eligible with an amount on `on`, not yet identified this year: one Item per
    person (key: the person's id)."""
    from gaoxin.policies.matching import rules_policy

    assert policy.current is not None
    on = on or timezone.localdate()
    loaded = rules_policy(policy.current)
    frame = persons_frame(on)
    if not frame.height:
        return []
    wide = evaluate_wide([loaded], frame, on)
    eligible = wide.filter(
        (pl.col(f"status:{loaded.id}") == STATUSES.index("eligible"))
        & (pl.col(f"amount:{loaded.id}") > 0)
    )
    done = set(
        Payout.objects.filter(policy=policy, year=year, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    pairs = eligible.select("person_id", f"amount:{loaded.id}").rows()
    wanted = {pk: fen for pk, fen in pairs if pk not in done}
    people = Person.objects.filter(pk__in=list(wanted)).select_related("enterprise")
    return [
        Item(key=p.pk, fen=wanted[p.pk], name=f"{p.name}（{p.enterprise.name}）")
        for p in people.order_by("pk")
    ]


def people_preview(policy: Policy, year: int, on: dt.date | None = None) -> Preview:
    """What identifying the persons would do: who, how much, the messages, the budget left."""
    items = person_candidates(policy, year, on)
    employers = list(
        Person.objects.filter(pk__in=[i.key for i in items]).values_list("enterprise_id", flat=True)
    )
    from gaoxin.notifications.services import DEFAULT_ROLES

    return Preview(
        items=items,
        channels=channel_counts(sorted(set(employers)), DEFAULT_ROLES),
        budget_left_fen=budget_left(policy, year),
        year=year,
    )


def identify_people(
    *, actor: Actor, policy: Policy, year: int, push: bool = True, expected: str | None = None
) -> int:
    """A payout for every eligible person (the payee) not yet identified this year, each with
    its explanation; the employer is told. A list over the budget left is refused."""
    from gaoxin.policies.matching import rules_policy
    from gaoxin.policies.payouts import new_payout, push_payout

    if policy.delivery != Delivery.AUTO:
        raise ValidationFailed(_("只有“免申即享”政策可以直接兑现，其他政策请走网上申报"))
    policy = Policy.objects.select_related("current").get(pk=policy.pk)
    ensure_pushable(policy)
    if not pays_persons(policy):
        raise ValidationFailed(_("该政策的受益对象不是个人"))
    preview = people_preview(policy, year)
    if expected is not None and expected != preview.fingerprint:
        raise Conflict(_("名单或预算在确认后有变化，请重新核对后再确认"))
    if preview.over_budget:
        raise Conflict(
            _("名单合计 %(t)s，超出剩余预算 %(b)s：请先追加预算")
            % {
                "t": money(Decimal(preview.total_fen) / 100),
                "b": money(Decimal(max(0, preview.budget_left_fen or 0)) / 100),
            },
            field="allocation",
        )
    assert policy.current is not None
    loaded = rules_policy(policy.current)
    on = timezone.localdate()
    people = Person.objects.in_bulk([i.key for i in preview.items])
    added = 0
    for item in preview.items:
        person = people[item.key]
        found = explain(loaded, person_record(person, on), on)
        explanation: dict[str, Any] = humanise_explanation(found.to_dict(), loaded.year or on.year)
        with transaction.atomic():
            payout = new_payout(
                actor,
                person.name,
                policy=policy,
                version=policy.current,
                enterprise_id=person.enterprise_id,
                person=person,
                year=year,
                amount_fen=item.fen,
                risk=RiskLevel.LOW,
                explanation=explanation,
            )
            if push:
                push_payout(actor=actor, payout=payout)
        added += 1
    return added

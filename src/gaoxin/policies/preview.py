"""What publishing a policy or "识别并推送" will do, before it is done: how many enterprises
are pushed, how many messages go out through each channel (counted from the contacts that
will receive them), the total expected amount and the budget left. Reads only."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.enterprises.flat import registry_frame
from gaoxin.enterprises.models import Contact
from gaoxin.enterprises.people import registry_items
from gaoxin.ledger.money import to_fen
from gaoxin.ledger.selectors import pool_balances
from gaoxin.notifications.choices import Channel, WebhookKind
from gaoxin.notifications.models import WebhookEndpoint
from gaoxin.notifications.services import DEFAULT_ROLES
from gaoxin.policies.budgeting import Item
from gaoxin.policies.choices import MatchStatus, PayoutState
from gaoxin.policies.models import Payout, Policy, PolicyMatch
from gaoxin.policies.standing import ended, why_not

# Payouts that will draw on the pool but hold no reservation yet.
OPEN = (PayoutState.IDENTIFIED, PayoutState.PUSHED, PayoutState.CONFIRMED, PayoutState.VERIFIED)
CHANNEL_ORDER = ("inbox", "email", WebhookKind.WECOM, WebhookKind.DINGTALK, WebhookKind.GENERIC)


@dataclass
class Preview:
    """The effect of one action, as the confirmation page shows it."""

    items: list[Item]
    channels: list[tuple[str, int]]  # (channel label, messages), in CHANNEL_ORDER
    budget_left_fen: int | None  # None: no budget has been allocated for the year
    year: int
    review: int = 0  # of `items`' enterprises, how many await staff review (no amount yet)
    notes: list[str] = field(default_factory=list)

    @property
    def enterprises(self) -> int:
        return len(self.items) + self.review

    @property
    def total_fen(self) -> int:
        return sum(i.fen for i in self.items)

    @property
    def over_budget(self) -> bool:
        return self.total_fen > (self.budget_left_fen or 0)

    @property
    def shortfall_fen(self) -> int:
        return max(0, self.total_fen - (self.budget_left_fen or 0))

    @property
    def fingerprint(self) -> str:
        """Names exactly this list and budget: a confirmation made on another list (the
        registry or the budget moved in between) is refused and shown again."""
        text = repr(
            (sorted((str(i.key), i.fen) for i in self.items), self.review, self.budget_left_fen)
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def budget_left(policy: Policy, year: int) -> int | None:
    """The pool's available fen less what open payouts (identified … verified, not yet in a
    batch) will draw; None when the year has no pool."""
    from gaoxin.policies.payouts import pool_of

    pool = pool_of(policy, year)
    if pool is None:
        return None
    committed = (
        Payout.objects.filter(policy=policy, year=year, state__in=OPEN, batch__isnull=True)
        .aggregate(s=Sum("amount_fen"))
        .get("s")
    ) or 0
    return pool_balances(pool).available_fen - committed


def identify_candidates(policy: Policy, year: int) -> list[PolicyMatch]:
    """The stored matches `identify` turns into payouts: eligible with an amount, not yet
    identified this year, and not paid this year under a policy this one is exclusive with
    (payouts.exclusive_with)."""
    from gaoxin.policies.payouts import exclusive_with

    return list(
        PolicyMatch.objects.filter(policy=policy, status=MatchStatus.ELIGIBLE, amount__gt=0)
        .exclude(enterprise__payouts__policy=policy, enterprise__payouts__year=year)
        .exclude(enterprise_id__in=exclusive_with(policy, year))
        .select_related("enterprise", "version")
        .order_by("enterprise_id")
    )


def item_of(match: PolicyMatch) -> Item:
    assert match.amount is not None
    return Item(
        key=match.enterprise_id,
        fen=to_fen(match.amount),
        name=match.enterprise.name,
        registered=match.enterprise.registered_at,
    )


def identify_preview(policy: Policy, year: int) -> Preview:
    from gaoxin.policies.payouts import bounded, exclusive_with

    if bounded(policy):
        # benefit.upto: listed with a bound, each amount decided later within the budget
        waiting = (
            PolicyMatch.objects.filter(policy=policy, status=MatchStatus.ELIGIBLE)
            .exclude(enterprise__payouts__policy=policy, enterprise__payouts__year=year)
            .exclude(enterprise_id__in=exclusive_with(policy, year))
            .values_list("enterprise_id", flat=True)
        )
        ids = list(waiting)
        return Preview(
            items=[],
            channels=channel_counts([], DEFAULT_ROLES),
            budget_left_fen=budget_left(policy, year),
            year=year,
            review=len(ids),
            notes=[_("金额由工作人员在上限内核定：识别后逐项核定金额，核定后再推送")],
        )
    matches = identify_candidates(policy, year)
    items = [item_of(m) for m in matches]
    return Preview(
        items=items,
        channels=channel_counts([m.enterprise_id for m in matches], DEFAULT_ROLES),
        budget_left_fen=budget_left(policy, year),
        year=year,
    )


def publish_preview(policy: Policy, on: dt.date | None = None) -> Preview:
    """A dry run of the matching that publishing starts: the enterprises it would push (eligible
    or awaiting review) and what the eligible ones would receive."""
    from gaoxin.policies.matching import rules_policy
    from gaoxin.rules.batch import compile_plan, evaluate

    on = on or timezone.localdate()
    assert policy.current is not None
    loaded = rules_policy(policy.current)
    year = on.year
    items: list[Item] = []
    review = 0
    pushed: list[int] = []
    if policy.for_comment or ended(policy, on):
        return Preview([], [], budget_left(policy, year), year, notes=[why_not(policy, on)])
    if loaded.beneficiary == "person":  # the persons it would pay, from the persons table
        from gaoxin.policies.people import people_preview

        return people_preview(policy, year, on)
    if loaded.beneficiary != "enterprise":  # a provider or an introducer applies
        return Preview([], [], budget_left(policy, year), year)
    frame = registry_frame(on)
    needs_items = bool(compile_plan([loaded], on).aggregates)  # sum_over: the item tables
    tables = registry_items(frame) if needs_items else None
    result = evaluate([loaded], frame, on, interesting_only=True, items=tables)
    names = dict(
        zip(frame["uscc"].to_list(), frame.select("enterprise_id", "name").rows(), strict=True)
    )
    for uscc, status, amount in result.select("uscc", "status", "amount").iter_rows():
        pk, name = names[uscc]
        if str(status) == MatchStatus.ELIGIBLE and amount is not None and amount > 0:
            items.append(Item(pk, to_fen(amount), name or ""))
            pushed.append(pk)
        elif str(status) in (MatchStatus.ELIGIBLE, MatchStatus.REVIEW):
            review += 1
            pushed.append(pk)
    roles = tuple(loaded.notify) or DEFAULT_ROLES
    return Preview(
        items=items,
        channels=channel_counts(pushed, roles),
        budget_left_fen=budget_left(policy, year),
        year=year,
        review=review,
    )


def channel_counts(enterprise_ids: Sequence[int], roles: Sequence[str]) -> list[tuple[str, int]]:
    """Messages per channel as `notifications.notify` will deliver them: an inbox message and
    an email (when the address is on record) to each contact in `roles` who accepts pushes, the
    enterprise's inbox when no contact is on record, one robot message per active endpoint."""
    counts: Counter[str] = Counter()
    ids = set(enterprise_ids)
    with_contacts: set[int] = set()
    contacts = Contact.objects.filter(enterprise_id__in=ids, role__in=list(roles)).values_list(
        "enterprise_id", "receives_push", "email"
    )
    for enterprise_id, receives, email in contacts.iterator():
        with_contacts.add(enterprise_id)
        if receives:
            counts["inbox"] += 1
            if email:
                counts["email"] += 1
    counts["inbox"] += len(ids - with_contacts)
    for kind in WebhookEndpoint.objects.filter(active=True).values_list("kind", flat=True):
        counts[kind] += len(ids)
    labels = {
        "inbox": Channel.INBOX.label,
        "email": Channel.EMAIL.label,
        **dict(WebhookKind.choices),
    }
    return [(str(labels[c]), counts[c]) for c in CHANNEL_ORDER if counts[c]]

"""The demo zone's policy service: the shipped library published and matched, the demo's
enterprise logins pushed their matches, and one year of 免申即享 paid through the real flow
(`gaoxin demo`)."""

from __future__ import annotations

from django.utils import timezone

from gaoxin.core.audit import Actor
from gaoxin.enterprises.demo import zone_scale
from gaoxin.enterprises.models import Enterprise
from gaoxin.ledger.money import to_fen
from gaoxin.policies import payouts
from gaoxin.policies import services as policy_services
from gaoxin.policies.library import shipped_library
from gaoxin.policies.matching import match_published, push_matches
from gaoxin.policies.models import Application, Payout, PayoutBatch, Policy, PolicyMatch

# A policy of the zone's own, in force, paid without application (the Xiamen R&D-increment
# measure is a 征求意见稿: matched and shown, never paid).
PAYOUT_POLICY = "torch-srdi-award"
PAYOUT_BUDGET_YUAN = "120000000"  # for the standard 3,000 enterprises; in proportion beyond


def payout_budget_fen() -> int:
    """The award's budget for the year: 1.2亿 for the standard zone, as many times that as the
    zone is larger (its awardees grow with it), in whole 万元."""
    return round(to_fen(PAYOUT_BUDGET_YUAN) * zone_scale() / 1_000_000) * 1_000_000


def publish_library(actor: Actor) -> None:
    """The zone's part of the shipped library (national, Fujian, Xiamen and Torch policies)
    saved and published, those already ended saved as 已失效; other regions' examples stay in
    the library for import (matched afterwards)."""
    if shipped_library() is None:
        print("policy library not found beside the package: no policies in the demo")
        return
    installed = policy_services.install_zone_library(actor=actor)
    print(
        f"published {len(installed.published)} policies of the zone "
        f"({len(installed.expired)} already ended)"
    )


def match_and_push() -> None:
    """Every published policy matched; only the demo's enterprise logins are pushed, so the
    demo sends no messages to enterprises nobody reads."""
    runs = match_published(push=False)
    print(f"matched {len(runs)} published policies against the registry")
    logins = _enterprises_with_logins()
    for run in runs:
        ids = list(
            PolicyMatch.objects.filter(version=run.version, enterprise_id__in=logins).values_list(
                "enterprise_id", flat=True
            )
        )
        push_matches(run.version_id, ids)


def pay_a_year(*, staff: Actor, chief: Actor) -> None:
    """One year of 免申即享 for the Torch SRDI award: budget, identification, the
    demo's logins pushed (they confirm themselves), the others' written confirmations recorded
    by staff, verification, a batch made by one official, approved, paid and published by
    another."""
    policy = Policy.objects.filter(slug=PAYOUT_POLICY).first()
    if policy is None:
        return
    year = timezone.localdate().year
    if payouts.pool_of(policy, year) is None:  # a second run funds nothing more
        payouts.fund(actor=chief, policy=policy, year=year, amount_fen=payout_budget_fen())
    payouts.identify(actor=staff, policy=policy, year=year, push=False)
    logins = _enterprises_with_logins()
    chosen = []
    for payout in Payout.objects.filter(policy=policy, year=year).select_related("enterprise"):
        if payout.enterprise_id in logins:
            payouts.push_payout(actor=staff, payout=payout)
            continue
        payouts.record_offline_confirmation(
            actor=staff,
            payout=payout,
            bank_name="建设银行厦门分行",
            account_name=payout.enterprise.name,
            account_number=f"3515019801010{payout.enterprise_id:07d}",
            evidence="企业盖章的收款账户确认书",
        )
        payouts.verify(
            actor=staff,
            payout=payout,
            accept=True,
            note="已核对纳税申报表" if payout.risk == "high" else "",
        )
        chosen.append(payout)
    batch = payouts.create_batch(actor=staff, policy=policy, year=year, payouts=chosen)
    payouts.approve_batch(actor=chief, batch=batch)
    payouts.pay_batch(actor=chief, batch=batch)
    payouts.publish_batch(actor=chief, batch=batch)
    print(f"paid {len(chosen)} enterprises under 《{policy.title}》")


def _enterprises_with_logins() -> set[int]:
    return set(
        Enterprise.objects.filter(organisation__users__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )


def reset() -> None:
    Application.objects.all().delete()
    Payout.objects.all().delete()
    PayoutBatch.objects.all().delete()
    Policy.objects.update(current=None)
    Policy.objects.all().delete()

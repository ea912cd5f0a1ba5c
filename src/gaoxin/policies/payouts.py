"""免申即享: paying a policy without an application, as a state machine on the ledger.

identified (from the stored matches) → pushed (to the legal representative and the finance
head) → confirmed (by the enterprise: its data and bank account) → verified (by staff;
government data prevails over declared data, doubtful cases need a reviewer's note) →
approved (in a batch: the budget is reserved when the batch is made, settled when approved) →
paid (each payment an idempotent ledger entry, so a batch retried after a crash pays each
enterprise once) → published (公示) → archived. Every step is audited; any other move is
refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.core.formatting import money
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.models import YearlyFigures
from gaoxin.ledger import services as ledger
from gaoxin.ledger.models import BudgetPool
from gaoxin.policies.budgeting import Allocation, RankOrder, prorate_fen, rank_and_cut
from gaoxin.policies.choices import BatchState, Delivery, MatchStatus, PayoutState, RiskLevel
from gaoxin.policies.matching import explain_matches
from gaoxin.policies.models import Payout, PayoutBatch, Policy, PolicyMatch
from gaoxin.policies.standing import ensure_payable, ensure_pushable

S = PayoutState
ALLOWED: dict[str, set[str]] = {
    S.IDENTIFIED: {S.PUSHED, S.REJECTED},
    S.PUSHED: {S.CONFIRMED, S.REJECTED},
    S.CONFIRMED: {S.VERIFIED, S.REJECTED},
    S.VERIFIED: {S.APPROVED, S.REJECTED},
    S.APPROVED: {S.PAID},
    S.PAID: {S.PUBLISHED},
    S.PUBLISHED: {S.ARCHIVED},
    S.ARCHIVED: set(),
    S.REJECTED: set(),
}
FIELDS = (
    "state",
    "amount_fen",
    "bound_fen",
    "item",
    "risk",
    "bank_name",
    "account_name",
    "account_number",
    "verified_by",
    "review_note",
    "batch",
)
_ACCOUNT = re.compile(r"^\d{8,30}$")


def _move(actor: Actor, payout: Payout, to: str, note: str = "", **changes: Any) -> Payout:
    if to not in ALLOWED[payout.state]:
        raise Conflict(
            _("不能从“%(a)s”变为“%(b)s”")
            % {"a": PayoutState(payout.state).label, "b": PayoutState(to).label}
        )
    if to != S.REJECTED and changes.get("amount_fen", payout.amount_fen) is None:
        raise Conflict(
            _("“%(e)s”的金额待核定（最高 %(b)s），请先核定金额")
            % {"e": payout.payee_name, "b": money(Decimal(payout.bound_fen or 0) / 100)}
        )
    before = snapshot(payout, FIELDS)
    payout.state = to
    for name, value in changes.items():
        setattr(payout, name, value)
    payout.save()
    record_change(
        actor=actor,
        action=f"payout_{to}",
        obj=payout,
        before=before,
        after=snapshot(payout, FIELDS),
        subject=payout.enterprise,
        note=note,
    )
    return payout


def _locked(payout: Payout) -> Payout:
    return (
        Payout.objects.select_for_update(of=("self",))
        .select_related("enterprise", "policy", "person")
        .get(pk=payout.pk)
    )


# -- budget ------------------------------------------------------------------------------


def pool_of(policy: Policy, year: int) -> BudgetPool | None:
    return BudgetPool.objects.filter(
        owner_type="policies.policy", owner_id=str(policy.pk), year=year
    ).first()


@transaction.atomic
def fund(*, actor: Actor, policy: Policy, year: int, amount_fen: int) -> BudgetPool:
    """Add budget to the policy's pool for the year (the pool is opened the first time). Each
    call adds once more; the ledger names the entry (`fund:<pool>:<n>`)."""
    pool = pool_of(policy, year) or ledger.create_pool(
        actor=actor,
        name=f"{policy.title}（{year}）",
        owner=("policies.policy", policy.pk),
        year=year,
    )
    ledger.fund_budget(pool=pool, amount_fen=amount_fen, actor=actor)
    return pool


# -- identify and push -------------------------------------------------------------------


def identify(
    *,
    actor: Actor,
    policy: Policy,
    year: int,
    push: bool = True,
    allocation: str | None = None,
    order: str = RankOrder.AMOUNT_DESC,
    expected: str | None = None,
) -> int:
    """A payout for every enterprise whose stored match is eligible with an amount; already
    identified enterprises are left as they are. Returns how many were added.

    A list whose total exceeds the budget left is refused unless the operator chose how to fit
    it: `allocation` prorate (按比例, exact to the fen, never above the budget) or rank (按排序
    截断 in `order`). `expected`: the fingerprint of the preview the operator confirmed; a list
    that changed since is refused, to be previewed again."""
    from gaoxin.policies.preview import identify_candidates, identify_preview, item_of

    if policy.delivery != Delivery.AUTO:
        raise ValidationFailed(_("只有“免申即享”政策可以直接兑现，其他政策请走网上申报"))
    policy = Policy.objects.get(pk=policy.pk)  # as it stands now, not as the caller read it
    ensure_pushable(policy)
    if bounded(policy):
        return identify_bounds(actor=actor, policy=policy, year=year)
    preview = identify_preview(policy, year)
    if expected is not None and expected != preview.fingerprint:
        raise Conflict(_("名单或预算在确认后有变化，请重新核对后再确认"))
    amounts = {item.key: item.fen for item in preview.items}
    if preview.over_budget:
        amounts = fit_to_budget(actor, policy, preview, allocation, order)
    matches = [m for m in identify_candidates(policy, year) if amounts.get(m.enterprise_id)]
    explain_matches(matches)
    added = 0
    for match in matches:
        fen = amounts[match.enterprise_id]
        with transaction.atomic():
            note = _prorated_note(item_of(match).fen, fen)
            payout = identified(actor, policy, match, year, fen, None, note)
            if push:
                push_payout(actor=actor, payout=payout)
        added += 1
    return added


def identified(
    actor: Actor,
    policy: Policy,
    match: PolicyMatch,
    year: int,
    fen: int | None,
    bound: int | None,
    note: str,
) -> Payout:
    """A payout made from a match (stored, or built for an event award): an amount, or a
    bound awaiting its amount; its risk assessed from the match's explanation."""
    risk, reasons = assess_risk(match)
    return new_payout(
        actor,
        note,
        policy=policy,
        version=match.version,
        enterprise_id=match.enterprise_id,
        year=year,
        amount_fen=fen,
        bound_fen=bound,
        risk=risk,
        risk_reasons=reasons,
        explanation=match.explanation,
    )


def new_payout(actor: Actor, note: str, **fields: Any) -> Payout:
    """Create a payout in its first state and audit it (payout_identified): the one place
    enterprises' and persons' payouts, identified or awarded on an event, come into being."""
    payout = Payout.objects.create(**fields)
    record_change(
        actor=actor,
        action="payout_identified",
        obj=payout,
        after=snapshot(payout, FIELDS),
        subject=payout.enterprise,
        note=note,
    )
    return payout


def _prorated_note(original_fen: int, fen: int) -> str:
    if original_fen == fen:
        return ""
    return _("按比例分配：测算 %(a)s，核定 %(b)s") % {
        "a": money(Decimal(original_fen) / 100),
        "b": money(Decimal(fen) / 100),
    }


def fit_to_budget(
    actor: Actor, policy: Policy, preview: Any, allocation: str | None, order: str
) -> dict[Any, int]:
    """The amounts of an over-budget list under the operator's explicit choice, audited."""
    left = max(0, preview.budget_left_fen or 0)
    if allocation == Allocation.PRORATE:
        fitted = prorate_fen(preview.items, left)
    elif allocation == Allocation.RANK:
        if order not in RankOrder.values:
            raise ValidationFailed(_("请选择截断的排序方式"), field="order")
        fitted = rank_and_cut(preview.items, left, order)
    else:
        raise Conflict(
            _("名单合计 %(t)s，超出剩余预算 %(b)s：请选择按比例分配、按排序截断，或先追加预算")
            % {"t": money(Decimal(preview.total_fen) / 100), "b": money(Decimal(left) / 100)},
            field="allocation",
        )
    fitted = {k: v for k, v in fitted.items() if v > 0}
    record_change(
        actor=actor,
        action="payout_allocation",
        obj=policy,
        after={
            "allocation": allocation,
            "order": order if allocation == Allocation.RANK else "",
            "year": preview.year,
            "budget_left_fen": left,
            "requested_fen": preview.total_fen,
            "requested_enterprises": len(preview.items),
            "allocated_fen": sum(fitted.values()),
            "allocated_enterprises": len(fitted),
        },
        note=str(Allocation(allocation).label),
    )
    return fitted


@transaction.atomic
def push_payout(*, actor: Actor, payout: Payout) -> None:
    """Tell the enterprise that it is listed, with the amount and where to confirm."""
    from gaoxin.notifications.message_templates import render
    from gaoxin.notifications.services import notify

    if payout.amount_fen is None:  # a bound: pushed once staff decided the amount
        raise Conflict(_("金额待核定，核定后再推送"))
    amount = money(Decimal(payout.amount_fen) / 100)
    link = f"/my/payouts/#payout-{payout.pk}"
    title, body = render("payout_listed", policy=payout.policy.title, amount=amount, link=link)
    notify(
        actor=actor,
        enterprise=payout.enterprise,
        subject_type="policies.payout",
        subject_id=payout.pk,
        dedupe_key=f"payout:{payout.pk}",
        title=title,
        body=body,
        link=link,
    )
    _move(actor, payout, S.PUSHED)


def _alias(field: str) -> str:
    found = catalogue.BY_NAME.get(field)
    return found.alias if found is not None else _("申报数据")


def assess_risk(match: PolicyMatch) -> tuple[str, list[str]]:
    """Doubtful when a figure the decision read is only the enterprise's own declaration, or
    when the enterprise declared something other than what a government source says."""
    reasons = []
    read = {
        (v["field"], v["year"])
        for c in match.explanation.get("conditions", [])
        for v in c.get("values", [])
        if v.get("year")
    }
    if read:
        years = {y for _f, y in read}
        figures = {
            f.year: f
            for f in YearlyFigures.objects.filter(enterprise_id=match.enterprise_id, year__in=years)
        }
        for field, year in sorted(read):
            found = figures.get(year)
            source = found.sources.get(field) if found is not None else None
            if source == DataSource.DECLARED:
                reasons.append(
                    _("%(f)s（%(y)s年）仅有企业申报数据") % {"f": _alias(field), "y": year}
                )
        declared = match.enterprise.reports.filter(source=DataSource.DECLARED, year__in=years)
        government = {
            (r.year): r
            for r in match.enterprise.reports.filter(source=DataSource.GOVERNMENT, year__in=years)
        }
        for report in declared:
            official = government.get(report.year)
            for field, year in read:
                if official is None or year != report.year:
                    continue
                mine, theirs = getattr(report, field, None), getattr(official, field, None)
                if mine is not None and theirs is not None and mine != theirs:
                    reasons.append(
                        _("%(f)s（%(y)s年）企业申报与政府部门数据不一致，以政府部门数据为准")
                        % {"f": _alias(field), "y": year}
                    )
    return (RiskLevel.HIGH if reasons else RiskLevel.LOW), reasons


# -- the enterprise confirms -------------------------------------------------------------


@transaction.atomic
def confirm(
    *, actor: Actor, payout: Payout, bank_name: str, account_name: str, account_number: str
) -> Payout:
    """The enterprise confirms the account the money goes to."""
    payout = _locked(payout)
    user = actor.user
    own_person = payout.person is not None and user is not None and payout.person.user_id == user.pk
    if user is None or not (
        own_person or getattr(user, "organisation_id", None) == payout.enterprise.organisation_id
    ):
        raise PermissionDenied(_("只有该企业的账号可以确认"))
    return _confirm(actor, payout, bank_name, account_name, account_number)


@transaction.atomic
def record_offline_confirmation(
    *,
    actor: Actor,
    payout: Payout,
    bank_name: str,
    account_name: str,
    account_number: str,
    evidence: str,
) -> Payout:
    """Zone staff record a confirmation the enterprise gave on paper (书面确认), naming the
    document; the audit entry carries it."""
    payout = _locked(payout)
    user = actor.user
    if user is not None and not getattr(user, "is_zone_staff", False):
        raise PermissionDenied(_("只有园区工作人员可以登记企业的书面确认"))
    evidence = evidence.strip()[:300]
    if not evidence:
        raise ValidationFailed(_("请注明企业书面确认的依据"), field="evidence")
    return _confirm(actor, payout, bank_name, account_name, account_number, evidence)


def _confirm(
    actor: Actor,
    payout: Payout,
    bank_name: str,
    account_name: str,
    account_number: str,
    note: str = "",
) -> Payout:
    number = account_number.replace(" ", "")
    if not _ACCOUNT.match(number):
        raise ValidationFailed(_("银行账号应为 8–30 位数字"), field="account_number")
    if not bank_name.strip():
        raise ValidationFailed(_("请填写开户银行"), field="bank_name")
    if payout.person_id is not None:  # paid to the person's own account
        if account_name.strip() != payout.payee_name:
            raise ValidationFailed(
                _("账户名称须与受益人姓名一致：%(n)s") % {"n": payout.payee_name},
                field="account_name",
            )
    elif account_name.strip() != payout.enterprise.name:
        raise ValidationFailed(
            _("账户名称须与企业名称一致：%(n)s") % {"n": payout.enterprise.name},
            field="account_name",
        )
    if payout.state == S.IDENTIFIED:  # confirmed before the push went out
        _move(actor, payout, S.PUSHED)
    return _move(
        actor,
        payout,
        S.CONFIRMED,
        note,
        bank_name=bank_name.strip(),
        account_name=account_name.strip(),
        account_number=number,
        confirmed_at=timezone.now(),
    )


# -- staff verify ------------------------------------------------------------------------


@transaction.atomic
def verify(*, actor: Actor, payout: Payout, accept: bool, note: str = "") -> Payout:
    payout = _locked(payout)
    note = note.strip()[:300]
    if payout.risk == RiskLevel.HIGH and not note:
        raise ValidationFailed(_("高风险事项须填写复核意见"), field="review_note")
    if not accept:
        if not note:
            raise ValidationFailed(_("不通过须说明理由"), field="review_note")
        return _move(
            actor, payout, S.REJECTED, note, review_note=note, verified_by=actor.label[:150]
        )
    return _move(actor, payout, S.VERIFIED, note, review_note=note, verified_by=actor.label[:150])


# -- batches -----------------------------------------------------------------------------


@transaction.atomic
def create_batch(
    *, actor: Actor, policy: Policy, year: int, payouts: Iterable[Payout]
) -> PayoutBatch:
    """Reserve the budget for verified payouts, all or none: a batch the pool cannot cover is
    refused with what is available."""
    chosen = list(
        Payout.objects.select_for_update(of=("self",))
        .filter(pk__in=[p.pk for p in payouts])
        .select_related("enterprise", "person")
    )
    if not chosen:
        raise ValidationFailed(_("请选择已核验的兑现事项"))
    for payout in chosen:
        if payout.policy_id != policy.pk or payout.year != year:
            raise ValidationFailed(_("一个批次只能包含同一政策、同一年度的兑现"))
        if payout.state != S.VERIFIED or payout.batch_id is not None:
            raise Conflict(_("“%(e)s”不是待入批次的已核验事项") % {"e": payout.enterprise.name})
        if payout.amount_fen is None:
            raise Conflict(_("“%(e)s”的金额待核定，请先核定金额") % {"e": payout.payee_name})
    ensure_payable(Policy.objects.get(pk=policy.pk))
    pool = pool_of(policy, year)
    if pool is None:
        raise ValidationFailed(_("该政策 %(y)s 年度还没有预算，请先下达预算") % {"y": year})
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    batch = PayoutBatch.objects.create(
        policy=policy,
        year=year,
        number=f"{policy.slug[:20]}-{year}-{stamp}-{chosen[0].pk}",
        created_by=actor.label[:150],
    )
    for payout in chosen:
        key = f"payout:{payout.pk}"
        assert payout.amount_fen is not None  # checked above
        ledger.reserve(
            pool=pool,
            amount_fen=payout.amount_fen,
            actor=actor,
            key=key,
            memo=f"{policy.title} {payout.payee_name}",
            payee=(
                ("enterprises.person", payout.person_id)
                if payout.person_id is not None
                else ("enterprises.enterprise", payout.enterprise_id)
            ),
        )
        payout.batch, payout.reservation_key = batch, key
        payout.save(update_fields=["batch", "reservation_key", "updated_at"])
    record_change(
        actor=actor,
        action="batch_create",
        obj=batch,
        after={
            "payouts": [p.pk for p in chosen],
            "total_fen": sum(p.amount_fen or 0 for p in chosen),
        },
    )
    return batch


@transaction.atomic
def approve_batch(*, actor: Actor, batch: PayoutBatch) -> PayoutBatch:
    """Approve once: a second approval, also a concurrent one, finds it approved."""
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != BatchState.DRAFT:
        return batch
    if actor.label == batch.created_by:
        raise PermissionDenied(_("批次须由创建人以外的人员审批"))
    ensure_payable(batch.policy)
    for payout in batch.payouts.select_for_update().select_related("enterprise"):
        ledger.settle(
            reservation_key=payout.reservation_key, actor=actor, key=f"approve:{payout.pk}"
        )
        _move(actor, payout, S.APPROVED)
    batch.state, batch.approved_at, batch.approved_by = (
        BatchState.APPROVED,
        timezone.now(),
        actor.label[:150],
    )
    batch.save()
    record_change(actor=actor, action="batch_approve", obj=batch)
    return batch


def pay_batch(*, actor: Actor, batch: PayoutBatch) -> PayoutBatch:
    """Pay each approved payout in its own transaction; the ledger entry's key makes a retry
    after a crash pay only what was not paid yet."""
    batch = PayoutBatch.objects.get(pk=batch.pk)  # the caller's copy may predate approval
    if batch.state not in (BatchState.APPROVED, BatchState.PAID):
        raise Conflict(_("批次尚未审批，不能拨付"))
    for payout_id in batch.payouts.filter(state=S.APPROVED).values_list("pk", flat=True):
        with transaction.atomic():
            payout = (
                Payout.objects.select_for_update().select_related("enterprise").get(pk=payout_id)
            )
            if payout.state != S.APPROVED:
                continue
            ledger.pay(reservation_key=payout.reservation_key, actor=actor, key=f"pay:{payout.pk}")
            _move(actor, payout, S.PAID)
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        if (
            batch.state == BatchState.APPROVED
            and not batch.payouts.filter(state=S.APPROVED).exists()
        ):
            batch.state, batch.paid_at = BatchState.PAID, timezone.now()
            batch.save()
            record_change(actor=actor, action="batch_pay", obj=batch)
    return batch


@transaction.atomic
def publish_batch(*, actor: Actor, batch: PayoutBatch) -> PayoutBatch:
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state == BatchState.PUBLISHED:
        return batch
    if batch.state != BatchState.PAID:
        raise Conflict(_("批次拨付完成后才能公示"))
    for payout in batch.payouts.select_for_update().select_related("enterprise"):
        _move(actor, payout, S.PUBLISHED)
    batch.state, batch.published_at = BatchState.PUBLISHED, timezone.now()
    batch.save()
    record_change(actor=actor, action="batch_publish", obj=batch)
    return batch


@transaction.atomic
def archive(*, actor: Actor, payout: Payout) -> Payout:
    return _move(actor, _locked(payout), S.ARCHIVED)


# -- a bound staff decide within (benefit.upto: 最高不超过 X，金额待核定) ------------------------


def bounded(policy: Policy) -> bool:
    """Whether the policy's benefit is a bound: its payouts wait for staff to decide the
    amount (decide_amount) before they are pushed, confirmed or put in a batch."""
    from gaoxin.policies.matching import rules_policy

    return policy.current is not None and rules_policy(policy.current).bounded


def _bound_fen(explanation: dict[str, Any]) -> int | None:
    bound = (explanation or {}).get("bound")
    if bound in (None, ""):
        return None
    fen = int(Decimal(str(bound)) * 100)
    return fen if fen > 0 else None


def identify_bounds(*, actor: Actor, policy: Policy, year: int) -> int:
    """A payout awaiting its amount for every enterprise whose stored match is eligible under
    a bound: `bound_fen` set, `amount_fen` empty; nothing is pushed or reserved until staff
    decide the amount. Returns how many were added."""
    candidates = list(
        PolicyMatch.objects.filter(policy=policy, status=MatchStatus.ELIGIBLE)
        .exclude(enterprise__payouts__policy=policy, enterprise__payouts__year=year)
        .select_related("enterprise", "version")
        .order_by("enterprise_id")
    )
    exclusive = exclusive_with(policy, year)
    candidates = [m for m in candidates if m.enterprise_id not in exclusive]
    explain_matches(candidates)
    added = 0
    for match in candidates:
        fen = _bound_fen(match.explanation)
        if fen is None:
            continue
        note = _("金额待核定（最高 %(b)s）") % {"b": money(Decimal(fen) / 100)}
        with transaction.atomic():
            identified(actor, policy, match, year, None, fen, note)
        added += 1
    return added


@transaction.atomic
def decide_amount(*, actor: Actor, payout: Payout, amount_fen: int, note: str = "") -> Payout:
    """核定金额: staff set the amount of a payout identified under a bound — more than zero,
    at most the bound, and at most what the year's budget has left (the pool's available fen
    less what open payouts will draw). Audited with the bound and the budget left; once only
    (a decided amount is changed by rejecting the payout)."""
    from gaoxin.policies.preview import budget_left

    payout = _locked(payout)
    user = actor.user
    if user is not None and not getattr(user, "is_zone_staff", False):
        raise PermissionDenied(_("只有园区工作人员可以核定金额"))
    if payout.bound_fen is None:
        raise Conflict(_("这项兑现的金额由政策计算，无需核定"))
    if payout.amount_fen is not None:
        raise Conflict(_("金额已核定，不能再改；如需变更请退回后重新识别"))
    if payout.state in (S.REJECTED, S.ARCHIVED):
        raise Conflict(_("这项兑现已结束"))
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValidationFailed(_("核定金额须大于零"), field="amount")
    if amount_fen > payout.bound_fen:
        raise ValidationFailed(
            _("核定金额不能超过上限 %(b)s") % {"b": money(Decimal(payout.bound_fen) / 100)},
            field="amount",
        )
    left = budget_left(payout.policy, payout.year)
    if left is None:
        raise ValidationFailed(
            _("该政策 %(y)s 年度还没有预算，请先下达预算") % {"y": payout.year}, field="amount"
        )
    if amount_fen > left:
        raise ValidationFailed(
            _("核定金额超出剩余预算 %(l)s") % {"l": money(Decimal(max(0, left)) / 100)},
            field="amount",
        )
    note = note.strip()[:300]
    before = snapshot(payout, FIELDS)
    payout.amount_fen = amount_fen
    payout.save(update_fields=["amount_fen", "updated_at"])
    record_change(
        actor=actor,
        action="payout_amount_decided",
        obj=payout,
        before=before,
        after={**snapshot(payout, FIELDS), "budget_left_fen": left},
        subject=payout.enterprise,
        note=note,
    )
    if payout.state == S.IDENTIFIED:
        push_payout(actor=actor, payout=payout)
    return payout


# -- exclusive policies (stack_group 就高不重复, excludes 不得同时享受) -----------------------


def exclusive_with(policy: Policy, year: int) -> set[int]:
    """The enterprises `identify` leaves out because they already hold a payout this year
    (any state but rejected) under a policy this one may not be paid beside: one of the same
    `stack_group`, one this policy `excludes`, or one that excludes this policy. The engine's
    `excludes` condition reads only payouts that count (history.COUNTED); this also covers
    payouts still identified or pushed, so one run never lists an enterprise under both."""
    from gaoxin.policies.matching import rules_policy

    if policy.current is None:
        return set()
    own = rules_policy(policy.current)
    rivals: set[int] = set()
    others = Policy.objects.exclude(pk=policy.pk).filter(current__isnull=False)
    for other in others.select_related("current"):
        assert other.current is not None
        theirs = rules_policy(other.current)
        grouped = own.stack_group is not None and theirs.stack_group == own.stack_group
        if grouped or other.slug in own.excludes or policy.slug in theirs.excludes:
            rivals.add(other.pk)
    if not rivals:
        return set()
    return set(
        Payout.objects.filter(policy_id__in=rivals, year=year, person__isnull=True)
        .exclude(state=S.REJECTED)
        .values_list("enterprise_id", flat=True)
    )

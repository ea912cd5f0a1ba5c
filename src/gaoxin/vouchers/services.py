"""The yearly scheme: its budget on the ledger, who qualifies, each enterprise's quota, and
what one order's voucher may deduct.

The scheme keeps the zone's administrative figures (ratio, caps, dates), seeded from settings.
Who qualifies and the quota table are the linked policy's, in the rules language: the quota of
an enterprise is what the policy's benefit gives for an unlimited fee, never more than the
scheme's cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.models import Enterprise
from gaoxin.ledger import services as ledger
from gaoxin.ledger.models import BudgetPool
from gaoxin.ledger.money import to_fen, to_yuan, yuan_text
from gaoxin.policies import peer_stats
from gaoxin.policies.choices import MatchStatus
from gaoxin.policies.matching import rules_policy
from gaoxin.policies.models import Policy
from gaoxin.rules import Policy as RulesPolicy
from gaoxin.rules import explain
from gaoxin.vouchers.choices import ACTIVE_STATES, SchemeStatus
from gaoxin.vouchers.models import VoucherOrder, VoucherQuota, VoucherScheme

MANAGE = "vouchers.manage_voucherscheme"
OWNER_TYPE = "vouchers.voucherscheme"
# An input large enough that the policy's cap, not the fee, decides the benefit: 1 万亿元.
UNLIMITED_FEE = Decimal(10) ** 12
SCHEME_FIELDS = (
    "name",
    "policy",
    "ratio",
    "order_cap_fen",
    "enterprise_cap_fen",
    "second_review_from_fen",
    "opens_on",
    "closes_on",
    "status",
)


def require_manager(actor: Actor) -> None:
    user = actor.user
    if user is None or not user.is_zone_staff or not user.has_perm(MANAGE):
        raise PermissionDenied(_("您的账号没有管理创新券方案的权限"))


@dataclass
class SchemeData:
    year: int
    name: str
    ratio: Decimal
    order_cap_fen: int
    enterprise_cap_fen: int
    second_review_from_fen: int
    opens_on: dt.date
    closes_on: dt.date
    policy: Policy | None = None


def default_scheme(year: int) -> SchemeData:
    """A new year's scheme as settings describe it (GAOXIN_VOUCHER_*)."""
    return SchemeData(
        year=year,
        name=_("%(y)s年度火炬创新券") % {"y": year},
        ratio=Decimal(settings.GAOXIN_VOUCHER_RATIO),
        order_cap_fen=to_fen(settings.GAOXIN_VOUCHER_ORDER_CAP_YUAN),
        enterprise_cap_fen=to_fen(settings.GAOXIN_VOUCHER_ENTERPRISE_CAP_YUAN),
        second_review_from_fen=to_fen(settings.GAOXIN_VOUCHER_SECOND_REVIEW_YUAN),
        opens_on=dt.date(year, 1, 1),
        closes_on=dt.date(year, 12, 31),
    )


def _check_scheme(data: SchemeData) -> None:
    if not data.name.strip():
        raise ValidationFailed(_("请填写方案名称"), field="name")
    if not (Decimal(0) < data.ratio <= 1) or data.ratio != data.ratio.quantize(Decimal("0.0001")):
        raise ValidationFailed(
            _("抵扣比例须大于 0、不超过 100%，最多两位小数的百分比"), field="ratio"
        )
    for field, value in (
        ("order_cap_fen", data.order_cap_fen),
        ("enterprise_cap_fen", data.enterprise_cap_fen),
    ):
        if value <= 0:
            raise ValidationFailed(_("上限须大于 0"), field=field)
    if data.second_review_from_fen < 0:
        raise ValidationFailed(_("两级审核起点不能为负数"), field="second_review_from_fen")
    if data.closes_on < data.opens_on:
        raise ValidationFailed(_("截止日期不能早于开始日期"), field="closes_on")
    if data.opens_on.year != data.year:
        raise ValidationFailed(_("开始日期须在方案年度内"), field="opens_on")


def pool_of(scheme: VoucherScheme, *, lock: bool = False) -> BudgetPool:
    """The scheme's budget pool; with `lock`, its row locked until the transaction ends."""
    pools = BudgetPool.objects.select_for_update() if lock else BudgetPool.objects
    return pools.get(owner_type=OWNER_TYPE, owner_id=str(scheme.pk), year=scheme.year)


@transaction.atomic
def create_scheme(*, actor: Actor, data: SchemeData) -> VoucherScheme:
    """The year's scheme and its budget pool on the ledger (empty until funded)."""
    require_manager(actor)
    _check_scheme(data)
    if VoucherScheme.objects.filter(year=data.year).exists():
        raise Conflict(_("%(y)s 年度的创新券方案已存在") % {"y": data.year}, field="year")
    scheme = VoucherScheme.objects.create(
        year=data.year,
        name=data.name.strip(),
        policy=data.policy,
        ratio=data.ratio,
        order_cap_fen=data.order_cap_fen,
        enterprise_cap_fen=data.enterprise_cap_fen,
        second_review_from_fen=data.second_review_from_fen,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
    )
    ledger.create_pool(
        actor=actor, name=scheme.name, owner=(OWNER_TYPE, str(scheme.pk)), year=scheme.year
    )
    record_change(actor=actor, action="create", obj=scheme, after=snapshot(scheme, SCHEME_FIELDS))
    return scheme


@transaction.atomic
def update_scheme(*, actor: Actor, scheme: VoucherScheme, data: SchemeData) -> VoucherScheme:
    """Change the figures of a scheme. Orders already placed keep what they reserved."""
    require_manager(actor)
    _check_scheme(data)
    scheme = VoucherScheme.objects.select_for_update().get(pk=scheme.pk)
    if data.year != scheme.year:
        raise ValidationFailed(_("方案年度不能修改"), field="year")
    before = snapshot(scheme, SCHEME_FIELDS)
    for name in SCHEME_FIELDS:
        if name != "status":
            setattr(scheme, name, getattr(data, name))
    scheme.name = scheme.name.strip()
    scheme.save()
    record_change(
        actor=actor,
        action="update",
        obj=scheme,
        before=before,
        after=snapshot(scheme, SCHEME_FIELDS),
    )
    return scheme


@transaction.atomic
def set_status(*, actor: Actor, scheme: VoucherScheme, status: str) -> VoucherScheme:
    require_manager(actor)
    if status not in SchemeStatus.values:
        raise ValidationFailed(_("未知的方案状态"), field="status")
    scheme = VoucherScheme.objects.select_for_update().get(pk=scheme.pk)
    before = scheme.status
    scheme.status = status
    scheme.save(update_fields=["status"])
    record_change(
        actor=actor,
        action="update",
        obj=scheme,
        before={"status": before},
        after={"status": status},
    )
    return scheme


def fund(*, actor: Actor, scheme: VoucherScheme, amount_fen: int) -> BudgetPool:
    """Add budget (拨入; again for a supplementary budget, 追加). Each call adds once more; the
    ledger names the entry (`fund:<pool>:<n>`)."""
    require_manager(actor)
    pool = pool_of(scheme)
    ledger.fund_budget(pool=pool, amount_fen=amount_fen, actor=actor, memo=_("创新券预算拨入"))
    return pool


# -- who qualifies and for how much ------------------------------------------------------


def judged_on(scheme: VoucherScheme) -> dt.date:
    """The day the policy is evaluated for the scheme: today, or in another year the nearest
    day of the scheme's (a redemption in January is judged as of the scheme's own year)."""
    today = timezone.localdate()
    if today.year == scheme.year:
        return today
    return min(max(today, scheme.opens_on), scheme.closes_on)


@dataclass(frozen=True)
class QuotaDecision:
    status: str  # a MatchStatus
    amount_fen: int | None
    explanation: dict[str, Any]


def fee_inputs(loaded: RulesPolicy, fee: Decimal) -> dict[str, Any]:
    """The policy's numeric inputs (its service fee) all set to `fee` (yuan)."""
    return {name: fee for name, spec in loaded.inputs.items() if spec.type.base == "number"}


def decide_quota(scheme: VoucherScheme, record: dict[str, Any], on: dt.date) -> QuotaDecision:
    """Whether one enterprise (its flat record) qualifies, and its yearly quota."""
    policy = scheme.policy
    if policy is None or policy.current is None:
        return QuotaDecision(MatchStatus.ELIGIBLE, scheme.enterprise_cap_fen, {})
    loaded = rules_policy(policy.current)
    peers = peer_stats.current([policy.current], on)
    decision = explain(loaded, record, on, fee_inputs(loaded, UNLIMITED_FEE), peers=peers)
    if decision.status not in (MatchStatus.ELIGIBLE, MatchStatus.REVIEW):
        return QuotaDecision(decision.status, None, decision.to_dict())
    cap = scheme.enterprise_cap_fen
    amount = cap if decision.amount is None else min(cap, to_fen(decision.amount))
    return QuotaDecision(decision.status, amount, decision.to_dict())


@dataclass(frozen=True)
class GrantResult:
    granted: int
    already: int
    ineligible: int
    unknown: int
    total_fen: int


@transaction.atomic
def grant_quotas(
    *, actor: Actor, scheme: VoucherScheme, enterprise_ids: list[int] | None = None
) -> GrantResult:
    """额度核定: every enterprise (or those given) that the policy finds eligible gets its
    quota; an enterprise that has one keeps it. Eligible-pending-manual-check counts as
    eligible: the manual condition (a listed provider and service) is checked per order."""
    require_manager(actor)
    on = judged_on(scheme)
    ids = (
        enterprise_ids
        if enterprise_ids is not None
        else list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
    )
    have = set(
        VoucherQuota.objects.filter(scheme=scheme, enterprise_id__in=ids).values_list(
            "enterprise_id", flat=True
        )
    )
    todo = [pk for pk in ids if pk not in have]
    counts = {"granted": 0, "ineligible": 0, "unknown": 0}
    new: list[VoucherQuota] = []
    total = 0
    for start in range(0, len(todo), 2000):
        records = flat_rows(todo[start : start + 2000], on)
        for pk, record in records.items():
            decision = decide_quota(scheme, record, on)
            if decision.amount_fen is None:
                key = "unknown" if decision.status == MatchStatus.UNKNOWN else "ineligible"
                counts[key] += 1
                continue
            if decision.amount_fen <= 0:
                counts["ineligible"] += 1
                continue
            new.append(
                VoucherQuota(
                    scheme=scheme,
                    enterprise_id=pk,
                    granted_fen=decision.amount_fen,
                    basis={"status": decision.status, "on": on.isoformat()}
                    | _basis_summary(decision.explanation),
                    granted_by=actor.label,
                )
            )
            total += decision.amount_fen
            counts["granted"] += 1
    VoucherQuota.objects.bulk_create(new, batch_size=1000)
    result = GrantResult(
        granted=counts["granted"],
        already=len(have),
        ineligible=counts["ineligible"],
        unknown=counts["unknown"],
        total_fen=total,
    )
    record_change(
        actor=actor,
        action="grant_quotas",
        obj=scheme,
        after={
            "granted": result.granted,
            "already": result.already,
            "ineligible": result.ineligible,
            "unknown": result.unknown,
            "total_fen": result.total_fen,
        },
    )
    return result


def _basis_summary(explanation: dict[str, Any]) -> dict[str, Any]:
    """What the quota page shows of the decision: the conditions and the values read."""
    if not explanation:
        return {}
    return {
        "policy": explanation.get("policy"),
        "version": explanation.get("version"),
        "conditions": [
            {"label": c["label"], "result": c["result"], "manual": c["manual"]}
            for c in explanation.get("conditions", [])
        ],
        "amount_values": explanation.get("amount_values", []),
    }


def grant_quota(
    *, actor: Actor, scheme: VoucherScheme, enterprise: Enterprise, amount_fen: int, note: str
) -> VoucherQuota:
    """A quota set by hand (an appeal, a correction): the note says why; audited. Never above
    the scheme's yearly cap per enterprise (单家企业年度额度上限)."""
    require_manager(actor)
    if amount_fen <= 0:
        raise ValidationFailed(_("额度须大于 0"), field="amount")
    if amount_fen > scheme.enterprise_cap_fen:
        raise ValidationFailed(
            _("额度不能超过方案的单家企业年度额度上限 %(c)s 元")
            % {"c": yuan_text(scheme.enterprise_cap_fen)},
            field="amount",
            details={"cap_fen": scheme.enterprise_cap_fen, "amount_fen": amount_fen},
        )
    if not note.strip():
        raise ValidationFailed(_("请写明手工核定的原因"), field="note")
    with transaction.atomic():
        quota = (
            VoucherQuota.objects.select_for_update()
            .filter(scheme=scheme, enterprise=enterprise)
            .first()
        )
        if quota is not None and amount_fen < used_fen(quota):
            raise ValidationFailed(
                _("额度不能低于已使用的 %(u)s 元") % {"u": yuan_text(used_fen(quota))},
                field="amount",
            )
        before = None if quota is None else {"granted_fen": quota.granted_fen}
        if quota is None:
            try:
                with transaction.atomic():
                    quota = VoucherQuota.objects.create(
                        scheme=scheme,
                        enterprise=enterprise,
                        granted_fen=amount_fen,
                        basis={"manual": note.strip()[:300]},
                        granted_by=actor.label,
                    )
            except IntegrityError:
                raise Conflict(_("额度已由他人同时核定，请刷新后再试")) from None
        else:
            quota.granted_fen = amount_fen
            quota.basis = quota.basis | {"manual": note.strip()[:300]}
            quota.save(update_fields=["granted_fen", "basis"])
        record_change(
            actor=actor,
            action="grant_quota",
            obj=quota,
            subject=enterprise,
            before=before,
            after={"granted_fen": amount_fen},
            note=note.strip()[:300],
        )
    return quota


def used_fen(quota: VoucherQuota) -> int:
    """What the enterprise's orders claim of its quota: reserved while open, the approved
    deduction once redeemed; nothing for cancelled or rejected orders."""
    used = VoucherOrder.objects.filter(quota=quota, state__in=ACTIVE_STATES).aggregate(
        s=Sum("deduction_fen")
    )["s"]
    return int(used or 0)


# -- one order's share -------------------------------------------------------------------


def ratio_share(scheme: VoucherScheme, fee_fen: int) -> int:
    """ratio × fee, to the fen, half up."""
    return int((scheme.ratio * fee_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def policy_share(scheme: VoucherScheme, enterprise: Enterprise, fee_fen: int) -> int | None:
    """What the linked policy's benefit gives for this fee (its own rate and quota table), or
    None without a policy or when it gives no amount."""
    policy = scheme.policy
    if policy is None or policy.current is None:
        return None
    loaded = rules_policy(policy.current)
    on = judged_on(scheme)
    record = flat_rows([enterprise.pk], on)[enterprise.pk]
    peers = peer_stats.current([policy.current], on)
    decision = explain(loaded, record, on, fee_inputs(loaded, to_yuan(fee_fen)), peers=peers)
    if decision.status not in (MatchStatus.ELIGIBLE, MatchStatus.REVIEW):
        failed = [c["label"] for c in decision.to_dict()["conditions"] if c["result"] is False]
        raise ValidationFailed(
            _("不符合创新券政策条件：%(c)s") % {"c": "；".join(failed) or _("数据不足")}
        )
    return None if decision.amount is None else to_fen(decision.amount)


@dataclass(frozen=True)
class Share:
    """The deduction of one order and each limit it was held to (fen)."""

    deduction_fen: int
    limits: dict[str, int]
    binding: str

    def as_basis(self, scheme: VoucherScheme) -> dict[str, Any]:
        return {
            "ratio": format(scheme.ratio, "f"),
            "limits": self.limits,
            "binding": self.binding,
        }


def share_for(
    scheme: VoucherScheme,
    enterprise: Enterprise,
    fee_fen: int,
    *,
    quota_left_fen: int = 0,
    budget_left_fen: int = 0,
    reserved_fen: int | None = None,
) -> Share:
    """deduction = min(ratio × fee, the policy's amount, the per-order cap, what is left of
    the enterprise's quota, what is left of the budget). At redemption the order's own
    reservation (`reserved_fen`) stands for the last two: it may claim no more."""
    limits = {"ratio": ratio_share(scheme, fee_fen)}
    by_policy = policy_share(scheme, enterprise, fee_fen)
    if by_policy is not None:
        limits["policy"] = by_policy
    limits["order_cap"] = scheme.order_cap_fen
    if reserved_fen is not None:
        limits["reserved"] = reserved_fen
    else:
        limits["quota_left"] = max(quota_left_fen, 0)
        limits["budget_left"] = max(budget_left_fen, 0)
    binding = min(limits, key=lambda name: limits[name])
    return Share(limits[binding], limits, binding)


LIMIT_LABELS = {
    "ratio": gettext_lazy("按比例"),
    "policy": gettext_lazy("政策核定"),
    "order_cap": gettext_lazy("单笔上限"),
    "quota_left": gettext_lazy("企业剩余额度"),
    "budget_left": gettext_lazy("剩余预算"),
    "reserved": gettext_lazy("下单时预留"),
}

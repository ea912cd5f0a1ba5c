"""What an enterprise may expect of the year's innovation voucher before it signs and uploads a
contract: its quota if one is granted, otherwise what the scheme's policy says of it today —
eligible for how much, or why not (the conditions it fails, in plain words, and the data it
lacks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.models import Enterprise
from gaoxin.policies.choices import MatchStatus
from gaoxin.policies.wording import humanise_explanation
from gaoxin.vouchers import selectors, services
from gaoxin.vouchers.choices import SchemeStatus
from gaoxin.vouchers.models import VoucherQuota, VoucherScheme


@dataclass(frozen=True)
class Eligibility:
    """`status`: granted (a quota exists), eligible / review (the policy would grant
    `amount_fen`, not yet granted), ineligible (`reasons`), unknown (`missing` data), or
    no_scheme (no open scheme this year)."""

    status: str
    scheme: VoucherScheme | None = None
    quota: selectors.QuotaView | None = None
    amount_fen: int | None = None
    policy_title: str = ""
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # labels of the data it lacks

    @property
    def may_order(self) -> bool:
        return self.quota is not None and self.quota.left_fen > 0


def of(enterprise: Enterprise) -> Eligibility:
    year = timezone.localdate().year
    quota = (
        VoucherQuota.objects.filter(enterprise=enterprise, scheme__year=year)
        .select_related("scheme", "scheme__policy")
        .first()
    )
    if quota is not None:
        return Eligibility("granted", quota.scheme, selectors.quota_view(quota))
    scheme = (
        VoucherScheme.objects.filter(year=year, status=SchemeStatus.OPEN)
        .select_related("policy")
        .first()
    )
    if scheme is None:
        return Eligibility("no_scheme")
    on = services.judged_on(scheme)
    record = flat_rows([enterprise.pk], on)[enterprise.pk]
    decision = services.decide_quota(scheme, record, on)
    title = scheme.policy.title if scheme.policy is not None else ""
    if decision.amount_fen is not None and decision.amount_fen > 0:
        status = str(decision.status)
        return Eligibility(status, scheme, amount_fen=decision.amount_fen, policy_title=title)
    explanation = humanise_explanation(dict(decision.explanation), on.year)
    reasons = []
    for condition in explanation.get("conditions", []):
        if condition.get("result") is False:
            texts = [s["text"] for s in condition.get("shortfalls", [])]
            reasons.append(
                f"{condition['label']}：{'；'.join(texts)}" if texts else condition["label"]
            )
    missing = list(dict.fromkeys(_label(m["field"], m["year"]) for m in explanation["missing"]))
    status = (
        MatchStatus.UNKNOWN if decision.status == MatchStatus.UNKNOWN else MatchStatus.INELIGIBLE
    )
    return Eligibility(str(status), scheme, policy_title=title, reasons=reasons, missing=missing)


def _label(name: str, year: int | None) -> str:
    """A missing field as the enterprise reads it: 营业收入（2025年）."""
    found = catalogue.BY_NAME.get(name)
    label = found.alias if found is not None else name
    return label if year is None else _("%(f)s（%(y)s年）") % {"f": label, "y": year}

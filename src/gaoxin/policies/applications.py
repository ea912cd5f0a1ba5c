"""网上申报: applying for a `delivery: apply` policy and reviewing the application.

The form is the policy's `inputs`; the registry fills in the rest. On submission the engine
decides again with what was declared: an application that cannot qualify is refused with
its reasons, not queued. Review has one level, or two (a second person) for large amounts;
staff may return an application for correction. Approval creates the payout, which then goes
through the batch, payment and notice of 免申即享.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.catalogue import FieldType
from gaoxin.core.audit import Actor, record_change
from gaoxin.core.errors import Conflict, PermissionDenied, ValidationFailed
from gaoxin.core.uploads import check_document
from gaoxin.enterprises.flat import flat_rows
from gaoxin.enterprises.models import Enterprise
from gaoxin.enterprises.values import InvalidValue, parser_for
from gaoxin.ledger.money import to_fen
from gaoxin.policies import peer_stats
from gaoxin.policies.choices import ApplicationState, Delivery, MatchStatus, PayoutState
from gaoxin.policies.matching import rules_policy
from gaoxin.policies.models import Application, ApplicationAttachment, Payout, Policy
from gaoxin.policies.standing import ensure_payable, ensure_pushable
from gaoxin.policies.wording import humanise_explanation
from gaoxin.rules import explain
from gaoxin.rules.items import uses_items
from gaoxin.rules.model import InputDef

A = ApplicationState
_KINDS = {"money": FieldType.MONEY, "count": FieldType.INTEGER}


def two_levels(amount_fen: int | None) -> bool:
    threshold = int(getattr(settings, "GAOXIN_TWO_LEVEL_REVIEW_FEN", 50_000_000))
    return amount_fen is not None and amount_fen >= threshold


def parse_inputs(definitions: Mapping[str, InputDef], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The declared values by the policy's input types; ValidationFailed names the field."""
    values: dict[str, Any] = {}
    for name, spec in definitions.items():
        text = (raw.get(name) or "").strip() if isinstance(raw.get(name), str) else raw.get(name)
        if text in (None, ""):
            raise ValidationFailed(_("请填写“%(l)s”") % {"l": spec.label or name}, field=name)
        base, kind = spec.type.base, spec.type.kind
        try:
            if base == "number" and kind == "percent":
                number = Decimal(str(text).rstrip("%").strip())
                values[name] = number / 100 if str(text).endswith("%") else number
            elif base == "number":
                field_type = _KINDS.get(kind, FieldType.MONEY)
                field = catalogue.Field(
                    name,
                    spec.label,
                    field_type,
                    catalogue.FieldKind.STATIC,
                    catalogue.FieldGroup.FINANCE,
                    name,
                )
                values[name] = parser_for(field)(text)
            elif base == "boolean":
                field = catalogue.Field(
                    name,
                    spec.label,
                    FieldType.BOOLEAN,
                    catalogue.FieldKind.STATIC,
                    catalogue.FieldGroup.FINANCE,
                    name,
                )
                values[name] = parser_for(field)(text)
            elif base == "date":
                field = catalogue.Field(
                    name,
                    spec.label,
                    FieldType.DATE,
                    catalogue.FieldKind.STATIC,
                    catalogue.FieldGroup.FINANCE,
                    name,
                )
                values[name] = parser_for(field)(text)
            else:
                values[name] = str(text)[:500]
        except (InvalidValue, ArithmeticError, ValueError) as exc:
            raise ValidationFailed(f"{spec.label or name}：{exc}", field=name) from None
    return values


@transaction.atomic
def submit(
    *,
    actor: Actor,
    enterprise: Enterprise,
    policy: Policy,
    inputs: Mapping[str, Any],
    attachments: Sequence[UploadedFile] = (),
) -> Application:
    if (
        actor.user is None
        or getattr(actor.user, "organisation_id", None) != enterprise.organisation_id
    ):
        raise PermissionDenied(_("只能以本企业的账号申报"))
    policy = Policy.objects.select_related("current").get(pk=policy.pk)  # as it is now
    if policy.delivery != Delivery.APPLY or policy.status != "published" or not policy.current:
        raise ValidationFailed(_("这项政策不接受网上申报"))
    ensure_pushable(policy)
    today = timezone.localdate()
    if (policy.effective_from and today < policy.effective_from) or (
        policy.effective_to and today > policy.effective_to
    ):
        raise ValidationFailed(_("这项政策不在申报期内"))
    loaded = rules_policy(policy.current)
    values = parse_inputs(loaded.inputs, inputs)
    for upload in attachments:
        check_document(upload, field="attachments")
    record = flat_rows([enterprise.pk], today, items=uses_items(loaded))[enterprise.pk]
    peers = peer_stats.current([policy.current], today)
    decision = explain(loaded, record, today, values, peers=peers)
    if decision.status == MatchStatus.INELIGIBLE:
        failed = [c.label for c in decision.conditions if c.result is False]
        raise ValidationFailed(_("不符合申报条件：%(c)s") % {"c": "；".join(failed)})
    if decision.status == MatchStatus.UNKNOWN:
        missing = "、".join(f"{f}{'_' + str(y) if y else ''}" for f, y in decision.missing)
        raise ValidationFailed(
            _("园区还缺少判断所需的数据：%(m)s。请先在“我的企业”中补充。")
            % {"m": missing or _("（申报内容）")}
        )
    year = loaded.year or today.year
    # `item:` (a stage, a project): one application a year for each
    item = str(values.get(loaded.item) or "")[:200] if loaded.item else ""
    application = (
        Application.objects.select_for_update()
        .filter(policy=policy, year=year, enterprise=enterprise, item=item)
        .first()
    )
    if application is not None and application.state != A.RETURNED:
        raise Conflict(_("本年度已申报过这项政策"))
    application = application or Application(
        policy=policy, year=year, enterprise=enterprise, item=item
    )
    application.version = policy.current
    application.state = A.SUBMITTED
    application.inputs = {k: str(v) for k, v in values.items()}
    application.amount_fen = to_fen(decision.amount) if decision.amount is not None else None
    application.explanation = humanise_explanation(decision.to_dict(), year)
    application.save()
    for upload in attachments:
        ApplicationAttachment.objects.create(
            application=application,
            file=upload,
            name=(upload.name or "")[:200],
            size=upload.size or 0,
        )
    record_change(
        actor=actor,
        action="apply",
        obj=application,
        subject=enterprise,
        after={
            "inputs": application.inputs,
            "amount_fen": application.amount_fen,
            "status": decision.status,
            "attachments": len(attachments),
        },
    )
    return application


@transaction.atomic
def review(
    *, actor: Actor, application: Application, decision: str, comment: str = ""
) -> Application:
    application = (
        Application.objects.select_for_update()
        .select_related("enterprise", "policy")
        .get(pk=application.pk)
    )
    comment = comment.strip()[:500]
    if application.state not in (A.SUBMITTED, A.FIRST_APPROVED):
        raise Conflict(_("这份申报当前不在审核中"))
    if decision in ("return", "reject") and not comment:
        raise ValidationFailed(_("退回或不通过须填写意见"), field="comment")
    if (
        decision == "approve"
        and application.state == A.FIRST_APPROVED
        and any(r["by"] == actor.label and r["decision"] == "approve" for r in application.reviews)
    ):
        raise PermissionDenied(_("复审须由初审以外的人员进行"))
    before = application.state
    if decision == "return":
        application.state = A.RETURNED
    elif decision == "reject":
        application.state = A.REJECTED
    elif decision == "approve":
        # a bound counts as its most: staff may decide up to it
        money = application.amount_fen or application.bound_fen
        if application.state == A.SUBMITTED and two_levels(money):
            application.state = A.FIRST_APPROVED
        else:
            application.state = A.APPROVED
            application.payout = _payout_for(application)
    else:
        raise ValidationFailed(_("未知的审核结论"), field="decision")
    application.reviews = [
        *application.reviews,
        {
            "at": timezone.localtime().isoformat(timespec="minutes"),
            "by": actor.label,
            "decision": decision,
            "comment": comment,
        },
    ]
    application.save()
    record_change(
        actor=actor,
        action=f"application_{decision}",
        obj=application,
        subject=application.enterprise,
        before={"state": before},
        after={"state": application.state},
        note=comment[:300],
    )
    return application


def _payout_for(application: Application) -> Payout | None:
    """An approved application with an amount becomes a verified payout: the batch, the
    payment and the notice follow as for 免申即享. Under a bound (benefit.upto) the payout
    waits for staff to decide its amount (payouts.decide_amount) before a batch takes it. A
    policy with `item:` records what the payout is for (the declared stage or project)."""
    bound = application.bound_fen
    if not application.amount_fen and bound is None:
        return None
    ensure_payable(application.policy)
    return Payout.objects.create(
        policy=application.policy,
        version=application.version,
        enterprise=application.enterprise,
        year=application.year,
        amount_fen=application.amount_fen or None,
        bound_fen=bound,
        item=application.item,
        state=PayoutState.VERIFIED,
        explanation=application.explanation,
        verified_by="application",
    )

"""A voucher order, from the contract to the redemption review, as a state machine on the
ledger.

placed (the deduction is reserved on the scheme's budget) → accepted (by the provider) →
delivered (confirmed by the enterprise) → redeemed (the provider asks for the deduction, with
the fee actually paid) → first_approved (large deductions: a second reviewer) → approved (the
deduction becomes payable; any rest of the reservation goes back to the budget) → settled (paid
in the period's settlement, `settlements.py`). An order cancelled, declined or rejected gives
back exactly what it reserved. Every step locks the order row, is audited, and repeating a
step that already happened changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gaoxin.core.uploads import check_document
from gaoxin.enterprises.models import Enterprise
from gaoxin.ledger import services as ledger
from gaoxin.ledger.money import yuan_text
from gaoxin.ledger.selectors import pool_balances
from gaoxin.notifications.services import notify, notify_people
from gaoxin.supermarket.choices import ListingStatus, ProviderStatus
from gaoxin.supermarket.models import ServiceListing
from gaoxin.vouchers.choices import REVIEW_STATES, OrderState, SchemeStatus
from gaoxin.vouchers.models import ProviderReview, VoucherOrder, VoucherQuota, VoucherScheme
from gaoxin.vouchers.selectors import sees_order
from gaoxin.vouchers.services import pool_of, share_for, used_fen

S = OrderState
REVIEW = "vouchers.review_voucherorder"
CONTRACT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".docx")
FIELDS = ("state", "deduction_fen", "invoice_fee_fen", "note")
MAX_FEE_FEN = 10**15  # 10 万亿元: beyond any contract, within every column


LOCKED_WITH = ("scheme", "enterprise", "provider__organisation", "listing")


def _locked(order: VoucherOrder, *related: str) -> VoucherOrder:
    """The order, with what the steps read of it, locked until the transaction ends (on
    PostgreSQL its row and theirs); `related`: what one step reads besides, not locked (a
    scheme's policy may be absent, and PostgreSQL locks no row of an outer join)."""
    locked = ("self", "scheme", "enterprise", "provider", "provider__organisation", "listing")
    return (
        VoucherOrder.objects.select_for_update(of=locked)
        .select_related(*LOCKED_WITH, *related)
        .get(pk=order.pk)
    )


def _move(
    actor: Actor,
    order: VoucherOrder,
    allowed_from: tuple[str, ...],
    to: str,
    why: str = "",
    **changes: Any,
) -> None:
    if order.state not in allowed_from:
        raise Conflict(
            _("订单当前为“%(a)s”，不能变为“%(b)s”") % {"a": S(order.state).label, "b": S(to).label}
        )
    before = snapshot(order, FIELDS)
    order.state = to
    for name, value in changes.items():
        setattr(order, name, value)
    order.save()
    record_change(
        actor=actor,
        action=f"voucher_{to}",
        obj=order,
        subject=order.enterprise,
        before=before,
        after=snapshot(order, FIELDS),
        note=why[:300],
    )


def _member_of_enterprise(actor: Actor, order: VoucherOrder) -> None:
    if actor.user is None or actor.user.organisation_id != order.enterprise.organisation_id:
        raise PermissionDenied(_("只有下单企业可以进行此操作"))


def _member_of_provider(actor: Actor, order: VoucherOrder) -> None:
    if actor.user is None or actor.user.organisation_id != order.provider.organisation_id:
        raise PermissionDenied(_("只有承接订单的服务机构可以进行此操作"))


def open_scheme(on: Any = None) -> VoucherScheme:
    """The scheme orders are placed under today, or ValidationFailed saying why there is none."""
    today = on or timezone.localdate()
    # With its policy's version in force: the order's share is computed on it.
    scheme = VoucherScheme.objects.filter(year=today.year).select_related("policy__current").first()
    if scheme is None or scheme.status == SchemeStatus.DRAFT:
        raise ValidationFailed(_("%(y)s 年度创新券尚未开放") % {"y": today.year})
    if scheme.status == SchemeStatus.CLOSED or today > scheme.closes_on:
        raise ValidationFailed(
            _("%(n)s 已于 %(d)s 截止，不能再使用创新券下单")
            % {"n": scheme.name, "d": scheme.closes_on.isoformat()}
        )
    if today < scheme.opens_on:
        raise ValidationFailed(
            _("%(n)s 自 %(d)s 起开放") % {"n": scheme.name, "d": scheme.opens_on.isoformat()}
        )
    return scheme


def _check_listing(listing: ServiceListing, fee_fen: int) -> None:
    provider = listing.provider
    if provider.status == ProviderStatus.SUSPENDED:
        raise ValidationFailed(
            _("服务机构“%(p)s”已暂停服务，不能下单") % {"p": provider.organisation.name},
            field="listing",
        )
    if provider.status != ProviderStatus.APPROVED or listing.status != ListingStatus.APPROVED:
        raise ValidationFailed(_("这项服务未上架，不能下单"), field="listing")
    if fee_fen <= 0:
        raise ValidationFailed(_("合同金额须大于 0"), field="contract_fee")
    if fee_fen > MAX_FEE_FEN:
        raise ValidationFailed(_("合同金额过大，请核对"), field="contract_fee")
    if not listing.price_min_fen <= fee_fen <= listing.price_max_fen:
        raise ValidationFailed(
            _("合同金额 %(f)s 元不在这项服务的价格区间 %(r)s 内")
            % {"f": yuan_text(fee_fen), "r": listing.price_text},
            field="contract_fee",
        )


def place(
    *,
    actor: Actor,
    enterprise: Enterprise,
    listing: ServiceListing,
    contract_fee_fen: int,
    contract_file: UploadedFile,
) -> VoucherOrder:
    """An enterprise orders a listed service with its voucher. The deduction is computed under
    the quota's and the budget's row locks and reserved in the same transaction, so parallel
    orders never overspend either."""
    if actor.user is None or actor.user.organisation_id != enterprise.organisation_id:
        raise PermissionDenied(_("只能为本企业下单"))
    listing = ServiceListing.objects.select_related("provider__organisation", "category").get(
        pk=listing.pk
    )
    _check_listing(listing, contract_fee_fen)
    check_document(contract_file, field="contract_file", allowed=CONTRACT_TYPES)
    scheme = open_scheme()
    with transaction.atomic():
        quota = (
            VoucherQuota.objects.select_for_update()
            .filter(scheme=scheme, enterprise=enterprise)
            .first()
        )
        if quota is None:
            raise ValidationFailed(
                _("本企业没有 %(y)s 年度的创新券额度，请先向园区申请核定") % {"y": scheme.year}
            )
        pool = pool_of(scheme, lock=True)
        share = share_for(
            scheme,
            enterprise,
            contract_fee_fen,
            quota_left_fen=quota.granted_fen - used_fen(quota),
            budget_left_fen=pool_balances(pool).available_fen,
        )
        if share.deduction_fen <= 0:
            raise ValidationFailed(
                _("本企业的创新券额度已用完")
                if share.binding == "quota_left"
                else _("本年度创新券预算已用完")
                if share.binding == "budget_left"
                else _("按规定本单可抵扣金额为 0")
            )
        order = VoucherOrder.objects.create(
            scheme=scheme,
            quota=quota,
            enterprise=enterprise,
            listing=listing,
            provider=listing.provider,
            contract_fee_fen=contract_fee_fen,
            contract_file=contract_file,
            contract_name=(contract_file.name or "").replace("\x00", "")[:200],
            reserved_fen=share.deduction_fen,
            deduction_fen=share.deduction_fen,
            basis=share.as_basis(scheme),
            placed_by=actor.label,
        )
        order.number = f"CX{scheme.year}{order.pk:06d}"
        order.save(update_fields=["number"])
        ledger.reserve(
            pool=pool,
            amount_fen=share.deduction_fen,
            actor=actor,
            key=order.reservation_key,
            memo=_("创新券订单 %(n)s") % {"n": order.number},
            payee=("accounts.organisation", str(listing.provider.organisation_id)),
        )
        record_change(
            actor=actor,
            action="voucher_placed",
            obj=order,
            subject=enterprise,
            after=snapshot(order, FIELDS) | {"basis": order.basis},
        )
        _tell_provider(actor, order)
    return order


def _tell_provider(actor: Actor, order: VoucherOrder) -> None:
    """新订单提醒: the provider's users in their inbox, its contact address by e-mail."""
    provider = order.provider
    organisation = provider.organisation
    notify_people(
        actor=actor,
        enterprise=order.enterprise,
        subject_type="vouchers.voucherorder",
        subject_id=order.pk,
        dedupe_key=f"voucher-provider:{order.pk}:placed",
        title=_("新的创新券订单（%(n)s）") % {"n": order.number},
        body=_(
            "%(e)s 使用创新券订购“%(l)s”：合同金额 %(f)s 元，创新券抵扣 %(d)s 元，"
            "企业自付 %(s)s 元。请在平台接单或拒绝：/vouchers/orders/%(pk)s/"
        )
        % {
            "e": order.enterprise.name,
            "l": order.listing.title,
            "f": yuan_text(order.contract_fee_fen),
            "d": yuan_text(order.deduction_fen),
            "s": yuan_text(order.contract_fee_fen - order.deduction_fen),
            "pk": order.pk,
        },
        link=f"/vouchers/orders/{order.pk}/",
        users=list(organisation.users.filter(is_active=True).order_by("pk")),
        emails=[provider.contact_email],
    )


def accept(*, actor: Actor, order: VoucherOrder) -> VoucherOrder:
    with transaction.atomic():
        order = _locked(order)
        _member_of_provider(actor, order)
        if order.state == S.ACCEPTED:
            return order
        _move(actor, order, (S.PLACED,), S.ACCEPTED, accepted_at=timezone.now())
    return order


def _give_back(
    actor: Actor, order: VoucherOrder, allowed_from: tuple[str, ...], to: str, reason: str
) -> VoucherOrder:
    """Cancel, decline or reject: the order claims nothing more; its reservation goes back."""
    _move(actor, order, allowed_from, to, reason, note=reason[:300], closed_at=timezone.now())
    ledger.release(
        reservation_key=order.reservation_key,
        actor=actor,
        memo=_("创新券订单 %(n)s：%(s)s") % {"n": order.number, "s": S(to).label},
    )
    return order


def _plain(text: str, field: str) -> str:
    """Free text as stored: stripped, and never with a NUL (PostgreSQL cannot hold one)."""
    if "\x00" in text:
        raise ValidationFailed(_("输入中含有不可见的空字符（NUL），请删除后重试"), field=field)
    return text.strip()


def _reason(reason: str) -> str:
    reason = _plain(reason, "reason")
    if not reason:
        raise ValidationFailed(_("请填写原因"), field="reason")
    return reason


def cancel(*, actor: Actor, order: VoucherOrder, reason: str) -> VoucherOrder:
    """The enterprise withdraws before delivery."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _locked(order)
        _member_of_enterprise(actor, order)
        if order.state == S.CANCELLED:
            return order
        if order.state not in (S.PLACED, S.ACCEPTED):
            raise Conflict(_("已确认交付的订单不能取消"))
        return _give_back(actor, order, (S.PLACED, S.ACCEPTED), S.CANCELLED, reason)


def decline(*, actor: Actor, order: VoucherOrder, reason: str) -> VoucherOrder:
    """The provider turns an order down before accepting it."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _locked(order)
        _member_of_provider(actor, order)
        if order.state == S.CANCELLED:
            return order
        if order.state != S.PLACED:
            raise Conflict(_("已接单的订单不能拒绝，请与企业协商取消"))
        order = _give_back(actor, order, (S.PLACED,), S.CANCELLED, reason)
        _tell(actor, order, _("服务机构未接单"), _("原因：%(r)s。抵扣额度已退回。") % {"r": reason})
    return order


def confirm_delivery(*, actor: Actor, order: VoucherOrder) -> VoucherOrder:
    with transaction.atomic():
        order = _locked(order)
        _member_of_enterprise(actor, order)
        if order.state == S.DELIVERED or order.delivered_at is not None:
            return order
        _move(actor, order, (S.ACCEPTED,), S.DELIVERED, delivered_at=timezone.now())
    return order


def redeem(*, actor: Actor, order: VoucherOrder, invoice_fee_fen: int) -> VoucherOrder:
    """兑付申请: the provider asks for the deduction, stating the fee actually invoiced (not
    more than the contract). The deduction is recomputed on it and never exceeds what was
    reserved. Sent again with the same fee, it changes nothing."""
    with transaction.atomic():
        order = _locked(order, "scheme__policy__current")
        _member_of_provider(actor, order)
        if order.redeemed_at is not None:
            if order.invoice_fee_fen == invoice_fee_fen:
                return order
            raise Conflict(
                _("这笔订单已申请兑付，实际结算金额为 %(f)s 元")
                % {"f": yuan_text(order.invoice_fee_fen or 0)}
            )
        if order.state != S.DELIVERED:
            raise Conflict(_("企业确认交付后才能申请兑付"))
        if invoice_fee_fen <= 0:
            raise ValidationFailed(_("实际结算金额须大于 0"), field="invoice_fee")
        if invoice_fee_fen > MAX_FEE_FEN:
            raise ValidationFailed(_("实际结算金额过大，请核对"), field="invoice_fee")
        if invoice_fee_fen > order.contract_fee_fen:
            raise ValidationFailed(
                _("实际结算金额不能超过合同金额 %(c)s 元")
                % {"c": yuan_text(order.contract_fee_fen)},
                field="invoice_fee",
            )
        share = share_for(
            order.scheme,
            order.enterprise,
            invoice_fee_fen,
            reserved_fen=order.reserved_fen,
        )
        if share.deduction_fen <= 0:
            raise ValidationFailed(_("实际结算金额过小，可抵扣金额为 0"), field="invoice_fee")
        _move(
            actor,
            order,
            (S.DELIVERED,),
            S.REDEEMED,
            invoice_fee_fen=invoice_fee_fen,
            deduction_fen=share.deduction_fen,
            basis=order.basis | {"redeemed": share.as_basis(order.scheme)},
            redeemed_at=timezone.now(),
        )
    return order


def needs_second_review(order: VoucherOrder) -> bool:
    return order.deduction_fen >= order.scheme.second_review_from_fen


def review(*, actor: Actor, order: VoucherOrder, decision: str, comment: str = "") -> VoucherOrder:
    """Staff review of a redemption: approve (one level, or two from the scheme's threshold,
    the second by another person) or reject with a reason."""
    user = actor.user
    if user is None or not user.is_zone_staff or not user.has_perm(REVIEW):
        raise PermissionDenied(_("您的账号没有审核创新券兑付的权限"))
    comment = _plain(comment, "comment")[:500]
    with transaction.atomic():
        order = _locked(order)
        if not sees_order(user, order):
            raise NotFound(_("没有找到这笔订单，或您无权查看"))
        if order.state not in REVIEW_STATES:
            raise Conflict(_("这笔订单当前不在审核中"))
        if decision == "reject" and not comment:
            raise ValidationFailed(_("不通过须填写意见"), field="comment")
        if decision not in ("approve", "reject"):
            raise ValidationFailed(_("未知的审核结论"), field="decision")
        if order.state == S.FIRST_APPROVED and any(
            r["by"] == actor.label and r["decision"] == "approve" for r in order.reviews
        ):
            raise PermissionDenied(_("复审须由初审以外的人员进行"))
        order.reviews = [
            *order.reviews,
            {
                "at": timezone.localtime().isoformat(timespec="minutes"),
                "by": actor.label,
                "decision": decision,
                "comment": comment,
                "level": 2 if order.state == S.FIRST_APPROVED else 1,
            },
        ]
        if decision == "reject":
            order = _give_back(actor, order, REVIEW_STATES, S.REJECTED, comment)
            _tell(actor, order, _("兑付未通过审核"), _("意见：%(c)s") % {"c": comment})
            return order
        if order.state == S.REDEEMED and needs_second_review(order):
            _move(actor, order, (S.REDEEMED,), S.FIRST_APPROVED, comment)
            return order
        _approve(actor, order, comment)
    return order


def _approve(actor: Actor, order: VoucherOrder, comment: str) -> None:
    ledger.settle(
        reservation_key=order.reservation_key,
        actor=actor,
        key=f"voucher-approve:{order.pk}",
        amount_fen=order.deduction_fen,
        memo=_("创新券订单 %(n)s 兑付审核通过") % {"n": order.number},
    )
    if order.reserved_fen > order.deduction_fen:
        ledger.release(
            reservation_key=order.reservation_key,
            actor=actor,
            memo=_("创新券订单 %(n)s 实际抵扣少于预留") % {"n": order.number},
        )
    _move(actor, order, REVIEW_STATES, S.APPROVED, comment, approved_at=timezone.now())
    _tell(
        actor,
        order,
        _("创新券兑付已通过审核"),
        _("抵扣 %(d)s 元，将在本期结算中支付给服务机构。") % {"d": yuan_text(order.deduction_fen)},
    )


def _tell(actor: Actor, order: VoucherOrder, title: str, body: str) -> None:
    notify(
        actor=actor,
        enterprise=order.enterprise,
        subject_type="vouchers.voucherorder",
        subject_id=order.pk,
        dedupe_key=f"voucher:{order.pk}:{order.state}",
        title=f"{title}（{order.number}）",
        body=f"{order.listing.title} · {order.provider.organisation.name}。{body}",
        link=f"/vouchers/orders/{order.pk}/",
        channels=("inbox",),
    )


def rate(*, actor: Actor, order: VoucherOrder, stars: int, comment: str = "") -> ProviderReview:
    """评价: once per order, after the enterprise confirmed delivery."""
    with transaction.atomic():
        order = _locked(order)
        _member_of_enterprise(actor, order)
        if order.delivered_at is None:
            raise Conflict(_("确认交付后才能评价"))
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValidationFailed(_("评分须为 1 到 5 星"), field="stars")
        if ProviderReview.objects.filter(order=order).exists():
            raise Conflict(_("这笔订单已经评价过"))
        review_ = ProviderReview.objects.create(
            order=order,
            provider=order.provider,
            enterprise=order.enterprise,
            stars=stars,
            comment=_plain(comment, "comment")[:500],
        )
        record_change(
            actor=actor,
            action="create",
            obj=review_,
            subject=order.enterprise,
            after={"stars": stars, "comment": review_.comment, "order": order.number},
        )
    return review_

"""Where a policy stands on a date: whether it may still push messages and move money.
One place for the checks that matching, payouts and applications all make."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.core.errors import Conflict
from gaoxin.policies.choices import PolicyStatus
from gaoxin.policies.models import Policy


def ended(policy: Policy, on: dt.date | None = None) -> bool:
    """Past its end date (the end date itself still counts), or already set 已失效."""
    on = on or timezone.localdate()
    if policy.status == PolicyStatus.EXPIRED:
        return True
    return policy.effective_to is not None and policy.effective_to < on


def why_not(policy: Policy, on: dt.date | None = None) -> str:
    """Why the policy may not push or pay, in words; "" when it may."""
    if policy.for_comment:
        return _("《%(t)s》是征求意见稿，只供征求意见，不推送、不兑现") % {"t": policy.title}
    if ended(policy, on):
        if policy.effective_to is not None:
            return _("《%(t)s》已于 %(d)s 截止，不再推送和兑现") % {
                "t": policy.title,
                "d": policy.effective_to.isoformat(),
            }
        return _("《%(t)s》已失效，不再推送和兑现") % {"t": policy.title}
    if policy.status != PolicyStatus.PUBLISHED:
        return _("《%(t)s》尚未发布") % {"t": policy.title}
    return ""


def may_push(policy: Policy, on: dt.date | None = None) -> bool:
    return not why_not(policy, on)


def ensure_pushable(policy: Policy, on: dt.date | None = None) -> None:
    """Refuse a new list or push ("识别并推送") of a policy that is a draft for comment, has
    ended or is not published."""
    reason = why_not(policy, on)
    if reason:
        raise Conflict(reason)


def ensure_payable(policy: Policy) -> None:
    """Refuse any payment step of a draft for comment. (What a policy owed while in force may
    still be paid after its end date: only new lists and pushes stop then.)"""
    if policy.for_comment:
        raise Conflict(why_not(policy))

"""Writes for accounts: signing in (throttled, logged), passwords, users, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin.accounts.models import ApiToken, LoginLog, Organisation, Role, User
from gaoxin.core.audit import Actor, client_ip, record_change, snapshot
from gaoxin.core.errors import TooManyAttempts, ValidationFailed

TOKEN_PREFIX = "gx_"


def recent_failures(*, username: str, ip: str | None) -> int:
    """Failed sign-ins for this account (or from this address) since its last success,
    within the lock-out window. Counted from the login log, so that every web process and
    every restart sees the same count."""
    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    by_name = LoginLog.objects.filter(username__iexact=username, at__gte=since)
    last_success = by_name.filter(success=True).order_by("-at").values_list("at", flat=True)
    if last_success:
        by_name = by_name.filter(at__gt=last_success[0])
    failures = by_name.filter(success=False).count()
    if ip:
        by_ip = LoginLog.objects.filter(ip=ip, at__gte=since, success=False).count()
        # An address may try several accounts, but not many more than one account may.
        failures = max(failures, by_ip // 4)
    return failures


def sign_in(request: HttpRequest, *, username: str, password: str) -> User:
    username = username.strip()
    ip = client_ip(request)
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    if recent_failures(username=username, ip=ip) >= settings.LOGIN_MAX_FAILURES:
        LoginLog.objects.create(
            username=username[:150], ip=ip, user_agent=agent, success=False, reason="locked"
        )
        raise TooManyAttempts(
            _("登录失败次数过多，请 %(m)s 分钟后再试") % {"m": settings.LOGIN_LOCKOUT_MINUTES}
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginLog.objects.create(
            username=username[:150],
            ip=ip,
            user_agent=agent,
            success=False,
            reason="bad_credentials",
        )
        raise ValidationFailed(_("用户名或密码不正确"))
    LoginLog.objects.create(
        username=username[:150], user=user, ip=ip, user_agent=agent, success=True, reason="ok"
    )
    return user


@transaction.atomic
def change_password(*, actor: Actor, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationFailed(_("原密码不正确"), field="old_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="new_password") from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_change(actor=actor, action="change_password", obj=user)


USER_FIELDS = ("username", "display_name", "email", "phone", "organisation", "is_active")


@transaction.atomic
def create_user(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    organisation: Organisation | None,
    roles: Iterable[str] = (),
    display_name: str = "",
    email: str = "",
    phone: str = "",
    is_superuser: bool = False,
    validate: bool = True,
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(_("用户名已存在"), field="username")
    user = User(
        username=username,
        organisation=organisation,
        display_name=display_name,
        email=email,
        phone=phone,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationFailed(" ".join(exc.messages), field="password") from None
        user.set_password(password)
    user.save()
    codes = set(roles)
    wanted = list(Role.objects.filter(code__in=codes))
    unknown = codes - {r.code for r in wanted}
    if unknown:
        raise ValidationFailed(
            _("未知角色：%(r)s") % {"r": "、".join(sorted(unknown))}, field="roles"
        )
    for role in wanted:
        if organisation is not None and role.organisation_kind != organisation.kind:
            raise ValidationFailed(
                _("角色“%(r)s”不适用于该组织类型") % {"r": role.name}, field="roles"
            )
    user.roles.set(wanted)
    record_change(
        actor=actor,
        action="create",
        obj=user,
        after={**snapshot(user, USER_FIELDS), "roles": [r.code for r in wanted]},
    )
    return user


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_token(*, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token; the key is returned once and only its hash is kept."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], key_hash=_hash(key), prefix=key[:8])
    record_change(
        actor=actor,
        action="issue_token",
        obj=token,
        subject=user,
        after={"name": token.name, "prefix": token.prefix},
    )
    return token, key


def user_for_token(key: str) -> Any:
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    organisation = token.user.organisation
    if organisation is not None and not organisation.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def revoke_token(*, actor: Actor, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_change(actor=actor, action="revoke_token", obj=token, subject=token.user)

"""Reads of the registry, always scoped to who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gaoxin.accounts.choices import DataScope, OrganisationKind
from gaoxin.core.errors import NotFound
from gaoxin.enterprises.models import Enterprise


def visible_to(user: Any) -> QuerySet[Enterprise]:
    """The enterprises `user` may see: the one place this rule is written.

    Zone staff see by the data scope of their roles (all / own department / department and
    below / the enterprises they serve as commissioner); an enterprise user sees its own
    enterprise; providers and financial institutions see none through the registry."""
    enterprises = Enterprise.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return enterprises.none()
    if user.is_superuser:
        return enterprises
    kind = user.organisation_kind
    if kind == OrganisationKind.ENTERPRISE:
        return enterprises.filter(organisation_id=user.organisation_id)
    if kind != OrganisationKind.ZONE_DEPARTMENT or not user.has_perm("enterprises.view_enterprise"):
        return enterprises.none()
    scope = user.data_scope()
    if scope == DataScope.ALL:
        return enterprises
    if scope == DataScope.DEPARTMENT:
        return enterprises.filter(Q(department_id=user.organisation_id) | Q(commissioner=user))
    if scope == DataScope.DEPARTMENT_AND_BELOW:
        return enterprises.filter(
            Q(department__path__startswith=user.organisation.path) | Q(commissioner=user)
        )
    return enterprises.filter(commissioner=user)


def sees_all(user: Any) -> bool:
    """Whether `user`'s data scope is the whole zone (a superuser, or zone staff whose roles
    give 全部): only they may read zone-wide totals; everyone else reads their scope's."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(
        user.organisation_kind == OrganisationKind.ZONE_DEPARTMENT
        and user.has_perm("enterprises.view_enterprise")
        and user.data_scope() == DataScope.ALL
    )


def get_visible(user: Any, pk: Any) -> Enterprise:
    """The enterprise, or NotFound — also when it exists but `user` may not see it, so that
    nobody learns which ids exist."""
    try:
        return visible_to(user).get(pk=int(pk))
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("没有找到这家企业，或您无权查看")) from None


def own_enterprise(user: Any) -> Enterprise:
    if not getattr(user, "is_enterprise_user", False):
        raise NotFound(_("当前账号不属于企业"))
    try:
        return Enterprise.objects.get(organisation_id=user.organisation_id)
    except Enterprise.DoesNotExist:
        raise NotFound(_("当前账号尚未关联企业库中的企业，请联系园区")) from None


def change_history(enterprise: Enterprise, limit: int = 200) -> QuerySet[Any]:
    from gaoxin.core.models import AuditEntry

    return AuditEntry.objects.filter(
        subject_model="enterprises.enterprise", subject_id=str(enterprise.pk)
    ).select_related("actor")[:limit]

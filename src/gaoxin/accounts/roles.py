"""The built-in roles every installation starts with; zones may add their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.utils.translation import gettext_noop

from gaoxin.accounts.choices import DataScope, OrganisationKind

ZONE, ENTERPRISE = OrganisationKind.ZONE_DEPARTMENT, OrganisationKind.ENTERPRISE

REGISTRY_READ = ["enterprises.view_enterprise", "enterprises.export_enterprises"]
REGISTRY_WRITE = [
    *REGISTRY_READ,
    "enterprises.add_enterprise",
    "enterprises.change_enterprise",
    "enterprises.import_enterprises",
]
POLICY_READ = ["policies.view_policy", "policies.view_policymatch"]
POLICY_WRITE = [*POLICY_READ, "policies.add_policy", "policies.change_policy"]
NOTIFICATIONS_READ = ["notifications.view_delivery"]
NOTIFICATIONS_ADMIN = [
    *NOTIFICATIONS_READ,
    "notifications.retry_delivery",
    "notifications.manage_webhooks",
]
SUPERMARKET_REVIEW = [
    "supermarket.review_providerprofile",
    "supermarket.review_servicelisting",
]
VOUCHERS_READ = [
    "vouchers.view_voucherscheme",
    "vouchers.view_voucherorder",
    "vouchers.view_vouchersettlement",
]
VOUCHERS_ADMIN = [
    *VOUCHERS_READ,
    "vouchers.manage_voucherscheme",
    "vouchers.review_voucherorder",
    "vouchers.settle_voucherorder",
]
ADMINISTRATION = [
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_loginlog",
    "core.view_auditentry",
    *NOTIFICATIONS_ADMIN,
]


@dataclass(frozen=True)
class BuiltinRole:
    code: str
    name: str  # Chinese; translated for display through gettext
    kind: str
    scope: str
    permissions: tuple[str, ...]


BUILTIN_ROLES = (
    BuiltinRole(
        "zone_admin",
        gettext_noop("园区管理员"),
        ZONE,
        DataScope.ALL,
        (
            *REGISTRY_WRITE,
            "enterprises.delete_enterprise",
            *ADMINISTRATION,
            *POLICY_WRITE,
            "policies.publish_policy",
            "policies.approve_payoutbatch",
            "policies.review_application",
            *SUPERMARKET_REVIEW,
            *VOUCHERS_ADMIN,
        ),
    ),
    BuiltinRole(
        "zone_staff",
        gettext_noop("园区工作人员"),
        ZONE,
        DataScope.DEPARTMENT_AND_BELOW,
        (
            *REGISTRY_WRITE,
            *POLICY_WRITE,
            *NOTIFICATIONS_READ,
            "policies.review_application",
            *SUPERMARKET_REVIEW,
            "vouchers.view_voucherscheme",
            "vouchers.view_voucherorder",
            "vouchers.review_voucherorder",
        ),
    ),
    BuiltinRole(
        "zone_leader",
        gettext_noop("园区领导（只读）"),
        ZONE,
        DataScope.ALL,
        (*REGISTRY_READ, *POLICY_READ, *VOUCHERS_READ),
    ),
    BuiltinRole(
        "service_commissioner",
        gettext_noop("服务专员"),
        ZONE,
        DataScope.SELF,
        (
            "enterprises.view_enterprise",
            "enterprises.change_enterprise",
            *POLICY_READ,
            "vouchers.view_voucherorder",
        ),
    ),
    BuiltinRole(
        "enterprise_admin",
        gettext_noop("企业管理员"),
        ENTERPRISE,
        DataScope.SELF,
        ("enterprises.declare_enterprise",),
    ),
    BuiltinRole("enterprise_member", gettext_noop("企业用户"), ENTERPRISE, DataScope.SELF, ()),
    BuiltinRole(
        "provider_admin",
        gettext_noop("服务机构管理员"),
        OrganisationKind.SERVICE_PROVIDER,
        DataScope.SELF,
        ("supermarket.register_providerprofile",),
    ),
    BuiltinRole(
        "bank_admin",
        gettext_noop("金融机构管理员"),
        OrganisationKind.FINANCIAL_INSTITUTION,
        DataScope.SELF,
        (),
    ),
)


def permissions_named(names: tuple[str, ...] | list[str]) -> list[Permission]:
    wanted = {tuple(n.split(".", 1)) for n in names}
    found = [
        p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[c for _, c in wanted]
        )
        if (p.content_type.app_label, p.codename) in wanted
    ]
    if len(found) != len(wanted):
        have = {f"{p.content_type.app_label}.{p.codename}" for p in found}
        missing = sorted(set(names) - have)
        raise LookupError(f"unknown permissions: {', '.join(missing)}")
    return found


def sync_builtin_roles(**signal_arguments: Any) -> None:
    """Create or update the built-in roles (run after every migrate; idempotent)."""
    from gaoxin.accounts.models import Role

    for spec in BUILTIN_ROLES:
        try:
            permissions = permissions_named(spec.permissions)
        except LookupError:
            return  # an app's permissions are not created yet; the next post_migrate completes
        role, _ = Role.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "organisation_kind": spec.kind,
                "data_scope": spec.scope,
                "builtin": True,
            },
        )
        role.permissions.set(permissions)

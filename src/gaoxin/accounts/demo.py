"""The demo zone's organisation: its departments, a login for every staff role, a service
provider's and a bank's login (`gaoxin demo`)."""

from __future__ import annotations

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.models import ApiToken, LoginLog, Organisation, User
from gaoxin.accounts.services import create_user
from gaoxin.core.audit import Actor

DEMO_PASSWORD = "Gaoxin@2025"
ZONE = "厦门火炬高新区管委会（演示）"
# (department, parent)
DEPARTMENTS = (
    (ZONE, None),
    ("企业服务中心", ZONE),
    ("企业服务一科", "企业服务中心"),
    ("企业服务二科", "企业服务中心"),
    ("企业服务三科", "企业服务中心"),
    ("科技局", ZONE),
    ("招商局", ZONE),
    ("财政金融局", ZONE),
)
# username, display name, department, roles, what the login shows
STAFF = (
    ("admin", "系统管理员", ZONE, ["zone_admin"], "园区管理员：全部数据、导入、日志"),
    ("leader", "王主任", ZONE, ["zone_leader"], "园区领导：全部数据，只读"),
    ("staff", "李科长", "企业服务中心", ["zone_staff"], "企业服务中心：本部门及以下"),
    ("staff2", "陈科员", "企业服务三科", ["zone_staff"], "企业服务三科：本部门"),
    (
        "commissioner",
        "林专员",
        "企业服务一科",
        ["service_commissioner"],
        "服务专员：仅本人服务的企业",
    ),
)
# username, kind, organisation, role, what the login shows
PARTNERS = (
    (
        "provider",
        OrganisationKind.SERVICE_PROVIDER,
        "厦门测试认证技术服务有限公司（演示）",
        "provider_admin",
        "服务机构",
    ),
    (
        "bank",
        OrganisationKind.FINANCIAL_INSTITUTION,
        "火炬科技支行（演示）",
        "bank_admin",
        "金融机构",
    ),
)


def build(actor: Actor) -> dict[str, Organisation]:
    """Departments, staff logins and the partners' logins; returns the departments by name."""
    departments = _departments()
    for username, display, department, roles, _note in STAFF:
        demo_login(
            actor,
            username=username,
            organisation=departments[department],
            roles=roles,
            display_name=display,
            email=f"{username}@zone.example.cn",
        )
    for username, kind, name, role, _note in PARTNERS:
        org, _ = Organisation.objects.get_or_create(kind=kind, name=name)
        demo_login(actor, username=username, organisation=org, roles=[role], display_name=name)
    return departments


def demo_login(
    actor: Actor,
    *,
    username: str,
    organisation: Organisation,
    roles: list[str],
    display_name: str,
    email: str = "",
) -> User:
    """The demo login `username`, made with the demo password unless it exists."""
    return User.objects.filter(username=username).first() or create_user(
        actor=actor,
        username=username,
        password=DEMO_PASSWORD,
        organisation=organisation,
        roles=roles,
        display_name=display_name,
        email=email,
        validate=False,
    )


def _departments() -> dict[str, Organisation]:
    out: dict[str, Organisation] = {}
    for name, parent in DEPARTMENTS:
        org, _ = Organisation.objects.get_or_create(
            kind=OrganisationKind.ZONE_DEPARTMENT,
            name=name,
            defaults={"parent": out.get(parent) if parent else None},
        )
        out[name] = org
    return out


def logins() -> list[tuple[str, str]]:
    """(username, what it shows) of the staff and partner logins, for the demo's banner."""
    return [(u, note) for u, _d, _o, _r, note in STAFF] + [
        (u, note) for u, _k, _n, _r, note in PARTNERS
    ]


def reset() -> None:
    """Remove every login and organisation (the apps that refer to them are reset first)."""
    ApiToken.objects.all().delete()
    User.objects.all().delete()
    LoginLog.objects.all().delete()
    for org in Organisation.objects.order_by("-path"):
        org.delete()

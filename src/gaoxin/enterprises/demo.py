"""`gaoxin demo`: a deterministic synthetic zone — departments, users for every role, a few
thousand enterprises with figures, certificates and contacts — built through the same
services and import checks as real data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.db import transaction
from django.utils import timezone

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.models import Organisation, User
from gaoxin.accounts.services import create_user
from gaoxin.core.audit import Actor
from gaoxin.enterprises import importing, synthetic
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.models import Contact, Enterprise, ReportedFigures
from gaoxin.enterprises.services import rebuild_year, refresh_latest

DEMO_PASSWORD = "Gaoxin@2025"
ACTOR = Actor.system("command:gaoxin demo")
ZONE = "厦门火炬高新区管委会（演示）"
# (department, parent, the chains it serves)
DEPARTMENTS = (
    (ZONE, None, ()),
    ("企业服务中心", ZONE, ()),
    ("企业服务一科", "企业服务中心", ("display", "computing", "power")),
    ("企业服务二科", "企业服务中心", ("ic", "software", "ai")),
    ("企业服务三科", "企业服务中心", ("new_energy", "biomed")),
    ("科技局", ZONE, ()),
    ("招商局", ZONE, ()),
    ("财政金融局", ZONE, ()),
)
# username, display name, department or organisation, roles, what the login shows
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


def demo_exists() -> bool:
    return User.objects.filter(username="admin").exists() and Enterprise.objects.exists()


def demo_years(today: dt.date) -> tuple[int, ...]:
    return (today.year - 3, today.year - 2, today.year - 1)


def build_demo_zone(
    *, enterprises: int = 3000, seed: int | None = None, reset: bool = False
) -> None:
    today = timezone.localdate()
    seed = synthetic.DEFAULT_SEED if seed is None else seed
    frame = synthetic.generate_enterprises(
        enterprises, seed=seed, as_of=today, years=demo_years(today)
    )
    contacts = synthetic.generate_contacts(frame, seed=seed)
    with transaction.atomic():
        if reset:
            _reset()
        departments = _departments()
        users = _staff(departments)
        preview = importing.rows_from_records(frame.iter_rows(named=True))
        if not preview.ok:
            first = preview.errors[0]
            raise RuntimeError(
                f"demo data failed the import checks: {preview.error_count} "
                f"errors, first {first.row}{first.column}: {first.message}"
            )
        importing.commit_import(
            preview, actor=ACTOR, source=DataSource.VERIFIED, mode=importing.Mode.UPSERT
        )
        _assign(departments, users["commissioner"])
        _contacts(contacts)
        _declarations(today)
        _other_organisations()
        _supermarket()
        _policies()
    _match_policies()
    _payouts()
    _vouchers()
    print(f"demo zone: {Enterprise.objects.count():,} enterprises, {User.objects.count()} users")


def _reset() -> None:
    from gaoxin.accounts.models import ApiToken, LoginLog
    from gaoxin.core.models import AuditEntry
    from gaoxin.enterprises.models import ImportBatch
    from gaoxin.ledger.models import BudgetPool, JournalEntry, LedgerAccount, Posting, Reservation
    from gaoxin.policies.models import Application, Payout, PayoutBatch
    from gaoxin.vouchers import demo as vouchers_demo

    vouchers_demo.reset()
    Application.objects.all().delete()
    Payout.objects.all().delete()
    PayoutBatch.objects.all().delete()
    Posting.objects.all().delete()
    JournalEntry.objects.all().delete()
    Reservation.objects.all().delete()
    LedgerAccount.objects.all().delete()
    BudgetPool.objects.all().delete()
    Enterprise.objects.all().delete()
    ImportBatch.objects.all().delete()
    ApiToken.objects.all().delete()
    User.objects.all().delete()
    LoginLog.objects.all().delete()
    AuditEntry.objects.all().delete()
    from gaoxin.policies.models import Policy

    Policy.objects.update(current=None)
    Policy.objects.all().delete()
    for org in Organisation.objects.order_by("-path"):
        org.delete()


def _departments() -> dict[str, Organisation]:
    out: dict[str, Organisation] = {}
    for name, parent, _chains in DEPARTMENTS:
        org, _ = Organisation.objects.get_or_create(
            kind=OrganisationKind.ZONE_DEPARTMENT,
            name=name,
            defaults={"parent": out.get(parent) if parent else None},
        )
        out[name] = org
    return out


def _staff(departments: dict[str, Organisation]) -> dict[str, User]:
    users = {}
    for username, display, department, roles, _note in STAFF:
        user = User.objects.filter(username=username).first() or create_user(
            actor=ACTOR,
            username=username,
            password=DEMO_PASSWORD,
            organisation=departments[department],
            roles=roles,
            display_name=display,
            email=f"{username}@zone.example.cn",
            validate=False,
        )
        users[username] = user
    return users


def _assign(departments: dict[str, Organisation], commissioner: User) -> None:
    for name, _parent, chains in DEPARTMENTS:
        if chains:
            Enterprise.objects.filter(chain__in=chains).update(department=departments[name])
    # The commissioner serves the 30 largest enterprises of the first service section.
    largest = (
        Enterprise.objects.filter(department=departments["企业服务一科"])
        .order_by("-latest_revenue")
        .values_list("pk", flat=True)[:30]
    )
    Enterprise.objects.filter(pk__in=list(largest)).update(commissioner=commissioner)


def _contacts(contacts: pl.DataFrame) -> None:
    ids = dict(Enterprise.objects.values_list("uscc", "pk"))
    Contact.objects.bulk_create(
        [
            Contact(
                enterprise_id=ids[r["uscc"]],
                role=r["role"],
                name=r["name"],
                phone=r["phone"],
                email=r["email"],
            )
            for r in contacts.iter_rows(named=True)
        ],
        batch_size=2000,
    )


def _declarations(today: dt.date) -> None:
    """One enterprise in twenty declared last year's revenue and R&D itself, a little above
    what the zone verified: the profile shows both, and the verified figure in force."""
    year = today.year - 1
    for enterprise in Enterprise.objects.order_by("pk")[::20][:150]:
        verified = enterprise.reports.filter(year=year, source=DataSource.VERIFIED).first()
        if verified is None or verified.revenue is None:
            continue
        declared = ReportedFigures(
            enterprise=enterprise, year=year, source=DataSource.DECLARED, recorded_by="demo"
        )
        declared.revenue = (verified.revenue * Decimal("1.03")).quantize(Decimal("0.01"))
        if verified.rd_expense is not None:
            declared.rd_expense = (verified.rd_expense * Decimal("1.10")).quantize(Decimal("0.01"))
        declared.save()
        rebuild_year(enterprise, year)
        refresh_latest(enterprise)


def _other_organisations() -> None:
    """Logins for two enterprises, a service provider and a bank."""
    # ent1: the largest IC firm (many policies fit it); ent2: the largest software firm
    # within the innovation voucher's revenue limit (4亿), so its login shows vouchers too.
    chosen = list(Enterprise.objects.filter(chain="ic").order_by("-latest_revenue")[:1]) + list(
        Enterprise.objects.filter(chain="software", latest_revenue__lte=Decimal(400_000_000))
        .exclude(department__isnull=True)
        .order_by("-latest_revenue")[:1]
    )
    for username, enterprise in zip(("ent1", "ent2"), chosen, strict=False):
        org, _ = Organisation.objects.get_or_create(
            kind=OrganisationKind.ENTERPRISE, name=enterprise.name
        )
        enterprise.organisation = org
        enterprise.save(update_fields=["organisation"])
        legal = enterprise.contacts.filter(role="legal_rep").first()
        if not User.objects.filter(username=username).exists():
            user = create_user(
                actor=ACTOR,
                username=username,
                password=DEMO_PASSWORD,
                organisation=org,
                roles=["enterprise_admin"],
                display_name=legal.name if legal else username,
                validate=False,
            )
            if legal is not None:
                legal.user = user
                legal.save(update_fields=["user"])
    for username, kind, name, role in (
        (
            "provider",
            OrganisationKind.SERVICE_PROVIDER,
            "厦门测试认证技术服务有限公司（演示）",
            "provider_admin",
        ),
        ("bank", OrganisationKind.FINANCIAL_INSTITUTION, "火炬科技支行（演示）", "bank_admin"),
    ):
        org, _ = Organisation.objects.get_or_create(kind=kind, name=name)
        if not User.objects.filter(username=username).exists():
            create_user(
                actor=ACTOR,
                username=username,
                password=DEMO_PASSWORD,
                organisation=org,
                roles=[role],
                display_name=name,
                validate=False,
            )


def _supermarket() -> None:
    """Service providers and their listings in the 科技服务超市."""
    from gaoxin.supermarket import demo as supermarket_demo

    supermarket_demo.build(ACTOR)


def _policies() -> None:
    """The policy library shipped with Gaoxin, saved and published."""
    from gaoxin.policies import services as policy_services
    from gaoxin.policies.library import shipped_library

    folder = shipped_library()
    if folder is None:
        print("policy library not found beside the package: no policies in the demo")
        return
    for path in sorted(folder.rglob("*.yaml")):
        policy = policy_services.save_policy(actor=ACTOR, text=path.read_text(encoding="utf-8"))
        policy_services.publish(actor=ACTOR, policy=policy, match=False)


def _match_policies() -> None:
    from gaoxin.policies.matching import match_published, push_matches
    from gaoxin.policies.models import PolicyMatch

    runs = match_published(push=False)  # the demo's two enterprise logins get their pushes:
    print(f"matched {len(runs)} published policies against the registry")
    logins = list(
        Enterprise.objects.filter(organisation__users__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    for run in runs:
        ids = list(
            PolicyMatch.objects.filter(version=run.version, enterprise_id__in=logins).values_list(
                "enterprise_id", flat=True
            )
        )
        push_matches(run.version_id, ids)


def _payouts() -> None:
    """One year of 免申即享 for the Xiamen R&D-increment policy, through the real flow: budget,
    identification, confirmation, verification, a batch made by one official and approved,
    paid and published by another. The demo's own enterprise logins are left to confirm."""
    from gaoxin.ledger.money import to_fen
    from gaoxin.policies import payouts
    from gaoxin.policies.choices import PayoutState
    from gaoxin.policies.models import Payout, Policy

    policy = Policy.objects.filter(slug="xiamen-rd-increment-draft").first()
    if policy is None:
        return
    year = timezone.localdate().year
    staff, chief = Actor.system("staff"), Actor.system("admin")
    payouts.fund(
        actor=chief,
        policy=policy,
        year=year,
        amount_fen=to_fen("120000000"),
        key=f"demo-budget-{year}",
    )
    payouts.identify(actor=staff, policy=policy, year=year, push=False)
    logins = set(
        Enterprise.objects.filter(organisation__users__isnull=False).values_list("pk", flat=True)
    )
    chosen = []
    for payout in Payout.objects.filter(policy=policy, year=year).select_related("enterprise"):
        if payout.enterprise_id in logins:
            payouts._push(staff, payout)
            continue
        payouts._move(staff, payout, PayoutState.PUSHED)
        payouts._move(
            ACTOR,
            payout,
            PayoutState.CONFIRMED,
            bank_name="建设银行厦门分行",
            account_name=payout.enterprise.name,
            account_number=f"3515019801010{payout.enterprise_id:07d}",
            confirmed_at=timezone.now(),
        )
        payouts.verify(
            actor=staff,
            payout=payout,
            accept=True,
            note="已核对纳税申报表" if payout.risk == "high" else "",
        )
        chosen.append(payout)
    batch = payouts.create_batch(actor=staff, policy=policy, year=year, payouts=chosen)
    payouts.approve_batch(actor=chief, batch=batch)
    payouts.pay_batch(actor=chief, batch=batch)
    payouts.publish_batch(actor=chief, batch=batch)
    print(f"paid {len(chosen)} enterprises under 《{policy.title}》")


def _vouchers() -> None:
    """A year of 火炬创新券: scheme, budget, quotas, orders, reviews and settlements."""
    from gaoxin.vouchers import demo as vouchers_demo

    vouchers_demo.build_vouchers()


def print_logins() -> None:
    rows = [(u, n) for u, _d, _o, _r, n in STAFF] + [
        ("ent1", "企业用户：" + _enterprise_name("ent1")),
        ("ent2", "企业用户：" + _enterprise_name("ent2")),
        ("provider", "服务机构"),
        ("bank", "金融机构"),
    ]
    print(f"\n演示账号 / demo logins (password 密码: {DEMO_PASSWORD})")
    for username, note in rows:
        print(f"  {username:<13} {note}")
    print()


def _enterprise_name(username: str) -> str:
    user = User.objects.filter(username=username).select_related("organisation").first()
    return user.organisation.name if user and user.organisation else "—"

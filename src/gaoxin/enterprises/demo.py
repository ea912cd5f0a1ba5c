"""The demo zone's registry: a few thousand synthetic enterprises with figures, certificates
and contacts, built through the same import checks as real data, assigned to the service
sections, and two enterprise logins (`gaoxin demo`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.demo import demo_login
from gaoxin.accounts.models import Organisation, User
from gaoxin.core import cached
from gaoxin.core.audit import Actor
from gaoxin.enterprises import importing, synthetic, synthetic_linked
from gaoxin.enterprises.choices import DataSource
from gaoxin.enterprises.models import (
    Contact,
    Enterprise,
    EquipmentPurchase,
    ImportBatch,
    Patent,
    Person,
    PersonYear,
    ReportedFigures,
    Tenancy,
)
from gaoxin.enterprises.services import rebuild_year, refresh_latest

# The service sections and the chains whose enterprises each serves.
SECTION_CHAINS = {
    "企业服务一科": ("display", "computing", "power"),
    "企业服务二科": ("ic", "software", "ai"),
    "企业服务三科": ("new_energy", "biomed"),
}
COMMISSIONER_SECTION = "企业服务一科"
ENTERPRISE_LOGINS = ("ent1", "ent2")
# The standard demo's size: its budgets and volumes are set for it, and grow in proportion
# in a larger zone (a smaller one keeps them).
STANDARD_ZONE = 3000
CENT = Decimal("0.01")


def zone_scale() -> float:
    """How many times the standard demo zone the registry is (1 at 3,000 or fewer)."""
    return max(1.0, Enterprise.objects.count() / STANDARD_ZONE)


def demo_years(today: dt.date) -> tuple[int, ...]:
    return (today.year - 3, today.year - 2, today.year - 1)


def build(
    actor: Actor,
    *,
    departments: dict[str, Organisation],
    commissioner: User,
    enterprises: int,
    seed: int,
    today: dt.date,
) -> None:
    frame = synthetic.generate_enterprises(
        enterprises, seed=seed, as_of=today, years=demo_years(today)
    )
    preview = importing.rows_from_records(frame.iter_rows(named=True))
    if not preview.ok:
        first = preview.errors[0]
        raise RuntimeError(
            f"demo data failed the import checks: {preview.error_count} "
            f"errors, first {first.row}{first.column}: {first.message}"
        )
    importing.commit_import(
        preview, actor=actor, source=DataSource.VERIFIED, mode=importing.Mode.UPSERT
    )
    _assign(departments, commissioner)
    cached.changed(cached.REGISTRY)  # the scopes changed (bulk updates send no signals)
    _contacts(synthetic.generate_contacts(frame, seed=seed))
    linked_records(frame, seed=seed, today=today)
    _declarations(today)
    _enterprise_logins(actor)


def exists() -> bool:
    return Enterprise.objects.exists()


def _assign(departments: dict[str, Organisation], commissioner: User) -> None:
    for name, chains in SECTION_CHAINS.items():
        Enterprise.objects.filter(chain__in=chains).update(department=departments[name])
    # The commissioner serves the 30 largest enterprises of the first service section.
    largest = (
        Enterprise.objects.filter(department=departments[COMMISSIONER_SECTION])
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


def linked_records(frame: pl.DataFrame, *, seed: int, today: dt.date) -> None:
    """Talents, patents, equipment purchases and incubator tenants in proportion to the
    zone (synthetic_linked), what person and per-item policies read."""
    ids = dict(Enterprise.objects.values_list("uscc", "pk"))
    people = synthetic_linked.generate_people(frame, seed=seed, as_of=today)
    made = Person.objects.bulk_create(
        [
            Person(
                enterprise_id=ids[r["uscc"]],
                name=r["name"],
                degree=r["degree"],
                talent_category=r["talent_category"],
                professional_title=r["professional_title"],
                birth_date=r["birth_date"],
                settled_at=r["settled_at"],
                joined_at=r["joined_at"],
                contract_years=r["contract_years"],
                social_insurance_months=r["social_insurance_months"],
            )
            for r in people.iter_rows(named=True)
        ],
        batch_size=2000,
    )
    PersonYear.objects.bulk_create(
        [
            PersonYear(
                person=person,
                year=today.year - 1,
                annual_salary=Decimal(str(r["salary"])).quantize(CENT),
                retained_income_tax=Decimal(str(r["retained_tax"])).quantize(CENT),
            )
            for person, r in zip(made, people.iter_rows(named=True), strict=True)
        ],
        batch_size=2000,
    )
    Patent.objects.bulk_create(
        [
            Patent(
                enterprise_id=ids[r["uscc"]],
                number=r["number"],
                kind=r["kind"],
                scope=r["scope"],
                granted_on=r["granted_on"],
            )
            for r in synthetic_linked.generate_patents(frame, seed=seed, as_of=today).iter_rows(
                named=True
            )
        ],
        batch_size=2000,
        ignore_conflicts=True,  # a repeated number within one enterprise: keep the first
    )
    EquipmentPurchase.objects.bulk_create(
        [
            EquipmentPurchase(
                enterprise_id=ids[r["uscc"]],
                name=r["name"],
                amount=Decimal(str(r["amount"])).quantize(CENT),
                purchased_on=r["purchased_on"],
                robot=r["robot"],
            )
            for r in synthetic_linked.generate_equipment(frame, seed=seed, as_of=today).iter_rows(
                named=True
            )
        ],
        batch_size=2000,
    )
    Tenancy.objects.bulk_create(
        [
            Tenancy(
                incubator_id=ids[r["incubator"]],
                tenant_id=ids.get(r["tenant"]),
                tenant_name=r["tenant_name"],
                leased_area=r["leased_area"],
                moved_in=r["moved_in"],
                strategic_emerging=r["strategic_emerging"],
                paid_in_capital=Decimal(str(r["paid_in_capital"])).quantize(CENT),
            )
            for r in synthetic_linked.generate_tenancies(frame, seed=seed, as_of=today).iter_rows(
                named=True
            )
        ],
        batch_size=2000,
    )


def _declarations(today: dt.date) -> None:
    """One enterprise in twenty declared last year's revenue and R&D itself, a little above
    what the zone verified: the profile shows both, and the verified figure in force."""
    year = today.year - 1
    # Every twentieth id, read as ids first: slicing a queryset with a step loads every row.
    every_twentieth = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))[::20]
    for enterprise in Enterprise.objects.filter(pk__in=every_twentieth).order_by("pk"):
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


def _enterprise_logins(actor: Actor) -> None:
    # ent1: the largest IC firm (many policies fit it); ent2: the largest software firm
    # within the innovation voucher's revenue limit (4亿), so its login shows vouchers too.
    chosen = list(Enterprise.objects.filter(chain="ic").order_by("-latest_revenue")[:1]) + list(
        Enterprise.objects.filter(chain="software", latest_revenue__lte=Decimal(400_000_000))
        .exclude(department__isnull=True)
        .order_by("-latest_revenue")[:1]
    )
    for username, enterprise in zip(ENTERPRISE_LOGINS, chosen, strict=False):
        org, _ = Organisation.objects.get_or_create(
            kind=OrganisationKind.ENTERPRISE, name=enterprise.name
        )
        enterprise.organisation = org
        enterprise.save(update_fields=["organisation"])
        legal = enterprise.contacts.filter(role="legal_rep").first()
        user = demo_login(
            actor,
            username=username,
            organisation=org,
            roles=["enterprise_admin"],
            display_name=legal.name if legal else username,
        )
        if legal is not None and legal.user_id is None:
            legal.user = user
            legal.save(update_fields=["user"])


def logins() -> list[tuple[str, str]]:
    """(username, what it shows) of the enterprise logins, for the demo's banner."""
    rows = []
    for username in ENTERPRISE_LOGINS:
        user = User.objects.filter(username=username).select_related("organisation").first()
        name = user.organisation.name if user and user.organisation else "—"
        rows.append((username, "企业用户：" + name))
    return rows


def reset() -> None:
    cached.changed(cached.REGISTRY)
    Enterprise.objects.all().delete()
    ImportBatch.objects.all().delete()

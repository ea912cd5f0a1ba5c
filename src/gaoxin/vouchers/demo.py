"""`gaoxin demo`: a year of 火炬创新券 up to today, through the real services.

The zone admin creates, opens and funds the year's scheme (with a supplementary budget later in
the year) and grants quotas (the linked policy decides who qualifies). Enterprises in the service
centre's care then order listed services, each through its own login: providers accept and
redeem, enterprises confirm delivery and rate, two staff members review large redemptions, and
the zone admin issues and pays each quarter's settlements. Every step is the service a user
would call; as services stamp "now", the timestamps (orders, settlements, ledger entries,
reservations, audit entries, notifications, ratings) are moved back afterwards to when each step
happened on the plan, so the pages and charts show a year that unfolded. Deterministic for a
given seed and day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Field, Model, Sum
from django.utils import timezone

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.models import Organisation, Role, User
from gaoxin.accounts.services import USER_FIELDS, create_user
from gaoxin.core.audit import Actor, build_entry, snapshot
from gaoxin.core.errors import ValidationFailed
from gaoxin.core.models import AuditEntry
from gaoxin.enterprises.demo import zone_scale
from gaoxin.enterprises.models import Contact, Enterprise
from gaoxin.enterprises.selectors import visible_to
from gaoxin.ledger.choices import EntryKind
from gaoxin.ledger.models import BudgetPool, JournalEntry, LedgerAccount, Posting, Reservation
from gaoxin.notifications.models import Delivery, Message
from gaoxin.policies.models import Policy
from gaoxin.supermarket.choices import ListingStatus, ProviderStatus
from gaoxin.supermarket.models import ProviderProfile, ServiceListing
from gaoxin.vouchers import orders, services, settlements
from gaoxin.vouchers.choices import ACTIVE_STATES, OrderState
from gaoxin.vouchers.models import (
    ProviderReview,
    VoucherOrder,
    VoucherQuota,
    VoucherScheme,
    VoucherSettlement,
)

POLICY_SLUG = "torch-innovation-voucher"
# The standard demo's (3,000 enterprises) budget, supplement and orders over a whole year; a
# larger zone has them in proportion (`zone_scale`), a smaller one fewer orders.
BUDGET_FEN = 30_000_000 * 100  # 3,000万元 at the start of the year
SUPPLEMENT_FEN = 5_000_000 * 100  # 追加 500万元 after the summer
FULL_YEAR_ORDERS = 500
SEED = 2026
MIN_LEFT_FEN = 300_000  # an enterprise with less than 3,000元 of quota left orders no more

# How often each kind of service is bought, by the size of the buyer (its quota: 10, 20 or
# 30万元 — smaller firms buy tests, patents and training; larger ones production lines and
# joint R&D), and how long delivery takes (days).
CATEGORY_WEIGHT = {
    1: {
        "testing": 16,
        "ip": 15,
        "simulation": 9,
        "training": 5,
        "consulting": 18,
        "finance": 8,
        "rd": 16,
        "smart_manufacturing": 13,
    },
    2: {
        "testing": 5,
        "ip": 9,
        "simulation": 5,
        "training": 2,
        "consulting": 15,
        "finance": 5,
        "rd": 28,
        "smart_manufacturing": 31,
    },
    3: {
        "testing": 3,
        "ip": 7,
        "simulation": 4,
        "training": 2,
        "consulting": 12,
        "finance": 4,
        "rd": 31,
        "smart_manufacturing": 37,
    },
}
DELIVERY_DAYS = {
    "testing": (5, 25),
    "ip": (15, 60),
    "simulation": (10, 40),
    "smart_manufacturing": (20, 75),
    "training": (3, 30),
    "consulting": (20, 75),
    "finance": (15, 50),
    "rd": (25, 90),
}
# Orders placed per working day, by month: most in spring, once quotas are known; quiet around
# the Spring Festival and National Day.
MONTH_WEIGHT = (0.6, 0.6, 1.25, 1.3, 1.2, 1.25, 1.1, 1.0, 1.1, 0.75, 0.95, 0.85)

CANCEL_REASONS = (
    "项目预算调整，本年度暂缓采购",
    "研发方向调整，需求取消",
    "与服务机构协商一致，改为下年度实施",
    "企业内部已具备条件，改为自行开展",
    "交付周期无法满足产品上市计划",
)
DECLINE_REASONS = (
    "当期排期已满，无法按合同约定时间交付",
    "需求超出本机构服务范围，建议选择其他机构",
    "样品条件不满足试验要求，请补充后重新下单",
    "合同条款未能与企业达成一致",
)
REJECT_REASONS = (
    "发票金额与合同约定不一致，且未提供补充协议",
    "缺少服务成果验收材料，请补充后重新申请",
    "服务内容与目录登记的服务事项不一致",
    "合同签订日期早于额度核定日期，不符合兑付条件",
)
FIRST_REVIEW_COMMENTS = ("材料齐全，同意兑付", "合同、发票与验收材料一致，同意", "同意", "")
SECOND_REVIEW_COMMENTS = ("复核无误，同意兑付", "同意", "经复核，金额计算正确，同意")
RATING_COMMENTS = {
    5: (
        "服务专业，交付准时，报告规范",
        "响应迅速，工程师很耐心，解决了我们的实际问题",
        "非常满意，下次还会合作",
        "方案扎实，超出预期",
        "沟通顺畅，全程有专人跟进",
        "",
    ),
    4: (
        "整体满意，个别细节沟通稍慢",
        "质量不错，交付比约定晚了两天",
        "服务规范，价格合理",
        "报告内容完整，建议再细化整改建议",
        "",
    ),
    3: ("基本满足需求，交付周期偏长", "服务一般，后续跟进不够及时", "报告格式需多次修改"),
    2: ("交付延期较多，沟通不畅", "实际效果与宣传有差距"),
    1: ("多次催促才交付，体验较差",),
}
STARS = (5, 4, 3, 2, 1)
STAR_WEIGHTS = (55, 30, 10, 4, 1)


@dataclass
class Summary:
    orders: int
    deducted_fen: int  # approved and settled
    enterprises: int
    settlements: int

    def line(self) -> str:
        return (
            f"vouchers: {self.orders} orders, {self.deducted_fen / 1_000_000:,.1f}万元 deducted "
            f"(approved and settled) for {self.enterprises} enterprises, "
            f"{self.settlements} settlements"
        )


@dataclass
class _Times:
    """When each step of the plan happened, to stamp the records with afterwards."""

    orders: dict[int, dict[str, dt.datetime]] = field(default_factory=dict)
    reviews: dict[int, list[dt.datetime]] = field(default_factory=dict)
    ratings: dict[int, dt.datetime] = field(default_factory=dict)
    settlements: dict[int, dict[str, dt.datetime]] = field(default_factory=dict)
    funds: dict[str, dt.datetime] = field(default_factory=dict)


@dataclass
class _Cast:
    scheme: VoucherScheme
    admin: Actor
    staff: Actor
    staff2: Actor | None
    staff2_sees: set[int]
    enterprise_users: dict[int, Actor]
    provider_users: dict[int, Actor]


def reset() -> None:
    """Remove every voucher record and the schemes' budget pools (for `gaoxin demo --reset`)."""
    pools = BudgetPool.objects.filter(owner_type=services.OWNER_TYPE)
    ProviderReview.objects.all().delete()
    VoucherOrder.objects.all().delete()
    VoucherSettlement.objects.all().delete()
    VoucherQuota.objects.all().delete()
    VoucherScheme.objects.all().delete()
    Posting.objects.filter(entry__pool__in=pools).delete()
    JournalEntry.objects.filter(pool__in=pools).delete()
    Reservation.objects.filter(pool__in=pools).delete()
    LedgerAccount.objects.filter(pool__in=pools).delete()
    pools.delete()


def build_vouchers(*, orders_per_year: int | None = None, seed: int = SEED) -> Summary | None:
    """The current year's scheme and its orders up to now; None when the demo has no zone
    admin or service-centre staff, or the year's scheme exists already."""
    now = timezone.localtime()
    today = now.date()
    if VoucherScheme.objects.filter(year=today.year).exists():
        return None
    # The staff who review, as a request's user: their organisation and roles (data scope)
    # read once, not on every review.
    staff_users = (
        User.objects.filter(username__in=("admin", "staff", "staff2"))
        .select_related("organisation")
        .prefetch_related("roles")
    )
    users = {u.username: u for u in staff_users}
    if "admin" not in users or "staff" not in users:
        return None
    rng = random.Random(f"{seed}-{today.year}")
    times = _Times()
    with _without_query_log(), transaction.atomic():
        audit_from = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        message_from = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        admin, staff = Actor.for_user(users["admin"]), users["staff"]
        start = _at(dt.date(today.year, 1, 5), 9, 30)
        scale = zone_scale()
        scheme, pool = _open_scheme(admin, today, times, start, _in_wan(BUDGET_FEN * scale))
        in_scope = set(visible_to(staff).values_list("pk", flat=True))
        full_year = round(FULL_YEAR_ORDERS * scale)
        wanted = orders_per_year or min(full_year, max(16, len(in_scope) // 4))
        days = _order_days(today, now)
        count = round(wanted * sum(w for _d, w in days) / _year_weight(today.year))
        logins = _demo_logins(in_scope)
        holders = _quotas(rng, admin, scheme, in_scope, count, always=logins)
        chosen = _customers(rng, holders, in_scope, count)
        for pk in logins:  # the demo's own enterprise logins show a voucher year too
            if pk in holders:
                chosen.setdefault(pk, 2.0)
        staff2 = users.get("staff2")
        cast = _Cast(
            scheme=scheme,
            admin=admin,
            staff=Actor.for_user(staff),
            staff2=Actor.for_user(staff2) if staff2 else None,
            staff2_sees=set(visible_to(staff2).values_list("pk", flat=True)) if staff2 else set(),
            enterprise_users=_enterprise_users(chosen, start - dt.timedelta(days=3)),
            provider_users=_provider_users(start - dt.timedelta(days=3)),
        )
        enterprises = Enterprise.objects.in_bulk(list(chosen))
        claimed = dict.fromkeys(chosen, 0)
        # The demo's own logins keep half their quota, so that whoever signs in as them can
        # still order a service with a voucher, whatever hour the demo was built.
        spendable = {pk: q - (q // 2 if pk in logins else 0) for pk, q in holders.items()}
        listings = _listings()
        supplement = _at(_workday(dt.date(today.year, 8, 17)), 10, 0)
        funded_more = False
        drawable: tuple[list[int], list[float]] | None = None
        for placed in sorted(_when(rng, days, now) for _ in range(count if chosen else 0)):
            if not funded_more and placed >= supplement:
                supplement_fen = _in_wan(SUPPLEMENT_FEN * scale)
                services.fund(actor=admin, scheme=scheme, amount_fen=supplement_fen)
                times.funds[_last_funding(scheme)], funded_more = supplement, True
            if drawable is None:
                drawable = _drawable(chosen, spendable, claimed)
            if not drawable[0]:
                break
            enterprise = enterprises[rng.choices(drawable[0], cum_weights=drawable[1])[0]]
            size = min(max(holders[enterprise.pk] // 10_000_000, 1), 3)
            left = (
                spendable[enterprise.pk] - claimed[enterprise.pk]
                if enterprise.pk in logins
                else None
            )
            order = _drive_one(rng, cast, enterprise, size, left, listings, placed, now, times)
            if order is not None and order.state in ACTIVE_STATES:
                claimed[enterprise.pk] += order.deduction_fen
                if spendable[enterprise.pk] - claimed[enterprise.pk] < MIN_LEFT_FEN:
                    drawable = None  # it orders no more
        _backdate_orders(times)
        _settle(rng, scheme, admin, today, now, times)
        _backdate_records(scheme, pool, times, audit_from, message_from, start)
        summary = _summary(scheme)
    print(summary.line())
    return summary


def _drawable(
    chosen: dict[int, float], spendable: dict[int, int], claimed: dict[int, int]
) -> tuple[list[int], list[float]]:
    """The enterprises that may still order and their cumulative weights, kept until one of
    them drops out: drawn afresh for each order, they made a year's orders quadratic in the
    zone's size (the draws are the same as `_pick` over the same weights)."""
    keys = [pk for pk in chosen if spendable[pk] - claimed[pk] >= MIN_LEFT_FEN]
    return keys, list(accumulate(chosen[pk] for pk in keys))


@contextmanager
def _without_query_log() -> Iterator[None]:
    """`gaoxin demo` runs with DEBUG on, and Django's debug cursor then logs every query (on
    SQLite quoting each one's parameters with another query), which would slow the thousands
    of service calls below by two thirds. The log is of no use here."""
    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = debug


# -- the scheme, quotas and who acts ---------------------------------------------------------


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _workday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _office(rng: random.Random, when: dt.datetime) -> dt.datetime:
    """The first office hour at or after `when` (working days, 9:00–18:00)."""
    local = timezone.localtime(when)
    day, hour, minute = local.date(), local.hour, local.minute
    if hour >= 18:
        day, hour, minute = day + dt.timedelta(days=1), 9, rng.randrange(60)
    elif hour < 9:
        hour, minute = 9, rng.randrange(60)
    if day.weekday() >= 5:
        day, hour, minute = _workday(day), rng.choice((9, 10, 14, 15)), rng.randrange(60)
    return _at(day, hour, minute)


def _in_wan(fen: float) -> int:
    """An amount rounded to whole 万元, as a budget is voted."""
    return round(fen / 1_000_000) * 1_000_000


def _open_scheme(
    admin: Actor, today: dt.date, times: _Times, start: dt.datetime, budget_fen: int
) -> tuple[VoucherScheme, BudgetPool]:
    data = services.default_scheme(today.year)
    data.policy = Policy.objects.filter(slug=POLICY_SLUG).first()
    scheme = services.create_scheme(actor=admin, data=data)
    services.set_status(actor=admin, scheme=scheme, status="open")
    pool = services.fund(actor=admin, scheme=scheme, amount_fen=budget_fen)
    times.funds[_last_funding(scheme)] = start + dt.timedelta(days=2, hours=1)
    return scheme, pool


def _last_funding(scheme: VoucherScheme) -> str:
    """The ledger key of the scheme's latest funding (the ledger names it)."""
    return (
        JournalEntry.objects.filter(pool=services.pool_of(scheme), kind=EntryKind.FUND)
        .order_by("-pk")
        .values_list("idempotency_key", flat=True)[0]
    )


def _demo_logins(in_scope: set[int]) -> set[int]:
    """The enterprises of the demo's documented logins (ent1, ent2) in the service centre."""
    orgs = User.objects.filter(username__in=("ent1", "ent2")).values_list(
        "organisation_id", flat=True
    )
    return set(
        Enterprise.objects.filter(
            organisation_id__in=list(orgs), pk__in=list(in_scope)
        ).values_list("pk", flat=True)
    )


def _quotas(
    rng: random.Random,
    admin: Actor,
    scheme: VoucherScheme,
    in_scope: set[int],
    count: int,
    always: set[int] = frozenset(),  # type: ignore[assignment]
) -> dict[int, int]:
    """额度核定 for the enterprises that applied (the larger ones more often), as the policy
    decides: {enterprise id: quota (fen)} of those it found eligible."""
    revenue = dict(
        Enterprise.objects.filter(pk__in=list(in_scope)).values_list("pk", "latest_revenue")
    )
    pool = sorted(in_scope)
    # Cumulative weights once: `choices(weights=…)` would add them up again on every draw, and
    # a large zone draws thousands of times from tens of thousands (the draws are the same).
    cumulative = list(accumulate(1.0 + min(float(revenue[pk] or 0) / 1e8, 3.0) for pk in pool))
    applied: set[int] = set(always)
    while pool and len(applied) < min(len(pool), round(count * 1.1)):
        applied.add(rng.choices(pool, cum_weights=cumulative)[0])
    services.grant_quotas(actor=admin, scheme=scheme, enterprise_ids=sorted(applied))
    return dict(
        VoucherQuota.objects.filter(scheme=scheme).values_list("enterprise_id", "granted_fen")
    )


def _customers(
    rng: random.Random, holders: dict[int, int], in_scope: set[int], count: int
) -> dict[int, float]:
    """{enterprise id: how often it orders}: quota holders the service centre looks after,
    the larger quotas (larger firms) more often."""
    pool = sorted(pk for pk in holders if pk in in_scope)
    wanted = min(len(pool), max(1, round(count * 0.42)))
    # 1, 8 or 27 for 10/20/30万
    cumulative = list(accumulate((holders[pk] / 10_000_000) ** 3 for pk in pool))
    chosen: dict[int, float] = {}
    while len(chosen) < wanted:
        pk = rng.choices(pool, cum_weights=cumulative)[0]
        chosen.setdefault(pk, rng.paretovariate(1.6))
    return chosen


def _enterprise_users(chosen: dict[int, float], joined: dt.datetime) -> dict[int, Actor]:
    """A login (enterprise_admin, the legal representative's) in each ordering enterprise's
    organisation; an enterprise without an organisation gets one, as when it registers on the
    platform. Users in one bulk insert with their roles and audit entries, as `create_user`
    writes them."""
    system = Actor.system("command:gaoxin demo")
    role = Role.objects.get(code="enterprise_admin")
    enterprises = list(Enterprise.objects.filter(pk__in=list(chosen)).order_by("pk"))
    for enterprise in enterprises:
        if enterprise.organisation_id is None:
            org, _ = Organisation.objects.get_or_create(
                kind=OrganisationKind.ENTERPRISE, name=enterprise.name
            )
            enterprise.organisation = org
            enterprise.save(update_fields=["organisation"])
    orgs = [e.organisation_id for e in enterprises if e.organisation_id is not None]
    have = {
        u.organisation_id: u
        for u in User.objects.filter(organisation_id__in=orgs, roles=role).order_by("-pk")
    }
    legal = {
        c.enterprise_id: c
        for c in Contact.objects.filter(enterprise__in=enterprises, role="legal_rep").order_by(
            "-pk"
        )
    }
    new: list[User] = []
    for enterprise in enterprises:
        if enterprise.organisation_id in have:
            continue
        contact = legal.get(enterprise.pk)
        user = User(
            username=f"qy{enterprise.pk:05d}",
            organisation_id=enterprise.organisation_id,
            display_name=contact.name if contact else enterprise.name[:20],
            date_joined=joined,
        )
        user.set_unusable_password()
        new.append(user)
    created = User.objects.bulk_create(new)
    User.roles.through.objects.bulk_create(
        [User.roles.through(user_id=u.pk, role_id=role.pk) for u in created]
    )
    AuditEntry.objects.bulk_create(
        build_entry(
            actor=system,
            action="create",
            obj=u,
            before=None,
            after={**snapshot(u, USER_FIELDS), "roles": [role.code]},
        )
        for u in created
    )
    have |= {u.organisation_id: u for u in created}
    linked = []
    for enterprise in enterprises:
        contact = legal.get(enterprise.pk)
        if contact is not None and contact.user_id is None:
            contact.user = have[enterprise.organisation_id]
            linked.append(contact)
    Contact.objects.bulk_update(linked, ["user"])
    return {e.pk: Actor.for_user(have[e.organisation_id]) for e in enterprises}


def _provider_users(joined: dt.datetime) -> dict[int, Actor]:
    """{provider id: a login of the provider} — the demo's own provider login, and one
    provider_admin for each other provider."""
    system = Actor.system("command:gaoxin demo")
    out: dict[int, Actor] = {}
    new: list[int] = []
    for index, profile in enumerate(ProviderProfile.objects.order_by("pk")):
        user = User.objects.filter(organisation_id=profile.organisation_id).order_by("pk").first()
        if user is None:
            user = create_user(
                actor=system,
                username=f"fw{index + 1:03d}",
                password=None,
                organisation=profile.organisation,
                roles=["provider_admin"],
                display_name=profile.contact_name or profile.organisation.name,
                validate=False,
            )
            new.append(user.pk)
        out[profile.pk] = Actor.for_user(user)
    User.objects.filter(pk__in=new).update(date_joined=joined)
    return out


def _listings() -> dict[str, list[ServiceListing]]:
    live = (
        ServiceListing.objects.filter(
            status=ListingStatus.APPROVED, provider__status=ProviderStatus.APPROVED
        )
        .select_related("category", "provider")
        .order_by("pk")
    )
    out: dict[str, list[ServiceListing]] = {}
    for listing in live:
        out.setdefault(listing.category.code, []).append(listing)
    return out


# -- when orders are placed ------------------------------------------------------------------


def _day_weight(day: dt.date) -> float:
    return MONTH_WEIGHT[day.month - 1] * (0.2 if day.weekday() >= 5 else 1.0)


def _first_order_day(year: int) -> dt.date:
    return dt.date(year, 1, 15)


def _year_weight(year: int) -> float:
    day, end, total = _first_order_day(year), dt.date(year, 12, 31), 0.0
    while day <= end:
        total += _day_weight(day)
        day += dt.timedelta(days=1)
    return total


def _order_days(today: dt.date, now: dt.datetime) -> list[tuple[dt.date, float]]:
    out, day = [], _first_order_day(today.year)
    while day <= today:
        weight = _day_weight(day)
        if day == today:  # only the part of today that has passed
            weight *= min(max((now.hour - 9) / 9, 0), 1)
        if weight > 0:
            out.append((day, weight))
        day += dt.timedelta(days=1)
    return out


def _when(rng: random.Random, days: list[tuple[dt.date, float]], now: dt.datetime) -> dt.datetime:
    day = rng.choices([d for d, _w in days], weights=[w for _d, w in days])[0]
    at = _at(
        day, rng.choice((9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 16, 17)), rng.randrange(60)
    )
    return min(at, now - dt.timedelta(minutes=5))


# -- one order through its life ----------------------------------------------------------------


def _fee(rng: random.Random, listing: ServiceListing, size: int) -> int:
    low, high = listing.price_min_fen, listing.price_max_fen
    step = 100_000 if high - low > 5_000_000 else 10_000  # whole thousands, or hundreds, of 元
    fee = low + (high - low) * rng.random() ** (1.2, 0.7, 0.5)[size - 1]
    fee = round(fee / step) * step
    return min(max(fee, low), high)


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the contract's particulars."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 11 Tf 16 TL 72 770 Td " + " ".join(f"({esc(t)}) Tj T*" for t in lines) + " ET"
    stream = body.encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _contract(
    number: int, enterprise: Enterprise, listing: ServiceListing, fee_fen: int, on: dt.date
) -> SimpleUploadedFile:
    content = _pdf(
        [
            "TECHNICAL SERVICE CONTRACT",
            f"Contract No. HT{on.year}-{number:05d}",
            f"Client USCC: {enterprise.uscc}",
            f"Provider USCC: {listing.provider.uscc}",
            f"Contract fee: CNY {fee_fen / 100:,.2f}",
            f"Signed on {on.isoformat()}",
            "Paid in part with the Torch Innovation Voucher, Xiamen Torch High-tech Zone.",
        ]
    )
    return SimpleUploadedFile(
        f"技术服务合同HT{on.year}-{number:05d}.pdf", content, content_type="application/pdf"
    )


def _pick(rng: random.Random, items: dict[Any, float]) -> Any:
    keys = list(items)
    return rng.choices(keys, weights=[items[k] for k in keys])[0]


def _drive_one(
    rng: random.Random,
    cast: _Cast,
    enterprise: Enterprise,
    size: int,
    left_fen: int | None,
    listings: dict[str, list[ServiceListing]],
    placed: dt.datetime,
    now: dt.datetime,
    times: _Times,
) -> VoucherOrder | None:
    """Place one order and take it as far as the plan says it got by now; none when its
    deduction would exceed what the plan lets the enterprise spend (`left_fen`, when bounded)."""
    category = _pick(rng, {c: w for c, w in CATEGORY_WEIGHT[size].items() if listings.get(c)})
    # Larger firms buy the larger services of a kind, and more of them.
    choices = listings[category]
    scale = [(listing.price_max_fen / 1_000_000) ** (0.7 * (size - 1)) for listing in choices]
    listing = rng.choices(choices, weights=scale)[0]
    fee = _fee(rng, listing, size)
    if left_fen is not None and services.ratio_share(cast.scheme, fee) > left_fen:
        return None
    outcome = rng.choices(("ok", "decline", "cancel", "reject"), weights=(92.5, 2.5, 3, 2))[0]
    enterprise_actor = cast.enterprise_users[enterprise.pk]
    provider_actor = cast.provider_users[listing.provider_id]
    try:
        order = orders.place(
            actor=enterprise_actor,
            enterprise=enterprise,
            listing=listing,
            contract_fee_fen=fee,
            contract_file=_contract(len(times.orders) + 1, enterprise, listing, fee, placed.date()),
        )
    except ValidationFailed:
        return None
    stamps = times.orders[order.pk] = {"placed": placed}

    def reached(key: str, at: dt.datetime) -> bool:
        if at > now:
            return False
        stamps[key] = at
        return True

    accepted = _office(rng, placed + dt.timedelta(hours=rng.uniform(2, 80)))
    if outcome == "decline":
        if reached("closed", accepted):
            reason = rng.choice(DECLINE_REASONS)
            order = orders.decline(actor=provider_actor, order=order, reason=reason)
        return order
    if not reached("accepted", accepted):
        return order
    order = orders.accept(actor=provider_actor, order=order)
    low, high = DELIVERY_DAYS[category]
    if outcome == "cancel":
        if reached("closed", _office(rng, accepted + dt.timedelta(days=rng.uniform(2, low + 5)))):
            reason = rng.choice(CANCEL_REASONS)
            order = orders.cancel(actor=enterprise_actor, order=order, reason=reason)
        return order
    if not reached("delivered", _office(rng, accepted + dt.timedelta(days=rng.uniform(low, high)))):
        return order
    order = orders.confirm_delivery(actor=enterprise_actor, order=order)
    if rng.random() < 0.75:
        rated = stamps["delivered"] + dt.timedelta(days=rng.uniform(0.2, 12))
        if rated <= now:
            stars = rng.choices(STARS, weights=STAR_WEIGHTS)[0]
            comment = rng.choice(RATING_COMMENTS[stars])
            rating = orders.rate(actor=enterprise_actor, order=order, stars=stars, comment=comment)
            times.ratings[rating.pk] = rated
    redeemed = _office(rng, stamps["delivered"] + dt.timedelta(days=rng.uniform(1, 10)))
    if not reached("redeemed", redeemed):
        return order
    invoice = fee
    if rng.random() < 0.15:  # the fee actually invoiced came out a little lower
        invoice = max(10_000, round(fee * rng.uniform(0.8, 0.98) / 10_000) * 10_000)
    order = orders.redeem(actor=provider_actor, order=order, invoice_fee_fen=invoice)
    first = cast.staff2 if cast.staff2 and enterprise.pk in cast.staff2_sees else cast.staff
    reviewed = _office(rng, redeemed + dt.timedelta(days=rng.uniform(1, 6)))
    if reviewed > now:
        return order
    times.reviews[order.pk] = [reviewed]
    if outcome == "reject":
        stamps["closed"] = reviewed
        comment = rng.choice(REJECT_REASONS)
        return orders.review(actor=first, order=order, decision="reject", comment=comment)
    comment = rng.choice(FIRST_REVIEW_COMMENTS)
    order = orders.review(actor=first, order=order, decision="approve", comment=comment)
    if order.state == OrderState.FIRST_APPROVED:
        stamps["first_approved"] = reviewed
        reviewed = _office(rng, reviewed + dt.timedelta(days=rng.uniform(1, 7)))
        if reviewed > now:
            return order
        times.reviews[order.pk].append(reviewed)
        comment = rng.choice(SECOND_REVIEW_COMMENTS)
        order = orders.review(actor=cast.admin, order=order, decision="approve", comment=comment)
    stamps["approved"] = reviewed
    return order


# -- settlements ---------------------------------------------------------------------------------


def _settle(
    rng: random.Random,
    scheme: VoucherScheme,
    admin: Actor,
    today: dt.date,
    now: dt.datetime,
    times: _Times,
) -> None:
    """Each past quarter: one statement per provider for the orders approved in it, issued
    about ten days after the quarter, most paid two or three weeks later."""
    for quarter in range(1, 5):
        period = f"{scheme.year}Q{quarter}"
        end = settlements.period_end(period)
        issue_day = _workday(end + dt.timedelta(days=10))
        if issue_day > today:
            break
        due = settlements.due_by_provider(scheme, period)
        for index, provider in enumerate(d.provider for d in due):
            issued = _at(issue_day, 10, 0) + dt.timedelta(minutes=7 * index)
            if issued > now:
                continue
            statement = settlements.issue(
                actor=admin, scheme=scheme, provider=provider, period=period
            )
            stamps = times.settlements[statement.pk] = {"issued": issued}
            wait = rng.uniform(8, 20) if rng.random() < 0.85 else rng.uniform(30, 50)
            paid = _office(rng, issued + dt.timedelta(days=wait))
            if paid <= now:
                settlements.pay(actor=admin, settlement=statement)
                stamps["paid"] = paid
    for pk, stamps in times.settlements.items():
        if "paid" in stamps:
            VoucherSettlement.objects.filter(pk=pk).update(
                issued_at=stamps["issued"], paid_at=stamps["paid"]
            )
            VoucherOrder.objects.filter(settlement_id=pk).update(closed_at=stamps["paid"])
        else:
            VoucherSettlement.objects.filter(pk=pk).update(issued_at=stamps["issued"])
    for order_pk, settlement_pk in VoucherOrder.objects.filter(
        scheme=scheme, state=OrderState.SETTLED
    ).values_list("pk", "settlement_id"):
        times.orders[order_pk]["closed"] = times.settlements[settlement_pk]["paid"]


# -- moving the stamps back ----------------------------------------------------------------------


ORDER_STAMPS = {
    "placed": "placed_at",
    "accepted": "accepted_at",
    "delivered": "delivered_at",
    "redeemed": "redeemed_at",
    "approved": "approved_at",
    "closed": "closed_at",
}


def _stamp(model: type[Model], values: dict[int, tuple[Any, ...]], *fields: str) -> None:
    """Set `fields` of many rows, each to its own values ({pk: values}): one UPDATE run over
    all the rows (a CASE per field, as bulk_update writes, would cost more than the rest)."""
    if not values:
        return
    quote = connection.ops.quote_name
    columns: list[Field[Any, Any]] = []
    for name in fields:
        column = model._meta.get_field(name)
        assert isinstance(column, Field)
        columns.append(column)
    assignments = ", ".join(f"{quote(str(c.column))} = %s" for c in columns)
    table, key = quote(model._meta.db_table), quote(str(model._meta.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"
    rows = [
        [c.get_db_prep_save(v, connection) for c, v in zip(columns, row, strict=True)] + [pk]
        for pk, row in values.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _backdate_orders(times: _Times) -> None:
    """Orders' own timestamps and review times (settlements are issued on these)."""
    stamps: dict[int, tuple[Any, ...]] = {
        pk: tuple(times.orders[pk].get(key) for key in ORDER_STAMPS) for pk in times.orders
    }
    _stamp(VoucherOrder, stamps, *ORDER_STAMPS.values())
    reviews: dict[int, tuple[Any, ...]] = {}
    for pk, recorded in VoucherOrder.objects.filter(pk__in=list(times.reviews)).values_list(
        "pk", "reviews"
    ):
        at = [timezone.localtime(t).isoformat(timespec="minutes") for t in times.reviews[pk]]
        reviews[pk] = ([r | {"at": at[i]} if i < len(at) else r for i, r in enumerate(recorded)],)
    _stamp(VoucherOrder, reviews, "reviews")


def _backdate_records(
    scheme: VoucherScheme,
    pool: BudgetPool,
    times: _Times,
    audit_from: int,
    message_from: int,
    start: dt.datetime,
) -> None:
    """Ledger entries, reservations, ratings, notifications and audit entries to the times of
    the steps that wrote them."""
    orders_by_key = {f"voucher-order:{pk}": pk for pk in times.orders}
    opened = start + dt.timedelta(days=1)
    granted = start + dt.timedelta(days=7)
    # Ledger entries: by the reservation (order) and kind, or by the funding key.
    states = dict(VoucherOrder.objects.filter(scheme=scheme).values_list("pk", "state"))
    entry_at: dict[int, dt.datetime] = {}
    for entry_pk, kind, key, reservation_key in JournalEntry.objects.filter(pool=pool).values_list(
        "pk", "kind", "idempotency_key", "reservation__key"
    ):
        at: dt.datetime | None = times.funds.get(key)
        pk = orders_by_key.get(reservation_key or "")
        if pk is not None:
            stamps = times.orders[pk]
            approved = states[pk] in (OrderState.APPROVED, OrderState.SETTLED)
            at = {
                "reserve": stamps["placed"],
                "settle": stamps.get("approved"),
                "pay": stamps.get("closed"),
                "release": stamps.get("approved") if approved else stamps.get("closed"),
            }.get(kind)
        if at is not None:
            entry_at[entry_pk] = at
    _stamp(JournalEntry, {pk: (at,) for pk, at in entry_at.items()}, "at")
    reservations = Reservation.objects.filter(pool=pool).values_list("pk", "key")
    placed = {
        pk: (times.orders[orders_by_key[key]]["placed"],)
        for pk, key in reservations
        if key in orders_by_key
    }
    _stamp(Reservation, placed, "created_at")
    _stamp(ProviderReview, {pk: (at,) for pk, at in times.ratings.items()}, "created_at")
    # Notifications the steps sent (dedupe key voucher:<order>:<state>, and the provider's
    # notice of a new order, voucher-provider:<order>:placed).
    message_at: dict[int, dt.datetime] = {}
    for message_pk, subject_id, dedupe_key in Message.objects.filter(
        pk__gt=message_from, subject_type="vouchers.voucherorder"
    ).values_list("pk", "subject_id", "dedupe_key"):
        stamps = times.orders.get(int(subject_id), {})
        state = dedupe_key.rsplit(":", 1)[-1]
        at = (
            stamps.get("approved")
            if state == OrderState.APPROVED
            else stamps.get("placed")
            if state == OrderState.PLACED
            else stamps.get("closed")
        )
        if at is not None:
            message_at[message_pk] = at
    _stamp(Message, {pk: (at,) for pk, at in message_at.items()}, "created_at")
    deliveries = Delivery.objects.filter(message_id__in=list(message_at))
    _stamp(
        Delivery,
        {pk: (message_at[m],) for pk, m in deliveries.values_list("pk", "message_id")},
        "created_at",
    )
    VoucherScheme.objects.filter(pk=scheme.pk).update(created_at=start)
    VoucherQuota.objects.filter(scheme=scheme).update(granted_at=granted)
    BudgetPool.objects.filter(pk=pool.pk).update(created_at=start)
    LedgerAccount.objects.filter(pool=pool).update(created_at=start)
    _backdate_audit(times, audit_from, entry_at, message_at, start, opened, granted)


def _backdate_audit(
    times: _Times,
    audit_from: int,
    entry_at: dict[int, dt.datetime],
    message_at: dict[int, dt.datetime],
    start: dt.datetime,
    opened: dt.datetime,
    granted: dt.datetime,
) -> None:
    order_action = {
        "voucher_placed": "placed",
        "voucher_accepted": "accepted",
        "voucher_delivered": "delivered",
        "voucher_redeemed": "redeemed",
        "voucher_first_approved": "first_approved",
        "voucher_approved": "approved",
        "voucher_cancelled": "closed",
        "voucher_rejected": "closed",
    }
    scheme_steps = {"create": start, "update": opened, "grant_quotas": granted}

    def when(model: str, object_id: str, action: str, note: str) -> dt.datetime | None:
        pk = int(object_id)
        if model == "vouchers.voucherorder":
            stamp = order_action.get(action)
            return times.orders.get(pk, {}).get(stamp) if stamp else None
        if model == "vouchers.vouchersettlement":
            stamps = times.settlements.get(pk, {})
            return stamps.get("paid" if action.endswith("paid") else "issued")
        if model == "vouchers.voucherscheme":
            return scheme_steps.get(action)
        if model == "vouchers.providerreview":
            return times.ratings.get(pk)
        if model == "ledger.journalentry":
            return entry_at.get(pk)
        if model == "ledger.budgetpool":
            return times.funds.get(note) if action == "update" else start
        if model == "notifications.message":
            return message_at.get(pk)
        if model in ("ledger.ledgeraccount", "accounts.user"):
            return start - dt.timedelta(days=3)
        return None

    rows = AuditEntry.objects.filter(pk__gt=audit_from).values_list(
        "pk", "model", "object_id", "action", "note"
    )
    found = {pk: when(model, oid, action, note) for pk, model, oid, action, note in rows}
    _stamp(AuditEntry, {pk: (at,) for pk, at in found.items() if at is not None}, "at")


def _summary(scheme: VoucherScheme) -> Summary:
    used = VoucherOrder.objects.filter(
        scheme=scheme, state__in=(OrderState.APPROVED, OrderState.SETTLED)
    )
    return Summary(
        orders=VoucherOrder.objects.filter(scheme=scheme).count(),
        deducted_fen=int(used.aggregate(s=Sum("deduction_fen"))["s"] or 0),
        enterprises=used.values("enterprise").distinct().count(),
        settlements=VoucherSettlement.objects.filter(scheme=scheme).count(),
    )

"""Reads of the ledger. An account's balance is its running `balance_fen`, which the services
move with every posting; `check_balances` holds it equal to the sum of the postings.

These are plain selectors for services and jobs. Pages and API endpoints that show money must
go through a `visible_to(user)`-scoped selector of their own app (policies, vouchers), which
narrows the pools, reservations or owners before calling these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import F, Sum

from gaoxin.ledger.choices import NORMAL_SIDE, AccountKind, Side
from gaoxin.ledger.models import BudgetPool, LedgerAccount, Posting, Reservation

OwnerRef = tuple[str, int | str]


def sign(normal_side: str) -> int:
    """+1 for a debit-normal account, -1 for a credit-normal one."""
    return 1 if normal_side == Side.DEBIT else -1


def balance(account: LedgerAccount) -> int:
    """The account's balance in fen on its normal side (positive in the ordinary case), as of
    the database now (not of the object in hand)."""
    total = LedgerAccount.objects.filter(pk=account.pk).values_list("balance_fen", flat=True)
    return sign(account.normal_side) * int(total.get())


def posted_balance(account: LedgerAccount) -> int:
    """The account's balance summed from its postings, on its normal side: what `balance` must
    equal."""
    total = Posting.objects.filter(account=account).aggregate(s=Sum("amount_fen"))["s"] or 0
    return sign(account.normal_side) * total


def check_balances() -> list[tuple[str, int, int]]:
    """Accounts whose running balance differs from the sum of their postings, as (code,
    running, summed) in fen; empty when the ledger is consistent."""
    sums = dict(
        Posting.objects.values("account").annotate(s=Sum("amount_fen")).values_list("account", "s")
    )
    return [
        (code, running, int(sums.get(pk) or 0))
        for pk, code, running in LedgerAccount.objects.values_list("pk", "code", "balance_fen")
        if running != int(sums.get(pk) or 0)
    ]


@dataclass(frozen=True)
class PoolBalances:
    total_fen: int  # funded
    available_fen: int  # total - reserved - payable - paid
    reserved_fen: int
    payable_fen: int
    paid_fen: int

    @property
    def spent_fen(self) -> int:
        return self.payable_fen + self.paid_fen


def _pool_sums(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """{kind: balance} from rows of (account__kind, s = sum of amount_fen)."""
    sums = {str(k): 0 for k in AccountKind}
    for row in rows:
        kind = AccountKind(row["account__kind"])
        sums[kind] = sign(NORMAL_SIDE[kind]) * int(row["s"] or 0)
    return sums


def pool_balances(pool: BudgetPool) -> PoolBalances:
    """Funded, available, reserved, payable and paid of a pool: its five accounts' running
    balances, in one query."""
    rows = LedgerAccount.objects.filter(pool=pool).values("kind", "balance_fen")
    s = _pool_sums({"account__kind": r["kind"], "s": r["balance_fen"]} for r in rows)
    return PoolBalances(
        total_fen=s[AccountKind.FUNDING],
        available_fen=s[AccountKind.BUDGET],
        reserved_fen=s[AccountKind.RESERVED],
        payable_fen=s[AccountKind.PAYABLE],
        paid_fen=s[AccountKind.PAID],
    )


@dataclass(frozen=True)
class ShareBalances:
    """What some of a pool's reservations hold (the share of one data scope): reserved,
    payable and paid. The pool's funded total and available amount belong to the whole pool
    and are not part of a share."""

    reserved_fen: int
    payable_fen: int
    paid_fen: int

    @property
    def committed_fen(self) -> int:
        return self.reserved_fen + self.payable_fen + self.paid_fen


def share_balances(pool: BudgetPool, reservation_keys: Iterable[str]) -> ShareBalances:
    """Reserved, payable and paid of the pool's reservations named by `reservation_keys`, in
    one query."""
    rows = (
        Posting.objects.filter(
            account__pool=pool, entry__reservation__key__in=list(reservation_keys)
        )
        .values("account__kind")
        .annotate(s=Sum("amount_fen"))
        .order_by()
    )
    s = _pool_sums(rows)
    return ShareBalances(
        reserved_fen=s[AccountKind.RESERVED],
        payable_fen=s[AccountKind.PAYABLE],
        paid_fen=s[AccountKind.PAID],
    )


@dataclass(frozen=True)
class ReservationBalances:
    amount_fen: int  # reserved at first
    reserved_fen: int  # still reserved: neither released nor settled
    payable_fen: int  # settled, not yet paid
    paid_fen: int

    @property
    def released_fen(self) -> int:
        return self.amount_fen - self.reserved_fen - self.payable_fen - self.paid_fen


def reservation_balances(reservation: Reservation) -> ReservationBalances:
    """What one reservation holds, from its own entries' postings. The postings are found
    through the reservation's entries, not through the pool's accounts: joined with the
    accounts, SQLite walks every posting of the pool (which grows with the year) to find the
    few of this reservation, and a year of payouts or vouchers turns quadratic."""
    kinds = dict(LedgerAccount.objects.filter(pool=reservation.pool_id).values_list("pk", "kind"))
    rows = (
        Posting.objects.filter(entry__reservation=reservation)
        .values("account_id")
        .annotate(s=Sum("amount_fen"))
        .order_by()
    )
    s = _pool_sums(
        {"account__kind": kinds[r["account_id"]], "s": r["s"]}
        for r in rows
        if r["account_id"] in kinds
    )
    return ReservationBalances(
        amount_fen=reservation.amount_fen,
        reserved_fen=s[AccountKind.RESERVED],
        payable_fen=s[AccountKind.PAYABLE],
        paid_fen=s[AccountKind.PAID],
    )


Dimension = Literal["kind", "owner", "year"]


@dataclass(frozen=True)
class Total:
    kind: str | None
    owner_type: str | None
    owner_id: str | None
    year: int | None  # the budget year of the account's pool; None outside pools
    amount_fen: int  # on the account kind's normal side


def totals(
    *,
    by: Sequence[Dimension] = ("kind",),
    year: int | None = None,
    owner: OwnerRef | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Total]:
    """Balances summed per account kind, and optionally per account owner and budget year.

    `by` names the dimensions (kind is always one: money of different kinds is never added up);
    `year`, `owner` and `kinds` filter. Rows are ordered by year, owner and kind."""
    dims = ["account__kind"]
    if "owner" in by:
        dims += ["account__owner_type", "account__owner_id"]
    if "year" in by:
        dims.append("account__pool__year")
    postings = Posting.objects.all()
    if year is not None:
        postings = postings.filter(account__pool__year=year)
    if owner is not None:
        postings = postings.filter(account__owner_type=owner[0], account__owner_id=str(owner[1]))
    if kinds is not None:
        postings = postings.filter(account__kind__in=list(kinds))
    rows = postings.values(*dims).annotate(s=Sum("amount_fen")).order_by(*reversed(dims))
    out = []
    for row in rows:
        kind = row["account__kind"]
        out.append(
            Total(
                kind=kind,
                owner_type=row.get("account__owner_type"),
                owner_id=row.get("account__owner_id"),
                year=row.get("account__pool__year"),
                amount_fen=sign(NORMAL_SIDE[AccountKind(kind)]) * int(row["s"] or 0),
            )
        )
    return out


def totals_by_payee(*, year: int | None = None) -> dict[tuple[str, str], ReservationBalances]:
    """Reserved, payable and paid per payee over all reservations (of one budget year)."""
    rows = Posting.objects.filter(entry__reservation__isnull=False).exclude(
        entry__reservation__payee_type=""
    )
    if year is not None:
        rows = rows.filter(entry__reservation__pool__year=year)
    grouped = (
        rows.filter(account__pool=F("entry__reservation__pool"))
        .values("entry__reservation__payee_type", "entry__reservation__payee_id", "account__kind")
        .annotate(s=Sum("amount_fen"))
        .order_by()
    )
    per: dict[tuple[str, str], dict[str, int]] = {}
    for row in grouped:
        payee = (row["entry__reservation__payee_type"], row["entry__reservation__payee_id"])
        kind = AccountKind(row["account__kind"])
        per.setdefault(payee, {})[kind] = sign(NORMAL_SIDE[kind]) * int(row["s"] or 0)
    amounts = Reservation.objects.exclude(payee_type="")
    if year is not None:
        amounts = amounts.filter(pool__year=year)
    reserved = amounts.values("payee_type", "payee_id").annotate(s=Sum("amount_fen")).order_by()
    out = {}
    for r in reserved:
        payee = (r["payee_type"], r["payee_id"])
        s = per.get(payee, {})
        out[payee] = ReservationBalances(
            amount_fen=int(r["s"] or 0),
            reserved_fen=s.get(AccountKind.RESERVED, 0),
            payable_fen=s.get(AccountKind.PAYABLE, 0),
            paid_fen=s.get(AccountKind.PAID, 0),
        )
    return out


def accounts_of(pool: BudgetPool) -> dict[str, LedgerAccount]:
    return {a.kind: a for a in LedgerAccount.objects.filter(pool=pool)}

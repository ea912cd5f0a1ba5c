"""Every write to the ledger (docs/ledger.md). Each function runs in one transaction, records
its audit entry and carries an idempotency key: the same key again returns the entry the first
call wrote and changes nothing; the same key with a different request is a `Conflict`.

Budget checks happen under a row lock on the pool (`select_for_update`), so concurrent
reservations cannot overspend; on SQLite, whose transactions here begin IMMEDIATE, writers are
serialised anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, NotFound, ValidationFailed
from gaoxin.ledger.choices import NORMAL_SIDE, POOL_KINDS, AccountKind, EntryKind, Side
from gaoxin.ledger.models import BudgetPool, JournalEntry, LedgerAccount, Posting, Reservation
from gaoxin.ledger.money import yuan_text
from gaoxin.ledger.selectors import OwnerRef, pool_balances, reservation_balances

# One line may move at most 10^15 fen (10 万亿元): sums stay far inside a 64-bit integer.
MAX_LINE_FEN = 10**15
KEY_MAX = 200


class InsufficientBudget(Conflict):
    code = "insufficient_budget"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


@dataclass(frozen=True)
class Line:
    """One side of an entry: `amount_fen` > 0 on the debit or the credit side of `account`
    (an account or its code)."""

    account: LedgerAccount | str
    side: Side
    amount_fen: int


def debit(account: LedgerAccount | str, amount_fen: int) -> Line:
    return Line(account, Side.DEBIT, amount_fen)


def credit(account: LedgerAccount | str, amount_fen: int) -> Line:
    return Line(account, Side.CREDIT, amount_fen)


def owner_ref(obj: models.Model) -> tuple[str, str]:
    """("app.model", "pk") of a model instance, for `owner=` and `payee=`."""
    return (obj._meta.label_lower, str(obj.pk))


# --- accounts and pools -------------------------------------------------------------------


def _owner(owner: OwnerRef | None, field: str = "owner") -> tuple[str, str]:
    if owner is None:
        return ("", "")
    kind, pk = owner
    if not kind or "." not in kind or not str(pk) or len(kind) > 80 or len(str(pk)) > 64:
        raise ValidationFailed(_("所属对象应为（应用.模型, 编号）"), field=field)
    return (kind, str(pk))


ACCOUNT_FIELDS = ("code", "name", "kind", "normal_side", "owner_type", "owner_id", "pool")


def open_account(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    owner: OwnerRef | None = None,
    normal_side: str | None = None,
) -> LedgerAccount:
    """A new account outside the budget pools (a pool's accounts come with `create_pool`);
    `normal_side` defaults by kind. An existing code is a Conflict."""
    return _open_account(
        actor=actor, code=code, name=name, kind=kind, owner=owner, normal_side=normal_side
    )


@transaction.atomic
def _open_account(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    owner: OwnerRef | None = None,
    normal_side: str | None = None,
    pool: BudgetPool | None = None,
) -> LedgerAccount:
    if kind not in AccountKind.values:
        raise ValidationFailed(_("未知科目类别：%(k)s") % {"k": kind}, field="kind")
    side = normal_side or NORMAL_SIDE[AccountKind(kind)]
    if side not in Side.values:
        raise ValidationFailed(_("余额方向应为借方或贷方"), field="normal_side")
    code, name = code.strip(), name.strip()
    if not code or not name or len(code) > 100 or len(name) > 200:
        raise ValidationFailed(
            _("科目代码和名称必填，代码不超过 100 字，名称不超过 200 字"), field="code"
        )
    taken = Conflict(_("科目代码 %(c)s 已存在") % {"c": code}, field="code")
    if LedgerAccount.objects.filter(code=code).exists():
        raise taken
    owner_type, owner_id = _owner(owner)
    try:
        with transaction.atomic():  # a concurrent call may take the code first
            account = LedgerAccount.objects.create(
                code=code,
                name=name,
                kind=kind,
                normal_side=side,
                owner_type=owner_type,
                owner_id=owner_id,
                pool=pool,
            )
    except IntegrityError:
        raise taken from None
    record_change(
        actor=actor,
        action="create",
        obj=account,
        after=snapshot(account, ACCOUNT_FIELDS),
        subject=pool if pool is not None else account,
    )
    return account


@transaction.atomic
def create_pool(*, actor: Actor, name: str, owner: OwnerRef, year: int) -> BudgetPool:
    """A budget pool of `owner` for `year`, with its five accounts, funded by `fund_budget`.
    One pool per owner and year: a second is a Conflict."""
    owner_type, owner_id = _owner(owner)
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(_("预算名称必填，不超过 200 字"), field="name")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationFailed(_("预算年度应在 2000 至 2100 年之间"), field="year")
    taken = Conflict(_("该对象 %(y)s 年度的预算池已存在") % {"y": year}, field="year")
    if BudgetPool.objects.filter(owner_type=owner_type, owner_id=owner_id, year=year).exists():
        raise taken
    try:
        with transaction.atomic():  # a concurrent call may create it first
            pool = BudgetPool.objects.create(
                name=name, owner_type=owner_type, owner_id=owner_id, year=year
            )
    except IntegrityError:
        raise taken from None
    record_change(
        actor=actor,
        action="create",
        obj=pool,
        after=snapshot(pool, ("name", "owner_type", "owner_id", "year", "total_fen")),
    )
    for kind in POOL_KINDS:
        _open_account(
            actor=actor,
            code=f"pool-{pool.pk}-{kind}",
            name=f"{name}（{year}）{AccountKind(kind).label}",
            kind=kind,
            owner=(owner_type, owner_id),
            pool=pool,
        )
    return pool


# --- entries -------------------------------------------------------------------------------


def _fingerprint(request: dict[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX:
        raise ValidationFailed(
            _("幂等键必填，且不超过 %(n)s 个字符") % {"n": KEY_MAX}, field="idempotency_key"
        )
    return key


def _check_amount(amount_fen: object, field: str = "amount_fen") -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise ValidationFailed(_("金额应为整数分"), field=field)
    if not 0 < amount_fen <= MAX_LINE_FEN:
        raise ValidationFailed(_("金额应大于 0 且不超过 10 万亿元"), field=field)
    return amount_fen


def _replay(key: str, fingerprint: str) -> JournalEntry | None:
    """The entry an earlier call with `key` wrote, if any; a different request is refused."""
    entry = JournalEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and entry.fingerprint != fingerprint:
        raise IdempotencyConflict(
            _("幂等键 %(k)s 已用于另一笔不同的记账请求") % {"k": key}, field="idempotency_key"
        )
    return entry


def _once(key: str, fingerprint: str, write: Callable[[], JournalEntry]) -> JournalEntry:
    """Run `write` in its own transaction (a savepoint inside an outer one). If a concurrent
    call with the same key committed first, the unique constraint fails our insert: the
    transaction is rolled back and the winner's entry is returned (or refused if it differs)."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        entry = _replay(key, fingerprint)
        if entry is None:
            raise
        return entry


def _write_entry(
    *,
    actor: Actor,
    kind: str,
    key: str,
    fingerprint: str,
    lines: Sequence[Line],
    memo: str,
    pool: BudgetPool | None = None,
    reservation: Reservation | None = None,
    audit_subject: models.Model | None = None,
    read_accounts: bool = True,
) -> JournalEntry:
    """Validate and insert a balanced entry with its postings and audit entry. The lines'
    accounts are read back from the database, unless the caller has just read them itself in
    this transaction (`read_accounts=False`: a pool's own accounts, `_pool_accounts`)."""
    if len(lines) < 2:
        raise ValidationFailed(_("一笔分录至少有两行"), field="lines")
    for line in lines:
        if line.side not in Side.values:
            raise ValidationFailed(_("借贷方向应为借方或贷方"), field="lines")
        _check_amount(line.amount_fen, field="lines")
    if read_accounts:
        accounts = _resolve_accounts(lines)
    else:
        assert all(isinstance(line.account, LedgerAccount) for line in lines)
        accounts = [line.account for line in lines]  # type: ignore[misc]
    signed = [
        (accounts[i], line.amount_fen if line.side == Side.DEBIT else -line.amount_fen)
        for i, line in enumerate(lines)
    ]
    debits = sum(a for _acc, a in signed if a > 0)
    credits = -sum(a for _acc, a in signed if a < 0)
    if debits != credits:
        raise ValidationFailed(
            _("借贷不平衡：借方 %(d)s 元，贷方 %(c)s 元")
            % {"d": yuan_text(debits), "c": yuan_text(credits)},
            field="lines",
        )
    entry = JournalEntry.objects.create(
        kind=kind,
        memo=memo[:300],
        actor_label=actor.label[:150],
        idempotency_key=key,
        fingerprint=fingerprint,
        pool=pool,
        reservation=reservation,
    )
    Posting.objects.bulk_create(
        [Posting(entry=entry, account=acc, amount_fen=amount) for acc, amount in signed]
    )
    _move_balances(signed)
    record_change(
        actor=actor,
        action=kind,
        obj=entry,
        after={
            "idempotency_key": key,
            "kind": kind,
            "memo": entry.memo,
            "amount_fen": debits,
            "postings": [[acc.code, amount] for acc, amount in signed],
        },
        subject=audit_subject or pool or entry,
    )
    return entry


def _move_balances(signed: Sequence[tuple[LedgerAccount, int]]) -> None:
    """Add the entry's postings to its accounts' running balances, in the caller's transaction.
    Accounts are updated in id order so two entries over the same accounts can't deadlock."""
    moves: dict[int, int] = {}
    for acc, amount in signed:
        moves[acc.pk] = moves.get(acc.pk, 0) + amount
    for pk in sorted(moves):
        if moves[pk]:
            LedgerAccount.objects.filter(pk=pk).update(
                balance_fen=models.F("balance_fen") + moves[pk]
            )


def _resolve_accounts(lines: Sequence[Line]) -> list[LedgerAccount]:
    """The lines' accounts, read back from the database: every one must exist."""
    ids = {line.account.pk for line in lines if isinstance(line.account, LedgerAccount)}
    codes = {line.account for line in lines if isinstance(line.account, str)}
    found = LedgerAccount.objects.filter(models.Q(pk__in=ids) | models.Q(code__in=codes))
    by_id = {a.pk: a for a in found}
    by_code = {a.code: a for a in found}
    out = []
    for line in lines:
        acc = line.account
        got = by_id.get(acc.pk) if isinstance(acc, LedgerAccount) else by_code.get(acc)
        if got is None:
            label = acc.code if isinstance(acc, LedgerAccount) else acc
            raise ValidationFailed(_("账户不存在：%(c)s") % {"c": label}, field="lines")
        out.append(got)
    return out


def post_entry(
    *,
    actor: Actor,
    lines: Sequence[Line],
    key: str,
    memo: str = "",
    kind: str = EntryKind.MANUAL,
) -> JournalEntry:
    """The low-level write: a balanced entry from `lines` (each a positive amount on one side
    of an existing account). Refused unless debits equal credits. Pool accounts are moved by
    the services below, never here, so their invariants hold."""
    key = _check_key(key)
    if kind not in EntryKind.values:
        raise ValidationFailed(_("未知分录类型：%(k)s") % {"k": kind}, field="kind")
    request = {
        "op": "post",
        "kind": kind,
        "lines": sorted(
            [
                str(line.account.code if isinstance(line.account, LedgerAccount) else line.account),
                str(line.side),
                line.amount_fen,
            ]
            for line in lines
        ),
    }
    fingerprint = _fingerprint(request)

    def write() -> JournalEntry:
        existing = _replay(key, fingerprint)
        if existing is not None:
            return existing
        accounts = _resolve_accounts(lines)
        if any(a.pool_id is not None for a in accounts):
            raise ValidationFailed(_("预算池账户只能通过预算服务记账"), field="lines")
        return _write_entry(
            actor=actor, kind=kind, key=key, fingerprint=fingerprint, lines=lines, memo=memo
        )

    return _once(key, fingerprint, write)


# --- budget pools ------------------------------------------------------------------------------


def _pool_accounts(pool: BudgetPool) -> dict[str, LedgerAccount]:
    return {a.kind: a for a in LedgerAccount.objects.filter(pool=pool)}


def _locked_pool(pool: BudgetPool) -> BudgetPool:
    try:
        return BudgetPool.objects.select_for_update().get(pk=pool.pk)
    except BudgetPool.DoesNotExist:
        raise NotFound(_("预算池不存在")) from None


def fund_budget(
    *, pool: BudgetPool, amount_fen: int, actor: Actor, memo: str = "", key: str | None = None
) -> JournalEntry:
    """Add `amount_fen` to the pool's budget (拨入): debit budget, credit funding.

    Callers outside the ledger pass no key: the entry is named `fund:<pool>:<n>`, the pool's
    n-th funding, numbered under the pool's row lock, so each call adds once and no key a
    client could choose is ever involved (a safe retry of a funding request is the web
    layer's `Idempotency-Key`, `gaoxin.core.idempotency`). An explicit key (the ledger's own
    tests) makes the call idempotent on that key."""
    amount_fen = _check_amount(amount_fen)
    fingerprint = _fingerprint({"op": "fund", "pool": pool.pk, "amount_fen": amount_fen})

    def write(key: str | None) -> JournalEntry:
        locked = _locked_pool(pool)
        if key is None:
            key = _next_fund_key(locked)
        else:
            existing = _replay(key, fingerprint)
            if existing is not None:
                return existing
        acc = _pool_accounts(locked)
        before = snapshot(locked, ["total_fen"])
        entry = _write_entry(
            actor=actor,
            kind=EntryKind.FUND,
            key=key,
            fingerprint=fingerprint,
            lines=[
                debit(acc[AccountKind.BUDGET], amount_fen),
                credit(acc[AccountKind.FUNDING], amount_fen),
            ],
            memo=memo,
            pool=locked,
            read_accounts=False,
        )
        locked.total_fen += amount_fen
        locked.save(update_fields=["total_fen"])
        record_change(
            actor=actor,
            action="update",
            obj=locked,
            before=before,
            after=snapshot(locked, ["total_fen"]),
            note=key,
        )
        pool.total_fen = locked.total_fen
        return entry

    if key is None:
        with transaction.atomic():
            return write(None)
    checked = _check_key(key)
    return _once(checked, fingerprint, lambda: write(checked))


def _next_fund_key(locked: BudgetPool) -> str:
    """`fund:<pool>:<n>` for the pool's next funding; the caller holds the pool's row lock."""
    n = JournalEntry.objects.filter(pool=locked, kind=EntryKind.FUND).count() + 1
    while JournalEntry.objects.filter(idempotency_key=f"fund:{locked.pk}:{n}").exists():
        n += 1
    return f"fund:{locked.pk}:{n}"


def _payee(payee: OwnerRef | None) -> tuple[str, str]:
    return _owner(payee, field="payee")


def reserve(
    *,
    pool: BudgetPool,
    amount_fen: int,
    actor: Actor,
    key: str,
    memo: str = "",
    payee: OwnerRef | None = None,
) -> JournalEntry:
    """Set `amount_fen` aside for one payout or order: debit reserved, credit budget. Refused
    with InsufficientBudget if the pool's available amount is smaller, checked under the pool's
    row lock. The key also names the reservation (`release`, `settle`, `pay` take it)."""
    key, amount_fen = _check_key(key), _check_amount(amount_fen)
    payee_type, payee_id = _payee(payee)
    request = {"op": "reserve", "pool": pool.pk, "amount_fen": amount_fen}
    fingerprint = _fingerprint(request | {"payee": [payee_type, payee_id]})

    def write() -> JournalEntry:
        locked = _locked_pool(pool)
        existing = _replay(key, fingerprint)
        if existing is not None:
            return existing
        available = pool_balances(locked).available_fen
        if amount_fen > available:
            raise InsufficientBudget(
                _("预算余额不足：可用 %(a)s 元，需 %(n)s 元")
                % {"a": yuan_text(available), "n": yuan_text(amount_fen)},
                field="amount_fen",
                details={"available_fen": available, "needed_fen": amount_fen},
            )
        reservation = Reservation.objects.create(
            key=key,
            pool=locked,
            amount_fen=amount_fen,
            payee_type=payee_type,
            payee_id=payee_id,
            memo=memo[:300],
        )
        acc = _pool_accounts(locked)
        return _write_entry(
            actor=actor,
            kind=EntryKind.RESERVE,
            key=key,
            fingerprint=fingerprint,
            lines=[
                debit(acc[AccountKind.RESERVED], amount_fen),
                credit(acc[AccountKind.BUDGET], amount_fen),
            ],
            memo=memo,
            pool=locked,
            reservation=reservation,
            read_accounts=False,
        )

    return _once(key, fingerprint, write)


def _locked_reservation(reservation_key: str) -> Reservation:
    try:
        return (
            Reservation.objects.select_for_update().select_related("pool").get(key=reservation_key)
        )
    except Reservation.DoesNotExist:
        raise NotFound(
            _("预留不存在：%(k)s") % {"k": reservation_key}, field="reservation_key"
        ) from None


def release(
    *, reservation_key: str, actor: Actor, key: str | None = None, memo: str = ""
) -> JournalEntry:
    """Give back to the budget what is still reserved (all of it if nothing was settled):
    debit budget, credit reserved. `key` defaults to "release:<reservation_key>", so releasing
    twice releases once. Nothing left to release is a Conflict."""
    # A reservation key has at most KEY_MAX characters: the derived key fits the column.
    key = f"release:{reservation_key}" if key is None else _check_key(key)
    fingerprint = _fingerprint({"op": "release", "reservation": reservation_key})

    def write() -> JournalEntry:
        reservation = _locked_reservation(reservation_key)
        existing = _replay(key, fingerprint)
        if existing is not None:
            return existing
        remaining = reservation_balances(reservation).reserved_fen
        if remaining <= 0:
            raise Conflict(
                _("预留 %(k)s 已无可释放的金额") % {"k": reservation_key},
                field="reservation_key",
            )
        acc = _pool_accounts(reservation.pool)
        return _write_entry(
            actor=actor,
            kind=EntryKind.RELEASE,
            key=key,
            fingerprint=fingerprint,
            lines=[
                debit(acc[AccountKind.BUDGET], remaining),
                credit(acc[AccountKind.RESERVED], remaining),
            ],
            memo=memo,
            pool=reservation.pool,
            reservation=reservation,
            read_accounts=False,
        )

    return _once(key, fingerprint, write)


def settle(
    *,
    reservation_key: str,
    actor: Actor,
    key: str,
    amount_fen: int | None = None,
    memo: str = "",
) -> JournalEntry:
    """Confirm that `amount_fen` (default: all still reserved) is owed: debit payable, credit
    reserved. More than is still reserved is refused; what is not settled stays reserved until
    `release`."""
    return _transfer(
        op="settle",
        kind=EntryKind.SETTLE,
        reservation_key=reservation_key,
        actor=actor,
        key=key,
        amount_fen=amount_fen,
        memo=memo,
        source=AccountKind.RESERVED,
        target=AccountKind.PAYABLE,
        held=lambda balances: balances.reserved_fen,
        nothing=lambda: _("预留 %(k)s 已无可结算的金额") % {"k": reservation_key},
        too_much=lambda held, amount: (
            _("结算金额超过预留余额：预留余额 %(r)s 元，结算 %(a)s 元")
            % {"r": yuan_text(held), "a": yuan_text(amount)}
        ),
    )


def pay(
    *,
    reservation_key: str,
    actor: Actor,
    key: str,
    amount_fen: int | None = None,
    memo: str = "",
) -> JournalEntry:
    """Record that `amount_fen` (default: all settled and unpaid) was paid out: debit paid,
    credit payable. More than is payable is refused."""
    return _transfer(
        op="pay",
        kind=EntryKind.PAY,
        reservation_key=reservation_key,
        actor=actor,
        key=key,
        amount_fen=amount_fen,
        memo=memo,
        source=AccountKind.PAYABLE,
        target=AccountKind.PAID,
        held=lambda balances: balances.payable_fen,
        nothing=lambda: _("预留 %(k)s 没有待支付的应付金额") % {"k": reservation_key},
        too_much=lambda held, amount: (
            _("支付金额超过应付余额：应付 %(p)s 元，支付 %(a)s 元")
            % {"p": yuan_text(held), "a": yuan_text(amount)}
        ),
    )


def _transfer(
    *,
    op: str,
    kind: str,
    reservation_key: str,
    actor: Actor,
    key: str,
    amount_fen: int | None,
    memo: str,
    source: str,
    target: str,
    held: Callable[[Any], int],
    nothing: Callable[[], str],
    too_much: Callable[[int, int], str],
) -> JournalEntry:
    """Move all or part of what a reservation holds on `source` to `target` (settle: reserved
    → payable; pay: payable → paid), once per key, under the reservation's row lock."""
    key = _check_key(key)
    if amount_fen is not None:
        _check_amount(amount_fen)
    fingerprint = _fingerprint({"op": op, "reservation": reservation_key, "amount_fen": amount_fen})

    def write() -> JournalEntry:
        reservation = _locked_reservation(reservation_key)
        existing = _replay(key, fingerprint)
        if existing is not None:
            return existing
        available = held(reservation_balances(reservation))
        if available <= 0:
            raise Conflict(nothing(), field="reservation_key")
        amount = available if amount_fen is None else amount_fen
        if amount > available:
            raise Conflict(too_much(available, amount), field="amount_fen")
        acc = _pool_accounts(reservation.pool)
        return _write_entry(
            actor=actor,
            kind=kind,
            key=key,
            fingerprint=fingerprint,
            lines=[debit(acc[target], amount), credit(acc[source], amount)],
            memo=memo,
            pool=reservation.pool,
            reservation=reservation,
            read_accounts=False,
        )

    return _once(key, fingerprint, write)

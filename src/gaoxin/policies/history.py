"""What each enterprise already received: the payout history the rules read (`received()`,
`times_received()`, `once_per`, `lifetime_cap`, `excludes`; rules/history.py) as the item table
`payouts` — one row per payout that counts, in one query for a whole partition.

A payout counts from the enterprise's confirmation on (企业已确认, 已核验, 已审批, 已拨付, 已公示,
已归档; an approved application's payout starts at 已核验): by then its amount is decided and it
is on its way to the ledger. Identified and pushed payouts don't count (they may still be
rejected or never confirmed — and the unique constraint already stops a second payout of the
same policy, year and item), nor rejected ones. A person's payout is the person's, not the
enterprise's, and is left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gaoxin.policies.choices import PayoutState
from gaoxin.policies.models import Payout

S = PayoutState
COUNTED = (S.CONFIRMED, S.VERIFIED, S.APPROVED, S.PAID, S.PUBLISHED, S.ARCHIVED)


def payout_rows(which: tuple[str, Any]) -> list[dict[str, Any]]:
    """The counted payouts of the enterprises in `which` (("in", ids) or ("range", (first,
    last)), as enterprises.people reads item tables): enterprise_id, policy (its id in the
    rules, the slug), year, amount (yuan) and item."""
    from gaoxin.enterprises.people import _scoped

    qs = _scoped(Payout.objects, "enterprise_id", which).filter(
        state__in=COUNTED, person__isnull=True, amount_fen__isnull=False
    )
    rows = qs.order_by("enterprise_id", "pk").values_list(
        "enterprise_id", "policy__slug", "year", "amount_fen", "item"
    )
    return [
        {
            "enterprise_id": e,
            "policy": slug,
            "year": year,
            "amount": Decimal(fen) / 100,
            "item": item or None,
        }
        for e, slug, year, fen, item in rows
    ]

"""The ledger holds no demo data of its own: every posting comes from an app's demo through its
services. `reset` clears what is left when those apps have reset theirs."""

from __future__ import annotations

from gaoxin.ledger.models import BudgetPool, JournalEntry, LedgerAccount, Posting, Reservation


def reset() -> None:
    Posting.objects.all().delete()
    JournalEntry.objects.all().delete()
    Reservation.objects.all().delete()
    LedgerAccount.objects.all().delete()
    BudgetPool.objects.all().delete()

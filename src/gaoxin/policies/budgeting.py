"""Fitting a list of payouts to the budget left, in integer fen: prorate (按比例) or rank and
cut (按排序截断). Pure functions; `payouts.identify` applies them and audits the choice."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Allocation(models.TextChoices):
    """What an operator chose for a list that exceeds the budget left."""

    PRORATE = "prorate", _("按比例分配")
    RANK = "rank", _("按排序截断")


class RankOrder(models.TextChoices):
    """The stated order of 按排序截断: who is paid first."""

    AMOUNT_DESC = "amount_desc", _("金额从高到低")
    AMOUNT_ASC = "amount_asc", _("金额从低到高")
    EARLIEST = "earliest", _("成立时间从早到晚")


@dataclass(frozen=True)
class Item:
    """One enterprise's expected amount; `key` breaks ties deterministically (its id)."""

    key: Hashable
    fen: int
    name: str = ""
    registered: Any = None  # a date, for RankOrder.EARLIEST


def prorate_fen(items: Sequence[Item], budget_fen: int) -> dict[Hashable, int]:
    """Each amount × budget / total, floored to the fen; the fen left over go one each to the
    largest remainders (ties: the smaller key first). The sum is exactly min(total, budget);
    nobody receives more than asked. Items that fall to 0 fen are kept (the caller drops them)."""
    total = sum(i.fen for i in items)
    if budget_fen < 0:
        raise ValueError("budget must not be negative")
    if total <= budget_fen:
        return {i.key: i.fen for i in items}
    quotients = {i.key: i.fen * budget_fen // total for i in items}
    remainders = sorted(items, key=lambda i: (-(i.fen * budget_fen % total), _sortable(i.key)))
    leftover = budget_fen - sum(quotients.values())
    for item in remainders[:leftover]:
        quotients[item.key] += 1
    return quotients


def rank_and_cut(items: Sequence[Item], budget_fen: int, order: str) -> dict[Hashable, int]:
    """Pay in the stated order, in full, while the budget lasts; the list stops at the first
    enterprise that no longer fits (a later, smaller one does not jump the queue)."""
    kept: dict[Hashable, int] = {}
    left = budget_fen
    for item in ranked(items, order):
        if item.fen > left:
            break
        kept[item.key] = item.fen
        left -= item.fen
    return kept


def ranked(items: Sequence[Item], order: str) -> list[Item]:
    if order == RankOrder.AMOUNT_DESC:
        return sorted(items, key=lambda i: (-i.fen, _sortable(i.key)))
    if order == RankOrder.AMOUNT_ASC:
        return sorted(items, key=lambda i: (i.fen, _sortable(i.key)))
    if order == RankOrder.EARLIEST:
        return sorted(
            items, key=lambda i: (i.registered is None, i.registered or 0, _sortable(i.key))
        )
    raise ValueError(f"unknown order {order!r}")


def _sortable(key: Hashable) -> tuple[str, Any]:
    return (type(key).__name__, key)

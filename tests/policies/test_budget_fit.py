"""Fitting a payout list to the budget left, in integer fen: prorate never exceeds the budget,
spends all of it, pays nobody more than asked and is deterministic; rank-and-cut pays in the
stated order and stops at the first that does not fit."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaoxin.policies.budgeting import Item, RankOrder, prorate_fen, rank_and_cut

amounts = st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=40)


@given(amounts, st.integers(min_value=0, max_value=10**13))
def test_prorate_spends_exactly_the_budget_and_never_more_than_asked(
    fen: list[int], budget: int
) -> None:
    items = [Item(key=i, fen=f) for i, f in enumerate(fen)]
    paid = prorate_fen(items, budget)
    assert sum(paid.values()) == min(sum(fen), budget)
    assert all(0 <= paid[i.key] <= i.fen for i in items)
    # Each gets its exact share floored, plus at most one fen.
    total = sum(fen)
    if total > budget:
        for i in items:
            assert i.fen * budget // total <= paid[i.key] <= i.fen * budget // total + 1
    assert prorate_fen(list(reversed(items)), budget) == paid  # order of the list is irrelevant


def test_prorate_gives_leftover_fen_to_the_largest_remainders_ties_by_key() -> None:
    items = [Item("a", 100), Item("b", 100), Item("c", 100)]
    assert prorate_fen(items, 100) == {"a": 34, "b": 33, "c": 33}
    assert prorate_fen([Item(2, 1), Item(1, 1)], 1) == {1: 1, 2: 0}


def test_prorate_refuses_a_negative_budget() -> None:
    with pytest.raises(ValueError):
        prorate_fen([Item(1, 10)], -1)


def test_rank_and_cut_pays_in_order_and_stops_at_the_first_that_does_not_fit() -> None:
    items = [
        Item(1, 50_00, "乙", dt.date(2020, 1, 1)),
        Item(2, 30_00, "甲", dt.date(2010, 1, 1)),
        Item(3, 10_00, "丙", None),
    ]
    assert rank_and_cut(items, 60_00, RankOrder.AMOUNT_DESC) == {1: 50_00}  # 30 doesn't fit
    assert rank_and_cut(items, 60_00, RankOrder.AMOUNT_ASC) == {3: 10_00, 2: 30_00}
    assert rank_and_cut(items, 80_00, RankOrder.EARLIEST) == {2: 30_00, 1: 50_00}
    assert list(rank_and_cut(items, 10**9, RankOrder.EARLIEST)) == [2, 1, 3]  # unknown last
    with pytest.raises(ValueError):
        rank_and_cut(items, 1, "random")


@given(amounts, st.integers(min_value=0, max_value=10**13), st.sampled_from(RankOrder.values))
def test_rank_and_cut_never_exceeds_the_budget_and_pays_in_full(
    fen: list[int], budget: int, order: str
) -> None:
    items = [Item(key=i, fen=f, name=str(f)) for i, f in enumerate(fen)]
    kept = rank_and_cut(items, budget, order)
    assert sum(kept.values()) <= budget
    assert all(kept[k] == fen[k] for k in kept)  # whoever is kept is paid in full

"""One reading of typed numbers for every form, schema and import (core/numbers.py): the units
people write are understood; everything else is refused with a message, never an exception a
person would see as a server error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from gaoxin.core import numbers
from gaoxin.core.fields import IntField, MoneyField, PercentField, TextField


@pytest.mark.parametrize(
    "typed,yuan",
    [
        ("12345.67", "12345.67"),
        ("5000万", "50000000.00"),
        ("5,000万元", "50000000.00"),
        ("1.2亿", "120000000.00"),
        ("￥300", "300.00"),
        ("５０００万", "50000000.00"),  # full-width, as typed through a Chinese IME
        ("１２，３４５．６７", "12345.67"),
        (" 800 元 ", "800.00"),
        (12, "12.00"),
        (Decimal("0.5"), "0.50"),
    ],
)
def test_money_is_read_as_people_write_it(typed: object, yuan: str) -> None:
    assert numbers.parse_money(typed) == Decimal(yuan)


@pytest.mark.parametrize(
    "typed",
    [
        "10²",
        "1e5",
        "NaN",
        "Infinity",
        "-Infinity",
        "abc",
        "",
        "1.2.3",
        "万",
        "5000万亿",
        "١٢٣",
        "100000000000000000000",
        "0.001",
        "-5",
        True,
        1.5,
        None,
        "1" * 80,
        "12\x00",
    ],
)
def test_money_refuses_what_is_not_an_amount(typed: object) -> None:
    with pytest.raises(numbers.NumberError) as refused:
        numbers.parse_money(typed)
    assert "<class" not in str(refused.value) and str(refused.value)


def test_money_bound_is_ten_trillion_yuan() -> None:
    assert numbers.parse_fen("10万亿") == numbers.MAX_FEN
    with pytest.raises(numbers.NumberError, match="金额过大"):
        numbers.parse_money("10.01万亿")
    assert numbers.parse_money("-3万", negative=True) == Decimal("-30000.00")


@pytest.mark.parametrize(
    "typed,ratio",
    [
        ("35", "0.35"),
        ("35%", "0.35"),
        ("３５％", "0.35"),
        ("12.5", "0.125"),
        ("0", "0"),
        ("100%", "1"),
    ],
)
def test_rates_are_percentages(typed: str, ratio: str) -> None:
    assert numbers.parse_percent(typed) == Decimal(ratio)


@pytest.mark.parametrize("typed", ["101", "-1", "35%%", "1e1", "NaN", "²", "0.001"])
def test_rates_out_of_range_or_malformed_are_refused(typed: str) -> None:
    with pytest.raises(numbers.NumberError):
        numbers.parse_percent(typed)


def test_integers_within_bounds() -> None:
    assert numbers.parse_int("１２３") == 123
    assert numbers.parse_int("1,200") == 1200
    for bad in ("10²", "1e3", "1.5", str(2**64), True, "", "-1"):
        with pytest.raises(numbers.NumberError):
            numbers.parse_int(bad, maximum=2**63 - 1)


class Sample(forms.Form):
    budget = MoneyField(label="预算")
    cap = MoneyField(label="上限", fen=True)
    ratio = PercentField(label="比例")
    stars = IntField(label="星级", minimum=1, maximum=5)
    name = TextField(label="名称", max_length=10)


def test_the_form_fields_clean_to_values_or_field_errors() -> None:
    form = Sample({"budget": "5000万", "cap": "1.5万", "ratio": "35%", "stars": "５", "name": "甲"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "budget": Decimal("50000000.00"),
        "cap": 1_500_000,
        "ratio": Decimal("0.35"),
        "stars": 5,
        "name": "甲",
    }
    bad = Sample({"budget": "10²", "cap": "1" * 21, "ratio": "NaN", "stars": "6", "name": "x\x00"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"budget", "cap", "ratio", "stars", "name"}
    assert "<class" not in str(bad.errors)

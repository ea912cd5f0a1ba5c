from decimal import Decimal

import pytest

from gaoxin.core.errors import ValidationFailed
from gaoxin.ledger.money import to_fen, to_yuan, yuan_text


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        (Decimal("12.34"), 1234),
        ("0.005", 1),  # half up
        ("0.0049", 0),
        ("-0.005", -1),  # ties away from zero
        ("2.675", 268),  # a float would give 2.67499999…
        (" 5000 ", 500_000),
        (7, 700),
        ("1E+2", 10_000),
        ("57000000.00", 5_700_000_000),
    ],
)
def test_to_fen_is_exact_half_up(yuan: object, fen: int) -> None:
    assert to_fen(yuan) == fen  # type: ignore[arg-type]


def test_to_yuan_has_two_places() -> None:
    assert to_yuan(1234) == Decimal("12.34")
    assert str(to_yuan(5)) == "0.05"
    assert str(to_yuan(-100)) == "-1.00"
    assert yuan_text(5_700_000_000) == "57,000,000.00"


@pytest.mark.parametrize("bad", [0.1, True, None])
def test_floats_and_others_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        to_fen(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["12元", "", "NaN", "Infinity"])
def test_bad_text_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed, match="金额格式不正确"):
        to_fen(bad)


def test_round_trip() -> None:
    for fen in (0, 1, 99, 100, 123_456_789, -42):
        assert to_fen(to_yuan(fen)) == fen

import datetime as dt
from decimal import Decimal

import pytest

from gaoxin import catalogue
from gaoxin.enterprises.values import InvalidValue, parse_value

F = catalogue.BY_NAME


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("500万", Decimal("5000000.00")),
        ("2亿", Decimal("200000000.00")),
        ("1,234.56", Decimal("1234.56")),
        ("1.5万元", Decimal("15000.00")),
        (1234.56, Decimal("1234.56")),
        (0.1 + 0.2, None),
        (12, Decimal("12.00")),
        ("  ", None),
        (None, None),
    ],
)
def test_money(raw: object, value: Decimal | None) -> None:
    if raw == 0.1 + 0.2:  # 0.30000000000000004: more than two places, refused not rounded
        with pytest.raises(InvalidValue, match="两位小数"):
            parse_value(F["revenue"], raw)
        return
    assert parse_value(F["revenue"], raw) == value


def test_profit_may_be_negative_revenue_may_not() -> None:
    assert parse_value(F["profit"], "-20万") == Decimal("-200000.00")
    with pytest.raises(InvalidValue, match="不能为负数"):
        parse_value(F["revenue"], "-1")


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-06-30", dt.date(2024, 6, 30)),
        ("2024/6/30", dt.date(2024, 6, 30)),
        ("2024年6月30日", dt.date(2024, 6, 30)),
        (45473, dt.date(2024, 6, 30)),
        (dt.datetime(2024, 6, 30, 8), dt.date(2024, 6, 30)),
    ],
)
def test_dates(raw: object, day: dt.date) -> None:
    assert parse_value(F["registered_at"], raw) == day


@pytest.mark.parametrize("raw", ["2024-02-30", "明年", "3024-01-01"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(InvalidValue, match="应为日期"):
        parse_value(F["registered_at"], raw)


def test_integers_booleans_codes() -> None:
    assert parse_value(F["employees"], 12.0) == 12
    with pytest.raises(InvalidValue, match="应为整数"):
        parse_value(F["employees"], "12.5")
    assert parse_value(F["in_zone"], "是") is True and parse_value(F["in_zone"], "N") is False
    with pytest.raises(InvalidValue, match="是”或“否"):
        parse_value(F["in_zone"], "也许")
    assert parse_value(F["industry"], "c3974") == "C3974"
    with pytest.raises(InvalidValue, match="GB/T 4754"):
        parse_value(F["industry"], "3974")
    assert parse_value(F["chain"], "半导体和集成电路") == "ic"
    assert parse_value(F["chain"], "本园自定义链") == "本园自定义链"

from decimal import Decimal

from gaoxin.core import formatting


def test_money_picks_the_unit_by_size_and_rounds_half_up() -> None:
    assert formatting.money(Decimal("1234.565")) == "1,234.57 元"
    assert formatting.money(Decimal("1234567.89")) == "123.46 万元"
    assert formatting.money(Decimal("1234567890")) == "12.35 亿元"
    assert formatting.money(None) == "—"
    assert formatting.money(Decimal("1e20")) == "1,000,000,000,000.00 亿元"  # never 1E+12


def test_percent_and_ratio() -> None:
    assert formatting.percent(formatting.ratio(46, 1000)) == "4.60%"
    assert formatting.ratio(1, 0) is None and formatting.percent(None) == "—"

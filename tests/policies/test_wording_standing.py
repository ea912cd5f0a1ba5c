"""Shortfalls of the newer rule functions read as people say them (policies.wording): a
growth rate, a rank or percentile among peers, a peers' average, a fallback, a parameter as of
a date — no function names left for the enterprise to read."""

from __future__ import annotations

import pytest

from gaoxin.policies.wording import humanise

from .test_plain_words import developer_words


@pytest.mark.parametrize(
    "text, read",
    [
        (
            "rank(growth(revenue, Y-1), chain) 3，需 ≤ 2",
            "营业收入增长率（2025年）在同产业链企业中的排名 3，需 ≤ 2",
        ),
        ("growth(revenue, Y-1) 19.99%，需 ≥ 20%", "营业收入增长率（2025年） 19.99%，需 ≥ 20%"),
        (
            "percentile(rd_expense[Y-1] / revenue[Y-1]) 50%，需 ≥ 90%",
            "研发费用（2025年） / 营业收入（2025年）在全区企业中的百分位 50%，需 ≥ 90%",
        ),
        (
            "growth(revenue, Y-1) 10%，需 ≥ peer_avg(growth(revenue, Y-1), area)",
            "营业收入增长率（2025年） 10%，需 ≥ 同片区企业营业收入增长率（2025年）的平均值",
        ),
        (
            "coalesce(revenue[Y-1], revenue[Y-2]) 1000元，需 ≥ 5000元",
            "营业收入（2025年）（无数据时按营业收入（2024年）） 1,000.00 元，需 ≥ 5,000.00 元",
        ),
        ("as_of(base_rate, registered_at) 4%，需 ≥ 5%", "成立日期当日适用的标准 4%，需 ≥ 5%"),
        ("as_of(base_rate, loan_date) 4.35%，需 ≥ 5%", "规定日期当日适用的标准 4.35%，需 ≥ 5%"),
    ],
)
def test_new_functions_read_in_words(text: str, read: str) -> None:
    assert humanise(text, 2026) == read
    assert developer_words(f"<p>{read}</p>") == []

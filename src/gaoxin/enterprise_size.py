"""The national size classification of enterprises: 《中小企业划型标准规定》
(工信部联企业〔2011〕300号), by industry, on staff (从业人员), revenue (营业收入) and, for some
industries, total assets (资产总额).

One table, read by the registry (its 企业规模 column) and by the rules language (`sme(Y-1)`:
a policy that names 中小企业 applies this test). Plain data, no Django import.

A class's thresholds are minimums: an enterprise is large when it meets every large minimum
of its industry, else medium when it meets every medium minimum, else small when it meets every
small minimum, else micro. 中小企业 (SME) = medium, small or micro: not large. An 11,034-person
manufacturer with 40 亿 revenue is large, not an SME.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WAN = 10_000

# metric → the registry field it reads (staff is static; revenue and assets are yearly)
METRICS = {"staff": "employees", "revenue": "revenue", "assets": "total_assets"}


@dataclass(frozen=True)
class Industry:
    name: str
    prefixes: tuple[str, ...]  # GB/T 4754-2017 codes this class covers (门类字母 + 数字)
    large: Mapping[str, int]  # metric → minimum (staff in persons, money in yuan)
    medium: Mapping[str, int]
    small: Mapping[str, int]


def _m(
    staff: int | None = None, revenue_wan: int | None = None, assets_wan: int | None = None
) -> dict[str, int]:
    out = {}
    if staff is not None:
        out["staff"] = staff
    if revenue_wan is not None:
        out["revenue"] = revenue_wan * WAN
    if assets_wan is not None:
        out["assets"] = assets_wan * WAN
    return out


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "农、林、牧、渔业", ("A",), _m(revenue_wan=20000), _m(revenue_wan=500), _m(revenue_wan=50)
    ),
    Industry(
        "工业",
        ("B", "C", "D"),
        _m(1000, 40000),
        _m(300, 2000),
        _m(20, 300),
    ),
    Industry(
        "建筑业",
        ("E",),
        _m(revenue_wan=80000, assets_wan=80000),
        _m(revenue_wan=6000, assets_wan=5000),
        _m(revenue_wan=300, assets_wan=300),
    ),
    Industry("批发业", ("F51",), _m(200, 40000), _m(20, 5000), _m(5, 1000)),
    Industry("零售业", ("F52",), _m(300, 20000), _m(50, 500), _m(10, 100)),
    Industry("仓储业", ("G59",), _m(200, 30000), _m(100, 1000), _m(20, 100)),
    Industry("邮政业", ("G60",), _m(1000, 30000), _m(300, 2000), _m(20, 100)),
    Industry("交通运输业", ("G",), _m(1000, 30000), _m(300, 3000), _m(20, 200)),
    Industry("住宿业", ("H61",), _m(300, 10000), _m(100, 2000), _m(10, 100)),
    Industry("餐饮业", ("H62",), _m(300, 10000), _m(100, 2000), _m(10, 100)),
    Industry("信息传输业", ("I63", "I64"), _m(2000, 100000), _m(100, 1000), _m(10, 100)),
    Industry("软件和信息技术服务业", ("I65",), _m(300, 10000), _m(100, 1000), _m(10, 50)),
    Industry(
        "房地产开发经营",
        ("K701",),
        _m(revenue_wan=200000, assets_wan=10000),
        _m(revenue_wan=1000, assets_wan=5000),
        _m(revenue_wan=100, assets_wan=2000),
    ),
    Industry("物业管理", ("K702",), _m(1000, 5000), _m(300, 1000), _m(100, 500)),
    Industry(
        "租赁和商务服务业",
        ("L",),
        _m(300, assets_wan=120000),
        _m(100, assets_wan=8000),
        _m(10, assets_wan=100),
    ),
)
OTHER = Industry("其他未列明行业", (), _m(300), _m(100), _m(10))


def industry_of(code: str | None) -> Industry:
    """The class of a GB/T 4754 code; the longest matching prefix wins (G59 仓储 before G
    交通运输); codes of no listed class (and unknown codes) are 其他未列明行业."""
    if code:
        best: tuple[int, Industry] | None = None
        for industry in INDUSTRIES:
            for prefix in industry.prefixes:
                if code.upper().startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), industry)
        if best is not None:
            return best[1]
    return OTHER


def band(
    industry: str | None,
    staff: int | None,
    revenue: Decimal | int | None,
    assets: Decimal | int | None = None,
) -> str | None:
    """large | medium | small | micro; None when a figure the industry's test needs is missing."""
    cls = industry_of(industry)
    values: dict[str, Any] = {"staff": staff, "revenue": revenue, "assets": assets}
    needed = set(cls.large) | set(cls.medium) | set(cls.small)
    if any(values[m] is None for m in needed):
        return None
    for name, minimums in (("large", cls.large), ("medium", cls.medium), ("small", cls.small)):
        if all(values[m] >= v for m, v in minimums.items()):
            return name
    return "micro"


def _money(fen_free_yuan: int) -> str:
    """A whole number of yuan as the rules language writes it: 4亿, 2000万, 500."""
    if fen_free_yuan % 100_000_000 == 0:
        return f"{fen_free_yuan // 100_000_000}亿"
    if fen_free_yuan % WAN == 0:
        return f"{fen_free_yuan // WAN}万"
    return str(fen_free_yuan)


def _large_test(cls: Industry, year: str) -> str:
    parts = []
    for metric, minimum in cls.large.items():
        field = METRICS[metric]
        if metric == "staff":
            parts.append(f"{field} >= {minimum}")
        else:
            parts.append(f"{field}[{year}] >= {_money(minimum)}")
    return " and ".join(parts)


def sme_expression(year: str) -> str:
    """The SME test in the rules language, for the figures of `year` (`Y-1`, `2024`): not
    large by the thresholds of the enterprise's industry."""
    branches: list[tuple[str, Industry]] = []
    # Longer prefixes first, so that G59 is tested before G.
    for cls in INDUSTRIES:
        for prefix in cls.prefixes:
            branches.append((prefix, cls))
    branches.sort(key=lambda b: -len(b[0]))
    text = f"not ({_large_test(OTHER, year)})"
    for prefix, cls in reversed(branches):
        text = f'if(starts_with(industry, "{prefix}"), not ({_large_test(cls, year)}), {text})'
    return text

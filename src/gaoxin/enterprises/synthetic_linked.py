"""Deterministic synthetic records linked to the demo's enterprises: persons (talents), patents,
equipment purchases and the tenants of a few incubators — what the person and per-item
policies read (E1, E3, D1, J3, F3 of policy-examples.md).

Proportions for a zone of 3,000: about half the enterprises employ one to three registered
talents (~3,000 persons, degrees weighted to masters, a sixth doctors, settled in the last five
years); a third hold patents granted in the last three years (one to five each, one in ten
PCT); R&D-heavy and manufacturing chains bought equipment (one to four purchases, some
robots); one enterprise in a hundred runs an incubator with five to twenty tenants drawn from
the zone. Each table is drawn from its own numpy stream, so it is the same for the same seed
and enterprise frame. Plain numpy and polars; no Django import."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from gaoxin.enterprises.synthetic import DEFAULT_SEED

_PEOPLE, _PATENTS, _EQUIPMENT, _TENANTS = 101, 102, 103, 104
DEGREES = np.array(["学士", "硕士", "博士", "其他"])
CATEGORIES = np.array(["高级技术人才", "高级经营管理人才", "团队带头人", "创始人", "青年人才"])
TITLES = np.array(["", "工程师", "高级工程师", "正高级工程师"])
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲晨宇欣然博浩睿")
EQUIPMENT = np.array(
    ["数控加工中心", "激光切割机", "自动化装配线", "检测设备", "洁净车间设备", "服务器集群"]
)
ROBOTS = np.array(["焊接机械手臂", "码垛机器人", "智能化成套设备", "自动控制系统"])


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _names(rng: np.random.Generator, m: int) -> list[str]:
    s = rng.integers(0, len(SURNAMES), m)
    g1 = rng.integers(0, len(GIVEN), m)
    g2 = rng.integers(0, len(GIVEN) + 8, m)  # past the list: a one-character given name
    return [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c < len(GIVEN) else "")
        for a, b, c in zip(s, g1, g2, strict=True)
    ]


def _day(rng: np.random.Generator, m: int, first: dt.date, last: dt.date) -> list[dt.date]:
    span = (last - first).days
    return [first + dt.timedelta(days=int(d)) for d in rng.integers(0, span + 1, m)]


def _owners(
    rng: np.random.Generator, enterprises: pl.DataFrame, share: float, most: int
) -> np.ndarray:
    """The uscc of each item drawn: `share` of the enterprises have one to `most` items each."""
    codes = enterprises["uscc"].to_list()
    counts = np.where(rng.random(len(codes)) < share, rng.integers(1, most + 1, len(codes)), 0)
    return np.repeat(np.array(codes, dtype=object), counts)


def generate_people(
    enterprises: pl.DataFrame, *, seed: int = DEFAULT_SEED, as_of: dt.date
) -> pl.DataFrame:
    """uscc, name, degree, talent_category, professional_title, birth_date, settled_at,
    joined_at, contract_years, social_insurance_months, salary (last year), retained_tax."""
    rng = _rng(seed, _PEOPLE)
    uscc = _owners(rng, enterprises, 0.5, 3)
    m = len(uscc)
    degree = DEGREES[rng.choice(4, m, p=[0.35, 0.42, 0.17, 0.06])]
    salary = np.round(np.exp(rng.normal(np.log(260_000), 0.55, m)), -2)
    return pl.DataFrame(
        {
            "uscc": pl.Series(uscc, dtype=pl.String),
            "name": _names(rng, m),
            "degree": degree,
            "talent_category": CATEGORIES[rng.integers(0, len(CATEGORIES), m)],
            "professional_title": TITLES[rng.integers(0, len(TITLES), m)],
            "birth_date": _day(
                rng, m, dt.date(as_of.year - 55, 1, 1), dt.date(as_of.year - 23, 1, 1)
            ),
            "settled_at": _day(rng, m, dt.date(as_of.year - 5, 1, 1), as_of),
            "joined_at": _day(rng, m, dt.date(as_of.year - 6, 1, 1), as_of),
            "contract_years": rng.choice([1, 2, 3, 3, 5, 5], m),
            "social_insurance_months": rng.integers(0, 61, m),
            "salary": salary,
            "retained_tax": np.round(np.maximum(salary - 120_000, 0) * 0.2 * 0.4, 2),
        }
    )


def generate_patents(
    enterprises: pl.DataFrame, *, seed: int = DEFAULT_SEED, as_of: dt.date
) -> pl.DataFrame:
    """uscc, number, kind, scope, granted_on (within the last three years)."""
    rng = _rng(seed, _PATENTS)
    uscc = _owners(rng, enterprises, 0.33, 5)
    m = len(uscc)
    granted = _day(rng, m, dt.date(as_of.year - 3, 1, 1), as_of)
    pct = rng.random(m) < 0.1
    kind = np.array(["发明", "实用新型", "外观设计"])[rng.choice(3, m, p=[0.55, 0.35, 0.10])]
    kind = np.where(pct, "发明", kind)
    serial = rng.integers(0, 10**6, m)
    numbers = [
        f"PCT/CN{d.year}/{s:06d}-{i}" if p else f"ZL{d.year}1{s:07d}.{i % 10}"
        for i, (d, p, s) in enumerate(zip(granted, pct, serial, strict=True))
    ]
    return pl.DataFrame(
        {
            "uscc": pl.Series(uscc, dtype=pl.String),
            "number": numbers,
            "kind": kind,
            "scope": np.where(pct, "PCT", "国内"),
            "granted_on": granted,
        }
    )


def generate_equipment(
    enterprises: pl.DataFrame, *, seed: int = DEFAULT_SEED, as_of: dt.date
) -> pl.DataFrame:
    """uscc, name, amount (yuan), purchased_on (the last two years), robot."""
    rng = _rng(seed, _EQUIPMENT)
    uscc = _owners(rng, enterprises, 0.3, 4)
    m = len(uscc)
    robot = rng.random(m) < 0.25
    names = np.where(
        robot,
        ROBOTS[rng.integers(0, len(ROBOTS), m)],
        EQUIPMENT[rng.integers(0, len(EQUIPMENT), m)],
    )
    amount = np.round(np.exp(rng.normal(np.log(2_000_000), 1.1, m)), 2)
    return pl.DataFrame(
        {
            "uscc": pl.Series(uscc, dtype=pl.String),
            "name": names,
            "amount": amount,
            "purchased_on": _day(rng, m, dt.date(as_of.year - 2, 1, 1), as_of),
            "robot": robot,
        }
    )


def generate_tenancies(
    enterprises: pl.DataFrame, *, seed: int = DEFAULT_SEED, as_of: dt.date
) -> pl.DataFrame:
    """incubator (uscc), tenant (uscc), tenant_name, leased_area (m²), moved_in,
    strategic_emerging, paid_in_capital: one in a hundred enterprises runs an incubator."""
    rng = _rng(seed, _TENANTS)
    codes = enterprises["uscc"].to_list()
    names = enterprises["name"].to_list()
    n = len(codes)
    if n < 2:
        return pl.DataFrame(
            schema={
                "incubator": pl.String,
                "tenant": pl.String,
                "tenant_name": pl.String,
                "leased_area": pl.Int64,
                "moved_in": pl.Date,
                "strategic_emerging": pl.Boolean,
                "paid_in_capital": pl.Float64,
            }
        )
    incubators = np.flatnonzero(rng.random(n) < 0.01)
    rows = []
    for i in incubators:
        k = int(rng.integers(5, 21))
        for j in rng.choice(n, size=min(k, n - 1), replace=False):
            if j == i:
                continue
            rows.append(
                {
                    "incubator": codes[i],
                    "tenant": codes[j],
                    "tenant_name": names[j],
                    "leased_area": int(rng.integers(50, 2001)),
                    "moved_in": _day(rng, 1, dt.date(as_of.year - 3, 1, 1), as_of)[0],
                    "strategic_emerging": bool(rng.random() < 0.3),
                    "paid_in_capital": float(np.round(rng.choice([1, 2, 3, 5, 10]) * 1e6, 2)),
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)

"""Deterministic synthetic enterprises in the registry's flat layout (see docs/rules-contract.md).

    python gen_data.py                 # writes $BENCH_DATA/enterprises_{100000,1000000}.parquet
    python gen_data.py --sizes 1000    # any sizes

Rows are generated in chunks of 100,000 with seed (SEED, chunk), so the first 100k rows of the
1M file are exactly the 100k file. No missing values; no zero denominators (employees >= 1,
revenue and R&D > 0), so every status is eligible/ineligible.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl
from common import DATA_DIR, EVAL_DATE, SIZES, data_path

SEED = 20250630
CHUNK = 100_000
EVAL = np.datetime64(EVAL_DATE.isoformat(), "D")


def _money(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)


def gen_chunk(k: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng([SEED, k])
    idx = np.arange(k * CHUNK, k * CHUNK + n, dtype=np.int64)

    # registration: age ~ exponential(mean 8 y), capped at 30 y; ~12% younger than one year
    age_days = np.minimum(rng.exponential(8 * 365.25, n), 30 * 365.25).astype(np.int64)
    registered_at = EVAL - age_days
    in_zone = rng.random(n) < 0.7

    # revenue 2024: log-normal, median 3000万, clipped to [1百万, 10亿]; earlier years by growth
    lo, hi = 1e6, 1e9
    rev24 = np.exp(np.clip(rng.normal(np.log(3e7), 1.1, n), np.log(lo), np.log(hi)))
    g24 = np.clip(rng.normal(0.08, 0.15, n), -0.5, 1.0)
    g23 = np.clip(rng.normal(0.08, 0.15, n), -0.5, 1.0)
    rev = {2024: _money(rev24)}
    rev[2023] = _money(np.clip(rev24 / (1 + g24), lo, hi))
    rev[2022] = _money(np.clip(rev[2023] / (1 + g23), lo, hi))

    # R&D intensity: log-normal, median 3.5% (5–95%: ~1.3%–9.4%), a little noise per year
    base = np.clip(np.exp(rng.normal(np.log(0.035), 0.6, n)), 0.001, 0.4)
    rd = {
        y: _money(rev[y] * np.clip(base * np.exp(rng.normal(0, 0.15, n)), 0.0005, 0.5))
        for y in (2022, 2023, 2024)
    }
    flat = rng.random(n) < 0.01  # 1% keep last year's budget exactly (tests the strict '>')
    rd[2024] = np.where(flat, rd[2023], rd[2024])

    # domestic share of R&D: mostly 60–100%
    share = rng.beta(8, 2, n)
    dom = {y: _money(rd[y] * np.clip(share + rng.normal(0, 0.03, n), 0.0, 1.0)) for y in rd}

    # high-tech product revenue share: 25% low (0–30%), 75% ~Beta(6,2)
    low = rng.random(n) < 0.25
    hts = np.where(low, rng.uniform(0, 0.3, n), rng.beta(6, 2, n))
    htr24 = _money(rev[2024] * hts)

    # staff: revenue per employee ~ log-normal around 80万
    rpe = np.exp(rng.normal(np.log(8e5), 0.6, n))
    employees = np.clip(np.rint(rev24 / rpe), 1, 20000).astype(np.int32)
    tech = np.floor(employees * rng.beta(2, 5, n)).astype(np.int32)
    rd_staff = np.floor(tech * rng.beta(4, 3, n)).astype(np.int32)

    # high-tech enterprise certificate: granted uniformly over the ten years to the evaluation
    # date (valid 3 years, so ~30% valid on 2025-06-30) plus ~2% granted after it
    span = (EVAL - np.datetime64("2015-07-01")).astype(np.int64)
    granted = np.datetime64("2015-07-01") + rng.integers(0, span + 1, n)
    future = rng.random(n) < 0.02
    granted = np.where(future, EVAL + rng.integers(1, 184, n), granted)
    # until = the same day three years later, minus one day
    g_month = granted.astype("datetime64[M]")
    day_of_month = (granted - g_month.astype("datetime64[D]")).astype(np.int64)
    until = (g_month + 36).astype("datetime64[D]") + day_of_month - 1

    uscc = pl.Series("i", idx).cast(pl.String).str.zfill(9)
    cols = {
        "uscc": ("91350200" + uscc + "X"),
        "registered_at": registered_at,
        "in_zone": in_zone,
        "employees": employees,
        "tech_staff": tech,
        "rd_staff": rd_staff,
    }
    for name, series in (("revenue", rev), ("rd_expense", rd), ("rd_expense_domestic", dom)):
        for y in (2022, 2023, 2024):
            cols[f"{name}_{y}"] = series[y]
    cols["high_tech_revenue_2024"] = htr24
    cols["high_tech_enterprise"] = granted
    cols["high_tech_enterprise_until"] = until
    df = pl.DataFrame(cols)
    return df.with_columns(
        pl.col("registered_at", "high_tech_enterprise", "high_tech_enterprise_until").cast(pl.Date)
    )


def generate(n: int) -> pl.DataFrame:
    parts, done, k = [], 0, 0
    while done < n:
        m = min(CHUNK, n - done)
        parts.append(gen_chunk(k, m))
        done += m
        k += 1
    return pl.concat(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = ap.parse_args()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        t = time.perf_counter()
        df = generate(n)
        assert df.null_count().sum_horizontal().item() == 0
        assert df["uscc"].n_unique() == n and (df["uscc"].str.len_chars() == 18).all()
        df.write_parquet(data_path(n), compression="zstd", statistics=True)
        valid = (
            (df["high_tech_enterprise"] <= EVAL_DATE)
            & (df["high_tech_enterprise_until"] >= EVAL_DATE)
        ).mean()
        print(
            f"{data_path(n)}: {n} rows, {df.width} columns, "
            f"valid HTE certificate on {EVAL_DATE}: {valid:.1%}, "
            f"{time.perf_counter() - t:.1f}s"
        )


if __name__ == "__main__":
    main()

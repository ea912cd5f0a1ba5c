"""Shared constants, the data layout and the numpy loader used by every implementation."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))
POLICY_DIR = HERE / "policies"
RESULTS_DIR = HERE / "results"

EVAL_DATE = dt.date(2025, 6, 30)
EVAL_D64 = np.datetime64(EVAL_DATE.isoformat(), "D")
Y = EVAL_DATE.year  # assessment year: the policies have `year: 2025`

SIZES = (100_000, 1_000_000)
YEARS = (2022, 2023, 2024)

# The registry's flat layout (docs/rules-contract.md): uscc first, static fields,
# yearly fields as field_YEAR, qualifications as the date granted plus an `_until` column.
STATIC_DATE = ("registered_at", "high_tech_enterprise", "high_tech_enterprise_until")
STATIC_BOOL = ("in_zone",)
STATIC_INT = ("employees", "tech_staff", "rd_staff")
YEARLY_MONEY = {
    "revenue": YEARS,
    "rd_expense": YEARS,
    "rd_expense_domestic": YEARS,
    "high_tech_revenue": (2024,),
}
YEARLY_COLUMNS = tuple(f"{f}_{y}" for f, ys in YEARLY_MONEY.items() for y in ys)
# Everything a policy reads; uscc is not needed for the computation and is not loaded.
COMPUTE_COLUMNS = STATIC_DATE + STATIC_BOOL + STATIC_INT + YEARLY_COLUMNS


def data_path(n: int) -> Path:
    return DATA_DIR / f"enterprises_{n}.parquet"


def col(field: str, year: int | None = None) -> str:
    return field if year is None else f"{field}_{year}"


def load_numpy(path: Path | str) -> dict[str, np.ndarray]:
    """Parquet -> {column: numpy array}: dates as datetime64[D], ints as int32, money as float64."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=list(COMPUTE_COLUMNS))
    return {name: table.column(name).to_numpy() for name in COMPUTE_COLUMNS}


def to_cents(a: np.ndarray) -> np.ndarray:
    """Money in yuan (float64 holding two decimals) -> exact int64 fen."""
    return np.rint(a * 100.0).astype(np.int64)


def years_since(d: np.ndarray, on: dt.date = EVAL_DATE) -> np.ndarray:
    """Whole years completed by `on` (the anniversary counts), vectorised over datetime64[D]."""
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]")
    month = m.astype(np.int64) % 12 + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    not_yet = (month * 100 + day) > (on.month * 100 + on.day)
    return (on.year - y) - not_yet


def anniversary_cutoff(k: int, on: dt.date = EVAL_DATE) -> dt.date:
    """The last date d with years_since(d) >= k on `on`: k years before it (Feb 29 -> Feb 28)."""
    try:
        return on.replace(year=on.year - k)
    except ValueError:
        return on.replace(year=on.year - k, day=28)


def years_since_at_least(d: np.ndarray, k: int, on: dt.date = EVAL_DATE) -> np.ndarray:
    """years_since(d) >= k, lowered to one date comparison (what the timed kernels use:
    numpy's datetime64 unit conversions in years_since() cost ~20 ms per 100k rows)."""
    return d <= np.datetime64(anniversary_cutoff(k, on).isoformat(), "D")


def check_years_since_lowering(d: np.ndarray) -> bool:
    """The lowering agrees with the generic years_since on `d` and on edge dates."""
    import datetime as _dt

    def py_years(born: _dt.date, on: _dt.date) -> int:
        return on.year - born.year - ((born.month, born.day) > (on.month, on.day))

    ons = [EVAL_DATE, _dt.date(2028, 2, 29), _dt.date(2025, 2, 28), _dt.date(2025, 3, 1)]
    edge = np.array(
        [
            "2024-02-29",
            "2024-06-30",
            "2024-07-01",
            "2027-02-28",
            "2027-03-01",
            "2026-02-28",
            "2024-02-28",
            "2024-03-01",
            "2023-02-28",
        ],
        dtype="datetime64[D]",
    )
    for on in ons:
        for k in (1, 2, 3):
            want = np.array([py_years(x.item(), on) >= k for x in edge])
            if not np.array_equal(years_since_at_least(edge, k, on), want):
                return False
            if not np.array_equal(years_since(edge, on) >= k, want):
                return False
    return all(np.array_equal(years_since(d) >= k, years_since_at_least(d, k)) for k in (1, 3))


def max_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB

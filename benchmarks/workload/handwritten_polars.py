"""The workload's 200 policies written by hand as one lazy Polars select: the baseline the
engine is compared with in rules_bench.py. Each of the four templates is one function; its
parameters are read from the policy file's text. What it leaves out, the engine does: missing
data (unknown), division by zero, exact fen arithmetic (money stays float yuan here, rounded to
the fen at the end), explanations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from common import EVAL_DATE, YEARS, anniversary_cutoff

Y1, Y2 = YEARS[-1], YEARS[-2]  # Y-1 and Y-2 for the 2025 assessment


def number(text: Any) -> float:
    """`250万`, `2亿`, `15%`, `300` → a float (yuan, a fraction, a count)."""
    s = str(text).strip()
    scale = {"万": 1e4, "亿": 1e8, "%": 0.01}.get(s[-1:], 1.0)
    return float(Decimal(s.rstrip("万亿%")) * Decimal(str(scale)))


def in_force(dated: dict[Any, Any], on: dt.date = EVAL_DATE) -> float:
    """The value of a dated parameter on the evaluation date."""
    return number(max((d, v) for d, v in dated.items() if d <= on)[1])


def c(name: str, year: int | None = None) -> pl.Expr:
    return pl.col(name if year is None else f"{name}_{year}")


def total(name: str) -> pl.Expr:
    return pl.col(f"{name}_total")


# What several policies read, computed once (as a person writing this by hand would).
SHARED = [
    *(
        pl.sum_horizontal([c(f, y) for y in YEARS]).alias(f"{f}_total")
        for f in ("revenue", "rd_expense", "rd_expense_domestic")
    ),
    (c("rd_expense", Y1) - c("rd_expense", Y2)).alias("rd_growth"),
    (
        (c("high_tech_enterprise") <= EVAL_DATE) & (c("high_tech_enterprise_until") >= EVAL_DATE)
    ).alias("hte_valid"),
]


def hte_criteria(p: dict[str, Any]) -> tuple[pl.Expr, pl.Expr | None]:
    rows = p["tables"]["min_rd_ratio"]["rows"]
    band = pl.when(c("revenue", Y1) <= number(rows[0]["upto"])).then(number(rows[0]["value"]))
    band = band.when(c("revenue", Y1) <= number(rows[1]["upto"])).then(number(rows[1]["value"]))
    min_ratio = band.otherwise(number(rows[2]["else"]))
    w = [cond["when"] for cond in p["conditions"]]
    pct = [number(re.findall(r"[\d.]+%", x)[-1]) if "%" in x else None for x in w]
    ok = (
        (c("registered_at") <= anniversary_cutoff(int(re.findall(r">= (\d+)", w[0])[0])))
        & (c("tech_staff") >= pct[1] * c("employees"))
        & (total("rd_expense") >= min_ratio * total("revenue"))
        & (total("rd_expense_domestic") >= pct[3] * total("rd_expense"))
        & (c("high_tech_revenue", Y1) >= pct[4] * c("revenue", Y1))
    )
    return ok, None


def rd_growth(p: dict[str, Any]) -> tuple[pl.Expr, pl.Expr | None]:
    rate, cap = in_force(p["parameters"]["rate"]), in_force(p["parameters"]["cap"])
    growth = pl.col("rd_growth")
    ok = c("in_zone") & (growth > 0)
    return ok, pl.min_horizontal(rate * growth, pl.lit(cap))


def hte_award(p: dict[str, Any]) -> tuple[pl.Expr, pl.Expr | None]:
    params = p["parameters"]
    staff_max = int(re.findall(r"<= (\d+)", p["conditions"][1]["when"])[0])
    split = int(re.findall(r"> (\d+)", p["benefit"]["amount"])[0])
    ok = pl.col("hte_valid") & (c("employees") <= staff_max)
    large, small = in_force(params["award_large"]), in_force(params["award_small"])
    return ok, pl.when(c("employees") > split).then(large).otherwise(small)


def screen(p: dict[str, Any]) -> tuple[pl.Expr, pl.Expr | None]:
    w = [cond["when"] for cond in p["conditions"]]
    revenue_min = number(w[0].split(">")[-1].strip())
    staff_min = int(w[1].split(">=")[-1])
    return (c("revenue", Y1) > revenue_min) & (c("rd_staff") >= staff_min), None


TEMPLATES: dict[str, Callable[[dict[str, Any]], tuple[pl.Expr, pl.Expr | None]]] = {
    "bench-hte-criteria": hte_criteria,
    "bench-rd-growth": rd_growth,
    "bench-hte-award": hte_award,
    "bench-screen": screen,
}


def query(policy_dir: Path) -> list[pl.Expr]:
    """`status:<id>` (UInt8: 1 eligible, 0 not) and `amount:<id>` (Int64 fen) per policy."""
    exprs = []
    for path in sorted(policy_dir.glob("*.yaml")):
        p = yaml.safe_load(path.read_text(encoding="utf-8"))
        ok, amount = TEMPLATES[p["id"].rsplit("-", 1)[0]](p)
        exprs.append(ok.cast(pl.UInt8).alias(f"status:{p['id']}"))
        if amount is not None:
            fen = (amount * 100).round(0).cast(pl.Int64)
            exprs.append(pl.when(ok).then(fen).alias(f"amount:{p['id']}"))
    return exprs


def evaluate(df: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    # The in-memory engine: for this query about twice as fast as the streaming one, so the
    # faster of Polars' two engines is the one compared.
    return df.lazy().with_columns(SHARED).select(exprs).collect(engine="in-memory")

"""`rules evaluate` streams: whatever the input format, output format, layout and chunk size,
what it writes is what the in-memory `batch.evaluate` gives for the same file."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from gaoxin import catalogue as C
from gaoxin.rules import load_policies
from gaoxin.rules.batch import STATUS_ENUM, evaluate
from gaoxin.rules.cli import main
from gaoxin.rules.io import read_enterprises

from .conftest import SHIPPED, bench_dir

DATE = dt.date(2025, 6, 30)
TORCH = SHIPPED / "xiamen" / "torch-rd-subsidy.yaml"


def policy_files() -> list[str]:
    """Three of each benchmark template (amounts, review, screens, R&D growth) and a shipped
    policy: enough for every status and for amounts, few enough to run quickly."""
    files = []
    for template in ("hte-award", "hte-criteria", "rd-growth", "screen"):
        found = sorted(bench_dir().glob(f"bench-{template}-*.yaml"))[:3]
        assert len(found) == 3, template
        files += [str(f) for f in found]
    return [*files, str(TORCH)]


def sample(n: int = 240, seed: int = 11) -> pl.DataFrame:
    """Enterprises around the benchmark policies' thresholds, with missing values, zero
    denominators, a missing USCC now and then, and years before and after the policies'."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        revenue = {y: round(rng.uniform(1e6, 2e8), 2) for y in (2022, 2023, 2024)}
        if rng.random() < 0.05:
            revenue[2024] = 0.0
        rd = {y: round(revenue[y] * rng.uniform(0.0, 0.12), 2) for y in revenue}
        granted = DATE - dt.timedelta(days=rng.randint(-200, 1500))
        row: dict[str, object] = {
            "uscc": None if rng.random() < 0.03 else f"91350200{i:09d}X",
            "registered_at": DATE - dt.timedelta(days=rng.randint(0, 12 * 365)),
            "in_zone": rng.random() < 0.8,
            "employees": rng.randint(0, 400),
            "tech_staff": rng.randint(0, 120),
            "rd_staff": rng.randint(0, 80),
            **{f"revenue_{y}": v for y, v in revenue.items()},
            **{f"rd_expense_{y}": v for y, v in rd.items()},
            **{
                f"rd_expense_domestic_{y}": round(v * rng.uniform(0.5, 1.0), 2)
                for y, v in rd.items()
            },
            "high_tech_revenue_2024": round(revenue[2024] * rng.uniform(0.0, 0.9), 2),
            "high_tech_enterprise": granted if rng.random() < 0.6 else None,
            "high_tech_enterprise_until": granted + dt.timedelta(days=3 * 365),
        }
        for key in list(row):
            if key != "uscc" and rng.random() < 0.04:
                row[key] = None
        rows.append(row)
    return pl.DataFrame(rows)


def chinese(df: pl.DataFrame) -> pl.DataFrame:
    names = {}
    for name in df.columns:
        col = C.parse_header(name)
        assert col is not None, name
        names[name] = col.header_zh
    return df.rename(names)


def write(df: pl.DataFrame, path: Path, kind: str) -> None:
    if kind == "csv":
        path.write_text(df.write_csv(), encoding="utf-8")
    elif kind == "gb18030":
        path.write_bytes(df.write_csv().encode("gb18030"))
    elif kind == "jsonl":
        df.write_ndjson(path)
    elif kind == "parquet":
        df.write_parquet(path)
    elif kind == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(df.columns)
        for row in df.iter_rows():
            ws.append(list(row))
        wb.save(path)


def reference(path: Path) -> pl.DataFrame:
    """The in-memory evaluation of the whole file."""
    return evaluate(load_policies(*policy_files()), read_enterprises(path), DATE)


def long_csv(result: pl.DataFrame) -> str:
    """What the CLI wrote before it streamed."""
    return result.with_columns(result["status"].cast(str), result["amount"].cast(str)).write_csv()


def long_jsonl(result: pl.DataFrame) -> str:
    result = result.with_columns(result["status"].cast(str), result["amount"].cast(str))
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.iter_rows(named=True))


def expected_wide(result: pl.DataFrame) -> pl.DataFrame:
    """The long result turned to one row per enterprise, policies in their order."""
    with_benefit = {p.id for p in load_policies(*policy_files()) if p.benefit is not None}
    policies = list(dict.fromkeys(result["policy"]))
    first = result.filter(pl.col("policy") == policies[0])
    columns = [first["uscc"]]
    for pid in policies:
        part = result.filter(pl.col("policy") == pid)
        columns.append(part["status"].alias(f"status:{pid}"))
        if pid in with_benefit:
            columns.append(part["amount"].cast(pl.Decimal(18, 2)).alias(f"amount:{pid}"))
        else:
            assert part["amount"].null_count() == part.height
    return pl.DataFrame(columns)


def run(path: Path, *extra: str) -> int:
    return main(
        [
            "evaluate",
            "--policies",
            *policy_files(),
            "--enterprises",
            str(path),
            "--date",
            DATE.isoformat(),
            *extra,
        ]
    )


INPUTS = [
    ("csv", False),
    ("gb18030", True),
    ("csv", True),
    ("xlsx", True),
    ("parquet", False),
    ("jsonl", False),
]


@pytest.mark.parametrize("kind, zh", INPUTS)
@pytest.mark.parametrize("chunk", ["7", "100000"])
def test_default_output_is_todays_long_csv(tmp_path, capsys, kind, zh, chunk):
    df = sample()
    path = tmp_path / f"e.{'csv' if kind == 'gb18030' else kind}"
    write(chinese(df) if zh else df, path, kind)
    assert run(path, "--chunk-rows", chunk) == 0
    out = capsys.readouterr()
    expected = reference(path)
    assert expected.height == 13 * df.height
    assert set(expected["status"]) == {"eligible", "ineligible", "unknown", "review"}
    assert out.out == long_csv(expected)
    assert out.err == ""  # no progress line off a terminal


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("layout", ["long", "wide"])
@pytest.mark.parametrize("chunk", ["1", "50", "100000"])
def test_every_format_and_layout_matches_the_in_memory_evaluation(
    tmp_path, capsys, fmt, layout, chunk
):
    path = tmp_path / "e.parquet"
    write(sample(), path, "parquet")
    out = tmp_path / f"out.{fmt}"
    assert run(path, "--layout", layout, "--chunk-rows", chunk, "--output", str(out)) == 0
    assert capsys.readouterr().out == ""
    expected = reference(path)
    if layout == "long":
        if fmt == "csv":
            assert out.read_text(encoding="utf-8") == long_csv(expected)
        elif fmt == "jsonl":
            assert out.read_text(encoding="utf-8") == long_jsonl(expected)
        else:
            got = pl.read_parquet(out)
            assert got.schema == pl.Schema(
                {
                    "uscc": pl.String(),
                    "policy": pl.String(),
                    "status": STATUS_ENUM,
                    "amount": pl.Decimal(18, 2),
                }
            )
            assert_frame_equal(
                got, expected.with_columns(pl.col("amount").cast(got["amount"].dtype))
            )
        return
    wide = expected_wide(expected)
    if fmt == "parquet":
        fen = {c: c.replace("amount:", "amount_fen:") for c in wide.columns}
        amounts = [c for c in wide.columns if c.startswith("amount:")]
        in_fen = wide.with_columns((pl.col(amounts) * 100).cast(pl.Int64)).rename(fen)
        assert_frame_equal(pl.read_parquet(out), in_fen)
        return
    as_text = wide.with_columns(pl.all().exclude("uscc").cast(pl.String))
    if fmt == "csv":
        assert out.read_text(encoding="utf-8") == as_text.write_csv()
    else:
        lines = out.read_text(encoding="utf-8").splitlines()
        assert [json.loads(x) for x in lines] == as_text.to_dicts()
        assert lines[0].startswith('{"uscc": "91350200000000000X", "status:bench-hte-award-01": ')


def test_wide_has_status_and_amount_per_policy_in_order(tmp_path):
    path = tmp_path / "e.parquet"
    write(sample(30), path, "parquet")
    out = tmp_path / "w.parquet"
    assert run(path, "--layout", "wide", "--output", str(out)) == 0
    got = pl.read_parquet(out)
    policies = load_policies(*policy_files())
    ids = [p.id for p in policies]

    def columns(amount: str) -> list[str]:
        out = ["uscc"]
        for p in policies:
            out += [f"status:{p.id}", f"{amount}:{p.id}"] if p.benefit else [f"status:{p.id}"]
        return out

    assert "bench-screen-01" in ids and len(columns("amount")) == 1 + 13 + 7
    assert got.columns == columns("amount_fen")
    assert got.schema["status:torch-rd-subsidy-2025"] == STATUS_ENUM
    assert got.schema["amount_fen:torch-rd-subsidy-2025"] == pl.Int64
    out = tmp_path / "w.csv"
    assert run(path, "--layout", "wide", "--output", str(out)) == 0
    text = pl.read_csv(out, infer_schema=False)
    assert text.columns == columns("amount")
    yuan = text["amount:torch-rd-subsidy-2025"]
    assert yuan.drop_nulls().str.contains(r"^\d+\.\d\d$").all() and yuan.null_count() < 30
    fen = got["amount_fen:torch-rd-subsidy-2025"]
    assert yuan.to_list() == [None if f is None else f"{f // 100}.{f % 100:02d}" for f in fen]


def test_without_a_uscc_column_row_numbers_run_across_chunks(tmp_path, capsys):
    path = tmp_path / "e.csv"
    write(sample(25).drop("uscc"), path, "csv")
    assert run(path, "--chunk-rows", "4") == 0
    out = capsys.readouterr().out
    assert out == long_csv(reference(path))
    assert "\n24,bench-hte-award-01," in out


def test_explain_streams_across_chunks(tmp_path, capsys):
    path = tmp_path / "e.parquet"
    write(sample(12).drop("uscc"), path, "parquet")
    outputs = []
    for fmt in ("csv", "jsonl"):
        for chunk in ("5", "100000"):
            assert run(path, "--explain", "--format", fmt, "--chunk-rows", chunk) == 0
            outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and outputs[2] == outputs[3]
    statuses = [json.loads(x)["status"] for x in outputs[2].splitlines()]
    by_enterprise = reference(path).sort(pl.col("uscc").cast(pl.Int64), maintain_order=True)
    assert statuses == list(by_enterprise["status"].cast(str))
    assert json.loads(outputs[2].splitlines()[-1])["uscc"] == "11"


def test_format_follows_the_output_suffix(tmp_path):
    path = tmp_path / "e.csv"
    write(sample(20), path, "csv")
    for suffix in ("parquet", "jsonl", "csv"):
        out = tmp_path / f"o.{suffix}"
        assert run(path, "--output", str(out)) == 0
        if suffix == "parquet":
            assert pl.read_parquet(out).height == 13 * 20
        elif suffix == "jsonl":
            assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["uscc"]
        else:
            assert out.read_text(encoding="utf-8").startswith("uscc,policy,status,amount\n")


def test_a_header_only_file_gives_a_header_only_output(tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_text("uscc,in_zone\n", encoding="utf-8")
    assert run(path) == 0
    assert capsys.readouterr().out == "uscc,policy,status,amount\n"
    assert run(path, "--layout", "wide", "--format", "jsonl") == 0
    assert capsys.readouterr().out == ""


def test_progress_on_request(tmp_path, capsys):
    path = tmp_path / "e.parquet"
    write(sample(40), path, "parquet")
    assert run(path, "--progress", "--chunk-rows", "10", "--output", str(tmp_path / "o.csv")) == 0
    err = capsys.readouterr().err
    assert "\r评估 / evaluated: 40 / 40 rows (100%)" in err
    assert "写出 / written: 13 / 13 policies (100%)" in err
    assert err.endswith("\n")
    assert run(path, "--quiet", "--output", str(tmp_path / "o.csv")) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kind", ["parquet", "xlsx", "jsonl"])
def test_a_bad_header_is_named_before_anything_is_read(tmp_path, capsys, kind):
    path = tmp_path / f"e.{kind}"
    write(sample(5).rename({"revenue_2024": "revenu_2024"}), path, kind)
    assert run(path, "--chunk-rows", "2") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "column 'revenu_2024' matches no field (nearest: 'revenue_2024')" in captured.err
    assert "Traceback" not in captured.err


def test_parquet_needs_a_file_and_explain_the_long_text_layout(tmp_path, capsys):
    path = tmp_path / "e.parquet"
    write(sample(5), path, "parquet")
    assert run(path, "--format", "parquet") == 2
    assert "--format parquet needs --output FILE" in capsys.readouterr().err
    assert run(path, "--explain", "--layout", "wide") == 2
    assert "--explain writes the long layout as csv or jsonl" in capsys.readouterr().err


def test_a_file_neither_utf8_nor_gb18030_is_refused(tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_bytes(b"uscc,in_zone\n\xff\xfe\xfa,1\n")
    assert run(path) == 2
    assert "neither UTF-8 nor GB18030" in capsys.readouterr().err

"""`rules check|test|evaluate` (gaoxin.rules.cli.main, argv without the leading "rules")."""

from __future__ import annotations

import json

import polars as pl
import pytest

from gaoxin.rules.cli import main

from .conftest import SHIPPED

TORCH = str(SHIPPED / "xiamen" / "torch-rd-subsidy.yaml")
ROWS = [
    {
        "uscc": "91350200MA2XXXXX1A",
        "in_zone": True,
        "registered_at": "2019-03-01",
        "revenue_2022": 38_000_000,
        "revenue_2023": 39_000_000,
        "revenue_2024": 40_000_000,
        "rd_expense_2022": 1_900_000,
        "rd_expense_2023": 2_000_000,
        "rd_expense_2024": 2_500_000,
    },
    {"uscc": "91350200MA2XXXXX2B", "in_zone": False},
]
ZH = {
    "uscc": "统一社会信用代码",
    "in_zone": "园区注册",
    "registered_at": "成立日期",
    "revenue_2022": "营业收入_2022",
    "revenue_2023": "营业收入_2023",
    "revenue_2024": "营业收入2024年",
    "rd_expense_2022": "研发费用_2022",
    "rd_expense_2023": "研发费用_2023",
    "rd_expense_2024": "研发费用_2024(元)",
}


def test_check_reports_file_line_col(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ntitle: t\nsource: s\ncategory: subsidy\nconditions:\n"
        "  - label: a\n    when: rd_expence[Y-1] > 0\n",
        encoding="utf-8",
    )
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:7:11: unknown field 'rd_expence' (did you mean 'rd_expense'?)" in err
    assert "Traceback" not in err
    assert main(["check", str(SHIPPED)]) == 0


def test_test_command(tmp_path, capsys):
    assert main(["test", str(SHIPPED)]) == 0
    untested = tmp_path / "u.yaml"
    untested.write_text(
        "id: u\ntitle: t\nsource: s\ncategory: screen\nconditions: []\n", encoding="utf-8"
    )
    assert main(["test", str(untested)]) == 0
    assert "policy u has no tests" in capsys.readouterr().out
    failing = tmp_path / "f.yaml"
    failing.write_text(
        "id: f\ntitle: t\nsource: s\ncategory: screen\nconditions:\n"
        "  - {label: a, when: in_zone}\ntests:\n  - name: wrong\n"
        "    date: 2025-01-01\n    enterprise: {in_zone: false}\n"
        "    expect: {status: eligible}\n",
        encoding="utf-8",
    )
    assert main(["test", str(failing)]) == 1
    assert "FAIL f — wrong: status ineligible, expected eligible" in capsys.readouterr().out


def _write(df: pl.DataFrame, path, kind: str) -> None:
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


@pytest.mark.parametrize(
    "kind, chinese",
    [
        ("csv", False),
        ("gb18030", True),
        ("jsonl", False),
        ("parquet", False),
        ("xlsx", True),
        ("csv", True),
    ],
)
def test_evaluate_reads_every_format(tmp_path, capsys, kind, chinese):
    df = pl.DataFrame(ROWS)
    if chinese:
        df = df.rename(ZH)
    path = tmp_path / f"e.{'csv' if kind == 'gb18030' else kind}"
    _write(df, path, kind)
    assert (
        main(["evaluate", "--policies", TORCH, "--enterprises", str(path), "--date", "2025-06-30"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "uscc,policy,status,amount"
    assert out[1] == "91350200MA2XXXXX1A,torch-rd-subsidy-2025,review,60000.00"
    assert out[2] == "91350200MA2XXXXX2B,torch-rd-subsidy-2025,ineligible,"


def test_evaluate_explain_jsonl(tmp_path, capsys):
    path = tmp_path / "e.parquet"
    pl.DataFrame(ROWS).write_parquet(path)
    assert (
        main(
            [
                "evaluate",
                "--policies",
                TORCH,
                "--enterprises",
                str(path),
                "--date",
                "2025-06-30",
                "--format",
                "jsonl",
                "--explain",
            ]
        )
        == 0
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["status"] == "review" and lines[0]["amount"] == "60000.00"
    assert lines[0]["conditions"][0]["label"] == "在园区注册满一年"
    assert lines[1]["status"] == "ineligible"
    assert {"field": "revenue", "year": 2024} in lines[1]["missing"] or lines[1]["missing"] == []


def test_evaluate_explain_csv_has_reasons(tmp_path, capsys):
    path = tmp_path / "e.csv"
    row = dict(ROWS[0], rd_expense_2024=2_000_000)
    pl.DataFrame([row]).write_csv(path)
    assert (
        main(
            [
                "evaluate",
                "--policies",
                TORCH,
                "--enterprises",
                str(path),
                "--date",
                "2025-06-30",
                "--explain",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "ineligible" in out and "上年研发费用较前年增长: false" in out
    assert "rd_expense[Y-1] 200万元，需 > 200万元" in out


def test_module_entry_point_runs():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "gaoxin.rules.cli", "check", str(SHIPPED)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "policy files OK" in done.stderr


def test_evaluate_names_a_policy_not_in_force_on_the_date(tmp_path, capsys):
    path = tmp_path / "e.parquet"
    pl.DataFrame(ROWS).write_parquet(path)
    args = ["evaluate", "--policies", TORCH, "--enterprises", str(path)]
    assert main([*args, "--date", "2030-01-01"]) == 1  # torch-rd-subsidy runs through 2025
    captured = capsys.readouterr()
    assert captured.out == ""  # no column of bare "ineligible"
    assert "政策 torch-rd-subsidy-2025 在 2030-01-01 不在有效期内（2025-01-01 – 2025-12-31）" in (
        captured.err
    )
    assert "policy torch-rd-subsidy-2025 is not in force on that date" in captured.err
    assert "pass --date within their dates" in captured.err
    # With one policy in force and one not, the one in force is evaluated, the other named.
    always = tmp_path / "always.yaml"
    always.write_text(
        "id: always\ntitle: t\nsource: s\ncategory: screen\nconditions:\n"
        "  - {label: a, when: in_zone}\n",
        encoding="utf-8",
    )
    assert main([*args, "--policies", TORCH, str(always), "--date", "2030-01-01"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "uscc,policy,status,amount",
        "91350200MA2XXXXX1A,always,eligible,",
        "91350200MA2XXXXX2B,always,ineligible,",
    ]
    assert "torch-rd-subsidy-2025 is not in force on that date" in captured.err
    assert main([*args, "--date", "2025-06-30"]) == 0
    assert "not in force" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "header, nearest",
    [
        ("营业收人_2024", "营业收入_2024"),
        ("revenu_2023", "revenue_2023"),
        ("备注", None),
        ("in_zon", "in_zone"),
        ("统一社会信用代吗", "统一社会信用代码"),
    ],
)
def test_evaluate_refuses_a_column_that_names_no_field(tmp_path, capsys, header, nearest):
    path = tmp_path / "e.csv"
    pl.DataFrame([dict(ROWS[0], **{header: 1})]).write_csv(path)
    argv = ["evaluate", "--policies", TORCH, "--enterprises", str(path), "--date", "2025-06-30"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"列“{header}”不对应任何字段" in captured.err
    assert f"column '{header}' matches no field" in captured.err
    if nearest:
        assert f"是否应为“{nearest}”？" in captured.err
        assert f"(nearest: '{nearest}')" in captured.err
    else:
        assert "see the field catalogue in docs/rules.md" in captured.err
    assert "Traceback" not in captured.err

"""Per-item amounts over an enterprise's item tables (sum_over, count_over): check errors
located, the explanation's item lines, wording, and batch ≡ explanation — on hand-written
cases and on generated rules and items (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaoxin.rules import STATUSES, explain, load_file
from gaoxin.rules.batch import evaluate_wide
from gaoxin.rules.describe import describe

from .helpers import DATE, first_error, policy

Y1 = dt.date(2024, 5, 1)  # in Y-1 for DATE (2025-06-30)


def test_an_unknown_item_table_is_located_with_the_tables_named():
    message = first_error(
        'conditions:\n  - label: c\n    when: count_over(patent, kind == "发明") >= 1\n'
    )
    assert message.startswith("t.yaml:7:22: count_over() needs an item table first, not 'patent'")
    assert "did you mean 'patents'" in message


def test_arity_and_argument_types_are_checked():
    assert "sum_over() takes 3 arguments" in first_error(
        "conditions:\n  - label: c\n    when: sum_over(patents, true) > 0\n"
    )
    message = first_error(
        "conditions:\n  - label: c\n    when: sum_over(equipment, amount, amount) > 0\n"
    )
    assert ":7:31: the second argument of sum_over() chooses the items: a condition" in message


def test_an_item_field_outside_its_table_is_unknown():
    message = first_error('conditions:\n  - label: c\n    when: kind == "发明"\n')
    assert message.startswith(
        "t.yaml:7:11: 'kind' is a field of patents (专利): it is read inside sum_over(patents, …)"
    )


def test_an_unquoted_value_inside_an_item_condition_asks_for_quotes():
    message = first_error(
        "conditions:\n  - label: c\n    when: count_over(patents, kind == 发明) > 0\n"
    )
    assert "'发明' is not a field" in message and 'quoted: "发明"' in message


def test_sum_over_cannot_nest():
    message = first_error(
        "conditions:\n  - label: c\n"
        "    when: sum_over(patents, true, count_over(patents, true)) > 0\n"
    )
    assert "can't be used inside another sum_over()" in message


def test_a_test_item_table_must_be_a_list():
    message = first_error(
        "conditions:\n  - label: c\n    when: count_over(patents, true) >= 1\n"
        "tests:\n  - name: x\n    date: 2025-06-30\n    enterprise: {patents: 3}\n"
        "    expect: {status: eligible}\n"
    )
    assert "patents is an item table: list its items" in message


EQUIPMENT = """
conditions:
  - label: 上年购置设备
    when: count_over(equipment, year_of(purchased_on) == Y - 1) >= 1
benefit:
  amount: sum_over(equipment, year_of(purchased_on) == Y - 1, min(10% * amount, 5万))
  cap: 12万
"""


def test_each_item_is_paid_by_its_formula_with_its_cap_and_the_total_capped():
    p = policy(EQUIPMENT)
    items = [
        {"name": "机床", "amount": "30万", "purchased_on": Y1},  # 3万
        {"name": "产线", "amount": "100万", "purchased_on": Y1},  # 10万 → 5万
        {"name": "旧设备", "amount": "100万", "purchased_on": dt.date(2023, 1, 1)},  # not Y-1
        {"name": "检测仪", "amount": "0.15", "purchased_on": Y1},  # 0.015 → 0.02
    ]
    e = explain(p, {"equipment": items}, DATE)
    assert (e.status, e.amount) == ("eligible", Decimal("80000.02"))
    assert [(i.label, i.amount) for i in e.items] == [
        ("机床", Decimal("30000.00")),
        ("产线", Decimal("50000.00")),
        ("检测仪", Decimal("0.02")),
    ]
    assert e.to_dict()["items"][0] == {
        "table": "设备",
        "label": "机床",
        "amount": "30000.00",
        "known": True,
    }
    more = explain(p, {"equipment": items * 3}, DATE)
    assert more.amount == Decimal("120000.00")  # 24万 capped


def test_an_unknown_item_makes_the_total_unknown_and_names_the_field():
    p = policy(EQUIPMENT)
    e = explain(p, {"equipment": [{"name": "机床", "purchased_on": Y1}]}, DATE)
    assert e.status == "unknown"
    assert ("equipment.amount", None) in e.missing


def test_the_amount_reads_in_plain_chinese():
    p = policy(EQUIPMENT)
    assert p.benefit is not None
    text = describe(p.benefit, p, DATE, money=True)
    assert "符合“购置日期的年份 = 评估年度 − 1”的每项设备" in text
    assert "「10% × 购置金额」与「5万元」中较小者" in text
    assert "逐项相加" in text and "12万元" in text
    cond = p.conditions[0].when
    assert cond is not None
    assert describe(cond, p, DATE).startswith("符合“购置日期的年份 = 评估年度 − 1”的设备的件数")


# -- batch ≡ explanation ---------------------------------------------------------------------


def _items_frame(rows: list[dict], table: str) -> pl.DataFrame | None:
    flat = [dict(item, uscc=row["uscc"]) for row in rows for item in row.get(table, [])]
    return pl.DataFrame(flat, infer_schema_length=None) if flat else None


def agree(p, rows: list[dict], date: dt.date = DATE, **inputs: object) -> None:
    ents = pl.DataFrame([{k: v for k, v in r.items() if k not in TABLES} for r in rows])
    items = {t: f for t in TABLES if (f := _items_frame(rows, t)) is not None}
    wide = evaluate_wide([p], ents, date, inputs or None, items=items)
    for i, row in enumerate(rows):
        e = explain(p, row, date, inputs or None)
        status = STATUSES[wide[f"status:{p.id}"][i]]
        fen = wide[f"amount:{p.id}"][i] if f"amount:{p.id}" in wide.columns else None
        batch_amount = None if fen is None else Decimal(fen) / 100
        assert (status, batch_amount) == (e.status, e.amount), (row, e)


TABLES = ("patents", "equipment", "tenants")


def test_the_examples_agree_in_batch():
    d1 = load_file("policies/examples/d1-suizhou-patents.yaml")
    f3 = load_file("policies/examples/f3-wuchang-incubator-rent.yaml")
    j3 = load_file("policies/examples/j3-yishui-equipment.yaml")
    for p in (d1, f3, j3):
        for t in p.tests:
            row = {"uscc": "91350200MA00000001", **t.enterprise}
            agree(p, [row], t.date, **t.inputs)


# generated: a where over the table's fields (and one enterprise field), an amount per item
_WHERE = {
    "patents": [
        'kind == "发明"',
        'scope == "PCT"',
        "year_of(granted_on) == Y - 1",
        'kind == "发明" and year_of(granted_on) >= Y - 2',
        "in_zone",
        "true",
    ],
    "equipment": [
        "robot",
        "not robot",
        "amount >= 100万",
        "year_of(purchased_on) == Y - 1",
        "true",
    ],
    "tenants": ["strategic_emerging", "paid_in_capital >= 300万", "leased_area > 500", "true"],
}
_AMOUNT = {
    "patents": ['if(scope == "PCT", 10万, 1万)', "1万", "employees * 100"],
    "equipment": ["amount", "min(1.5% * amount, 100万)", "amount / 3", "round(amount * 7%, 0)"],
    "tenants": [
        "leased_area * 18 * 12",
        "leased_area * 15 * if(strategic_emerging and paid_in_capital >= 300万, 2, 1)",
        "paid_in_capital / 7",
    ],
}
_maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
_ITEM = {
    "patents": st.fixed_dictionaries(
        {
            "number": st.sampled_from(["ZL1", "ZL2", "PCT3"]),
            "kind": _maybe(st.sampled_from(["发明", "实用新型"])),
            "scope": _maybe(st.sampled_from(["国内", "PCT"])),
            "granted_on": _maybe(st.sampled_from([Y1, dt.date(2023, 12, 31), dt.date(2025, 1, 1)])),
        }
    ),
    "equipment": st.fixed_dictionaries(
        {
            "name": st.sampled_from(["机床", "机器人"]),
            "amount": _maybe(st.sampled_from([0.01, 0.05, 100.0, 1_000_000.0, 33_333.33])),
            "purchased_on": _maybe(st.sampled_from([Y1, dt.date(2023, 1, 1)])),
            "robot": _maybe(st.booleans()),
        }
    ),
    "tenants": st.fixed_dictionaries(
        {
            "name": st.sampled_from(["甲", "乙"]),
            "leased_area": _maybe(st.sampled_from([0, 1, 500, 501, 12_345])),
            "strategic_emerging": _maybe(st.booleans()),
            "paid_in_capital": _maybe(st.sampled_from([2_999_999.99, 3_000_000.0, 1.0])),
        }
    ),
}


@st.composite
def case(draw: st.DrawFn) -> tuple[str, list[dict]]:
    table = draw(st.sampled_from(TABLES))
    where = draw(st.sampled_from(_WHERE[table]))
    amount = draw(st.sampled_from(_AMOUNT[table]))
    op = draw(st.sampled_from([">=", ">", "=="]))
    threshold = draw(st.sampled_from(["0", "1", "2", "1万"]))
    body = (
        "conditions:\n  - label: c\n"
        f"    when: count_over({table}, {where}) {op} {threshold} or employees > 50\n"
        f"benefit:\n  amount: sum_over({table}, {where}, {amount})\n"
    )
    if draw(st.booleans()):
        body += "  cap: 15万\n"
    rows = []
    for i in range(draw(st.integers(1, 4))):
        row = {
            "uscc": f"U{i}",
            "in_zone": draw(_maybe(st.booleans())),
            "employees": draw(_maybe(st.sampled_from([0, 10, 51]))),
            table: draw(st.lists(_ITEM[table], max_size=4)),
        }
        rows.append(row)
    return body, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_generated_item_rules_agree(generated):
    body, rows = generated
    agree(policy(body), rows)


def test_the_command_line_reads_item_tables(tmp_path, capsys):
    from gaoxin.rules.cli import main

    (tmp_path / "e.csv").write_text("uscc\n91350200MA00000001\n91350200MA00000002\n")
    (tmp_path / "p.csv").write_text(
        "uscc,number,kind,scope,granted_on\n"
        "91350200MA00000001,ZL1,发明,国内,2022-03-01\n"
        "91350200MA00000001,P2,发明,PCT,2022-05-01\n",
        encoding="utf-8",
    )
    args = [
        "evaluate",
        "--policies",
        "policies/examples/d1-suizhou-patents.yaml",
        "--enterprises",
        str(tmp_path / "e.csv"),
        "--date",
        "2023-06-30",
        "--items",
        f"patents={tmp_path / 'p.csv'}",
    ]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "91350200MA00000001,suizhou-invention-patent-award,eligible,110000.00",
        "91350200MA00000002,suizhou-invention-patent-award,ineligible,",
    ]
    assert main([*args, "--explain", "--format", "jsonl"]) == 0
    assert '"label": "P2", "amount": "100000.00"' in capsys.readouterr().out
    assert main([*args[:-1], "patent=x.csv"]) == 2
    assert "--items takes TABLE=FILE" in capsys.readouterr().err


def test_an_item_total_in_a_comparison_too_wide_for_int128_agrees(monkeypatch):
    """An average of three ratios, one of them an item total, is computed row by row in
    unbounded integers (compiler.exact_rows): the rows read the batch's item totals."""
    import gaoxin.rules.compiler as compiler
    from gaoxin.rules.batch import clear_plan_cache

    rows_exact = []
    original = compiler.Compiler.exact_rows

    def spy(self, n, dtype):
        rows_exact.append(n)
        return original(self, n, dtype)

    monkeypatch.setattr(compiler.Compiler, "exact_rows", spy)
    clear_plan_cache()
    p = policy(
        "conditions:\n  - label: c\n    when: >-\n"
        "      (sum_over(equipment, true, amount) / revenue[Y-1] + rd_expense[Y-1] / revenue[Y-2]"
        " + tax[Y-1] / revenue[Y-3]) / 3 >= 5%\n"
        "benefit:\n  amount: sum_over(equipment, true, amount)\n"
    )
    figures = {"revenue_2024": 200_000, "revenue_2023": 100_000, "revenue_2022": 100_000}
    figures |= {"rd_expense_2024": 5_000, "tax_2024": 5_000}
    cases = [["1万"], ["5000", "5000"], [None], [], ["9999.99"]]  # ties at 1万: ≥ 5% exactly
    rows = [
        {"uscc": f"U{i}", **figures, "equipment": [{"amount": a, "purchased_on": Y1} for a in eq]}
        for i, eq in enumerate(cases)
    ]
    agree(p, rows)
    assert rows_exact  # the comparison did go row by row
    statuses = [explain(p, r, DATE).status for r in rows]
    assert statuses == ["eligible", "eligible", "unknown", "ineligible", "ineligible"]

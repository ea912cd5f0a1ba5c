"""Regressions for the engine defects of issue #12: each one as it was found, fixed."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import polars as pl
import pytest

from gaoxin.rules import STATUSES, PolicyError, explain, load_text
from gaoxin.rules.batch import compile_plan, evaluate, evaluate_wide
from gaoxin.rules.compiler import Compiler
from gaoxin.rules.gaps import gap_column
from gaoxin.rules.testing import run_tests

from .helpers import DATE, HEADER, policy

AVG3 = (
    "(rd_expense[Y-1] / revenue[Y-1] + rd_expense[Y-2] / revenue[Y-2]"
    " + rd_expense[Y-3] / revenue[Y-3]) / 3"
)


def error_of(body: str) -> PolicyError:
    with pytest.raises(PolicyError) as e:
        load_text(HEADER + textwrap.dedent(body), "p.yaml")
    return e.value


def errors_of(body: str) -> list[str]:
    with pytest.raises(PolicyError) as e:
        load_text(HEADER + textwrap.dedent(body), "p.yaml")
    return [str(x) for x in getattr(e.value, "errors", [e.value])]


def agree(p, rows: list[dict], inputs: dict | None = None) -> list[tuple[str, Decimal | None]]:
    """Batch and explanation agree on every row; returns (status, amount) per row."""
    df = pl.DataFrame(rows)
    wide = evaluate_wide([p], df, DATE, inputs)
    out = []
    for i, row in enumerate(rows):
        e = explain(p, row, DATE, inputs)
        fen = wide[f"amount:{p.id}"][i] if f"amount:{p.id}" in wide.columns else None
        batch = (STATUSES[wide[f"status:{p.id}"][i]], None if fen is None else Decimal(fen) / 100)
        assert batch == (e.status, e.amount), (row, e)
        out.append(batch)
    return out


# -- 1. exact arithmetic wider than Int128 ----------------------------------------------------

RATIO_ROW = {
    "revenue_2022": 3e7,
    "revenue_2023": 7e7,
    "revenue_2024": 1.1e7,
    "rd_expense_2022": 1.5e6,
    "rd_expense_2023": 3.5e6,
    "rd_expense_2024": 5.5e5,
}


def test_average_of_three_ratios_is_exact_in_batch():
    p = policy(
        f"""\
        conditions:
          - label: 三年平均研发占比达5%
            when: {AVG3} >= 5%
        benefit:
          amount: min({AVG3} * 100万, 4万)
        """
    )
    rows = [
        RATIO_ROW,  # exactly 5.00% on average: the threshold holds
        {**RATIO_ROW, "rd_expense_2024": 549999.99},  # one fen short
        {**RATIO_ROW, "revenue_2022": None},  # missing
        {**RATIO_ROW, "revenue_2023": 0.0},  # division by zero
    ]
    assert agree(p, rows) == [
        ("eligible", Decimal("40000.00")),
        ("ineligible", None),
        ("unknown", None),
        ("unknown", None),
    ]
    long = evaluate([p], pl.DataFrame(rows), DATE)
    assert long["status"].to_list() == ["eligible", "ineligible", "unknown", "unknown"]


def test_too_wide_amount_and_its_gap_column():
    p = policy(
        f"""\
        conditions:
          - label: 在园区
            when: in_zone
        benefit:
          amount: {AVG3} * 100万
        """
    )
    rows = [{**RATIO_ROW, "in_zone": True}, {**RATIO_ROW, "in_zone": True, "revenue_2024": None}]
    assert agree(p, rows) == [("eligible", Decimal("50000.00")), ("unknown", None)]
    # the near-miss gap of such a comparison is left to the explanation, not an error
    q = policy(f"conditions:\n  - label: 占比\n    when: {AVG3} >= 5%\n")
    node = compile_plan([q], DATE).policies[0].resolved.decidable[0]
    assert gap_column(Compiler(DATE), node) is None


def test_amount_that_is_a_shared_sub_expression():
    """Found by the property test: the amount is a sum a condition also reads, so both read
    one staged column; the amount's known-test must come in a stage after it."""
    p = policy(
        """\
        conditions:
          - label: 三年营收过亿
            when: sum(revenue[Y-3..Y-1]) >= 1亿
        benefit:
          amount: sum(revenue[Y-3..Y-1])
        """
    )
    rows = [RATIO_ROW, {**RATIO_ROW, "revenue_2023": None}, {**RATIO_ROW, "revenue_2022": 1.0}]
    assert agree(p, rows) == [
        ("eligible", Decimal("111000000.00")),
        ("unknown", None),
        ("ineligible", None),
    ]


def test_years_since_beyond_the_calendar():
    """Found by the property test: a threshold no calendar reaches compiled to a year out of
    range; it is simply never (or always) met."""
    p = policy(
        "conditions:\n  - label: 年限\n"
        "    when: years_since(registered_at) < 5000万"
        " and not (years_since(registered_at) < -1亿)\n"
    )
    rows = [{"registered_at": dt.date(2019, 1, 1)}, {"registered_at": None}]
    assert [s for s, _ in agree(p, rows)] == ["eligible", "unknown"]


def test_amount_beyond_int64_fen_is_unknown_in_both():
    """Found by the property test: the explanation crashed on a 10^26 amount (Decimal
    context) and the batch could not hold it; both now call it unknown."""
    p = policy(
        """\
        conditions:
          - label: 在园区
            when: in_zone
        benefit:
          amount: revenue[Y-1] * revenue[Y-1]
        """
    )
    rows = [{"in_zone": True, "revenue_2024": 1e13}, {"in_zone": True, "revenue_2024": 100.0}]
    assert agree(p, rows) == [("unknown", None), ("eligible", Decimal("10000.00"))]
    assert "金额超出可计算的范围" in explain(p, rows[0], DATE).notes[0]


# -- 2. tables keyed by text ------------------------------------------------------------------


def test_text_keyed_table_with_bands_is_rejected_where_it_is_keyed():
    e = error_of(
        """\
        tables:
          by_chain:
            by: chain
            rows:
              - {upto: "集成电路", value: 10%}
              - {else: 5%}
        conditions:
          - label: 在园区
            when: in_zone
        benefit:
          amount: by_chain * 100万
        """
    )
    assert (e.file, e.line, e.col) == ("p.yaml", 7, 9)
    assert "keyed by text" in e.message and "only numbers and dates have an order" in e.message
    assert "if(industry ==" in e.hint
    # a table of text values keyed by a number is fine, and agrees
    p = policy(
        """\
        tables:
          tier:
            by: revenue[Y-1]
            rows:
              - {below: 1亿, value: '"小"'}
              - {else: '"大"'}
        conditions:
          - label: 大企业
            when: tier == "大"
        """
    )
    rows = [{"revenue_2024": 2e8}, {"revenue_2024": 1e7}, {"revenue_2024": None}]
    assert [s for s, _ in agree(p, rows)] == ["eligible", "ineligible", "unknown"]


def test_marginal_needs_numbers():
    e = error_of(
        """\
        tables:
          t:
            by: registered_at
            rows:
              - {upto: 2020-01-01, value: 10%}
              - {else: 5%}
        conditions: []
        benefit:
          amount: marginal(t) * 100万
        """
    )
    assert e.line == 13 and "marginal() needs a table keyed by a number" in e.message


# -- 3. inputs, delivery, unknown keys --------------------------------------------------------


def test_missing_inputs_are_named_among_the_unknowns():
    p = policy(
        """\
        delivery: apply
        inputs:
          fee: {type: money, label: 服务合同金额}
        conditions:
          - label: 合同满一万
            when: fee >= 1万
        """
    )
    e = explain(p, {}, DATE)
    assert e.status == "unknown" and e.missing_inputs == ("fee",)
    assert "需申报人填写：服务合同金额" in e.notes
    assert list(e.to_dict()["missing_inputs"]) == ["fee"]
    assert explain(p, {}, DATE, {"fee": "2万"}).missing_inputs == ()


def test_inputs_need_delivery_apply():
    for delivery in ("", "delivery: auto\n", "delivery: notice\n"):
        e = error_of(
            delivery + "inputs:\n  fee: {type: money, label: 服务费}\n"
            "conditions:\n  - label: 合同\n    when: fee >= 1万\n"
        )
        assert e.line == 5 + bool(delivery) and e.col == 1
        assert e.message.startswith("inputs need delivery: apply")
        assert "every result that needs one would stay unknown" in e.message
        assert "delivery: apply" in e.hint


def test_unknown_keys_are_errors_at_their_line_with_the_nearest_key():
    e = error_of("conditions: []\nbenefit:\n  amount: 1万\n  per: patent\n")
    assert (e.line, e.col, e.message) == (8, 3, "unknown key 'per' in benefit")
    assert e.hint == "a benefit has amount, upto, cap, lifetime_cap, note"
    assert error_of("conditions: []\nbenefit:\n  amont: 1万\n").hint == "did you mean 'amount'?"
    e = error_of("delivery: apply\ninputs:\n  fee: {type: money, lable: 服务费}\nconditions: []\n")
    assert (e.line, e.message, e.hint) == (
        7,
        "unknown key 'lable' in input fee",
        "did you mean 'label'?",
    )
    e = error_of("effective: {form: 2025-01-01}\nconditions: []\n")
    assert (e.line, e.hint) == (5, "did you mean 'from'?")
    msgs = errors_of(
        "conditions: []\ntests:\n  - name: x\n    date: 2025-01-01\n"
        "    enterprise:\n      in_zone: true\n      revenu: {2024: 1}\n"
        "    expect: {status: eligible, amout: 1}\n"
    )
    assert msgs == [
        "p.yaml:11:7: unknown field 'revenu' in test enterprise (did you mean 'revenue'?)",
        "p.yaml:12:32: unknown key 'amout' in expect (did you mean 'amount'?)",
    ]


# -- 4. messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "col", "message", "hint"),
    [
        ("area == 火炬园", 19, "'火炬园' is not a field", 'text values are quoted: "火炬园"'),
        ("火炬园 == area", 11, "'火炬园' is not a field", 'text values are quoted: "火炬园"'),
        ("chain in [软件]", 21, "'软件' is not a field", 'text values are quoted: "软件"'),
        ("industry != C3974", 23, "'C3974' is not a field", 'text values are quoted: "C3974"'),
        (
            "研发占比 >= 5%",
            11,
            "unknown field '研发占比'",
            'text values are quoted: "研发占比"; fields are listed in docs/rules.md',
        ),
        ("sume > 1", 11, "unknown field 'sume'", "see the field catalogue in docs/rules.md"),
        ("employes > 1", 11, "unknown field 'employes'", "did you mean 'employees'?"),
        (
            "revenue_2024 > 1",
            11,
            "unknown field 'revenue_2024'",
            "a yearly field takes its year in brackets: revenue[2024]",
        ),
    ],
)
def test_messages_name_what_to_write(when, col, message, hint):
    e = error_of(f"conditions:\n  - label: 条件\n    when: {when}\n")
    assert (e.line, e.col, e.message, e.hint) == (7, col, message, hint)


def test_test_failures_never_print_none():
    p = load_text(
        HEADER
        + textwrap.dedent(
            """\
            conditions:
              - label: 营收过亿
                when: revenue[Y-1] > 1亿
              - label: 专家评审
                manual: true
            benefit:
              amount: 1万
            tests:
              - name: 缺营收
                date: 2025-06-30
                enterprise: {}
                expect: {status: eligible, amount: 1万}
              - name: 不足
                date: 2025-06-30
                enterprise: {revenue: {2024: 1}}
                expect: {status: review, amount: 1万}
            """
        ),
        "p.yaml",
    )
    outcomes, _ = run_tests([p])
    first, second = (o.message for o in outcomes)
    assert "None" not in first + second
    assert first == (
        "status unknown, expected eligible"
        " (营收过亿: 未知 (unknown); 专家评审: 待人工审核 (manual))"
        " missing: revenue[2024]; amount 无 (none), expected 10000"
    )
    assert second.endswith("amount 无 (none), expected 10000")

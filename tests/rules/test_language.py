"""The expression language: units, parsing, checking, and errors located at file:line:col."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest

from gaoxin.rules import PolicyError, load_text
from gaoxin.rules.parser import parse
from gaoxin.rules.units import parse_quantity

from .helpers import HEADER, error_of, policy


def test_importing_the_engine_does_not_import_django():
    code = (
        "import sys, gaoxin.rules, gaoxin.rules.cli, gaoxin.rules.batch; "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) "
        "else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize(
    "text, value",
    [
        ("5000万", 50_000_000),
        ("2亿", 200_000_000),
        ("35%", Fraction(7, 20)),
        ("1.5万", 15_000),
        ("1.2‰", Fraction(12, 10_000)),
        ("200万元", 2_000_000),
        ("0.005", Fraction(1, 200)),
        ("-3%", Fraction(-3, 100)),
        ("abc", None),
    ],
)
def test_numbers_with_chinese_units(text, value):
    assert parse_quantity(text) == value


def test_parser_builds_the_tree_without_eval():
    tree = parse("sum(研发费用[Y-3..Y-1]) / sum(revenue[Y-3..Y-1]) >= 5% and not x in [1, 2万]")
    assert type(tree).__name__ == "Logic"
    with pytest.raises(Exception, match="unexpected character"):
        parse("__import__('os').system('true') ; 1")


def test_chinese_aliases_mean_the_same_field():
    a = policy("conditions:\n  - {label: a, when: '研发费用[Y-1] / 营业收入[Y-1] >= 5%'}\n")
    b = policy("conditions:\n  - {label: a, when: 'rd_expense[Y-1] / revenue[Y-1] >= 5%'}\n")
    assert a.conditions[0].when == b.conditions[0].when


def test_unknown_field_is_located_with_a_hint():
    e = error_of("conditions:\n  - label: a\n    when: rd_expence[Y-1] > 0\n")
    assert str(e).startswith("p.yaml:7:11: unknown field 'rd_expence'")
    assert e.hint == "did you mean 'rd_expense'?"
    assert (e.file, e.line, e.col) == ("p.yaml", 7, 11)


def test_error_column_is_inside_the_expression():
    e = error_of("conditions:\n  - label: a\n    when: revenue[Y-1] > 0 and employes >= 10\n")
    assert (e.line, e.col) == (7, 32)
    assert "did you mean 'employees'" in e.hint


def test_error_in_a_quoted_flow_scalar():
    e = error_of('conditions:\n  - {label: a, when: "revenue[Y-1] >= 5％ and foo(1)"}\n')
    assert (e.line, e.col, e.message) == (6, 46, "unknown function 'foo'")


def test_error_in_a_folded_multiline_expression():
    e = error_of(
        "conditions:\n  - label: a\n    when: >\n      revenue[Y-1] > 0\n      and tech_stuff > 1\n"
    )
    assert (e.line, e.col) == (9, 11)


def test_misspelt_function():
    e = error_of("conditions:\n  - label: a\n    when: summ(revenue[Y-3..Y-1]) > 0\n")
    assert e.message == "unknown function 'summ'" and e.hint == "did you mean 'sum'?"


@pytest.mark.parametrize(
    "expr, message",
    [
        ("registered_at > 5万", "can't compare a date with a"),
        ("employees and in_zone", "'and' joins true/false conditions"),
        ("revenue > 1", "yearly field 'revenue' needs a year"),
        ("employees[Y-1] > 1", "'employees' is not a yearly field"),
        ("has(revenue)", "has() needs a qualification"),
        ("revenue[Y-1]", "expected a boolean here"),
        ("registered_at > 2025-02-30", "bad date '2025-02-30'"),
        ("in_zone + 1 > 0", "'+' needs numbers"),
        ("cagr(revenue, Y-3, Y-1) + 1 > 0", "cagr() can only be compared"),
        ("revenue[Y-1] > nope", "unknown field 'nope'"),
    ],
)
def test_type_and_name_errors(expr, message):
    e = error_of(f"conditions:\n  - label: a\n    when: {expr}\n")
    assert message in e.message, str(e)
    assert e.line == 7


def test_unknown_table_or_parameter_and_cycles():
    e = error_of("parameters:\n  a: b + 1\n  b: a * 2\nconditions:\n  - {label: x, when: a > 1}\n")
    assert "cycle between parameters" in e.message
    assert (e.line, e.col) == (7, 6)  # where b refers back to a
    e = error_of("conditions:\n  - label: a\n    when: revenue[Y-1] > min_rd_ratoi\n")
    assert e.message == "unknown field 'min_rd_ratoi'"  # no table declared: nothing close
    e = error_of(
        "tables:\n  min_rd_ratio:\n    by: revenue[Y-1]\n    rows:\n      - {else: 3%}\n"
        "conditions:\n  - label: a\n    when: revenue[Y-1] > min_rd_ratoi\n"
    )
    assert e.message == "unknown table 'min_rd_ratoi'" and "min_rd_ratio" in e.hint
    e = error_of(
        "parameters:\n  cap: 5万\nconditions:\n  - {label: a, when: 'revenue[Y-1] > cpa'}\n"
    )
    assert e.message == "unknown parameter 'cpa'" and e.hint == "did you mean 'cap'?"


def test_bad_date_in_parameters_and_tests():
    e = error_of("parameters:\n  r: {2025-13-01: 5%}\nconditions: []\n")
    assert (e.line, e.col) == (6, 7) and "bad date '2025-13-01'" in e.message


def test_yaml_syntax_error_and_missing_keys():
    e = error_of("conditions:\n  - label: [a\n")
    assert e.message.startswith("YAML syntax error") and e.file == "p.yaml"
    with pytest.raises(PolicyError) as info:
        load_text("id: x\ntitle: y\n", "q.yaml")
    assert "missing required key 'source'" in str(info.value)
    e = error_of("conditons: []\nconditions: []\n")
    assert e.message == "unknown key 'conditons'" and "conditions" in e.hint


def test_all_errors_of_a_file_are_reported_one_line_each():
    with pytest.raises(PolicyError) as info:
        load_text(
            HEADER + "conditions:\n  - {label: a, when: foo > 1}\n  - {label: b, when: bar > 1}\n",
            "m.yaml",
        )
    lines = str(info.value).splitlines()
    assert [line.split(": ")[0] for line in lines] == ["m.yaml:6:22", "m.yaml:7:22"]
    assert "Traceback" not in str(info.value)


def test_table_rows_must_be_in_order():
    e = error_of(
        "tables:\n  t:\n    by: revenue[Y-1]\n    rows:\n      - {upto: 2亿, value: 1}\n"
        "      - {upto: 5000万, value: 2}\nconditions: []\n"
    )
    assert "rows out of order" in e.message and e.line == 10


def test_version_is_a_content_hash():
    a = policy("conditions: []\n")
    b = policy("conditions: []\n")
    c = policy("conditions: []\nissuer: x\n")
    assert a.version == b.version != c.version and len(a.version) == 12


def test_test_cases_are_checked_too():
    e = error_of(
        "delivery: apply\ninputs:\n  fee: {type: money}\nconditions: []\ntests:\n  - name: x\n"
        "    date: 2025-01-01\n    inputs: {feee: 1}\n    expect: {status: eligible}\n"
    )
    assert e.message == "unknown input 'feee' in test" and e.hint == "did you mean 'fee'?"
    e = error_of(
        "conditions: []\ntests:\n  - name: x\n    date: 2025-01-01\n"
        "    enterprise: {revenu: {2024: 1}}\n    expect: {status: eligibel}\n"
    )
    assert "unknown field 'revenu' in test enterprise" in str(e)

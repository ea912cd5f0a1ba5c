"""Beneficiaries other than the enterprise (`beneficiary:`): persons evaluated one by one with
their employer's fields, providers and introducers; check errors located; batch over a
persons frame ≡ explanation."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import polars as pl

from gaoxin.rules import STATUSES, explain, load_file
from gaoxin.rules.batch import evaluate_wide
from gaoxin.rules.beneficiary import words
from gaoxin.rules.describe import describe

from .helpers import DATE, first_error


def test_an_unknown_beneficiary_is_located():
    message = first_error("beneficiary: persons\nconditions:\n  - label: c\n    when: true\n")
    assert message.startswith("t.yaml:5:14: unknown beneficiary 'persons'")
    assert "did you mean 'person'" in message


def test_a_person_field_needs_beneficiary_person():
    message = first_error('conditions:\n  - label: c\n    when: degree == "博士"\n')
    assert message.startswith("t.yaml:7:11: 'degree' (学位) is a field of a person")
    assert "write beneficiary: person" in message
    yearly = first_error("conditions:\n  - label: c\n    when: annual_salary[Y-1] >= 20万\n")
    assert "'annual_salary' (年薪) is a field of a person" in yearly


def test_a_test_person_is_for_person_policies_and_its_fields_are_checked():
    message = first_error(
        "conditions:\n  - label: c\n    when: true\ntests:\n  - name: x\n"
        "    date: 2025-06-30\n    person: {degree: 博士}\n    expect: {status: eligible}\n"
    )
    assert "person: is for a policy with beneficiary: person" in message
    message = first_error(
        "beneficiary: person\nconditions:\n  - label: c\n    when: true\ntests:\n  - name: x\n"
        "    date: 2025-06-30\n    person: {degre: 博士}\n    expect: {status: eligible}\n"
    )
    assert "unknown field 'degre' in test person (did you mean 'degree'?)" in message
    message = first_error(
        "beneficiary: person\nconditions:\n  - label: c\n    when: true\ntests:\n  - name: x\n"
        "    date: 2025-06-30\n    enterprise: {degree: 博士}\n    expect: {status: eligible}\n"
    )
    assert "unknown field 'degree' in test enterprise (a person's fields go under person:)" in (
        message
    )


def test_person_policies_read_the_employer_too_and_say_it_in_chinese():
    p = load_file("policies/examples/e1-binhai-reserve-talent.yaml")
    assert p.beneficiary == "person" and words(p.beneficiary) == "个人（人才）"
    texts = [describe(c.when, p, DATE) for c in p.conditions if c.when is not None]
    assert texts[0] == "学位属于 “学士”、“硕士”、“博士”"
    assert texts[1] == "园区注册 且 （劳动合同年限 ≥ 3）"
    assert p.benefit is not None
    assert describe(p.benefit, p, DATE, money=True) == (
        "若学位 = “博士”，为36,000元；否则为若学位 = “硕士”，为24,000元；否则为12,000元"
    )


def test_providers_and_introducers_are_declared():
    assert load_file("policies/examples/c3-torch-voucher-provider.yaml").beneficiary == "provider"
    i2 = load_file("policies/examples/i2-xinxiang-investment-award.yaml")
    assert (i2.beneficiary, words(i2.beneficiary)) == ("introducer", "引荐人（单位或个人）")


def _persons() -> list[dict]:
    """Every combination around the thresholds of E1 and E3, one person each."""
    out = []
    values = itertools.product(
        ["学士", "硕士", "博士", "大专", None],
        [2, 3, None],
        [dt.date(2017, 1, 12), dt.date(2021, 7, 1), dt.date(2021, 6, 30), None],
        [True, False, None],
        [199_999.99, 200_000.0, None],
        ["高级技术人才", "一般职员"],
    )
    for i, (degree, contract, settled, zone, salary, category) in enumerate(values):
        out.append(
            {
                "person_id": i,
                "uscc": f"E{i % 7}",
                "in_zone": zone,
                "degree": degree,
                "contract_years": contract,
                "social_insurance_months": 3 + i % 2,
                "settled_at": settled,
                "annual_salary_2023": salary,
                "retained_income_tax_2023": [12_345.675, 250_000.0, None][(i // 7) % 3],
                "talent_category": category,
            }
        )
    return out


def test_batch_over_persons_agrees_with_the_explanation():
    policies = [
        load_file("policies/examples/e1-binhai-reserve-talent.yaml"),
        load_file("policies/examples/e3-changchun-talent-award.yaml"),
    ]
    rows = _persons()
    frame = pl.DataFrame(rows, infer_schema_length=None)
    on = dt.date(2024, 6, 30)
    wide = evaluate_wide(policies, frame, on)
    assert wide["person_id"].to_list() == [r["person_id"] for r in rows]
    seen = set()
    for i, row in enumerate(rows):
        person = {k: v for k, v in row.items() if v is not None and k != "person_id"}
        for p in policies:
            e = explain(p, person, on)
            fen = wide[f"amount:{p.id}"][i]
            batch = (
                STATUSES[wide[f"status:{p.id}"][i]],
                None if fen is None else Decimal(fen) / 100,
            )
            assert batch == (e.status, e.amount), (p.id, row)
            seen.add((p.id, e.status))
    assert {s for _, s in seen} == {"eligible", "ineligible", "unknown", "review"}

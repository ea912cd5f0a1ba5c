"""Policy text → draft rule: the extractor on tricky phrases, the draft it writes, and the
staff page (roles, highlighting, carrying the draft into the editor)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaoxin.core.models import AuditEntry
from gaoxin.policies import drafting
from gaoxin.policies.drafting import extract
from gaoxin.policies.models import Policy
from tests.clients import client_for
from tests.conftest import ROLES


def one(text: str, kind: str | None = None) -> drafting.Item:
    items = [i for i in extract(text) if kind is None or i.kind == kind]
    assert len(items) == 1, items
    return items[0]


def test_included_edge_with_yi_shang_is_at_least() -> None:
    item = one("上一年度营收2000万元(含)以上的国家高新技术企业")
    assert (item.kind, item.value, item.comparison) == ("threshold", Decimal(20_000_000), ">=")
    assert (item.field, item.years, item.unit) == ("revenue", "Y-1", "元")
    assert item.text == "2000万元"


def test_gao_yu_is_strict() -> None:
    item = one("年度自主研发费用高于200万元的企业")
    assert (item.kind, item.value, item.comparison, item.field) == (
        "threshold",
        Decimal(2_000_000),
        ">",
        "rd_expense",
    )


def test_da_yu_with_han_is_at_least_and_xiao_yu_with_han_at_most() -> None:
    low, high = extract("上一年度营业收入大于2000万元(含),且小于4亿元(含)")
    assert (low.comparison, low.value) == (">=", Decimal(20_000_000))
    assert (high.comparison, high.value, high.field) == ("<=", Decimal(400_000_000), "revenue")


def test_bu_chao_guo_an_award_is_a_cap() -> None:
    rate, cap = extract("按上年度允许加计扣除研发费用的 10%给予不超过 300 万元的补助。")
    assert (rate.kind, rate.value, rate.comparison) == ("rate", Decimal("0.1"), "=")
    assert rate.field == "deductible_rd"
    assert (cap.kind, cap.value, cap.comparison) == ("cap", Decimal(3_000_000), "<=")


def test_bu_chao_guo_of_a_project_is_a_threshold() -> None:
    item = one("投资额不超过5亿元的项目")
    assert (item.kind, item.comparison, item.field) == ("threshold", "<=", "investment")


def test_mei_man_is_a_step_with_its_amount() -> None:
    step, each, cap = extract("增量部分每满100万元最高给予10万元补助,最高补助500万元。")
    assert (step.kind, step.value) == ("step", Decimal(1_000_000))
    assert (each.kind, each.value, each.comparison) == ("per_unit", Decimal(100_000), "<=")
    assert (cap.kind, cap.value) == ("cap", Decimal(5_000_000))


def test_matching_ratio() -> None:
    rate = one("给予1:0.5的配套资金奖励", "rate")
    assert rate.value == Decimal("0.5") and rate.text == "1:0.5"


def test_per_mille() -> None:
    rate = one("奖励标准为投资额的1‰")
    assert (rate.kind, rate.value, rate.field) == ("rate", Decimal("0.001"), "investment")
    assert rate.value_text() == "1‰"


def test_band_with_its_upper_edge_included() -> None:
    low, high, *_ = extract("首期完成固定资产投资额5亿元~10亿元(含10亿元)且资金到期为18个月内")
    assert (low.kind, low.value, low.comparison) == ("threshold", Decimal(500_000_000), ">")
    assert (high.value, high.comparison, high.field) == (Decimal(1_000_000_000), "<=", "investment")
    months = one("资金到期为18个月内", "duration")
    assert (months.value, months.unit, months.comparison) == (Decimal(18), "个月", "<=")


def test_plain_yi_shang_after_a_band_that_includes_the_edge_excludes_it() -> None:
    items = extract("5亿元~10亿元(含10亿元)的,奖励1.2‰;10亿元以上的,奖励1.5‰")
    above = [i for i in items if i.kind == "threshold" and i.text == "10亿元"]
    assert [i.comparison for i in above] == [">"]


def test_from_an_event_for_three_years() -> None:
    item = one("自认定之日起三年内给予支持")
    assert (item.kind, item.value, item.unit, item.comparison) == (
        "duration",
        Decimal(3),
        "年",
        "<=",
    )
    assert item.event == "认定"


def test_date_and_years_not_mistaken_for_durations() -> None:
    items = extract(
        "2017年1月12日以后落户；上一年度营业收入；近三年复合增长率达到20%；1年期贷款市场报价利率"
    )
    assert [(i.kind, i.value, i.comparison) for i in items] == [
        ("date", dt.date(2017, 1, 12), ">"),
        ("threshold", Decimal("0.2"), ">="),
    ]
    assert items[1].field == "revenue_cagr" and items[1].years == "Y-3..Y-1"


def test_restatement_and_document_number_are_skipped() -> None:
    items = extract(
        "(闽中小企业办〔2022〕1号)营业收入达到5亿元且正增长(即成立5年内营业收入突破5亿元)"
    )
    assert [(i.kind, i.value) for i in items] == [("threshold", Decimal(500_000_000))]


def test_draft_loads_and_marks_what_a_person_decides() -> None:
    text = "对上一年度营业收入2000万元(含)以上的企业，按研发费用的10%给予补助，最高不超过300万元。"
    result = drafting.draft(text, today=dt.date(2026, 3, 1))
    assert drafting.check_draft(result.yaml) == []
    assert "when: revenue[Y-1] >= 2000万" in result.yaml
    assert "amount: 10% * rd_expense[Y-1]" in result.yaml
    assert "cap: 300万" in result.yaml
    assert "effective: {from: 2026-01-01}" in result.yaml
    assert result.yaml.count("TODO") == result.todos + 1 >= 6  # the header names the mark


def test_draft_with_unknown_fields_stays_loadable() -> None:
    text = "与企业签订3年(含)以上劳动合同，给予每人每年1.2万元补贴。"
    result = drafting.draft(text)
    assert drafting.check_draft(result.yaml) == []
    assert "manual: true" in result.yaml and "amount: count * 1.2万" in result.yaml
    assert "delivery: apply" in result.yaml


def test_examples_benchmark_runs() -> None:
    """The benchmark's clause reader finds the 25 clauses the gold file annotates."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import drafting_bench

    texts, gold = drafting_bench.clauses(), drafting_bench.load_gold()
    assert len(texts) == 25 and set(texts) == set(gold)


# --- the page ------------------------------------------------------------------------------

AUTHORS = {"staff", "staff_other", "zone_admin"}  # the roles that may create a policy
CLAUSE = (
    "对年度营业收入2000万元及以上、年度自主研发费用高于200万元的企业,"
    "每满100万元最高给予10万元补助,最高补助500万元。"
)


@pytest.mark.parametrize("role", ROLES)
def test_page_is_for_policy_authors_only(zone: Any, role: str) -> None:
    client = client_for(zone, role)
    before = AuditEntry.objects.count()
    for response in (
        client.get("/policies/draft/"),
        client.post("/policies/draft/", {"text": CLAUSE}),
    ):
        if role == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        elif role in AUTHORS:
            assert response.status_code == 200
        else:
            assert response.status_code in (403, 404)
    assert AuditEntry.objects.count() == before and not Policy.objects.exists()


def test_post_highlights_items_and_carries_the_draft_to_the_editor(zone: Any) -> None:
    client = client_for(zone, "staff")
    body = client.post("/policies/draft/", {"text": CLAUSE}).content.decode()
    assert body.count('<mark class="gx-found"') == 5
    assert 'data-kind="threshold" title="门槛 ≥ 2000万元 · revenue">2000万元</mark>' in body
    assert 'title="门槛 &gt; 200万元 · rd_expense">200万元</mark>' in body
    assert 'data-kind="step"' in body and 'data-kind="cap"' in body
    assert "when: rd_expense[Y-1] &gt; 200万" in body
    assert "检查通过" in body
    draft = drafting.draft_rule(CLAUSE)
    editor = client.post("/policies/new/", {"draft": draft})
    assert editor.status_code == 200 and not Policy.objects.exists()
    assert "when: revenue[Y-1] &gt;= 2000万" in editor.content.decode()
    assert "/policies/draft/" in client.get("/policies/").content.decode()


def test_post_without_text_or_too_long_says_so(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    assert "请粘贴政策原文" in client.post("/policies/draft/", {"text": "  "}).content.decode()
    long = client.post("/policies/draft/", {"text": "营业收入" * 2000}).content.decode()
    assert "原文过长" in long


def test_thousands_separator_counts_and_field_totals() -> None:
    items = extract(
        "最近一年销售收入小于5,000万元（含）的企业；职工总数不超过500人、资产总额不超过2亿元。"
    )
    assert [(i.kind, i.value, i.comparison, i.unit, i.field) for i in items] == [
        ("threshold", Decimal(50_000_000), "<=", "元", "revenue"),
        ("threshold", Decimal(500), "<=", "人", "employees"),
        ("threshold", Decimal(200_000_000), "<=", "元", "total_assets"),
    ]


def test_dates_from_and_until() -> None:
    since, until = extract("自2023年1月1日起加计扣除，延续执行至2027年12月31日。")
    assert (since.value, since.comparison) == (dt.date(2023, 1, 1), ">=")
    assert (until.value, until.comparison) == (dt.date(2027, 12, 31), "<=")


def test_range_without_han_is_read_with_its_neighbours() -> None:
    text = "营业收入在1亿元以上；或营业收入在5000万元—1亿元的企业；或营业收入不足5000万元的企业"
    got = [(i.value, i.comparison) for i in extract(text)]
    assert got == [
        (Decimal(100_000_000), ">="),
        (Decimal(50_000_000), ">="),
        (Decimal(100_000_000), "<"),
        (Decimal(50_000_000), "<"),
    ]


def test_a_share_is_rd_ratio_only_when_rd_expense_is_shared() -> None:
    rd = one("研发费用总额占营业收入总额的比例不低于8%(含)")
    staff = one("科技人员占企业当年职工总数的比例不低于10%")
    assert rd.field == "rd_ratio" and staff.field is None


PIECES = list(
    "0123456789一二两三十年月日个万亿元%‰:：~-—（）()含以上下不超过低于最高每满件人分至自起平方米的,，。；、."
)
PIECES += ['"', "'", "#", "{", "}", "[", "]", "|", ">", "&", "*", "\x00", "\n", "\t", "\u2028"]


@given(st.text(alphabet=st.sampled_from(PIECES), max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_gives_a_draft_that_loads(text: str) -> None:
    result = drafting.draft(text)
    assert drafting.check_draft(result.yaml) == []
    for item in result.items:
        assert 0 <= item.start < item.end <= len(text) and item.text == text[item.start : item.end]


def test_bands_with_as_many_rates_become_a_table() -> None:
    text = (
        "固定资产投资额1亿元~5亿元(含5亿元)的,奖励标准为投资额的1‰;"
        "固定资产投资额5亿元~10亿元(含10亿元)的,奖励标准为投资额的1.2‰;"
        "固定资产投资额10亿元以上的,奖励标准为投资额的1.5‰。"
    )
    rule = drafting.draft_rule(text)
    assert drafting.check_draft(rule) == []
    assert "{above: 10亿, value: 1.5‰}" in rule and "{above: 1亿, value: 1‰}" in rule
    assert "when: investment > 1亿" in rule and "amount: band_rate * investment" in rule
    assert rule.count("when:") == 1
    from gaoxin.rules import load_text, run_tests

    policy = load_text(
        rule.replace(
            "delivery: apply",
            "delivery: apply\ntests:\n"
            "  - {name: 恰10亿 → 1.2‰, date: 2026-06-30, enterprise: {}, "
            "inputs: {investment: 10亿}, expect: {status: eligible, amount: 120万}}\n"
            "  - {name: 10亿零1分 → 1.5‰, date: 2026-06-30, enterprise: {}, "
            "inputs: {investment: 1000000000.01}, expect: {status: eligible, amount: 1500000.00}}",
        ),
        "band.yaml",
    )
    outcomes, _untested = run_tests([policy])
    assert outcomes and all(o.passed for o in outcomes), outcomes

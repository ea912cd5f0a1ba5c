"""The shipped library as a zone uses it: which policies the zone publishes (national and its
own regions'), the other regions' examples imported as drafts, sources that cite documents,
qualification policies that are not pushed to holders, and the SME size test."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from django.core.management import call_command

from gaoxin import catalogue
from gaoxin.core.audit import Actor
from gaoxin.core.errors import NotFound
from gaoxin.enterprise_size import band, industry_of
from gaoxin.enterprises.figures import size_band
from gaoxin.policies import library, services
from gaoxin.policies.models import Policy
from gaoxin.rules import PolicyErrors, explain, load_text
from gaoxin.rules.batch import evaluate
from tests.clients import client_for

ACTOR = Actor.system("test")
TORCH = "福建省/厦门市/火炬高新区"


def test_a_zone_publishes_national_and_its_own_regions_policies_only() -> None:
    assert library.applies_in("全国", TORCH)
    assert library.applies_in("福建省", TORCH)
    assert library.applies_in("福建省/厦门市", TORCH)
    assert library.applies_in(TORCH, TORCH)
    assert not library.applies_in("福建省/厦门市/思明区", TORCH)  # another district
    assert not library.applies_in("福建省/福州市", TORCH)
    assert not library.applies_in("广东省/深圳市/南山区", TORCH)
    assert not library.applies_in("", TORCH)
    assert not library.applies_in("福建", TORCH)  # a region is named whole, not by prefix


def test_every_shipped_policy_names_its_region() -> None:
    for _path, policy in library.shipped_policies():
        assert policy.region.strip(), policy.file


@pytest.mark.django_db
def test_the_demo_zone_installs_no_other_citys_policy() -> None:
    installed = services.install_zone_library(actor=ACTOR, region=TORCH)
    slugs = set(Policy.objects.values_list("slug", flat=True))
    assert len(installed.published) + len(installed.expired) == len(slugs)
    for policy in Policy.objects.all():
        assert library.applies_in(policy.region, TORCH), (policy.slug, policy.region)
    assert {"hte-recognition", "fujian-little-giant-award", "torch-srdi-award"} <= slugs
    assert "fuzhou-little-giant-match" not in slugs and "wenzhou-rd-deduction-subsidy" not in slugs
    assert {p.slug for p in installed.expired} == {"torch-rd-subsidy-2025"}  # ended 2025-12-31
    assert Policy.objects.get(slug="torch-rd-subsidy-2025").status == "expired"
    assert all(p.status == "published" for p in installed.published)


@pytest.mark.django_db
def test_another_regions_example_is_imported_as_a_draft(zone: Any) -> None:
    client = client_for(zone, "zone_admin")
    page = client.get("/policies/library/").content.decode()
    assert 'data-policy="wenzhou-rd-deduction-subsidy"' in page and "本区发布" in page
    client.post("/policies/library/import/", {"policy": "wenzhou-rd-deduction-subsidy"})
    imported = Policy.objects.get(slug="wenzhou-rd-deduction-subsidy")
    assert imported.status == "draft" and imported.region == "浙江省/温州市"
    with pytest.raises(NotFound):
        services.import_library_policy(actor=ACTOR, policy_id="no-such-policy")
    call_command("import_policy", "suizhou-invention-patent-award")
    assert Policy.objects.get(slug="suizhou-invention-patent-award").status == "draft"


def test_sources_cite_documents_not_files() -> None:
    for _path, policy in library.shipped_policies():
        assert policy.issuer.strip(), policy.file
        assert not re.search(r"\.(md|ya?ml|py)\b|policy-examples|RULES", policy.source), (
            policy.file,
            policy.source,
        )
    text = (library.shipped_library() / "national" / "srdi-sme.yaml").read_text()  # type: ignore[operator]
    bad = re.sub(r"^source: .*$", "source: 见 policy-examples.md B6", text, flags=re.M)
    with pytest.raises(PolicyErrors, match="source names a file"):
        load_text(bad, "x.yaml")


def test_a_qualification_policy_is_not_pushed_to_a_holder() -> None:
    """Every qualification policy whose title names a qualification of the catalogue reads
    that qualification under `not has(…)`, so that holders are not pushed to obtain it."""
    checked = 0
    for _path, policy in library.shipped_policies():
        if policy.category != "qualification":
            continue
        title = re.sub('["“”]', "", policy.title)
        for q in catalogue.QUALIFICATIONS:
            if q.alias in title:
                whens = [str(c.get("when", "")) for c in policy.raw.get("conditions", [])]
                assert any(f"not has({q.name})" in w for w in whens), (policy.id, q.name)
                checked += 1
    assert checked >= 4


def test_the_size_classification_by_industry() -> None:
    assert industry_of("G5951").name == "仓储业" and industry_of("G5410").name == "交通运输业"
    assert industry_of("I6513").name == "软件和信息技术服务业"
    assert industry_of(None).name == "其他未列明行业"
    yi = Decimal(100_000_000)
    assert band("C3974", 11034, 40 * yi) == "large"
    assert band("C3974", 999, 40 * yi) == "medium"  # 以下 either way: not large
    assert band("I6513", 300, yi) == "large"  # software: ≥300 staff and ≥1亿
    assert band("I6513", 100, Decimal(10_000_000)) == "medium"
    assert band("I6513", 9, yi) == "micro"
    assert band("L7212", 500, yi) is None  # 租赁和商务服务业 needs total assets
    assert band("L7212", 500, yi, 13 * yi) == "large"
    assert size_band(11034, 40 * yi, "C3974") == "large"
    assert size_band(None, yi, "C3974") == "unknown"


SME = """id: sme-screen
title: 中小企业
source: 《中小企业划型标准规定》（工信部联企业〔2011〕300号）
category: screen
conditions:
  - label: 中小企业
    when: sme(Y-1)
tests:
  - name: 11034人、营收40亿的制造业不是中小企业
    date: 2025-06-30
    enterprise: {industry: C3974, employees: 11034, revenue: {2024: 40亿}}
    expect: {status: ineligible}
"""


def test_sme_in_the_rules_batch_and_explanation_agree() -> None:
    policy = load_text(SME, "sme.yaml")
    rows = [
        {"uscc": "A", "industry": "C3974", "employees": 11034, "revenue_2024": 4_000_000_000},
        {"uscc": "B", "industry": "C3974", "employees": 11034, "revenue_2024": 300_000_000},
        {"uscc": "C", "industry": "I6513", "employees": 300, "revenue_2024": 100_000_000},
        {"uscc": "D", "industry": "I6513", "employees": 299, "revenue_2024": 500_000_000},
        {"uscc": "E", "industry": "C3974", "employees": 11034, "revenue_2024": None},
        {"uscc": "F", "industry": None, "employees": 50, "revenue_2024": 1_000_000},
    ]
    on = dt.date(2025, 6, 30)
    schema = {"uscc": pl.String, "industry": pl.String, "employees": pl.Int64}
    frame = pl.DataFrame(rows, schema={**schema, "revenue_2024": pl.Int64})
    batch = dict(evaluate([policy], frame, on).select("uscc", "status").iter_rows())
    single = {r["uscc"]: explain(policy, r, on).status for r in rows}
    expected = {
        "A": "ineligible",
        "B": "eligible",
        "C": "ineligible",
        "D": "eligible",
        "E": "unknown",
        "F": "unknown",  # the thresholds depend on the industry, which is missing
    }
    assert {k: str(v) for k, v in batch.items()} == expected
    assert {k: str(v) for k, v in single.items()} == expected

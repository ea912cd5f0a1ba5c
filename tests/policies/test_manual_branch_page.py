"""A condition with a manual() branch ("或经认定具有同等水平的"): matched as review, and the
enterprise's page names what staff are to confirm."""

from __future__ import annotations

from typing import Any

import pytest

from gaoxin.policies import matching, services
from gaoxin.policies.models import PolicyMatch
from tests.clients import client_for
from tests.policies.test_policies import STAFF, figures

pytestmark = pytest.mark.django_db

TEXT = """id: equal-level-test
title: 同等水平认定（测试）
issuer: 园区管委会
source: 测试文件
category: award
effective: {from: 2020-01-01}
delivery: auto
conditions:
  - label: 上年研发费用1亿元以上或经认定具有同等水平
    when: rd_expense[Y-1] >= 1亿 or manual("经认定具有同等研发水平")
benefit:
  amount: 10万
tests:
  - name: 研发费用不足 → 待审核
    date: 2025-06-30
    enterprise: {rd_expense: {2024: 1}}
    expect: {status: review, amount: 10万}
"""


def test_review_names_the_manual_branch_on_the_enterprise_page(zone: Any) -> None:
    figures(zone.enterprise_a, "300万")
    policy = services.save_policy(actor=STAFF, text=TEXT)
    services.publish(actor=STAFF, policy=policy, match=False)
    matching.match_published()
    found = PolicyMatch.objects.get(policy=policy, enterprise=zone.enterprise_a)
    assert found.status == "review"
    page = client_for(zone, "enterprise_a").get("/my/policies/").content.decode()
    assert "经认定具有同等研发水平" in page

from __future__ import annotations

from typing import Any

import pytest

from gaoxin.core.audit import Actor
from gaoxin.ledger import services
from gaoxin.ledger.models import BudgetPool

STAFF = Actor.system("finance-office")
POLICY = ("policies.policy", 3)


@pytest.fixture
def pool(db: Any) -> BudgetPool:
    """The 2025 budget of policy 3, funded with 1,000.00 元."""
    pool = services.create_pool(actor=STAFF, name="研发费用补助", owner=POLICY, year=2025)
    services.fund_budget(pool=pool, amount_fen=100_000, actor=STAFF, key="fund-2025")
    return pool

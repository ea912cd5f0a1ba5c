"""Audit values as people read them, whatever a snapshot kept."""

from __future__ import annotations

from typing import Any

import pytest

from gaoxin.core.audit_display import value_text


@pytest.mark.django_db
def test_a_relation_shows_its_object_or_the_number_the_snapshot_kept(zone: Any) -> None:
    enterprise = zone.enterprise_a
    assert value_text("policies.payout", "enterprise", enterprise.pk) == str(enterprise)
    assert value_text("policies.payout", "enterprise", 10**9) == "—"
    # Some snapshots keep an order's number where the field is a relation: shown as it is.
    assert value_text("policies.payout", "enterprise", "CX2026000006") == "CX2026000006"

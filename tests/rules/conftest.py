"""Shared fixtures for the rules-engine tests. The engine has no Django: these tests need no
database and no settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaoxin.rules import Policy, load_policies

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "policies"
BENCH = REPO / "benchmarks" / "workload" / "policies"


def bench_dir() -> Path:
    if not BENCH.is_dir() or not any(BENCH.glob("*.yaml")):
        raise FileNotFoundError(
            f"the benchmark policies are missing: expected {BENCH} (benchmarks/workload/policies "
            "in the repository). These tests must not be skipped."
        )
    return BENCH


@pytest.fixture(scope="session")
def shipped() -> list[Policy]:
    return load_policies(SHIPPED)


@pytest.fixture(scope="session")
def bench() -> list[Policy]:
    return load_policies(bench_dir())

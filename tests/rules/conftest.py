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


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    """The 200 benchmark policies and 100 generated ones (benchmarks/workload/gen_policies.py):
    twelve templates that share sums, growths, ratios and band parts."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks" / "workload"))
    import gen_policies

    folder = gen_policies.generate(300, tmp_path_factory.mktemp("generated") / "policies")
    return [p for p in load_policies(folder) if p.id.startswith("gen-")] + load_policies(
        bench_dir()
    )[::10]

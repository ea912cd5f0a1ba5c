"""Every shipped policy's embedded tests pass, and the 500 tests of the benchmark policies."""

from __future__ import annotations

from gaoxin.rules import run_tests

from .conftest import SHIPPED


def _failures(policies):
    outcomes, untested = run_tests(policies)
    return (
        outcomes,
        [f"{o.file}:{o.line}: {o.test}: {o.message}" for o in outcomes if not o.passed],
        untested,
    )


def test_shipped_policies_pass_their_tests(shipped):
    outcomes, failures, untested = _failures(shipped)
    assert not failures, "\n".join(failures)
    assert not untested, [p.id for p in untested]
    assert len(outcomes) >= 100


def test_shipped_policies_name_their_source_and_test_boundaries(shipped):
    for p in shipped:
        assert p.source.strip(), p.file
        assert len(p.tests) >= 1, p.file
    ids = {p.id for p in shipped}
    for required in (
        "hte-recognition",
        "tech-sme-evaluation",
        "srdi-sme",
        "little-giant",
        "torch-innovation-voucher",
        "torch-rd-subsidy-2025",
        "torch-srdi-award",
    ):
        assert required in ids
    assert SHIPPED.is_dir()


def test_the_500_bench_tests_pass(bench):
    outcomes, failures, _ = _failures(bench)
    assert len(bench) == 200
    assert len(outcomes) == 500
    assert not failures, "\n".join(failures[:20])

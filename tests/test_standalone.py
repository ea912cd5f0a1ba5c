"""The repository stands alone: what users clone is all that tests, benchmarks and docs use."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A folder beside the checkout, or a path of the machine a file was written on.
# Spelt in parts, so that this guard does not name the paths it looks for.
_PLACES = (
    ("..", "/shared\\b"),
    ("/wo", "rk/"),
    ("/ro", "ot/"),
    ("/ho", "me/[a-z]"),
    ("/tm", "p/gaoxin"),
    ("C:", r"\\\\Users"),
)
OUTSIDE = re.compile("|".join(re.escape(a) + b for a, b in _PLACES))


SKIPPED_FOLDERS = {".git", ".venv", "var", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _tracked() -> list[Path]:
    """The files git tracks; outside a git checkout (an unpacked archive), every file but the
    virtual environment's and the caches'."""
    if (REPO / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
        ).stdout.decode()
        return [REPO / name for name in out.split("\0") if name]
    return [
        p
        for p in REPO.rglob("*")
        if p.is_file() and not SKIPPED_FOLDERS & set(p.relative_to(REPO).parts)
    ]


def test_no_file_reaches_outside_the_repository() -> None:
    found = []
    for path in _tracked():
        if path.suffix in {".mo", ".png", ".xlsx", ".pdf", ".ico"} or path.name == "run":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


def test_the_benchmark_workload_is_in_the_repository() -> None:
    policies = list((REPO / "benchmarks" / "workload" / "policies").glob("*.yaml"))
    assert len(policies) == 200
    assert (REPO / "benchmarks" / "workload" / "gen_data.py").is_file()

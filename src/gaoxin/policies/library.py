"""Policy texts: loading one into the rules engine, reporting its problems where they are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gaoxin.core.errors import ValidationFailed
from gaoxin.rules import Policy, PolicyError, PolicyErrors, load_text


@dataclass(frozen=True)
class Problem:
    line: int
    col: int
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "col": self.col, "message": self.message}


def problems_of(text: str, name: str = "policy.yaml") -> list[Problem]:
    """Every problem of a policy text, by line and column; [] when it loads."""
    try:
        load_text(text, name)
    except PolicyErrors as exc:
        return [_problem(e) for e in exc.errors]
    except PolicyError as exc:
        return [_problem(exc)]
    return []


def _problem(error: PolicyError) -> Problem:
    message = error.message + (f"（{error.hint}）" if error.hint else "")
    return Problem(error.line or 1, error.col or 1, message)


def parse(text: str, name: str = "policy.yaml") -> Policy:
    """The policy, or ValidationFailed listing its problems by line and column."""
    try:
        return load_text(text, name)
    except (PolicyErrors, PolicyError):
        problems = problems_of(text, name)
        first = problems[0]
        raise ValidationFailed(
            f"第 {first.line} 行第 {first.col} 列：{first.message}",
            field="text",
            details=[p.as_dict() for p in problems],
        ) from None


def shipped_library() -> Path | None:
    """The policy library shipped beside the package in a source checkout."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "policies"
        if (candidate / "national").is_dir():
            return candidate
    return None


# -- which shipped policies a zone publishes -----------------------------------------------

NATIONWIDE = "全国"


def applies_in(policy_region: str, zone_region: str) -> bool:
    """Whether a policy issued for `policy_region` applies to enterprises of `zone_region`:
    national policies everywhere; otherwise the policy's region must contain the zone's
    (福建省 and 福建省/厦门市 contain 福建省/厦门市/火炬高新区; 福建省/厦门市/思明区 and
    福建省/福州市 do not). A policy without a region is the library's, not the zone's."""
    if policy_region == NATIONWIDE:
        return True
    if not policy_region:
        return False
    mine, theirs = zone_region.split("/"), policy_region.split("/")
    return mine[: len(theirs)] == theirs


def shipped_policies(folder: Path | None = None) -> list[tuple[Path, Policy]]:
    """Every policy of the shipped library, loaded, in file order."""
    folder = folder or shipped_library()
    if folder is None:
        return []
    return [
        (path, parse(path.read_text(encoding="utf-8"), path.name))
        for path in sorted(folder.rglob("*.yaml"))
    ]


def zone_publishes(policy: Policy, zone_region: str) -> bool:
    """Whether a zone in `zone_region` publishes this shipped policy; the others stay in the
    library, for a zone to import as a draft."""
    return applies_in(policy.region, zone_region)

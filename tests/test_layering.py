"""The house: each app builds on the ones below it and never reaches up.

`core` is below every domain; the registry is below the policy service and the vouchers; the
modules above the apps (`demo`, `home`, `urls`, `api`, `cli`) are the only places that gather
them. Imports made for type checking only (`if TYPE_CHECKING:`) don't count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gaoxin

PACKAGE = Path(gaoxin.__file__).parent
# An app may import the apps of lower layers and of its own layer, never of a higher one.
LAYERS = (
    {"core", "catalogue", "rules"},
    {"accounts"},
    {"enterprises"},
    {"ledger", "notifications"},
    {"policies"},
    {"supermarket", "vouchers"},
)
LAYER_OF = {app: n for n, apps in enumerate(LAYERS) for app in apps}


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for child in ast.walk(node))
    apps = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "gaoxin" and len(parts) > 1:
                apps.add(parts[1])
    return apps


def _modules_of(app: str) -> list[Path]:
    return sorted(p for p in (PACKAGE / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", sorted(LAYER_OF))
def test_no_app_imports_one_above_it(app: str) -> None:
    if not (PACKAGE / app).is_dir():
        return  # a plain module (catalogue): checked below
    reaching_up = {
        f"{path.relative_to(PACKAGE)} imports gaoxin.{other}"
        for path in _modules_of(app)
        for other in _runtime_imports(path)
        if other in LAYER_OF and LAYER_OF[other] > LAYER_OF[app]
    }
    assert not reaching_up, sorted(reaching_up)


def test_core_imports_no_domain_app() -> None:
    domain = set(LAYER_OF) - {"core", "catalogue"}
    found = {
        f"{path.relative_to(PACKAGE)} imports gaoxin.{other}"
        for path in _modules_of("core")
        for other in _runtime_imports(path) & domain
    }
    assert not found, sorted(found)


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists()}
    assert apps <= set(LAYER_OF), f"add {sorted(apps - set(LAYER_OF))} to LAYERS"


def test_the_check_sees_a_reach_up(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from gaoxin.policies import payouts\n"
        "if TYPE_CHECKING:\n    from gaoxin.vouchers.models import VoucherOrder\n"
    )
    assert _runtime_imports(module) == {"policies"}

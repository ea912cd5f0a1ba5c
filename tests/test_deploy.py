"""Production settings pass Django's deployment checks, and refuse to start without a key."""

from __future__ import annotations

import os
import subprocess
import sys


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DJANGO_SETTINGS_MODULE",
            "DEBUG",
            "SECRET_KEY",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
        )
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gaoxin.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes(tmp_path: object) -> None:
    result = run(
        {
            "SECRET_KEY": "k" * 20 + "-production-secret-" + "z" * 30,
            "ALLOWED_HOSTS": "zone.example.cn",
            "GAOXIN_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start(tmp_path: object) -> None:
    result = run({"GAOXIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_collectstatic_for_production(tmp_path: object) -> None:
    """`gaoxin serve` collects static files into the hashed manifest at start; every vendored
    file must survive that (a reference to a missing source map would stop the server)."""
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    result = subprocess.run(
        [sys.executable, "-m", "gaoxin.cli", "manage", "collectstatic", "--noinput"],
        env={
            **base,
            "SECRET_KEY": "k" * 50,
            "GAOXIN_DATA_DIR": str(tmp_path),
            "STATIC_ROOT": f"{tmp_path}/static",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()  # type: ignore[operator]
    assert "vendor/echarts/echarts.min.js" in manifest

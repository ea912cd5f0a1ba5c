"""What `gaoxin serve` and `gaoxin demo` check and set before the web application starts, so
that a missing key or an unmigrated database is a sentence saying what to run, not a
traceback. Messages are bilingual (中文 / English), like the rest of the command line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

MAKE_KEY = "export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"


class StartupError(Exception):
    """The application can't start; the message says what to run."""


def setup_django(debug_default: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoxin.settings")
    if debug_default:
        os.environ.setdefault("DEBUG", "1")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as e:
        if "SECRET_KEY" in str(e):
            raise StartupError(
                "没有设置 SECRET_KEY。生产环境请先设置密钥，例如：\n"
                f"    {MAKE_KEY}\n"
                "开发时可改用 DEBUG=1。\n"
                "SECRET_KEY is not set. In production set a key first (the line above); "
                "for development run with DEBUG=1."
            ) from None
        raise StartupError(f"配置有误 / the configuration is wrong: {e}") from None


def pending_migrations() -> list[str]:
    """Migrations not yet applied to the database ("app.0001_initial")."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor
    from django.db.utils import Error as DatabaseError

    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as e:
        raise StartupError(
            f"无法连接数据库：{str(e).strip()}\n"
            "请检查 DATABASE_URL（例如 postgres://gaoxin:密码@db:5432/gaoxin）和数据库是否已启动。\n"
            "Can't reach the database: check DATABASE_URL and that the database server runs."
        ) from None
    return [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]


def check_ready_to_serve() -> list[str]:
    """Refuse to serve an unmigrated database; return warnings worth printing (no account
    to log in with yet)."""
    pending = pending_migrations()
    if pending:
        raise StartupError(
            f"数据库尚未迁移（{len(pending)} 个迁移未执行）。请先运行：\n"
            "    gaoxin manage migrate\n"
            "    gaoxin manage createsuperuser\n"
            f"The database is not migrated ({len(pending)} migrations pending): run "
            "`gaoxin manage migrate`, then `gaoxin manage createsuperuser`, then serve again."
        )
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.exists():
        return [
            "还没有任何账号：运行 gaoxin manage createsuperuser 创建管理员。\n"
            "No account yet: run `gaoxin manage createsuperuser` to create the administrator."
        ]
    return []


def data_dir() -> Path:
    """Where settings.py puts SQLite, uploads and static files (GAOXIN_DATA_DIR or ./var)."""
    return Path(os.environ.get("GAOXIN_DATA_DIR", Path.cwd() / "var")).resolve()


def demo_environment(host: str) -> None:
    """The demo runs with DEBUG off, as production does (real 404/500 pages, hashed static
    files served by whitenoise), but over plain HTTP on this machine: a key kept in the data
    folder, no HTTPS redirect or secure-only cookies, the host it listens on allowed."""
    if os.environ.get("SECRET_KEY"):
        pass
    elif not _truthy(os.environ.get("DEBUG")):
        os.environ["SECRET_KEY"] = _demo_secret_key(data_dir())
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        os.environ.setdefault(name, "0")
    os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
    hosts = ["localhost", "127.0.0.1", "[::1]"]
    if host in ("0.0.0.0", "::", ""):
        hosts = ["*"]  # reachable on every address of this machine: the demo on a LAN
    elif host not in hosts:
        hosts.append(host)
    os.environ.setdefault("ALLOWED_HOSTS", ",".join(hosts))


def _demo_secret_key(folder: Path) -> str:
    path = folder / "demo-secret-key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key, encoding="ascii")
    path.chmod(0o600)
    return key


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}

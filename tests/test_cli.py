"""The `gaoxin` command: its help names only commands that exist; `serve` says what to run
instead of printing a traceback; `demo` runs with DEBUG off, serves its static files and error
pages, and stops its worker on SIGTERM; the worker logs one line per task. The last ones run
the real command in a subprocess."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gaoxin.cli import default_workers, main, server_command

# What these subprocesses must not inherit from the test run's own settings.
OWN = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "GAOXIN_DATA_DIR",
    "TASKS_BACKEND",
)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in OWN}
    return {**base, "GAOXIN_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1", **extra}


def gaoxin(*argv: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gaoxin.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_exactly_the_commands_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    choices = set(re.search(r"\{([a-z,]+)\}", text)[1].split(","))  # type: ignore[index]
    assert choices == {"serve", "demo", "worker", "rules", "manage"}
    named = set(re.findall(r"^gaoxin ([a-z]+)", text, re.MULTILINE))
    named |= set(re.search(r"The `gaoxin` command: ([a-z, ]+)\.", text)[1].split(", "))  # type: ignore[index]
    assert named == choices, "the help names a command that doesn't exist, or leaves one out"
    for command in ("serve", "demo", "worker"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
    assert main(["rules", "check", "policies"]) == 0


def test_serve_without_a_secret_key_says_how_to_set_one(tmp_path: Path) -> None:
    for command in (["serve"], ["manage", "migrate"]):
        done = gaoxin(*command, env=environment(tmp_path))
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert "没有设置 SECRET_KEY" in done.stderr
        assert "export SECRET_KEY=$(python3 -c 'import secrets;" in done.stderr
        assert "SECRET_KEY is not set" in done.stderr


def test_serve_on_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    env = environment(tmp_path, SECRET_KEY="k" * 50, ALLOWED_HOSTS="localhost")
    done = gaoxin("serve", "--port", "1", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "数据库尚未迁移" in done.stderr
    assert "gaoxin manage migrate" in done.stderr
    assert "gaoxin manage createsuperuser" in done.stderr
    assert "The database is not migrated" in done.stderr


def test_serve_on_an_unreachable_database_says_to_check_database_url(tmp_path: Path) -> None:
    env = environment(
        tmp_path, SECRET_KEY="k" * 50, DATABASE_URL="postgres://nobody@127.0.0.1:1/none"
    )
    done = gaoxin("serve", "--port", "1", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "无法连接数据库" in done.stderr and "DATABASE_URL" in done.stderr


def test_worker_logs_one_line_per_task(tmp_path: Path) -> None:
    env = environment(tmp_path, DEBUG="1")
    assert gaoxin("manage", "migrate", "-v0", env=env).returncode == 0
    enqueue = (
        "from gaoxin.policies.tasks import match_enterprise_task as ok;"
        "from gaoxin.notifications.tasks import send_delivery_task as bad;"
        "ok.enqueue(999999); bad.enqueue(999999)"
    )
    assert gaoxin("manage", "shell", "-c", enqueue, env=env).returncode == 0
    done = gaoxin("manage", "worker", "--batch", "--no-reload", "--no-startup-delay", env=env)
    assert done.returncode == 0, done.stderr
    lines = [x for x in (done.stdout + done.stderr).splitlines() if x.startswith("task ")]
    assert len(lines) == 2, done.stdout + done.stderr
    assert re.fullmatch(
        r"task gaoxin\.policies\.tasks\.match_enterprise_task SUCCESSFUL in \d+\.\d\d s "
        r"\(id [0-9a-f-]{36}\)",
        lines[0],
    )
    assert lines[1].startswith("task gaoxin.notifications.tasks.send_delivery_task FAILED in ")
    assert lines[1].endswith("Delivery.DoesNotExist: Delivery matching query does not exist.")
    assert "state=" not in done.stdout + done.stderr  # django-tasks' own two lines per task


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str) -> tuple[int, str, str]:
    try:
        with NO_PROXY.open(url, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("stop", ["sigterm", "ctrl-c"])
def test_demo_runs_without_debug_and_stopping_it_stops_its_worker(
    tmp_path: Path, stop: str
) -> None:
    """SIGTERM reaches the server alone (systemd, kill); Ctrl-C in a terminal reaches the
    whole process group. Either way the worker ends with the server."""
    port = free_port()
    env = environment(tmp_path)  # no DEBUG, no SECRET_KEY: the demo sets up what it needs
    server = subprocess.Popen(
        [sys.executable, "-m", "gaoxin.cli", "demo", "--enterprises", "20", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    workers: list[int] = []
    try:
        assert server.stdout is not None
        output = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("Serving on"):  # waitress listens
                break
        assert f"http://127.0.0.1:{port}/" in "".join(output), "".join(output)
        workers = children(server.pid)
        assert len(workers) == 1 and alive(workers[0])

        base = f"http://127.0.0.1:{port}"
        status, _, login = get(f"{base}/accounts/login/")
        assert status == 200
        # DEBUG is off: static files carry their content hash and whitenoise serves them.
        css = re.search(r'href="(/static/gaoxin/gaoxin\.[0-9a-f]{12}\.css)"', login)
        icon = re.search(r'href="(/static/gaoxin/favicon\.[0-9a-f]{12}\.svg)"', login)
        assert css and icon, login[:2000]
        status, kind, body = get(base + css[1])
        assert (status, kind.split(";")[0]) == (200, "text/css") and ".gx-shell" in body
        status, kind, body = get(base + icon[1])
        assert (status, kind.split(";")[0]) == (200, "image/svg+xml") and "<svg" in body
        assert get(f"{base}/favicon.ico")[:2] == (200, "image/x-icon")
        status, _, missing = get(f"{base}/no-such-page/")
        assert status == 404
        assert "没有找到" in missing and "页面不存在，或您无权查看" in missing
        assert "Traceback" not in missing and "DEBUG" not in missing

        if stop == "sigterm":
            server.send_signal(signal.SIGTERM)
        else:
            os.killpg(server.pid, signal.SIGINT)
        assert server.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(workers[0]), "the worker outlived the demo"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.django_db
def test_serve_on_a_database_without_accounts_says_to_create_one() -> None:
    from gaoxin.startup import check_ready_to_serve
    from tests.factories import UserFactory

    warnings = check_ready_to_serve()
    assert len(warnings) == 1 and "gaoxin manage createsuperuser" in warnings[0]
    UserFactory()
    assert check_ready_to_serve() == []


def test_serve_runs_gunicorn_processes_unless_one_process_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = server_command("0.0.0.0", 8000, None, None)
    assert command is not None
    assert command[:4] == [sys.executable, "-m", "gunicorn", "gaoxin.wsgi:application"]
    assert "--bind=0.0.0.0:8000" in command
    assert f"--workers={default_workers()}" in command and "--threads=4" in command
    assert default_workers() == 2 * (os.cpu_count() or 1) + 1
    command = server_command("127.0.0.1", 9000, 3, 2)
    assert command is not None and {"--workers=3", "--threads=2"} <= set(command)
    assert server_command("127.0.0.1", 9000, 1, None) is None  # one waitress process
    monkeypatch.setattr(os, "name", "nt")  # gunicorn is Unix-only: waitress on Windows
    assert server_command("127.0.0.1", 9000, 5, None) is None


def test_serve_passes_workers_and_threads_on_and_refuses_a_non_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gaoxin.cli

    called: list[tuple[object, ...]] = []
    monkeypatch.setattr(gaoxin.cli, "setup_django", lambda: None)
    monkeypatch.setattr(
        gaoxin.cli, "_serve", lambda *a, **kw: called.append((*a, kw["workers"])) or 0
    )
    assert main(["serve", "--workers", "3", "--threads", "2", "--port", "9001"]) == 0
    assert main(["serve"]) == 0
    assert called == [("127.0.0.1", 9001, 2, 3), ("127.0.0.1", 8000, None, None)]
    with pytest.raises(SystemExit) as done:
        main(["serve", "--workers", "many"])
    assert done.value.code == 2


def test_serve_with_workers_serves_from_several_processes_and_stops_them_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = environment(tmp_path, SECRET_KEY="k" * 50, ALLOWED_HOSTS="127.0.0.1")
    assert gaoxin("manage", "migrate", "-v0", env=env).returncode == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "gaoxin.cli", "serve", "--workers", "2", "--port", str(port)],
        env={**env, "SECURE_SSL_REDIRECT": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    processes: list[int] = []
    try:
        deadline = time.monotonic() + 240  # collectstatic first, then gunicorn starts
        status = 0
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.5)
            try:
                status = get(f"http://127.0.0.1:{port}/accounts/login/")[0]
            except OSError:
                continue
        assert status == 200
        (arbiter,) = children(server.pid)  # gunicorn, which runs the workers
        processes = [arbiter, *children(arbiter)]
        assert len(processes) == 3 and all(map(alive, processes))
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        deadline = time.monotonic() + 15
        while any(map(alive, processes)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(alive, processes)), "gunicorn outlived `gaoxin serve`"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in processes:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

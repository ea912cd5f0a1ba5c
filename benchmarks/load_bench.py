"""Pages under load: many staff users at once on the production server (`gaoxin serve`,
gunicorn with several processes), over the demo zone at 50,000 enterprises on PostgreSQL.

    python benchmarks/load_bench.py --postgres postgres://postgres@127.0.0.1:5432/gx_load
    python benchmarks/load_bench.py --postgres … --reuse --users 50 --duration 120

Builds the demo zone (`gaoxin demo --enterprises N --no-serve --reset`; `--reuse` keeps a
database that holds N enterprises already), starts `gaoxin serve --workers W`, and swarms it
with Locust (2.x, as a library, in a child process: Locust patches the standard library with
gevent when it is imported). Each user logs in as the zone administrator and then loops over
the registry list, the home page and the match list of the policy with the most matches,
thinking `--think` seconds (uniform) between pages as a person reading them does. After a
warm-up (logins, first requests) the statistics are reset and taken over `--duration` seconds:
per page requests/s, median, 95th percentile, failures.

Needs the `bench` extra (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import machine

USERNAME = "admin"  # the demo's zone administrator (accounts/demo.py)
PASSWORD = "Gaoxin@2025"
PAGES = (
    ("registry list", "/enterprises/"),
    ("home", "/"),
    ("policy match list", "/policies/{policy}/"),
)


def _psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", url, "-tAc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def _ensure_database(url: str) -> None:
    name, server = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0] + "/postgres"
    if not _psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def _enterprises(url: str) -> int:
    try:
        return int(_psql(url, "SELECT count(*) FROM enterprises_enterprise") or 0)
    except subprocess.CalledProcessError:  # not migrated yet
        return 0


def _environment(url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "GAOXIN_DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    }


def build(url: str, enterprises: int, env: dict[str, str], reuse: bool) -> None:
    _ensure_database(url)
    gaoxin = [sys.executable, "-m", "gaoxin.cli"]
    if reuse and _enterprises(url) == enterprises:
        # Migrations added since it was built (indexes): `gaoxin serve` refuses a database
        # with migrations pending.
        subprocess.run([*gaoxin, "manage", "migrate", "--verbosity", "0"], env=env, check=True)
        print(f"reusing the demo zone of {enterprises:,} enterprises")
        return
    started = time.perf_counter()
    subprocess.run(
        [*gaoxin, "demo", "--enterprises", str(enterprises), "--no-serve", "--reset"],
        env=env,
        check=True,
    )
    # As autovacuum leaves a registry that has settled: statistics, and the visibility map
    # that lets counts read an index alone.
    _psql(url, "VACUUM ANALYZE")
    print(
        f"built the demo zone of {enterprises:,} enterprises "
        f"in {time.perf_counter() - started:.0f} s"
    )


def busiest_policy(url: str) -> int:
    """The published policy with the most matches: its match list is the longest to show."""
    return int(
        _psql(
            url,
            "SELECT policy_id FROM policies_policymatch GROUP BY policy_id "
            "ORDER BY count(*) DESC LIMIT 1",
        )
    )


def _wait_until_serving(base: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    # Imported here: urllib imports ssl, which the Locust child must not have imported before
    # gevent patches it.
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gaoxin serve ended with {server.returncode}")
        try:
            with opener.open(f"{base}/accounts/login/", timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    raise RuntimeError(f"gaoxin serve did not answer within {timeout:.0f} s")


def swarm(
    base: str, policy: int, users: int, duration: float, warmup: float, think: tuple[float, float]
) -> dict[str, dict[str, float]]:
    """Run Locust in a child process (its gevent patching stays there); returns its figures."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--swarm",
            json.dumps(
                {
                    "base": base,
                    "policy": policy,
                    "users": users,
                    "duration": duration,
                    "warmup": warmup,
                    "think": think,
                }
            ),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the Locust child failed:\n{done.stderr[-3000:]}")
    figures: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    for error, times in figures.pop("errors", {}).items():
        print(f"failure ×{times}: {error}")
    return figures


def _swarm_child(spec: dict[str, object]) -> None:
    import gevent
    from locust import HttpUser, SequentialTaskSet, between, task
    from locust.env import Environment

    base, policy = str(spec["base"]), int(spec["policy"])  # type: ignore[call-overload]
    low, high = spec["think"]  # type: ignore[misc]

    class Pages(SequentialTaskSet):  # type: ignore[misc]
        @task
        def registry(self) -> None:
            self.client.get(PAGES[0][1], name=PAGES[0][0])

        @task
        def home(self) -> None:
            self.client.get(PAGES[1][1], name=PAGES[1][0])

        @task
        def matches(self) -> None:
            self.client.get(PAGES[2][1].format(policy=policy), name=PAGES[2][0])

    class Staff(HttpUser):  # type: ignore[misc]
        host = base
        wait_time = between(low, high)
        tasks = [Pages]

        def on_start(self) -> None:
            self.client.get("/accounts/login/", name="login")
            token = self.client.cookies.get("csrftoken", "")
            response = self.client.post(
                "/accounts/login/",
                data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/accounts/login/"},
                name="login",
                allow_redirects=False,
            )
            if response.status_code != 302:
                raise RuntimeError(f"login failed: {response.status_code}")

    env = Environment(user_classes=[Staff])
    runner = env.create_local_runner()
    users = int(spec["users"])  # type: ignore[call-overload]
    runner.start(users, spawn_rate=max(1, users // 10))
    gevent.sleep(float(spec["warmup"]))  # type: ignore[arg-type]
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(float(spec["duration"]))  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    runner.quit()
    out = {}
    for label, _path in PAGES:
        entry = env.stats.get(label, "GET")
        out[label] = {
            "requests": entry.num_requests,
            "rps": entry.num_requests / elapsed,
            "median": entry.get_response_time_percentile(0.5) or 0,
            "p95": entry.get_response_time_percentile(0.95) or 0,
            "max": entry.max_response_time or 0,
            "failures": entry.num_failures,
        }
    out["errors"] = {  # type: ignore[assignment]
        f"{e.method} {e.name}: {e.error}"[:300]: e.occurrences for e in env.stats.errors.values()
    }
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="postgres://… (created if missing)")
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true", help="keep a zone of that size")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=30, help="seconds before measuring")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"))
    parser.add_argument("--workers", type=int, default=None, help="gaoxin serve --workers")
    parser.add_argument("--threads", type=int, default=None, help="gaoxin serve --threads")
    parser.add_argument("--port", type=int, default=8130)
    args = parser.parse_args(argv)
    print(f"machine: {machine.describe(args.postgres)}", flush=True)
    data_dir = Path(os.environ.get("BENCH_DATA", Path.home() / ".cache" / "gaoxin-bench"))
    env = _environment(args.postgres, data_dir / "load")
    build(args.postgres, args.enterprises, env, args.reuse)
    policy = busiest_policy(args.postgres)
    serve = [sys.executable, "-m", "gaoxin.cli", "serve", "--port", str(args.port)]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    if args.threads:
        serve += ["--threads", str(args.threads)]
    # The server's log in a file: a pipe nobody reads would stall it once full.
    log = data_dir / "load-serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        serve, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w", encoding="utf-8")
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        _wait_until_serving(base, server, timeout=300)
        print(
            f"{args.users} users on `{' '.join(serve[3:])}`, thinking {args.think[0]:g}–"
            f"{args.think[1]:g} s between pages; {args.warmup:g} s warm-up, "
            f"{args.duration:g} s measured; policy {policy}'s match list\n"
        )
        figures = swarm(base, policy, args.users, args.duration, args.warmup, tuple(args.think))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"{'page':20} {'req/s':>7} {'median':>8} {'p95':>8} {'max':>8} {'failures':>9}")
    for label, f in figures.items():
        print(
            f"{label:20} {f['rps']:7.1f} {f['median']:6.0f}ms {f['p95']:6.0f}ms "
            f"{f['max']:6.0f}ms {int(f['failures']):9}"
        )
    total = sum(f["rps"] for f in figures.values())
    print(f"{'all':20} {total:7.1f}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--swarm"]:
        _swarm_child(json.loads(sys.argv[2]))
        sys.exit(0)
    sys.exit(main())

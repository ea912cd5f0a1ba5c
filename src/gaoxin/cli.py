"""The `gaoxin` command: demo, serve, worker, rules, manage.

gaoxin demo                      build the demo zone (SQLite) and serve it on :8000
gaoxin demo --enterprises 1000000 --out FILE.parquet   write a flat file, no database
gaoxin serve [--port 8000] [--workers N]   run the web application (gunicorn, N processes;
                                 waitress on Windows; static files included)
gaoxin worker                    run a background-task worker (one log line per task)
gaoxin rules check|test|evaluate …   the rules engine, without the web application
gaoxin manage <command> …        any Django management command (migrate, createsuperuser…)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from gaoxin.startup import StartupError, check_ready_to_serve, demo_environment, setup_django


def _manage(argv: list[str]) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gaoxin manage", *argv])
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM reached the server alone (systemd, docker stop, kill), not its worker."""


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SIGTERM ends the server as Ctrl-C does, so that the `finally` below stops the worker
    # instead of leaving it running without its parent.
    raise _Terminated


def default_workers() -> int:
    """Worker processes for `gaoxin serve`: 2 × cores + 1, gunicorn's advice (a request
    waiting on the database leaves its core to another process)."""
    return 2 * (os.cpu_count() or 1) + 1


def server_command(
    host: str, port: int, workers: int | None, threads: int | None
) -> list[str] | None:
    """The gunicorn command serving the application with `workers` processes (default
    `default_workers()`) of `threads` threads (default 4), or None where it is served by waitress
    in this process: one worker asked for, Windows (gunicorn is Unix-only) or no gunicorn."""
    if workers == 1 or os.name == "nt" or importlib.util.find_spec("gunicorn") is None:
        return None
    # gthread workers: a thread waiting on the database lets another run; `--max-requests`
    # recycles a process now and then, so that memory a page leaves behind cannot pile up.
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "gaoxin.wsgi:application",
        f"--bind={host}:{port}",
        f"--workers={workers or default_workers()}",
        "--worker-class=gthread",
        f"--threads={threads or 4}",
        "--max-requests=2000",
        "--max-requests-jitter=200",
        "--timeout=120",
        "--graceful-timeout=30",
        # A person reads a page for seconds before the next click: gunicorn's 2 s default
        # closes the connection in between, and the next request pays (or fails on) a reconnect.
        "--keep-alive=75",
        "--no-control-socket",  # one per user's home otherwise: two servers would share it
    ]


def _serve(
    host: str,
    port: int,
    threads: int | None,
    worker: bool = False,
    workers: int | None = 1,
) -> int:
    """Serve the application: with gunicorn and several processes where it can
    (`server_command`), else with waitress in this process; with `worker`, run a
    background-task worker beside it (what a laptop needs; production runs `gaoxin worker`
    processes of its own)."""
    for warning in check_ready_to_serve():
        print(warning, file=sys.stderr, flush=True)
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    command = server_command(host, port, workers, threads)
    if command is None and workers not in (None, 1):
        print(
            "gunicorn 不可用：单进程 waitress / gunicorn unavailable: one waitress process",
            file=sys.stderr,
            flush=True,
        )
    process = server = None
    interrupted_too = False  # Ctrl-C in a terminal reaches the whole process group
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if worker:
            process = subprocess.Popen([sys.executable, "-m", "gaoxin.cli", "worker"])
        print(
            f"Gaoxin 高新区企业服务平台: http://{host}:{port}/  (Ctrl+C 停止 / to stop)", flush=True
        )
        if command is not None:
            server = subprocess.Popen(command)
            server.wait()
        else:
            from waitress import serve

            from gaoxin.wsgi import application

            serve(application, host=host, port=port, threads=threads or 8, ident="gaoxin")
    except _Terminated:
        pass
    except KeyboardInterrupt:
        interrupted_too = True
    finally:
        for child in (server, process):
            if child is not None:
                _stop(child, interrupted_too)
    return 0


def _stop(process: subprocess.Popen[bytes], interrupted_too: bool) -> None:
    """Stop a child (the worker, gunicorn) and wait for it: one signal lets it finish the task
    or requests at hand (a second would cut them short, so a child that had Ctrl-C too gets
    none); after 30 s, kill."""
    if process.poll() is None and not interrupted_too:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rules"]:
        from gaoxin.rules.cli import main as rules_main

        return rules_main(argv[1:])
    if argv[:1] == ["manage"]:
        try:
            return _manage(argv[1:])
        except StartupError as e:
            print(e, file=sys.stderr)
            return 1

    parser = argparse.ArgumentParser(
        prog="gaoxin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes (gunicorn; default 2 × cores + 1; 1 = one waitress process, as on Windows)",
    )
    serve.add_argument(
        "--threads", type=int, default=None, help="threads per process (default 4; waitress 8)"
    )
    serve.add_argument(
        "--worker", action="store_true", help="also run a background-task worker (matching, pushes)"
    )
    demo = commands.add_parser("demo", help="build the demo zone and serve it")
    demo.add_argument(
        "--enterprises",
        type=int,
        default=None,
        help="how many enterprises (default 3000 in the database)",
    )
    demo.add_argument("--out", type=Path, help="write a flat file (.parquet, .csv, .xlsx) and exit")
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--no-serve", action="store_true", help="build the database, do not serve")
    demo.add_argument("--reset", action="store_true", help="rebuild even if the demo exists")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    commands.add_parser("worker", help="run a background-task worker")
    commands.add_parser("rules", help="the rules engine: check, test, evaluate")
    commands.add_parser("manage", help="a Django management command")
    args = parser.parse_args(argv)

    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "serve":
            setup_django()
            return _serve(
                args.host, args.port, args.threads, worker=args.worker, workers=args.workers
            )
        # A worker never reloads itself: a reload mid-task leaves the task marked running.
        return _manage(["worker", "--no-reload"])
    except StartupError as e:
        print(e, file=sys.stderr)
        return 1


def _demo(args: argparse.Namespace) -> int:
    if args.out is not None:
        from gaoxin.enterprises.synthetic import write_flat_file

        n = args.enterprises or 1_000_000
        kwargs = {"seed": args.seed} if args.seed is not None else {}
        write_flat_file(n, args.out, **kwargs)
        print(f"wrote {n:,} enterprises to {args.out}")
        return 0
    # A laptop has no mail server: the demo writes its emails to files (var/mail).
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    demo_environment(args.host)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from gaoxin.demo import build_demo_zone, demo_exists, print_logins

    if args.reset or not demo_exists():
        build_demo_zone(enterprises=args.enterprises or 3000, seed=args.seed, reset=args.reset)
    print_logins()
    if args.no_serve:
        return 0
    return _serve(args.host, args.port, threads=8, worker=True)


if __name__ == "__main__":
    sys.exit(main())

"""The `gaoxin` command: demo, serve, worker, rules, manage.

gaoxin demo                      build the demo zone (SQLite) and serve it on :8000
gaoxin demo --enterprises 1000000 --out FILE.parquet   write a flat file, no database
gaoxin serve [--port 8000]       run the web application (waitress, static files included)
gaoxin worker                    run a background-task worker (one log line per task)
gaoxin rules check|test|evaluate …   the rules engine, without the web application
gaoxin manage <command> …        any Django management command (migrate, createsuperuser…)
"""

from __future__ import annotations

import argparse
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


def _serve(host: str, port: int, threads: int, worker: bool = False) -> int:
    """Serve the application; with `worker`, run a background-task worker beside it (what a
    laptop needs; production runs `gaoxin worker` processes of its own)."""
    for warning in check_ready_to_serve():
        print(warning, file=sys.stderr, flush=True)
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    from waitress import serve

    from gaoxin.wsgi import application

    process = None
    interrupted_too = False  # Ctrl-C in a terminal reaches the whole process group
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if worker:
            process = subprocess.Popen([sys.executable, "-m", "gaoxin.cli", "worker"])
        print(
            f"Gaoxin 高新区企业服务平台: http://{host}:{port}/  (Ctrl+C 停止 / to stop)", flush=True
        )
        serve(application, host=host, port=port, threads=threads, ident="gaoxin")
    except _Terminated:
        pass
    except KeyboardInterrupt:
        interrupted_too = True
    finally:
        if process is not None:
            _stop(process, interrupted_too)
    return 0


def _stop(process: subprocess.Popen[bytes], interrupted_too: bool) -> None:
    """Stop the worker and wait for it: one signal lets it finish the task at hand (a second
    would cut the task short, so a worker that had Ctrl-C too gets none); after 10 s, kill."""
    if process.poll() is None and not interrupted_too:
        process.terminate()
    try:
        process.wait(timeout=10)
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
    serve.add_argument("--threads", type=int, default=8)
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
            return _serve(args.host, args.port, args.threads, worker=args.worker)
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

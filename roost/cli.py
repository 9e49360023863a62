"""The `roost` command."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

DEMO_URL = "http://127.0.0.1:8000"
# What `roost run` starts, measured in docs/web-load.md: a web process per core.
DEFAULT_WEB_PROCESSES = 2
DEFAULT_WEB_THREADS = 8
WEB_SERVERS = ("granian", "waitress")
DEFAULT_WEB_SERVER = "granian"
SETTINGS = {
    "demo": "roost.config.settings.demo",
    "production": "roost.config.settings.production",
}


def _setup(settings: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS[settings])
    import django

    django.setup()


def _migrate(verbosity: int = 1) -> None:
    from django.conf import settings
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("migrate", database="sandbox", interactive=False, verbosity=verbosity)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup("production")
    _migrate()
    return 0


def _seed_and_describe() -> None:
    from roost.core.demo import DEMO_PASSWORD, PEOPLE
    from roost.demo import seed_demo_organization

    org = seed_demo_organization()
    print(f"Demo organisation '{org.name}' is ready.")
    print(f"Sign in with any of these logins; the password is {DEMO_PASSWORD}")
    for person in PEOPLE:
        scope = person.group or "whole organisation"
        print(f"  {person.email:<28} {person.role.label} ({scope})")


def _serve_granian(host: str, port: int, workers: int, threads: int) -> None:
    from roost.config.web_server import granian_server

    granian_server(host=host, port=port, workers=workers, threads=threads).serve()


def _serve(host: str, port: int, threads: int, *, reuse_port: bool = False) -> None:
    import logging

    from django.conf import settings

    from roost.config.web_server import web_server
    from roost.config.wsgi import application

    server = web_server(
        application,
        host=host,
        port=port,
        threads=threads,
        trusted_proxies=settings.ROOST_TRUSTED_PROXIES,
        reuse_port=reuse_port,
    )
    logging.basicConfig()
    server.print_listen("Serving on http://{}:{}")
    server.run()


def cmd_web(args: argparse.Namespace) -> int:
    _setup(args.settings)
    if args.server == "granian":
        _serve_granian(args.host, args.port, args.workers, args.threads)
    else:
        _serve(args.host, args.port, args.threads, reuse_port=args.reuse_port)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup(args.settings)
    from django.urls import reverse

    from roost.core.clock import ClockThread
    from roost.core.task_runner import TaskRunner
    from roost.oncall.paging.loop import EscalationLoop
    from roost.publishing.worker import Publishing

    reverse("core:today")  # loads every app's URLs now, not in the first page's step
    clock = ClockThread(interval=args.clock_interval)
    if not args.no_clock:
        clock.start()
    escalation = EscalationLoop()
    escalation.start()
    publishing = Publishing(senders=args.senders)
    publishing.start()
    worker = TaskRunner(
        queue_names=["*"],
        interval=args.interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{os.uname().nodename}-{os.getpid()}",
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        clock.stop()
        escalation.stop()
        publishing.stop(timeout=5)
    return 0


# A crashed worker is started again after a pause that doubles from the first to the
# longest; once it has stayed up for a while, the next crash starts from the first again.
RESTART_FIRST_DELAY = 1.0
RESTART_LONGEST_DELAY = 30.0
RESTART_STEADY_AFTER = 60.0


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class _Child:
    """One supervised process, and how often it has crashed lately."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name, self.command = name, command
        self.crashes = 0
        self.restart_at: float | None = None
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        self.started = time.monotonic()
        process = subprocess.Popen(self.command)
        print(f"roost: the {self.name} process started (pid {process.pid})", flush=True)
        return process

    def running(self) -> bool:
        return self.process.poll() is None

    def schedule_restart(self) -> None:
        now = time.monotonic()
        if now - self.started > RESTART_STEADY_AFTER:
            self.crashes = 0
        delay = min(RESTART_FIRST_DELAY * 2**self.crashes, RESTART_LONGEST_DELAY)
        self.crashes += 1
        self.restart_at = now + delay
        print(
            f"roost: the {self.name} process exited ({_exit_reason(self.process.returncode)}); "
            f"restarting it in {delay:.0f} s",
            flush=True,
        )

    def restart_when_due(self) -> None:
        if self.restart_at is not None and time.monotonic() >= self.restart_at:
            self.restart_at = None
            self.process = self._start()


def _supervise(commands: dict[str, list[str]], banner: str, *, restartable: frozenset[str]) -> int:
    """Run the children until Ctrl-C. A restartable child that exits is started again
    (after a growing pause) while the others carry on; any other child that exits
    stops them all."""
    children = [_Child(name, command) for name, command in commands.items()]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(banner, flush=True)
    exit_code = 0
    while not stopping:
        ended = next((c for c in children if not c.running() and c.name not in restartable), None)
        if ended is not None:
            exit_code = ended.process.returncode or 1
            print(
                f"roost: the {ended.name} process exited "
                f"({_exit_reason(ended.process.returncode)}); stopping the others",
                flush=True,
            )
            break
        for child in children:
            if child.running():
                continue
            if child.restart_at is None:
                child.schedule_restart()
            else:
                child.restart_when_due()
        time.sleep(0.3)
    for child in children:
        if child.running():
            child.process.terminate()
    for child in children:
        try:
            child.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.process.kill()
    print("roost: stopped.", flush=True)
    return 0 if stopping else exit_code


def demo_environment(environ: dict[str, str] | os._Environ[str], *, port: int) -> None:
    """What the demo sets unless told otherwise: links in its messages (kept on its Mail
    page, or sent when ROOST_EMAIL_URL names a server) open the demo itself."""
    environ.setdefault("ROOST_BASE_URL", f"http://127.0.0.1:{port}")


def cmd_demo(args: argparse.Namespace) -> int:
    # Before the settings are read; the web and worker processes inherit it.
    demo_environment(os.environ, port=args.port)
    _setup("demo")
    _migrate(verbosity=0)
    _seed_and_describe()
    if args.seed_only:
        return 0
    me = [sys.executable, "-m", "roost.cli"]
    url = f"http://127.0.0.1:{args.port}"
    # Links in the demo's messages (its kept e-mail, webhooks) point at this server.
    os.environ.setdefault("ROOST_BASE_URL", url)
    return _supervise(
        {
            "web": [
                *me,
                "web",
                "--settings",
                "demo",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.port),
            ],
            "worker": [*me, "worker", "--settings", "demo"],
        },
        f"\nRoost demo is running at {url}  (web + worker; Ctrl-C stops both)\n",
        restartable=frozenset({"worker"}),
    )


def cmd_run(args: argparse.Namespace) -> int:
    from roost.config.env import ConfigurationError, production_problems, read_environment

    try:
        env = read_environment()
    except ConfigurationError as error:
        print(f"roost run: {error}", file=sys.stderr)
        return 2
    problems = production_problems(env)
    if problems:
        print("roost run: refusing to start:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    _setup("production")
    _migrate(verbosity=0)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    me = [sys.executable, "-m", "roost.cli"]
    web = [*me, "web", "--settings", "production", "--host", args.host, "--port", str(args.port)]
    web += ["--threads", str(args.web_threads), "--server", args.web_server]
    processes = max(1, args.web_processes)
    if args.web_server == "granian":
        # One granian process runs the workers itself.
        webs = {"web": [*web, "--workers", str(processes)]}
    else:
        if processes > 1:
            web.append("--reuse-port")
        webs = {"web" if n == 0 else f"web {n + 1}": web for n in range(processes)}
    return _supervise(
        {**webs, "worker": [*me, "worker", "--settings", "production"]},
        f"Roost is running at http://{args.host}:{args.port} (web + worker; Ctrl-C stops both)",
        restartable=frozenset({"worker"}),
    )


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup("production")
    from django.db import transaction

    from roost.core import services
    from roost.core.actors import SYSTEM
    from roost.core.errors import ApplicationError
    from roost.core.models import Organization, Role

    password = os.environ.get("ROOST_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print(
                "roost createadmin: set ROOST_ADMIN_PASSWORD or run it in a terminal",
                file=sys.stderr,
            )
            return 2
        password = getpass.getpass("Password for the new admin: ")
    try:
        with transaction.atomic():
            org = Organization.objects.filter(slug=args.org_slug).first()
            if org is None:
                org = services.organization_create(
                    name=args.org_name or args.org_slug, slug=args.org_slug
                )
            user = services.user_create(
                organization=org, actor=SYSTEM, email=args.email, name=args.name, password=password
            )
            services.membership_grant(actor=SYSTEM, user=user, role=Role.ADMIN)
    except ApplicationError as error:
        print(f"roost createadmin: {error.message}", file=sys.stderr)
        return 2
    print(f"Created admin {user.email} in '{org.name}'.")
    print("They set up two-factor sign-in when they first sign in.")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup("production")
    from roost.core import audit
    from roost.core.models import Organization

    # Each organisation's chain on its own: one broken chain must not hide another.
    verified, broken = 0, 0
    for org in Organization.objects.order_by("pk"):
        result = audit.verify([org])
        verified += result.verified
        if result.ok:
            continue
        broken += 1
        event = result.broken_event
        assert event is not None
        print(
            f"audit chain broken at event id={event.pk} (organisation {event.organization_id}, "
            f"sequence {event.sequence}, action {event.action}): {result.reason}; "
            f"{result.verified} events before it verified",
            file=sys.stderr,
        )
    if broken:
        return 1
    print(f"verified {verified} events")
    return 0


def cmd_vault_rotate_key(args: argparse.Namespace) -> int:
    _setup("production")
    from roost.channels.network_apps import network_app_secrets_rewrap
    from roost.channels.vault import VaultError, vault_rotate_key
    from roost.core.notifications.contact_methods import contact_method_secrets_rewrap
    from roost.inbox.classify_backends.configuration import endpoint_keys_rewrap

    try:
        result = vault_rotate_key()
        endpoint_keys = endpoint_keys_rewrap()
        contact_secrets = contact_method_secrets_rewrap()
        app_secrets = network_app_secrets_rewrap()
    except VaultError as error:
        print(f"roost vault rotate-key: {error}", file=sys.stderr)
        return 1
    print(
        f"re-encrypted {result.rotated} credentials; {result.already_current} were already current"
    )
    print(f"re-encrypted {endpoint_keys} classifier endpoint keys")
    print(f"re-encrypted {contact_secrets} contact method secrets")
    print(f"re-encrypted {app_secrets} network app secrets")
    return 0


def cmd_sandbox_crisis(args: argparse.Namespace) -> int:
    _setup("production")
    from roost.sandbox.audience import sandbox_crisis_start

    try:
        count = sandbox_crisis_start(
            brand_name=args.brand,
            topic=args.topic,
            topic_pl=args.topic_pl,
            count=args.count,
            organization_slug=args.organization,
        )
    except LookupError as error:
        print(f"roost sandbox crisis: {error}", file=sys.stderr)
        return 2
    print(f"crisis started: {count} angry mentions about {args.topic!r} on {args.brand}'s channels")
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    _setup(args.settings)
    from roost.listening.stream import StreamConsumer

    def report(seq: int, stored: int) -> None:
        if stored:
            print(f"stream at {seq}: {stored} new matches", flush=True)

    consumer = StreamConsumer(service=args.service, on_stored=report)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    signal.signal(signal.SIGINT, lambda *_: consumer.stop())
    print(f"reading {args.service}; Ctrl-C stops", flush=True)
    consumer.run()
    return 0


def cmd_listen_evaluate(args: argparse.Namespace) -> int:
    from roost.listening.evaluation import report

    text = report()
    if args.write:
        Path(args.write).write_text(text)
        print(f"wrote {args.write}")
    else:
        print(text)
    return 0


def cmd_classify_retrain(args: argparse.Namespace) -> int:
    _setup("production")
    from roost.core.models import Organization
    from roost.inbox.corrections.services import classifier_retrain, retrain_summary

    organizations = Organization.objects.order_by("pk")
    if args.organization:
        organizations = organizations.filter(slug=args.organization)
        if not organizations.exists():
            print(f"roost classify retrain: no organisation {args.organization!r}", file=sys.stderr)
            return 2
    for organization in organizations:
        print(retrain_summary(classifier_retrain(organization=organization)))
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup("production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["roost manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roost", description="Roost: the operations platform for social media teams."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo", help="migrate, seed the demo organisation, run web + worker on 127.0.0.1"
    )
    demo.add_argument(
        "--seed-only", action="store_true", help="seed the demo organisation and exit"
    )
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)

    run = commands.add_parser("run", help="run web + worker with production settings")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--web-processes",
        type=int,
        default=DEFAULT_WEB_PROCESSES,
        help="web processes sharing the port; one per core (docs/web-load.md)",
    )
    run.add_argument(
        "--web-threads", type=int, default=DEFAULT_WEB_THREADS, help="threads per web process"
    )
    run.add_argument(
        "--web-server", choices=WEB_SERVERS, default=DEFAULT_WEB_SERVER,
        help="the HTTP server (docs/web-load.md)",
    )  # fmt: skip
    run.set_defaults(func=cmd_run)

    web = commands.add_parser("web", help="run the web server alone")
    web.add_argument("--settings", choices=sorted(SETTINGS), default="production")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--threads", type=int, default=DEFAULT_WEB_THREADS)
    web.add_argument("--server", choices=WEB_SERVERS, default=DEFAULT_WEB_SERVER)
    web.add_argument(
        "--workers", type=int, default=1, help="granian: worker processes sharing the port"
    )
    web.add_argument(
        "--reuse-port",
        action="store_true",
        help="let other web processes serve the same port (roost run does this)",
    )
    web.set_defaults(func=cmd_web)

    worker = commands.add_parser(
        "worker",
        help="run background tasks, the periodic-job clock, the publishing dispatcher and the "
        "escalation loop",
    )
    worker.add_argument("--settings", choices=sorted(SETTINGS), default="production")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between queue polls")
    worker.add_argument(
        "--clock-interval", type=float, default=15.0, help="seconds between clock ticks"
    )
    worker.add_argument("--no-clock", action="store_true", help="run tasks only, no periodic jobs")
    worker.add_argument(
        "--senders", type=int, default=8, help="publishing threads (network calls in parallel)"
    )
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(func=cmd_migrate)

    admin = commands.add_parser(
        "createadmin",
        help="create an organisation admin (password from ROOST_ADMIN_PASSWORD or a prompt)",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument(
        "--org-slug", required=True, help="organisation to add the admin to (created if missing)"
    )
    admin.add_argument("--org-name", help="name for a new organisation")
    admin.set_defaults(func=cmd_createadmin)

    audit_cmd = commands.add_parser(
        "audit", help="audit log tools: 'roost audit verify' checks every hash chain"
    )
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="check every organisation's hash chain")
    verify.set_defaults(func=cmd_audit_verify)

    vault_cmd = commands.add_parser(
        "vault", help="credential vault: 'roost vault rotate-key' re-encrypts under the first key"
    )
    vault_sub = vault_cmd.add_subparsers(dest="vault_command", metavar="ACTION", required=True)
    rotate = vault_sub.add_parser(
        "rotate-key", help="re-wrap every credential under the first key of ROOST_ENCRYPTION_KEYS"
    )
    rotate.set_defaults(func=cmd_vault_rotate_key)

    listen = commands.add_parser(
        "listen",
        help="read the public Bluesky stream for the monitors; 'roost listen evaluate' "
        "measures the detector",
    )
    listen.add_argument(
        "--service",
        default="wss://bsky.network/xrpc",
        help="the stream's XRPC base (a relay or a PDS), e.g. ws://localhost:2583/xrpc",
    )
    listen.add_argument("--settings", default="production", choices=["production", "demo"])
    listen.set_defaults(func=cmd_listen)
    listen_sub = listen.add_subparsers(dest="listen_command", metavar="ACTION")
    listen_evaluate = listen_sub.add_parser(
        "evaluate", help="run the detector on the synthetic scenarios and report"
    )
    listen_evaluate.add_argument("--write", default="", help="write the report to this file")
    listen_evaluate.set_defaults(func=cmd_listen_evaluate)

    sandbox_cmd = commands.add_parser(
        "sandbox", help="the simulated network: 'roost sandbox crisis --brand NAME' starts a crisis"
    )
    sandbox_sub = sandbox_cmd.add_subparsers(
        dest="sandbox_command", metavar="ACTION", required=True
    )
    crisis = sandbox_sub.add_parser("crisis", help="a surge of angry mentions about one topic")
    crisis.add_argument("--brand", required=True, help="brand name, e.g. 'Northwind EMEA'")
    crisis.add_argument(
        "--organization", default="", help="the brand's organisation (slug), when names repeat"
    )
    crisis.add_argument("--topic", default="the data leak", help="what the surge is about")
    crisis.add_argument(
        "--topic-pl",
        default="",
        help="the topic as Polish messages name it (default: known topics' Polish name)",
    )
    crisis.add_argument("--count", type=int, default=150, help="how many mentions")
    crisis.set_defaults(func=cmd_sandbox_crisis)

    classify_cmd = commands.add_parser(
        "classify", help="the inbox classifier: 'roost classify retrain' learns from corrections"
    )
    classify_sub = classify_cmd.add_subparsers(
        dest="classify_command", metavar="ACTION", required=True
    )
    retrain = classify_sub.add_parser(
        "retrain",
        help="learn each organisation's model from its own corrections; report the effect "
        "on the newest corrections, held out",
    )
    retrain.add_argument("--organization", default="", help="only this organisation (slug)")
    retrain.set_defaults(func=cmd_classify_retrain)

    manage = commands.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

"""The `frontdesk` command: serve, web, worker, migrate, demo, agent, token, events, manage."""

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huey.consumer import Consumer


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command
    from django.db import connection

    from frontdesk.core.sqlite.statistics import analyze_new_indexes

    call_command("migrate", interactive=False, verbosity=verbosity)
    analyze_new_indexes(connection)  # an index a migration added, at once (SQLite)


def cmd_serve(args: argparse.Namespace) -> int:
    """Embedded mode: web, jobs and periodic jobs in one process."""
    _setup()
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    _migrate()
    _collectstatic()
    if args.demo:
        from frontdesk.demo.services import demo_load_if_empty

        demo_load_if_empty(out=sys.stdout, url=f"http://{args.host}:{args.port}/")
    consumer = _start_consumer(workers=2) if not args.no_jobs else None
    print(f"Frontdesk is serving on http://{args.host}:{args.port}/  (data in {settings.DATA_DIR})", flush=True)
    try:
        _run_uvicorn(host=args.host, port=args.port, workers=1)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """Scale-out web processes: no jobs run here; start `frontdesk worker` beside them."""
    _setup()
    _collectstatic()
    _run_uvicorn(host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from huey.consumer import Consumer

    _load_tasks()
    consumer = Consumer(
        settings.HUEY,
        workers=args.workers,
        worker_type="thread",
        periodic=not args.no_periodic,
        initial_delay=0.05,
        max_delay=1.0,
        check_worker_health=True,
    )
    if not args.no_periodic:
        from frontdesk.core import ticker

        ticker.start()
    print(f"Frontdesk worker with {args.workers} threads, queue {settings.HUEY.name}", flush=True)
    consumer.run()
    return 0


def _load_tasks() -> None:
    """Import every app's tasks module so the consumer knows each job by name."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")


def _start_consumer(*, workers: int) -> "Consumer":
    from django.conf import settings
    from huey.consumer import Consumer

    _load_tasks()

    consumer = Consumer(
        settings.HUEY,
        workers=workers,
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        max_delay=1.0,
        check_worker_health=False,
    )
    consumer.start()  # threads; uvicorn installs its own signal handlers afterwards
    from frontdesk.core import ticker

    ticker.start()
    return consumer


def _collectstatic() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _run_uvicorn(*, host: str, port: int, workers: int) -> None:
    from frontdesk.core import server

    server.run(
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    _migrate(verbosity=1)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from frontdesk.demo.services import demo_load_if_empty

    demo_load_if_empty(out=sys.stdout, tickets=args.tickets)
    return 0


def cmd_agent_create(args: argparse.Namespace) -> int:
    _setup()
    from frontdesk.accounts.services import user_create
    from frontdesk.core.errors import FrontdeskError

    password = args.password or secrets.token_urlsafe(12)
    try:
        user = user_create(email=args.email, name=args.name, role=args.role, password=password)
    except FrontdeskError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"Created {user.get_role_display().lower()} {user.name} <{user.email}>")
    if not args.password:
        print(f"Password: {password}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup()
    from django.utils import timezone

    from frontdesk.accounts.models import User
    from frontdesk.accounts.services import api_token_create

    user = User.objects.filter(email=args.email.strip().lower(), is_active=True).first()
    if user is None:
        print(f"error: no active agent with the e-mail {args.email}", file=sys.stderr)
        return 2
    _, plain = api_token_create(user=user, name=args.name, now=timezone.now())
    print(plain)
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    _setup()
    from frontdesk.core.events import handler_path, subscriptions

    for event_type, handlers in sorted(subscriptions().items(), key=lambda item: item[0].__name__):
        print(f"{event_type.__module__}.{event_type.__name__}")
        for handler in handlers:
            print(f"    {handler_path(handler)}")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["frontdesk manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Frontdesk customer-service platform")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run everything in one process (embedded mode)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load demo data if the database is empty")
    serve.add_argument("--no-jobs", action="store_true", help="do not run background jobs in this process")
    serve.set_defaults(func=cmd_serve)

    web = sub.add_parser("web", help="run web processes only (scale-out)")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--workers", type=int, default=2)
    web.set_defaults(func=cmd_web)

    worker = sub.add_parser("worker", help="run a background job worker (scale-out)")
    worker.add_argument("--workers", type=int, default=4, help="worker threads")
    worker.add_argument("--no-periodic", action="store_true", help="leave periodic jobs to other workers")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="create or update the database").set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="load demo data into an empty database")
    demo.add_argument("--tickets", type=int, default=300)
    demo.set_defaults(func=cmd_demo)

    agent = sub.add_parser("agent", help="manage agents").add_subparsers(dest="action", required=True)
    create = agent.add_parser("create", help="create an agent")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", default="agent", choices=["admin", "supervisor", "agent", "light_agent"])
    create.add_argument("--password", help="omit to generate one (printed once)")
    create.set_defaults(func=cmd_agent_create)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="create an API token for an agent and print it")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", default="")
    token_create.set_defaults(func=cmd_token_create)

    sub.add_parser("events", help="list domain events and their subscribers").set_defaults(func=cmd_events)

    from frontdesk.mail.cli import add_commands as add_mail_commands

    add_mail_commands(sub, _setup)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

"""`frontdesk mail …` and `frontdesk mailbox …`: the MTA pipe, and mailboxes from the shell."""

import argparse
import json
import logging
import sys
from collections.abc import Callable

EX_TEMPFAIL = 75  # sendmail's "try again later": the MTA keeps the message and retries

logger = logging.getLogger(__name__)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Read one RFC 5322 message on stdin; print what became of it as one JSON line.

    Exit 0 once it is stored (even when it could only be quarantined); 75 when it is not,
    so that the MTA keeps it and delivers it again."""
    raw = sys.stdin.buffer.read()
    try:
        from django.utils import timezone

        from frontdesk.mail.models import InboundSource, Mailbox
        from frontdesk.mail.services import email_ingest

        mailbox = Mailbox.objects.filter(name=args.mailbox).first()
        if mailbox is None:
            print(f"error: no mailbox named {args.mailbox!r}", file=sys.stderr)
            return EX_TEMPFAIL  # the message stays with the MTA until the mailbox exists
        result = email_ingest(mailbox=mailbox, raw=raw, source=InboundSource.PIPE, now=timezone.now())
    except Exception as exc:  # not stored: the MTA must keep it and try again
        logger.exception("mail.ingest.not_stored")
        print(f"error: the message could not be stored: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    print(json.dumps(result.as_dict()))
    return 0


def cmd_mailbox_add(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from frontdesk.accounts.models import Team
    from frontdesk.core.errors import FrontdeskError
    from frontdesk.mail.services import mailbox_create

    team = None
    if args.team:
        team = Team.objects.filter(name=args.team).first()
        if team is None:
            print(f"error: no team named {args.team!r}", file=sys.stderr)
            return 2
    try:
        mailbox, secret = mailbox_create(
            name=args.name,
            address=args.address,
            team=team,
            language=args.language,
            imap_url=args.imap or "",
            smtp_url=args.smtp or "",
            actor=None,
            now=timezone.now(),
        )
    except FrontdeskError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"Created mailbox {mailbox.name} <{mailbox.address}>")
    print(f"HTTP inbound: POST /api/v1/mail/{mailbox.name}/inbound with 'Authorization: Bearer {secret}'")
    return 0


def cmd_mailbox_list(args: argparse.Namespace) -> int:
    from frontdesk.mail.models import Mailbox

    for mailbox in Mailbox.objects.select_related("team"):
        state = "active" if mailbox.is_active else "inactive"
        team = mailbox.team.name if mailbox.team else "-"
        servers = f"imap={mailbox.imap_url or '-'}\tsmtp={mailbox.smtp_url or '-'}"
        print(f"{mailbox.name}\t{mailbox.address}\t{team}\t{state}\t{servers}")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    """Fetch from every IMAP mailbox once, now (the worker does it every minute)."""
    from django.utils import timezone

    from frontdesk.mail.services import mailboxes_poll

    for mailbox, stored in mailboxes_poll(now=timezone.now(), including_backing_off=True):
        print(
            f"{mailbox.name}: {stored} stored"
            + (f"; error: {mailbox.imap_last_error}" if mailbox.imap_last_error else "")
        )
    return 0


def add_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", setup: Callable[[], None]) -> None:
    def wrap(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        def run(args: argparse.Namespace) -> int:
            setup()
            return command(args)

        return run

    def ingest_command(args: argparse.Namespace) -> int:
        try:
            setup()
        except Exception as exc:  # no settings, no database: the MTA must keep the message
            print(f"error: Frontdesk cannot start, so the message was not stored: {exc}", file=sys.stderr)
            return EX_TEMPFAIL
        return cmd_ingest(args)

    mail = sub.add_parser("mail", help="the e-mail channel").add_subparsers(dest="action", required=True)
    ingest = mail.add_parser("ingest", help="store and process one message read on stdin (for an MTA pipe)")
    ingest.add_argument("--mailbox", required=True, help="the mailbox's name")
    ingest.set_defaults(func=ingest_command)
    mail.add_parser("poll", help="fetch from every IMAP mailbox once").set_defaults(func=wrap(cmd_poll))

    mailbox = sub.add_parser("mailbox", help="manage mailboxes").add_subparsers(dest="action", required=True)
    add = mailbox.add_parser("add", help="add a mailbox")
    add.add_argument("--name", required=True)
    add.add_argument("--address", required=True)
    add.add_argument("--imap", help="e.g. imaps://user:password@imap.example.com/INBOX")
    add.add_argument("--smtp", help="e.g. smtp+starttls://user:password@smtp.example.com:587")
    add.add_argument("--team", help="the team its tickets go to")
    add.add_argument("--language", default="", help="language of its acknowledgements (en, es, lt)")
    add.set_defaults(func=wrap(cmd_mailbox_add))
    mailbox.add_parser("list", help="list mailboxes").set_defaults(func=wrap(cmd_mailbox_list))

"""Every message of the shared mail corpus through the whole pipeline: none lost, none raising,
raw bytes kept, bounces on the seeded original, replies on the seeded thread, no mail to robots."""

import csv
import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from frontdesk.accounts.services import contact_get_or_create
from frontdesk.mail.models import InboundEmail, InboundStatus, KnownMessageId, Mailbox, OutboundEmail, ThreadReason
from frontdesk.mail.parsing import parse_email
from frontdesk.mail.services import email_ingest, mailbox_create
from frontdesk.mail.tests.corpus import corpus_dir
from frontdesk.tickets.models import Attachment, Ticket
from frontdesk.tickets.services import ticket_create
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db


def _rows(root: Path) -> list[dict[str, str]]:
    with (root / "INDEX.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def mailbox() -> Mailbox:
    # An SMTP server where nothing listens: acknowledgements are queued (and counted), not delivered.
    box, _secret = mailbox_create(
        name="corpus", address="support@frontdesk.test", smtp_url="smtp://127.0.0.1:9", actor=None, now=NOW
    )
    return box


def _seed_ticket(message_id: str, *, outbound: bool) -> Ticket:
    """A ticket on which we once stored (or sent) `message_id`."""
    requester = contact_get_or_create(kind="email", value="seed@example.com")
    ticket = ticket_create(subject="Seeded", requester=requester, channel="email", body_text="x", actor=None, now=NOW)
    sent = None
    if outbound:
        sent = OutboundEmail.objects.create(
            mailbox=Mailbox.objects.get(),
            ticket=ticket,
            kind="reply",
            rfc_message_id=message_id,
            sender="support@frontdesk.test",
            to_address="seed@example.com",
            recipients=["seed@example.com"],
            raw=b"",
            status="sent",
            next_attempt_at=NOW,
            created_at=NOW,
        )
    KnownMessageId.objects.create(message_id=message_id, ticket=ticket, outbound=sent)
    return ticket


def test_every_corpus_message_is_stored_processed_and_kept_byte_for_byte(mailbox: Mailbox) -> None:
    root = corpus_dir()
    rows = _rows(root)
    assert len(rows) >= 390
    bounces = json.loads((root / "BOUNCES-derived.json").read_text())
    threads = json.loads((root / "THREADING-derived.json").read_text())

    # Seed the originals the bounces refer to, and the threads the replies continue.
    bounce_targets = {
        path: _seed_ticket(entry["original_message_id"].strip("<>"), outbound=True).pk
        for path, entry in bounces.items()
        if entry.get("original_message_id")
    }
    thread_targets = {}
    for path, entry in threads.items():
        if path in bounce_targets or not entry.get("in_reply_to"):
            continue
        thread_targets[path] = _seed_ticket(entry["in_reply_to"][-1].strip("<>"), outbound=False).pk

    results = {}
    for row in rows:
        raw = (root / row["path"]).read_bytes()
        results[row["path"]] = email_ingest(mailbox=mailbox, raw=raw, source="pipe", now=NOW)

    # Nothing lost, nothing failed, every byte kept.
    assert InboundEmail.objects.count() == len(rows)
    quarantined = {
        p: InboundEmail.objects.get(pk=r.inbound).error for p, r in results.items() if r.outcome == "quarantined"
    }
    assert quarantined == {}
    for path, result in results.items():
        inbound = InboundEmail.objects.get(pk=result.inbound)
        assert inbound.status == InboundStatus.PROCESSED
        with default_storage.open(inbound.raw.name, "rb") as stored:
            assert stored.read() == (root / path).read_bytes(), path
        if result.outcome != "duplicate":
            assert result.ticket is not None and result.message is not None, path

    # Duplicates only where the Message-ID and the content are the same.
    for path, result in results.items():
        if result.outcome == "duplicate":
            inbound = InboundEmail.objects.select_related("duplicate_of").get(pk=result.inbound)
            assert inbound.duplicate_of is not None
            assert inbound.rfc_message_id == inbound.duplicate_of.rfc_message_id
            assert inbound.content_sha256 == inbound.duplicate_of.content_sha256

    # Each attachment the parser found is on the ticket with its exact bytes (or withheld, named).
    for path, result in results.items():
        if result.outcome == "duplicate" or result.message is None:
            continue
        inbound = InboundEmail.objects.get(pk=result.inbound)
        if inbound.thread_reason == ThreadReason.BOUNCE:
            continue  # a bounce becomes a note on the original ticket; its parts stay in the raw mail
        parsed = parse_email((root / path).read_bytes())
        stored = sorted(Attachment.objects.filter(message_id=result.message).values_list("sha256", flat=True))
        withheld = len(inbound.withheld_attachments)
        expected = sorted(hashlib.sha256(a.data).hexdigest() for a in parsed.attachments)
        assert len(stored) + withheld == len(expected), path
        assert set(stored) <= set(expected), path

    # Bounces land on the ticket of the message that bounced.
    for path, ticket_id in bounce_targets.items():
        assert results[path].ticket == ticket_id, path
        assert InboundEmail.objects.get(pk=results[path].inbound).thread_reason == ThreadReason.BOUNCE, path

    # Replies land on the ticket that holds the message they answer.
    for path, ticket_id in thread_targets.items():
        if results[path].outcome == "duplicate":
            continue
        assert results[path].ticket == ticket_id, path

    # No automatic mail to auto-generated senders (auto-replies, bulk, bounces, daemons).
    robots = {
        results[row["path"]].ticket
        for row in rows
        if (row["auto_signals"] or row["bounce_signals"]) and results[row["path"]].outcome == "created"
    }
    acked = set(OutboundEmail.objects.filter(kind="auto_ack").values_list("ticket_id", flat=True))
    assert robots, "the corpus has auto-generated mail"
    assert not robots & acked
    assert acked, "ordinary customers get their acknowledgement"

"""Every message of the shared mail corpus through the whole pipeline: none lost, none raising,
raw bytes kept, bounces on the seeded original, replies on the seeded thread, no mail to robots."""

import hashlib

import pytest

from frontdesk.accounts.services import contact_get_or_create
from frontdesk.mail.models import InboundEmail, InboundStatus, KnownMessageId, Mailbox, OutboundEmail, ThreadReason
from frontdesk.mail.parsing import parse_email
from frontdesk.mail.services import email_ingest, mailbox_create
from frontdesk.mail.tests.corpus import index_rows, load_json, require_corpus
from frontdesk.tickets.models import Attachment, Ticket
from frontdesk.tickets.services import ticket_create
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db


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
    root = require_corpus()
    rows = index_rows()
    assert len(rows) >= 390
    bounces = load_json("BOUNCES-derived.json")
    threads = load_json("THREADING-derived.json")

    # Seed the originals the bounces refer to, and the threads the replies continue.
    seeded: dict[str, int] = {}  # Message-ID → ticket (several bounces may return one message)

    def seed(message_id: str, *, outbound: bool) -> int:
        if message_id not in seeded:
            seeded[message_id] = _seed_ticket(message_id, outbound=outbound).pk
        return seeded[message_id]

    bounce_targets = {
        path: seed(entry["original_message_id"].strip("<>"), outbound=True)
        for path, entry in bounces.items()
        if entry.get("original_message_id")
    }
    thread_targets = {
        path: seed(entry["in_reply_to"][-1].strip("<>"), outbound=False)
        for path, entry in threads.items()
        if path not in bounce_targets and entry.get("in_reply_to")
    }

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
        with inbound.raw.open("rb") as stored:
            assert stored.read() == (root / path).read_bytes(), path
        if result.outcome != "duplicate":
            assert result.ticket is not None, path
            assert result.message is not None, path

    # Duplicates only where the Message-ID and the content are the same.
    for result in results.values():
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
        kept = sorted(Attachment.objects.filter(message_id=result.message).values_list("sha256", flat=True))
        withheld = len(inbound.withheld_attachments)
        expected = sorted(hashlib.sha256(a.data).hexdigest() for a in parsed.attachments)
        assert len(kept) + withheld == len(expected), path
        assert set(kept) <= set(expected), path

    # Bounces land on the ticket of the message that bounced.
    for path, ticket_id in bounce_targets.items():
        assert results[path].ticket == ticket_id, path
        if results[path].outcome != "duplicate":
            reason = InboundEmail.objects.get(pk=results[path].inbound).thread_reason
            assert reason == ThreadReason.BOUNCE, path

    # Replies land on a ticket that holds the message they answer (the seeded one, or the
    # ticket of that message itself when the corpus also holds it).
    for path, ticket_id in thread_targets.items():
        if results[path].outcome == "duplicate":
            continue
        answered = threads[path]["in_reply_to"][-1].strip("<>")
        holders = set(KnownMessageId.objects.filter(message_id=answered).values_list("ticket_id", flat=True))
        assert ticket_id in holders, path
        assert results[path].ticket in holders, path

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

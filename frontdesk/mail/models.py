from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Team
from frontdesk.tickets.models import Message, Ticket


class Mailbox(models.Model):
    """An address customers write to: where its mail comes from and how replies leave."""

    name = models.SlugField(_("name"), max_length=50, unique=True)
    address = models.EmailField(_("address"), unique=True)  # stored lower-case
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Server URLs without the password (see mail.transport.ServerUrl.redacted); the
    # passwords are stored encrypted (core.crypto).
    imap_url = models.CharField(_("IMAP server"), max_length=500, blank=True)
    imap_password = models.TextField(blank=True)
    smtp_url = models.CharField(_("SMTP server"), max_length=500, blank=True)
    smtp_password = models.TextField(blank=True)
    # SHA-256 of the secret that authenticates the HTTP inbound endpoint.
    inbound_secret_digest = models.CharField(max_length=64, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    auto_ack = models.BooleanField(_("send an acknowledgement to new tickets"), default=True)
    # {"en": "text", "es": "texto"}: the acknowledgement per language; missing ones use the built-in text.
    auto_ack_texts = models.JSONField(_("acknowledgement texts"), default=dict, blank=True)
    # A reply to a closed ticket within this many days of closing reopens it; later, it
    # opens a new ticket linked to the old one.
    reopen_days = models.PositiveIntegerField(_("reopen closed tickets for (days)"), default=14)
    max_message_bytes = models.PositiveBigIntegerField(_("largest message (bytes)"), default=30 * 1024 * 1024)
    is_active = models.BooleanField(_("active"), default=True)
    # IMAP polling state.
    imap_failures = models.PositiveIntegerField(default=0)
    imap_next_poll_at = models.DateTimeField(null=True, blank=True)
    imap_last_error = models.TextField(blank=True)
    imap_last_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class InboundSource(models.TextChoices):
    PIPE = "pipe", _("Mail pipe")
    IMAP = "imap", _("IMAP")
    HTTP = "http", _("HTTP")


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not processed yet
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Failed")


class Outcome(models.TextChoices):
    CREATED = "created", _("Created a ticket")
    APPENDED = "appended", _("Added to a ticket")
    DUPLICATE = "duplicate", _("Duplicate")
    QUARANTINED = "quarantined", _("Failed")


class ThreadReason(models.TextChoices):
    REPLY_TOKEN = "reply_token", _("Reply address of the ticket")
    SUBJECT_TOKEN = "subject_token", _("Ticket number in the subject")
    IN_REPLY_TO = "in_reply_to", _("In-Reply-To header")
    REFERENCES = "references", _("References header")
    BOUNCE = "bounce", _("Bounce of a message we sent")
    NEW = "new", _("No earlier message matched")
    FOLLOW_UP = "follow_up", _("Reply to a ticket closed too long ago")


class InboundEmail(models.Model):
    """One received e-mail: its raw bytes first, then what became of it."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="inbound")
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    # The exact bytes, in the default storage under mail/raw/; named by their SHA-256.
    raw = models.FileField(upload_to="mail/raw/", max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    # SHA-256 of what the sender wrote (the message without the trace headers servers add on
    # the way): the same Message-ID with the same content is a duplicate delivery.
    content_sha256 = models.CharField(max_length=64, blank=True)
    rfc_message_id = models.CharField(max_length=998, blank=True)  # the Message-ID header, without <>
    received_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set when processed: what it became and why.
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_email"
    )
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    thread_reason = models.CharField(max_length=15, choices=ThreadReason.choices, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    auto_generated = models.CharField(max_length=100, blank=True)
    # {"permanent": bool, "status": "5.1.1", "recipient": ..., "original_message_id": ..., "diagnostic": ...}
    bounce = models.JSONField(null=True, blank=True)
    oversized = models.BooleanField(default=False)
    # Attachments the ticket could not take (executables, over the size limit): [{"filename", "reason"}].
    # They stay in the raw message.
    withheld_attachments = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["mailbox", "rfc_message_id"], name="inbound_mailbox_msgid"),
            models.Index(fields=["mailbox", "sha256"], name="inbound_mailbox_sha256"),
            models.Index(fields=["status", "received_at"], name="inbound_status_received"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox.name}: {self.rfc_message_id or self.sha256[:12]}"


class KnownMessageId(models.Model):
    """Every Message-ID we stored or sent, and its ticket: what In-Reply-To and References thread on."""

    message_id = models.CharField(max_length=998)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    outbound = models.ForeignKey("OutboundEmail", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["message_id"], name="known_message_id")]

    def __str__(self) -> str:
        return f"{self.message_id} → #{self.ticket_id}"


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    AUTO_ACK = "auto_ack", _("Acknowledgement")
    SURVEY = "survey", _("Survey")
    SIGN_IN = "sign_in", _("Portal sign-in link")
    RELEASE_NOTE = "release_note", _("Release note")


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class OutboundEmail(models.Model):
    """The outbox: mail waiting to leave, and what happened when it did."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outbound")
    # None for mail about no ticket (a relationship survey).
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_email"
    )
    kind = models.CharField(max_length=20, choices=OutboundKind.choices)
    rfc_message_id = models.CharField(max_length=998)
    sender = models.EmailField()
    to_address = models.CharField(max_length=320)  # the customer it is for (lower-case)
    recipients = models.JSONField(default=list)
    raw = models.BinaryField()
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbound_pending_due", condition=Q(status="pending")),
            models.Index(fields=["to_address", "kind", "created_at"], name="outbound_to_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for #{self.ticket_id} ({self.status})"

"""Django admin: a read-only look at mailboxes and mail. Mailboxes are managed at
/settings/mailboxes/ (their passwords are never shown), failed mail at /settings/failed-emails/."""

from django.contrib import admin

from frontdesk.mail.models import InboundEmail, Mailbox, OutboundEmail
from frontdesk.tickets.admin import ReadOnlyAdmin


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin[Mailbox]):
    list_display = ["name", "address", "team", "imap_url", "smtp_url", "is_active", "imap_last_error"]
    exclude = ["imap_password", "smtp_password", "inbound_secret_digest"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin[InboundEmail]):
    list_display = ["pk", "mailbox", "received_at", "sender", "subject", "status", "outcome", "thread_reason"]
    list_filter = ["status", "outcome", "thread_reason", "source"]
    search_fields = ["rfc_message_id", "sender", "subject"]
    show_full_result_count = False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin[OutboundEmail]):
    list_display = ["pk", "mailbox", "kind", "to_address", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    exclude = ["raw"]
    show_full_result_count = False

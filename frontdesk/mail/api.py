"""REST endpoints of the e-mail channel: raw MIME in, raw e-mail out."""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router
from ninja.security import HttpBearer

from frontdesk.api.auth import request_agent
from frontdesk.api.schemas import ERRORS
from frontdesk.mail.models import InboundSource, Mailbox
from frontdesk.mail.schemas import IngestOut, MessageEmailOut
from frontdesk.mail.selectors import message_email_of, message_raw
from frontdesk.mail.services import email_ingest, mailbox_authenticate
from frontdesk.mail.views import raw_email_download

router = Router(tags=["e-mail"])


class MailboxSecret(HttpBearer):
    """`Authorization: Bearer <mailbox secret>` for the mailbox named in the path; a wrong
    secret answers 404, as an unknown mailbox does."""

    def authenticate(self, request: HttpRequest, token: str) -> Mailbox:
        assert request.resolver_match is not None
        return mailbox_authenticate(name=request.resolver_match.kwargs["mailbox"], secret=token.strip())


@router.post(
    "/mail/{mailbox}/inbound",
    auth=MailboxSecret(),
    response={200: IngestOut, **ERRORS},
    summary="Deliver one raw e-mail (RFC 5322) to a mailbox",
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}}},
)
def inbound_email(request: HttpRequest, mailbox: str) -> dict[str, object]:
    """The body is the message, byte for byte. Authenticate with `Authorization: Bearer <mailbox secret>`
    (printed by `frontdesk mailbox add`). Answers what became of it, like `frontdesk mail ingest`."""
    box: Mailbox = request.auth  # type: ignore[attr-defined]
    return email_ingest(mailbox=box, raw=request.body, source=InboundSource.HTTP, now=timezone.now()).as_dict()


@router.get("/messages/{message_id}/raw", response={200: None, **ERRORS}, summary="The raw e-mail of a message")
def download_raw_email(request: HttpRequest, message_id: int) -> HttpResponse:
    """Byte for byte as received (or as sent), as `message/rfc822`."""
    return raw_email_download(message_raw(user=request_agent(request), message_id=message_id))


@router.get("/messages/{message_id}/email", response={200: MessageEmailOut, **ERRORS}, summary="E-mail details")
def message_email(request: HttpRequest, message_id: int) -> dict[str, object]:
    """Why a received e-mail landed on its ticket (threading), or whether a sent one was delivered."""
    email = message_email_of(user=request_agent(request), message_id=message_id)
    if email.inbound is not None:
        return {
            "direction": "in",
            "message_id": email.inbound.rfc_message_id,
            "thread_reason": email.inbound.thread_reason,
            "auto_generated": email.inbound.auto_generated,
            "bounce": email.inbound.bounce,
        }
    assert email.outbound is not None
    return {
        "direction": "out",
        "message_id": email.outbound.rfc_message_id,
        "delivery_status": email.outbound.status,
        "delivery_error": email.outbound.last_error,
        "sent_at": email.outbound.sent_at,
    }

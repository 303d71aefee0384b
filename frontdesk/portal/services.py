"""Every write of the customer portal (CH5, KB6): sign-in links, a customer's tickets and
replies, and what the ticket form's suggestions achieved.

Sign-in is by e-mailed link only. Asking for one answers the same whatever the address (the
page says "if we know this address…"), so nobody learns who our customers are; only a known
contact's address gets a link. The link's token is stored as its SHA-256, works once, for 20
minutes, and an address gets at most five an hour.
"""

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Contact, IdentityKind
from frontdesk.accounts.selectors import identity_for
from frontdesk.accounts.services import normalise_identity
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.kb.search import Hit
from frontdesk.mail.models import OutboundKind
from frontdesk.mail.services import outbound_queue_email
from frontdesk.portal.models import Deflection, MagicLink
from frontdesk.portal.selectors import portal_contact, ticket_form_suggestions
from frontdesk.tickets.models import Channel, Message, Ticket
from frontdesk.tickets.services import ticket_add_customer_message, ticket_create

logger = logging.getLogger(__name__)

MAGIC_LINK_LIFETIME = timedelta(minutes=20)
MAGIC_LINK_LIMIT = 5  # links per address …
MAGIC_LINK_WINDOW = timedelta(hours=1)  # … in this long
# Where a sign-in link may lead after signing in: the portal and the help centre, nowhere else.
NEXT_PREFIXES = ("/portal/", "/help/")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _language(contact: Contact, fallback: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    for candidate in (contact.language, fallback):
        if candidate in codes:
            return candidate
    return settings.LANGUAGE_CODE


def safe_next_url(next_url: str) -> str:
    """`next_url` when it is a path of the portal or the help centre on this site, else ""."""
    next_url = next_url.strip()
    if not next_url.startswith(NEXT_PREFIXES) or len(next_url) > 300:
        return ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        return ""
    return next_url


def magic_link_request(*, email: str, next_url: str = "", locale: str = "", now: datetime) -> None:
    """E-mail a sign-in link to a known contact's address; for any other address, nothing
    happens, and the caller cannot tell the difference. `locale` is the page's language, used
    when the contact has none."""
    try:
        address = normalise_identity(kind=IdentityKind.EMAIL, value=email)
    except ValidationError:
        raise ValidationError(_("Enter an e-mail address."), field="email") from None
    identity = identity_for(kind=IdentityKind.EMAIL, value=address)
    contact = portal_contact(identity.contact_id) if identity is not None else None
    if contact is None:
        return
    recent = MagicLink.objects.filter(email=address, created_at__gt=now - MAGIC_LINK_WINDOW).count()
    if recent >= MAGIC_LINK_LIMIT:
        logger.info("sign-in link rate limited", extra={"contact_id": contact.pk})
        return
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        MagicLink.objects.create(
            contact=contact,
            email=address,
            digest=_digest(token),
            next_url=safe_next_url(next_url),
            created_at=now,
            expires_at=now + MAGIC_LINK_LIFETIME,
        )
        _email_link(contact, address, token, _language(contact, locale), now)  # sent at once, after commit


def _email_link(contact: Contact, address: str, token: str, language: str, now: datetime) -> None:
    with translation.override(language):
        context = {
            "contact": contact,
            "url": settings.BASE_URL + reverse("portal:sign_in_link", args=[token]),
            "minutes": int(MAGIC_LINK_LIFETIME.total_seconds() // 60),
        }
        text = render_to_string("portal/email/sign_in.txt", context)
        html = render_to_string("portal/email/sign_in.html", context)
        subject = _("Your sign-in link")
    queued = outbound_queue_email(
        to=address, subject=subject, text=text, html=html, kind=OutboundKind.SIGN_IN, ticket=None, now=now
    )
    if queued is None:
        logger.warning("no mailbox can send sign-in links", extra={"contact_id": contact.pk})


@dataclass(frozen=True)
class SignIn:
    contact: Contact
    next_url: str


def magic_link_redeem(*, token: str, now: datetime) -> SignIn:
    """The contact a sign-in link is for (the one it was merged into, if it was), once: a used or
    expired link is refused, saying which."""
    digest = _digest(token)
    with transaction.atomic():
        used = MagicLink.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        link = MagicLink.objects.filter(digest=digest).first()
    if link is None:
        raise NotFound(_("This sign-in link is not valid. Ask for a new one."))
    if not used:
        if link.used_at is not None:
            raise ValidationError(_("This sign-in link was already used. Ask for a new one."), field="token")
        raise ValidationError(_("This sign-in link has expired. Ask for a new one."), field="token")
    contact = portal_contact(link.contact_id)
    if contact is None:
        raise NotFound(_("This sign-in link is not valid. Ask for a new one."))
    return SignIn(contact=contact, next_url=link.next_url)


# --- tickets -------------------------------------------------------------------------------


def customer_ticket_create(
    *,
    contact: Contact,
    subject: str,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    language: str = "",
    deflection_id: int | None = None,
    now: datetime,
) -> Ticket:
    """A ticket from the portal's form, the customer as its requester. The suggestions the form
    showed (a Deflection) are marked as not having answered the question."""
    if not body.strip() and not attachments:
        raise ValidationError(_("Tell us what you need."), field="body")
    ticket = ticket_create(
        subject=subject,
        requester=contact,
        channel=Channel.WEB,
        body_text=body,
        attachments=attachments,
        language=language or contact.language,
        actor=None,
        now=now,
    )
    if deflection_id is not None:
        Deflection.objects.filter(pk=deflection_id, contact=contact, ticket_id__isnull=True).update(ticket_id=ticket.pk)
    return ticket


def customer_ticket_reply(
    *, contact: Contact, ticket: Ticket, body: str, attachments: Sequence[UploadedFile] = (), now: datetime
) -> Message:
    """The customer answers on a ticket they may see (access_customer_ticket): it waits on an
    agent again. A closed ticket takes no more messages."""
    return ticket_add_customer_message(
        ticket=ticket, contact=contact, body_text=body, attachments=attachments, channel=Channel.WEB, now=now
    )


# --- deflection (KB6) ------------------------------------------------------------------------


def deflection_record(
    *, contact: Contact, query: str, suggested: int, deflection_id: int | None = None, now: datetime
) -> Deflection | None:
    """The ticket form suggested `suggested` articles for what the customer has typed so far.
    One row per form: later suggestions update the row `deflection_id` (theirs, not yet sent).
    Nothing is recorded until something was suggested."""
    query = " ".join(query.split())[:300]
    if deflection_id is not None:
        deflection = Deflection.objects.filter(pk=deflection_id, contact=contact, ticket_id__isnull=True).first()
        if deflection is not None:
            deflection.query = query or deflection.query
            deflection.suggested = max(deflection.suggested, suggested)
            deflection.save(update_fields=["query", "suggested"])
            return deflection
    if suggested <= 0:
        return None
    return Deflection.objects.create(contact=contact, query=query, suggested=suggested, created_at=now)


@dataclass(frozen=True)
class FormSuggestions:
    hits: list[Hit]
    deflection: Deflection | None  # the form's, once something was suggested


def ticket_form_suggest(
    *, contact: Contact, text: str, locale: str, deflection_id: int | None = None, now: datetime
) -> FormSuggestions:
    """Articles for what the customer's ticket form says so far (ticket_form_suggestions),
    recorded as the form's deflection (`deflection_id`: the one it has, if any)."""
    hits = ticket_form_suggestions(contact=contact, text=text, locale=locale)
    deflection = deflection_record(
        contact=contact, query=text, suggested=len(hits), deflection_id=deflection_id, now=now
    )
    return FormSuggestions(hits=hits, deflection=deflection)


def deflection_open(*, contact: Contact, deflection_id: int, translation_id: int) -> None:
    """The customer opened a suggested article. If they send no ticket now, it was deflected."""
    Deflection.objects.filter(pk=deflection_id, contact=contact, ticket_id__isnull=True).update(
        opened_translation_id=translation_id
    )

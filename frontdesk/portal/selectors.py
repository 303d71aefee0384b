"""What a signed-in customer may read: their tickets (and their organisation's, when it shares
them), the public side of those tickets, and what the ticket form's suggestions achieved.

A ticket the customer may not see answers NotFound, exactly like one that does not exist.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from frontdesk.accounts.models import Contact, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.api.pagination import Page, paginate
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.kb.search import Hit, suggest
from frontdesk.kb.selectors import Reader, visibilities_for
from frontdesk.portal.models import Deflection
from frontdesk.tickets.models import Attachment, Message, MessageKind, Ticket

SCOPES = ("mine", "organisation")
SUGGESTIONS = 5  # articles the ticket form suggests


def portal_contact(contact_id: int) -> Contact | None:
    """The contact a portal session holds, followed to the one it was merged into (whose tickets
    it now sees); None when it no longer exists."""
    contact = Contact.objects.select_related("organisation").filter(pk=contact_id).first()
    seen: set[int] = set()
    while contact is not None and contact.merged_into_id is not None and contact.pk not in seen:
        seen.add(contact.pk)
        contact = Contact.objects.select_related("organisation").filter(pk=contact.merged_into_id).first()
    return contact


def shares_with_organisation(contact: Contact) -> bool:
    """The contact's organisation lets its members see each other's tickets."""
    return contact.organisation_id is not None and bool(contact.organisation and contact.organisation.portal_shared)


def _visible(contact: Contact, scope: str) -> Q:
    # Tickets of contacts merged into this one move to it (an event handler); until they have,
    # they are its tickets all the same.
    mine = Q(requester=contact) | Q(requester__merged_into=contact)
    if scope == "organisation" and shares_with_organisation(contact):
        return mine | Q(organisation_id=contact.organisation_id)
    return mine


def customer_tickets(*, contact: Contact, scope: str = "mine") -> QuerySet[Ticket]:
    """The customer's tickets ("mine"), or also their organisation's when it shares them
    ("organisation"; without sharing, the same as "mine"). Newest activity first; merged tickets
    (closed, their conversation moved to another) are left out."""
    if scope not in SCOPES:
        raise ValidationError(f"“{scope}” is not a scope; use one of {', '.join(SCOPES)}.", field="scope")
    return (
        Ticket.objects.filter(_visible(contact, scope), merged_into__isnull=True)
        .select_related("requester")
        .order_by("-last_activity_at", "-id")
    )


def access_customer_ticket(contact: Contact, ticket_id: int) -> Ticket:
    """A ticket the customer may see: theirs, or their organisation's when it shares them."""
    ticket = (
        Ticket.objects.filter(_visible(contact, "organisation"), pk=ticket_id)
        .select_related("requester", "organisation")
        .first()
    )
    if ticket is None:
        raise NotFound("There is no such ticket.")
    return ticket


def customer_ticket_page(*, contact: Contact, scope: str = "mine", cursor: str = "", size: int = 25) -> Page[Ticket]:
    """A page of customer_tickets, newest activity first; `next_cursor` continues it."""
    return paginate(customer_tickets(contact=contact, scope=scope), order="-last_activity_at", cursor=cursor, size=size)


def customer_ticket_messages(*, ticket: Ticket) -> QuerySet[Message]:
    """The conversation as the customer sees it (of a ticket access_customer_ticket gave): the
    customers' messages and the agents' public replies, never an internal note."""
    return (
        Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY)
        .select_related("author_agent", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def access_customer_attachment(contact: Contact, attachment_id: int) -> Attachment:
    """A file of a public message on a ticket the customer may see."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            message__kind=MessageKind.REPLY,
            message__ticket__in=Ticket.objects.filter(_visible(contact, "organisation")),
        )
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise NotFound("There is no such file.")
    return attachment


# --- deflection (KB6) -------------------------------------------------------------------------


def ticket_form_suggestions(*, contact: Contact, text: str, locale: str) -> list[Hit]:
    """Help-centre articles the customer may read for what their ticket form says so far (nothing
    for fewer than three characters)."""
    if len(text.strip()) < 3:
        return []
    visibilities = visibilities_for(Reader(contact=contact))
    return suggest(text=text, locale=locale, visibilities=visibilities, limit=SUGGESTIONS)


@dataclass(frozen=True)
class DeflectionSummary:
    shown: int  # ticket forms that suggested articles
    opened: int  # … where the customer opened one
    deflected: int  # … and then sent no ticket
    submitted: int  # … where a ticket was sent all the same

    @property
    def rate(self) -> float | None:
        """Deflected per form shown suggestions, in %."""
        return round(100 * self.deflected / self.shown, 1) if self.shown else None


def deflection_summary(*, user: User, start: datetime, end: datetime) -> DeflectionSummary:
    """How often the portal's ticket form answered the question before a ticket was sent."""
    require_agent(user)
    counts = Deflection.objects.filter(created_at__gte=start, created_at__lt=end, suggested__gt=0).aggregate(
        shown=Count("pk"),
        opened=Count("pk", filter=Q(opened_translation_id__isnull=False)),
        deflected=Count("pk", filter=Q(opened_translation_id__isnull=False, ticket_id__isnull=True)),
        submitted=Count("pk", filter=Q(ticket_id__isnull=False)),
    )
    return DeflectionSummary(**counts)

"""What the portal's REST API reads and writes: a signed-in customer's view of their tickets."""

from datetime import datetime

from django.urls import reverse
from ninja import Field, Schema

from frontdesk.accounts.models import Contact
from frontdesk.accounts.schemas import OrganisationRef
from frontdesk.api.schemas import Id, Input
from frontdesk.portal.selectors import customer_ticket_messages, shares_with_organisation
from frontdesk.tickets.models import Attachment, Message, Status, Ticket


class PortalContactOut(Schema):
    id: int
    name: str
    language: str
    organisation: OrganisationRef | None
    sees_organisation_tickets: bool = Field(description="The organisation shares its tickets with its members.")

    @staticmethod
    def resolve_sees_organisation_tickets(contact: Contact) -> bool:
        return shares_with_organisation(contact)


class PortalRequesterOut(Schema):
    id: int
    name: str


class PortalTicketOut(Schema):
    id: int = Field(description="The ticket number.")
    subject: str
    status: Status
    requester: PortalRequesterOut
    created_at: datetime
    last_activity_at: datetime
    solved_at: datetime | None
    closed_at: datetime | None


class PortalTicketPage(Schema):
    items: list[PortalTicketOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PortalTicketQuery(Input):
    scope: str = Field(
        "mine",
        pattern="^(mine|organisation)$",
        description="mine: the customer's own tickets; organisation: also their organisation's, when it "
        "shares them (otherwise the same as mine).",
    )
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")


class PortalAuthorOut(Schema):
    type: str = Field(description="agent or contact.")
    name: str
    is_me: bool = Field(description="The signed-in customer wrote it.")


class PortalAttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(attachment: Attachment) -> str:
        return reverse("api-v1:download_portal_attachment", args=[attachment.pk])


class PortalMessageOut(Schema):
    id: int
    author: PortalAuthorOut | None
    body_text: str
    body_html: str = Field(description="Sanitised; safe to render.")
    created_at: datetime
    attachments: list[PortalAttachmentOut]

    @staticmethod
    def resolve_author(message: Message, context: dict[str, object]) -> dict[str, object] | None:
        me = getattr(context["request"], "auth", None)
        if message.author_agent is not None:
            return {"type": "agent", "name": message.author_agent.name, "is_me": False}
        if message.author_contact is not None:
            is_me = isinstance(me, Contact) and me.pk == message.author_contact_id
            return {"type": "contact", "name": message.author_contact.name, "is_me": is_me}
        return None


class PortalTicketDetailOut(PortalTicketOut):
    messages: list[PortalMessageOut] = Field(description="The public conversation, oldest first.")

    @staticmethod
    def resolve_messages(ticket: Ticket) -> list[Message]:
        return list(customer_ticket_messages(ticket=ticket))


class PortalTicketIn(Input):
    """A new request. JSON, or multipart/form-data with `attachments`."""

    subject: str = Field(max_length=300)
    body: str = Field("", max_length=100_000)
    deflection: Id | None = Field(
        None, description="The `deflection` the suggestions answered, if the customer was shown any."
    )


class PortalReplyIn(Input):
    body: str = Field("", max_length=100_000)


class SuggestIn(Input):
    text: str = Field(max_length=5000, description="What the customer has written so far: subject and description.")
    deflection: Id | None = Field(None, description="The `deflection` of earlier suggestions for the same form.")


class SuggestedArticleOut(Schema):
    article_id: int
    translation_id: int
    locale: str
    title: str
    url: str
    snippet_html: str = Field(description="Escaped text with <mark> around the matching words.")


class SuggestOut(Schema):
    deflection: int | None = Field(
        description="Send it back with later suggestions, when an article is opened, and with the ticket."
    )
    articles: list[SuggestedArticleOut]


class OpenedIn(Input):
    article_id: Id

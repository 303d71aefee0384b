"""REST endpoints of the customer portal: what a signed-in customer does on /portal/, with the
portal's session cookie (PortalSession; unsafe methods need the X-CSRFToken header).

A customer sees their own tickets, and their organisation's when it shares them; any other
ticket answers 404, exactly like one that does not exist. Only the public conversation shows,
never an internal note.
"""

from typing import Annotated

from django.http import FileResponse, HttpRequest
from django.utils import timezone, translation
from ninja import File, Query, Router, UploadedFile
from ninja.errors import AuthenticationError
from ninja.responses import Status as WithStatus

from frontdesk.accounts.models import Contact
from frontdesk.api.pagination import Page
from frontdesk.api.params import FormOrJson, json_alternative
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound
from frontdesk.kb import selectors as kb_selectors
from frontdesk.kb.markdown import article_url
from frontdesk.portal import services
from frontdesk.portal.auth import PortalSession, request_contact
from frontdesk.portal.schemas import (
    OpenedIn,
    PortalContactOut,
    PortalMessageOut,
    PortalReplyIn,
    PortalTicketDetailOut,
    PortalTicketIn,
    PortalTicketPage,
    PortalTicketQuery,
    SuggestedArticleOut,
    SuggestIn,
    SuggestOut,
)
from frontdesk.portal.selectors import (
    access_customer_attachment,
    access_customer_ticket,
    customer_ticket_page,
)
from frontdesk.portal.views import UI_LOCALES
from frontdesk.tickets.models import Message, Ticket


class _Portal(PortalSession):
    def authenticate(self, request: HttpRequest, key: str | None) -> Contact:
        contact = super().authenticate(request, key)
        if contact is None:
            raise AuthenticationError(message="Sign in to the customer portal first (an e-mailed sign-in link).")
        return contact


router = Router(tags=["portal"], auth=_Portal())


def _locale(contact: Contact) -> str:
    if contact.language in UI_LOCALES:
        return contact.language
    return translation.get_language() or UI_LOCALES[0]


@router.get("/portal/me", response={200: PortalContactOut, **ERRORS}, summary="The signed-in customer")
def portal_me(request: HttpRequest) -> Contact:
    return request_contact(request)


@router.get("/portal/tickets", response={200: PortalTicketPage, **ERRORS}, summary="The customer's tickets")
def list_portal_tickets(request: HttpRequest, query: Query[PortalTicketQuery]) -> Page[Ticket]:
    """Newest activity first, a page at a time."""
    contact = request_contact(request)
    return customer_ticket_page(contact=contact, scope=query.scope, cursor=query.cursor, size=query.limit)


@router.get(
    "/portal/tickets/{ticket_id}",
    response={200: PortalTicketDetailOut, **ERRORS},
    summary="A ticket, as the customer sees it",
)
def get_portal_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return access_customer_ticket(request_contact(request), ticket_id)


@router.post(
    "/portal/tickets",
    response={201: PortalTicketDetailOut, **ERRORS},
    summary="Open a ticket",
    openapi_extra=json_alternative(PortalTicketIn),
)
def create_portal_ticket(
    request: HttpRequest,
    payload: Annotated[PortalTicketIn, FormOrJson(...)],
    attachments: File[list[UploadedFile] | None] = None,
) -> WithStatus[Ticket]:
    """The customer is the requester; the channel is "web". JSON, or multipart/form-data with `attachments`."""
    contact = request_contact(request)
    ticket = services.customer_ticket_create(
        contact=contact,
        subject=payload.subject,
        body=payload.body,
        attachments=attachments or [],
        language=_locale(contact),
        deflection_id=payload.deflection,
        now=timezone.now(),
    )
    return WithStatus(201, ticket)


@router.post(
    "/portal/tickets/{ticket_id}/messages",
    response={201: PortalMessageOut, **ERRORS},
    summary="Reply on a ticket",
    openapi_extra=json_alternative(PortalReplyIn),
)
def reply_portal_ticket(
    request: HttpRequest,
    ticket_id: int,
    payload: Annotated[PortalReplyIn, FormOrJson(...)],
    attachments: File[list[UploadedFile] | None] = None,
) -> WithStatus[Message]:
    """The ticket waits on an agent again (and reopens if it was solved). A closed ticket answers 409."""
    contact = request_contact(request)
    ticket = access_customer_ticket(contact, ticket_id)
    message = services.customer_ticket_reply(
        contact=contact, ticket=ticket, body=payload.body, attachments=attachments or [], now=timezone.now()
    )
    return WithStatus(201, message)


@router.get(
    "/portal/attachments/{attachment_id}",
    response=ERRORS,
    summary="Download a file of the customer's ticket",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_portal_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = access_customer_attachment(request_contact(request), attachment_id)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound("The file is no longer stored.") from None
    return FileResponse(stored, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type)


@router.post(
    "/portal/suggestions", response={200: SuggestOut, **ERRORS}, summary="Articles for a request being written"
)
def portal_suggestions(request: HttpRequest, payload: SuggestIn) -> dict[str, object]:
    """Up to five help-centre articles the customer may read instead of sending the request
    (counted as a deflection when they open one and send nothing)."""
    contact = request_contact(request)
    locale = _locale(contact)
    suggested = services.ticket_form_suggest(
        contact=contact, text=payload.text, locale=locale, deflection_id=payload.deflection, now=timezone.now()
    )
    articles = [
        SuggestedArticleOut(
            article_id=hit.article_id,
            translation_id=hit.translation_id,
            locale=hit.locale,
            title=hit.title,
            url=request.build_absolute_uri(article_url(hit.locale, hit.article_id, hit.url_slug)),
            snippet_html=hit.snippet_html,
        )
        for hit in suggested.hits
    ]
    return {"deflection": suggested.deflection.pk if suggested.deflection else None, "articles": articles}


@router.post(
    "/portal/deflections/{deflection_id}/opened",
    response={204: None, **ERRORS},
    summary="The customer opened a suggested article",
)
def portal_deflection_opened(request: HttpRequest, deflection_id: int, payload: OpenedIn) -> WithStatus[None]:
    contact = request_contact(request)
    view = kb_selectors.access_article(
        kb_selectors.Reader(contact=contact), payload.article_id, locale=_locale(contact)
    )
    services.deflection_open(contact=contact, deflection_id=deflection_id, translation_id=view.translation.pk)
    return WithStatus(204, None)

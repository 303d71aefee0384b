"""The customer portal's session, apart from the agents' Django sign-in.

A customer is signed in when the session holds `portal_contact_id` (set by redeeming a
magic link, services.magic_link_redeem). The same browser may also be signed in as an agent:
the two never mix, and signing out of one leaves the other.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf

from frontdesk.accounts.models import Contact
from frontdesk.core.errors import PermissionDenied
from frontdesk.portal.selectors import portal_contact

SESSION_KEY = "portal_contact_id"


def signed_in_contact(request: HttpRequest) -> Contact | None:
    """The signed-in customer (the contact they were merged into, if they were), or None.
    Cached on the request."""
    if not hasattr(request, "_portal_contact"):
        contact_id = request.session.get(SESSION_KEY)
        request._portal_contact = portal_contact(contact_id) if isinstance(contact_id, int) else None  # type: ignore[attr-defined]
    contact: Contact | None = request._portal_contact  # type: ignore[attr-defined]
    return contact


def sign_in(request: HttpRequest, contact: Contact) -> None:
    """A new session key (no fixation), holding the customer."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = contact.pk
    request._portal_contact = contact  # type: ignore[attr-defined]


def sign_out(request: HttpRequest) -> None:
    """Forget the customer; an agent's sign-in in the same browser stays."""
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    request._portal_contact = None  # type: ignore[attr-defined]


class PortalSession(APIKeyCookie):
    """The REST API for a signed-in customer: the portal's session cookie. Unsafe methods need
    the CSRF token (X-CSRFToken header), as for any cookie-authenticated API."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        contact = signed_in_contact(request)
        if contact is None:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied("The CSRF token is missing or wrong; send it in the X-CSRFToken header.")
        return contact


def request_contact(request: HttpRequest) -> Contact:
    """The customer the API request authenticated as (PortalSession)."""
    contact = getattr(request, "auth", None)
    if not isinstance(contact, Contact):
        raise PermissionDenied("Sign in to the customer portal.")
    return contact

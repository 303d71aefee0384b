"""Who is calling: a bearer token (`frontdesk token create`), or the workspace's own session."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from frontdesk.accounts.models import User
from frontdesk.accounts.selectors import require_agent
from frontdesk.accounts.services import api_token_authenticate
from frontdesk.core.errors import PermissionDenied


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`. A token that is sent but not valid is refused outright."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = api_token_authenticate(plain=token.strip(), now=timezone.now())
        if user is None:
            raise AuthenticationError(message="The API token is not valid; create one with `frontdesk token create`.")
        return user


class WorkspaceSession(APIKeyCookie):
    """The signed-in workspace, for its own scripts. Unsafe methods need the CSRF token (X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied("The CSRF token is missing or wrong; send it in the X-CSRFToken header.")
        return user


def request_agent(request: HttpRequest) -> User:
    """The agent the request authenticated as (set by one of the classes above)."""
    return require_agent(getattr(request, "auth", None))

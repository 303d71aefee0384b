"""The REST API: one NinjaAPI, the routers of each app, and errors as JSON.

Every error answer has the same shape (`ErrorOut`):
`{"error": {"code": "...", "message": "...", "field": "name-or-null"}}`, with
`details` listing every failing field when the input did not validate.
"""

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationErrorContext
from ninja.errors import ValidationError as InputInvalid
from ninja.operation import Operation

from frontdesk.accounts.api import router as accounts_router
from frontdesk.api.auth import BearerToken, WorkspaceSession
from frontdesk.core.errors import FrontdeskError
from frontdesk.kb.api import router as kb_router
from frontdesk.mail.api import router as mail_router
from frontdesk.notifications.api import router as notifications_router
from frontdesk.portal.api import router as portal_router
from frontdesk.reports.api import router as reports_router
from frontdesk.routing.api import router as routing_router
from frontdesk.sla.api import router as sla_router
from frontdesk.surveys.api import router as surveys_router
from frontdesk.tickets.api import router as tickets_router

logger = logging.getLogger("frontdesk.api")

_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class FrontdeskAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Endpoint function names are unique across the routers: list_tickets, create_contact, …
        return operation.view_func.__name__

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> InputInvalid:
        """Each failure located as the client sees it: (source, field, …), without our parameter names."""
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            flattened = getattr(model, "__ninja_flatten_map_reverse__", {})
            body_attr = getattr(model, "__read_from_single_attr__", None)
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = tuple(error["loc"])
                if body_attr and loc[:1] == (body_attr,):
                    loc = loc[1:]
                for cut in range(len(loc), 0, -1):
                    if loc[:cut] in flattened:
                        loc = flattened[loc[:cut]] + loc[cut:]
                        break
                errors.append({"loc": (model.__ninja_param_source__, *loc), "msg": error["msg"], "type": error["type"]})
        return InputInvalid(errors)


api = FrontdeskAPI(
    title="Frontdesk API",
    version="1",
    description=(
        "Tickets, conversations, contacts, organisations, agents and teams. "
        "Authenticate with `Authorization: Bearer <token>` (create one with `frontdesk token create --email …`). "
        'Errors are JSON: `{"error": {"code", "message", "field"}}`.'
    ),
    urls_namespace="api-v1",
    auth=[BearerToken(), WorkspaceSession()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)
api.add_router("", tickets_router)
api.add_router("", accounts_router)
api.add_router("", mail_router)
api.add_router("", routing_router)
api.add_router("", reports_router)
api.add_router("", sla_router)
api.add_router("", notifications_router)
api.add_router("", surveys_router)
api.add_router("", kb_router)
api.add_router("", portal_router)


def error_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    error: dict[str, Any] = {"code": code, "message": message, "field": field}
    if details is not None:
        error["details"] = details
    return api.create_response(request, {"error": error}, status=status)


@api.exception_handler(FrontdeskError)
def _frontdesk_error(request: HttpRequest, exc: FrontdeskError) -> HttpResponse:
    return error_response(request, status=exc.status, code=exc.code, message=exc.message, field=exc.field)


def _field_and_message(error: dict[str, Any]) -> tuple[str | None, str]:
    # loc is (source, field, …) – see FrontdeskAPI; list positions are left out of the name.
    field = ".".join(str(part) for part in error["loc"][1:] if not isinstance(part, int)) or None
    if error.get("type") == "missing":
        return field, f"The field “{field}” is required."
    reason = str(error.get("msg", "is not valid"))
    reason = reason.removeprefix("Value error, ")
    if field is None:
        return None, f"The request is not valid: {reason[:1].lower()}{reason[1:]}."
    return field, f"The field “{field}” is not valid: {reason[:1].lower()}{reason[1:]}."


@api.exception_handler(InputInvalid)
def _input_invalid(request: HttpRequest, exc: InputInvalid) -> HttpResponse:
    failures = [_field_and_message(error) for error in exc.errors] or [(None, "The request is not valid.")]
    field, message = failures[0]
    details = [{"field": name, "message": text} for name, text in failures]
    return error_response(request, status=422, code="invalid", message=message, field=field, details=details)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message
    if message == "Unauthorized":  # ninja's default, when no credentials came at all
        message = "Authentication is required: send `Authorization: Bearer <token>`."
    response = error_response(request, status=401, code="unauthenticated", message=message)
    response["WWW-Authenticate"] = 'Bearer realm="frontdesk"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = exc.message
    if message.startswith("Cannot parse request body"):
        message = "The request body is not valid JSON."
    return error_response(request, status=exc.status_code, code=_CODES.get(exc.status_code, "error"), message=message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message="Not found.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api error", extra={"path": request.path, "method": request.method})
    return error_response(
        request, status=500, code="server_error", message="Something went wrong on our side; it has been logged."
    )


def unknown_endpoint(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return error_response(
        request, status=404, code="not_found", message=f"There is no endpoint {request.path}; see /api/v1/docs."
    )


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    response = error_response(
        request,
        status=405,
        code="method_not_allowed",
        message=f"{request.method} is not allowed here; use {allowed}.",
    )
    response["Allow"] = allowed
    return response

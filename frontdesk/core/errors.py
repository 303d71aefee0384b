"""Errors that services and selectors raise, and that the faces translate.

Every error has a stable `code` for API clients and a `message` a person can
read. `ValidationError` names the field that failed.
"""


class FrontdeskError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(FrontdeskError):
    code = "invalid"
    status = 422


class PermissionDenied(FrontdeskError):
    code = "forbidden"
    status = 403


class NotFound(FrontdeskError):
    code = "not_found"
    status = 404


class Conflict(FrontdeskError):
    code = "conflict"
    status = 409

"""Schemas every router shares: the error envelope, the base of request schemas, and input types."""

from typing import Annotated, TypeVar

from ninja import Field, Schema
from pydantic import BeforeValidator, field_validator


class ErrorDetail(Schema):
    field: str | None
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorOut(Schema):
    """Every error answer: a stable `code`, a `message` a person can read, and the `field` that failed."""

    error: ErrorBody


# The error answers each endpoint documents in the OpenAPI document.
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


class Input(Schema):
    """The base of every request schema. Text with NUL characters is refused: no database stores it."""

    @field_validator("*")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        if _contains_nul(value):
            raise ValueError("text may not contain NUL characters")
        return value


# A database id: positive and within a 64-bit integer, so no lookup overflows.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


T = TypeVar("T")
# A choice that may be absent: "" and null both mean "none" (HTML forms and query strings send "").
Blankable = Annotated[T | None, BeforeValidator(_blank_is_none)]

"""Keyset pages: a list sorted by one column (a name, a date or a time), then by id the same way,
so every page costs the same however deep it is. The cursor is the last row's (value, id).

Tickets have their own order and pager (`tickets.selectors.paginate`).
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from django.db.models import DateField, DateTimeField, Field, Model, Q, QuerySet
from django.utils.translation import gettext as _

from frontdesk.core.errors import ValidationError

M = TypeVar("M", bound=Model)
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def paginate(rows: QuerySet[M], *, order: str, cursor: str = "", size: int = 25) -> Page[M]:
    """A page of `rows` ordered by `order` (a field or an annotation; "-" for descending), then by
    id the same way; `cursor` is the `next_cursor` of the page before."""
    descending, name = order.startswith("-"), order.lstrip("-")
    rows = rows.order_by(order, "-pk" if descending else "pk")
    if cursor:
        value, pk = _decode(cursor, _field(rows, name))
        beyond = "lt" if descending else "gt"
        rows = rows.filter(Q(**{f"{name}__{beyond}": value}) | Q(**{name: value, f"pk__{beyond}": pk}))
    items = list(rows[: size + 1])
    last = items[size - 1] if len(items) > size else None
    return Page(items[:size], _encode(getattr(last, name), last.pk) if last is not None else None)


def _field(rows: QuerySet[M], name: str) -> Field[object, object]:
    annotation = rows.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    return rows.model._meta.get_field(name)  # type: ignore[return-value]  # a concrete field, not a relation


def _encode(value: str | date, pk: int) -> str:
    shown = value.isoformat() if isinstance(value, date) else value
    return base64.urlsafe_b64encode(json.dumps([shown, pk]).encode()).decode()


def _decode(cursor: str, field: Field[object, object]) -> tuple[str | date, int]:
    try:
        shown, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(shown, str) or not isinstance(pk, int) or isinstance(pk, bool):
            raise TypeError("a cursor is a text and an id")
        value: str | date = shown
        if isinstance(field, DateTimeField):
            value = datetime.fromisoformat(shown)
            if value.tzinfo is None:
                raise ValueError("a cursor's time is aware")
        elif isinstance(field, DateField):
            value = date.fromisoformat(shown)
    except (ValueError, TypeError):
        raise ValidationError(_("The cursor is not valid; start again from the first page."), field="cursor") from None
    return value, pk

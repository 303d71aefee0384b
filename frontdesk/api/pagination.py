"""Keyset pages over lists sorted by name (contacts, organisations).

Tickets have their own order and pager (`tickets.selectors.paginate`); this one
walks (name, id), so every page costs the same however deep it is.
"""

import base64
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from frontdesk.core.errors import ValidationError

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class NamePage(Generic[M]):
    items: list[M]
    next_cursor: str | None


def _encode(name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([name, pk]).encode()).decode()


def _decode(cursor: str) -> tuple[str, int]:
    try:
        name, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(name, str) and isinstance(pk, int):
            return name, pk
    except (ValueError, TypeError):
        pass
    raise ValidationError("The cursor is not valid; start again from the first page.", field="cursor")


def paginate_by_name(rows: QuerySet[M], *, cursor: str = "", size: int = 25) -> NamePage[M]:
    rows = rows.order_by("name", "pk")
    if cursor:
        name, pk = _decode(cursor)
        rows = rows.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    last = items[-1] if more and items else None
    return NamePage(
        items=items, next_cursor=_encode(last.serializable_value("name"), last.pk) if last is not None else None
    )

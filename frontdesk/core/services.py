"""What every app's services share: the UNSET marker and the role check."""

from collections.abc import Collection
from enum import Enum
from typing import Final, Protocol


class Unset(Enum):
    UNSET = 0


UNSET: Final = Unset.UNSET
"""Marks a keyword argument of an update service that was not given (None may be a real value)."""


class _Actor(Protocol):
    role: str

    def get_role_display(self) -> str: ...


def require_role(actor: _Actor | None, roles: Collection[str], what: str) -> None:
    """`actor` None is the system itself (a job, a channel adapter), which may do anything."""
    if actor is not None and actor.role not in roles:
        from frontdesk.core.errors import PermissionDenied

        raise PermissionDenied(f"Your role ({actor.get_role_display()}) may not {what}.")

"""Domain events the tickets app publishes. Other apps subscribe; tickets depends on none of them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketCreated:
    ticket_id: int
    actor_id: int | None
    channel: str = ""  # "" in events queued before the field existed: handlers read the ticket


@dataclass(frozen=True)
class TicketChanged:
    ticket_id: int
    actor_id: int | None
    fields: tuple[str, ...]
    # The reply that made the change (it reopened the ticket or set its status), if any: its
    # MessageAdded goes out after the same commit, so a handler of both may leave this one out.
    message_id: int | None = None


@dataclass(frozen=True)
class MessageAdded:
    ticket_id: int
    message_id: int
    kind: str
    actor_id: int | None
    from_customer: bool

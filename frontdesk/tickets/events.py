"""Domain events the tickets app publishes. Other apps subscribe; tickets depends on none of them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketCreated:
    ticket_id: int
    actor_id: int | None


@dataclass(frozen=True)
class TicketChanged:
    ticket_id: int
    actor_id: int | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class MessageAdded:
    ticket_id: int
    message_id: int
    kind: str
    actor_id: int | None
    from_customer: bool

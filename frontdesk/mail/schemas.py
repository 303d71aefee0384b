from datetime import datetime

from ninja import Schema


class IngestOut(Schema):
    outcome: str
    ticket: int | None
    message: int | None


class MessageEmailOut(Schema):
    """How a message came or went by e-mail."""

    direction: str
    message_id: str
    thread_reason: str = ""
    auto_generated: str = ""
    bounce: dict[str, object] | None = None
    delivery_status: str = ""
    delivery_error: str = ""
    sent_at: datetime | None = None

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ContactMerged:
    source_id: int
    target_id: int
    actor_id: int | None
    at: datetime

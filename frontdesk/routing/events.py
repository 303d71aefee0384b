"""Domain events the routing app publishes."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AgentStateChanged:
    """An agent started or stopped their shift, or paused or resumed intake."""

    agent_id: int
    old: str
    new: str
    at: datetime

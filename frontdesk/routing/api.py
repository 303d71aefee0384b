"""REST endpoints of routing: profiles, shift timer and intake, the team dashboard, routing decisions."""

from ninja import Router

router = Router(tags=["routing"])

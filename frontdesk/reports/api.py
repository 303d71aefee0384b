"""REST endpoints of the reports."""

from ninja import Router

router = Router(tags=["reports"])

"""REST endpoints of the territory app."""

from ninja import Router

router = Router(tags=["territory"])

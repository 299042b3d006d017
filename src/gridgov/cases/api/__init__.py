"""REST endpoints, one router per concern, joined under ``/api/v1/cases``."""

from ninja import Router

router = Router(tags=["cases"])


def assemble() -> Router:
    """Mount every concern's router; modules are imported here so each owns its own."""
    import importlib

    for name in ("catalogue", "calendar", "components", "workflow", "evaluation"):
        module = importlib.import_module(f"gridgov.cases.api.{name}")
        router.add_router("", module.router)
    return router

"""REST endpoints, one router per concern, joined under ``/api/v1/epidemic``."""

from ninja import Router

router = Router(tags=["epidemic"])


def assemble() -> Router:
    """Mount every concern's router; modules are imported here so each owns its own."""
    import importlib

    for name in ("risk", "declarations", "health_code"):
        module = importlib.import_module(f"gridgov.epidemic.api.{name}")
        router.add_router("", module.router)
    return router

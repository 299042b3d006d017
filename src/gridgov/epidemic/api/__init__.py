"""REST endpoints, one router per concern (each module's ``router``), joined under
``/api/v1/epidemic``."""

from ninja import Router

router = Router(tags=["epidemic"])


def assemble() -> Router:
    from gridgov.epidemic.concerns import modules

    for module in modules("api"):
        router.add_router("", module.router)
    return router

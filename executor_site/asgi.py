"""ASGI entry point: `uvicorn executor_site.asgi:application`.

Django's handler speaks HTTP only; the ASGI lifespan protocol is answered here, so that
a server that stops (uvicorn on SIGINT or SIGTERM) interrupts the runs it supervises
before it exits. uvicorn ends a SIGTERM by raising it again with the default action,
which kills the process at once: without this the runs were left to recovery.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "executor_site.settings")

django_application = get_asgi_application()


async def application(scope, receive, send):
    if scope["type"] != "lifespan":
        return await django_application(scope, receive, send)
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            from tasks.services.engine import stop_engine

            # On the event loop's thread (the main one), on purpose: the server has
            # stopped serving, and there a second Ctrl-C can end the wait at once.
            stop_engine()
            await send({"type": "lifespan.shutdown.complete"})
            return

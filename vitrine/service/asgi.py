"""Plain ASGI middleware from one coroutine: `handler(scope, receive, send, call)` where `call`
runs the rest of the app. Starlette's BaseHTTPMiddleware (what @app.middleware("http") makes)
adds a task and a response copy to every request; this adds a function call."""

from __future__ import annotations


def asgi_middleware(handler):
    """A middleware class for `app.add_middleware` that wraps the app in `handler`."""

    class Middleware:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            await handler(scope, receive, send, self.app)

    Middleware.__name__ = handler.__name__
    return Middleware

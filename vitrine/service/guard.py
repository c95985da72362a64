"""What every response and every state-changing request passes through: the usual security
headers (the storefront's pages meet their Content-Security-Policy: scripts and styles only from
/static, no inline code), a refusal of cross-site form posts (the browser's Origin, or Referer,
must be this host or a configured CORS origin; clients that send neither, such as scripts, are
not browsers carrying someone's cookie), and HEAD answered wherever GET is."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from vitrine.service.asgi import asgi_middleware

STRICT_CSP = ("default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI and ReDoc (/docs, /redoc) start from an inline script; their files are served from here.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _headers(path: str) -> list[tuple[bytes, bytes]]:
    csp = DOCS_CSP if path.startswith(DOCS_PATHS) else STRICT_CSP
    return [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"), (b"content-security-policy", csp.encode())]


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else "null"


def cross_site(scope, allowed_origins: frozenset[str]) -> str | None:
    """The foreign origin a state-changing browser request came from, or None if it is this host's."""
    headers = dict(scope["headers"])
    sent = headers.get(b"origin") or headers.get(b"referer")
    if sent is None:
        return None
    origin = _origin_of(sent.decode("latin-1"))
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if origin in allowed_origins or (host and origin.split("://", 1)[-1] == host):
        return None
    return origin


def install(app, cors_origins: tuple[str, ...] = ()) -> None:
    allowed = frozenset(o.lower().rstrip("/") for o in cors_origins)

    async def guard(scope, receive, send, call):
        if scope["type"] != "http":
            return await call(scope, receive, send)
        extra = _headers(scope["path"])
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        elif scope["method"] in UNSAFE_METHODS and (origin := cross_site(scope, allowed)) is not None:
            body = json.dumps({"error": f"a cross-site request from {origin} is refused "
                                        "(forms post only from this shop's own pages)"}).encode()
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode()), *extra]})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_guarded(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # the GET's headers (its length too), no body
            await send(message)

        await call(scope, receive, send_guarded)

    app.add_middleware(asgi_middleware(guard))

"""What every response and every state-changing request passes through: the usual security
headers (the storefront's pages meet their Content-Security-Policy: scripts and styles only from
/static, no inline code), a refusal of cross-site form posts (the browser's Origin, or Referer,
must be this host or a configured CORS origin; clients that send neither, such as scripts, are
not browsers carrying someone's cookie), HEAD answered wherever GET is, and bodies read whole
before any work starts: bounded in bytes per route (413 as soon as a body passes its bound, before
a parser or a spool file sees more) and in time (408 when a body has not arrived within
`body_timeout_s`). The load-shedding bound inside therefore counts requests being worked on, not
sockets a slow client holds open."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

from vitrine.service.asgi import asgi_middleware

STRICT_CSP = ("default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI and ReDoc (/docs, /redoc) start from an inline script; their files are served from here.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_BYTES = 64 * 1024  # any JSON or form body but an upload's
FORM_OVERHEAD = 64 * 1024  # a multipart form's fields and boundaries around its picture


def body_limit(path: str, settings) -> int:
    """The most bytes a request body to `path` may have."""
    from vitrine.service.tryon import MAX_BASE64
    if path == "/tryon":  # JSON: a picture and a mask in base64
        return 2 * MAX_BASE64 + BODY_BYTES
    if path == "/shop/tryon":  # a form with the visitor's picture
        return settings.max_upload_bytes + FORM_OVERHEAD
    if re.fullmatch(r"/admin/items/[^/]+/photo", path):  # the picture's bytes themselves
        return settings.max_upload_bytes
    return BODY_BYTES


class Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


async def read_body(scope, receive, limit: int, seconds: float) -> bytes:
    """The whole body, or Refused (413 past `limit` bytes, 408 past `seconds`, 400 if the client left)."""
    declared = dict(scope["headers"]).get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the request body is over {limit:,} bytes")
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise Refused(400, "the client left before sending the whole body")
                body += message.get("body", b"")
                if len(body) > limit:
                    raise Refused(413, f"the request body is over {limit:,} bytes")
                if not message.get("more_body", False):
                    return bytes(body)
    except TimeoutError:
        raise Refused(408, f"the request body did not arrive within {seconds:g} s") from None


def replay(body: bytes, receive):
    """A receive that gives the app the body already read, then whatever the client sends next."""
    sent = [False]

    async def replayed():
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replayed


async def _answer(send, status: int, message: str, extra: list) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *extra]})
    await send({"type": "http.response.body", "body": body})


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


def install(app, settings) -> None:
    allowed = frozenset(o.lower().rstrip("/") for o in settings.cors_origins)

    async def guard(scope, receive, send, call):
        if scope["type"] != "http":
            return await call(scope, receive, send)
        extra = _headers(scope["path"])
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        elif scope["method"] in UNSAFE_METHODS:
            if (origin := cross_site(scope, allowed)) is not None:
                return await _answer(send, 403, f"a cross-site request from {origin} is refused (forms post only "
                                                "from this shop's own pages)", extra)
            try:
                body = await read_body(scope, receive, body_limit(scope["path"], settings), settings.body_timeout_s)
            except Refused as refused:
                return await _answer(send, refused.status, refused.message, extra)
            receive = replay(body, receive)

        async def send_guarded(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # the GET's headers (its length too), no body
            await send(message)

        await call(scope, receive, send_guarded)

    app.add_middleware(asgi_middleware(guard))

"""Every error is JSON with a message: {"error": "..."} and the fitting status code. The domain
errors the operations raise (vitrine.errors) map to one status each; ServiceError is for what only
HTTP has (a missing token, a body over its bound)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from vitrine.errors import AppError, Busy, Conflict, Invalid, NotFound, NotReady

STATUS = {Invalid: 422, NotFound: 404, Conflict: 409, NotReady: 503, Busy: 429}


class ServiceError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


log = logging.getLogger("vitrine.service")


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError):
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(AppError)
    async def domain_error(_: Request, exc: AppError):
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Busy) else None
        return JSONResponse({"error": str(exc)}, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
        message = first.get("msg", "invalid").removeprefix("Value error, ")  # pydantic's prefix on our own checks
        return JSONResponse({"error": f"{where}: {message}" if where else message,
                             "details": [{"field": ".".join(map(str, e.get("loc", ()))), "message": e.get("msg")}
                                         for e in exc.errors()[:10]]}, status_code=422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        # the traceback goes to the server's log (never to the client), with the route, not the query
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": f"internal error: {type(exc).__name__}"}, status_code=500)

"""What routes depend on (FastAPI `Depends`): the application context and the admin token."""

from __future__ import annotations

import secrets

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vitrine.app.context import AppContext
from vitrine.app.queue import ADMIN_CLIENT
from vitrine.service.errors import ServiceError

bearer = HTTPBearer(auto_error=False, description="the service's admin token")


async def context(request: Request) -> AppContext:
    """async, so FastAPI calls it on the event loop (a plain function dependency runs in a thread)."""
    return request.app.state.vitrine


def client_of(request: Request) -> str:
    """Who a job is counted against: the shop owner (a request that showed the admin token), else the
    client's address."""
    if getattr(request.state, "admin", False):
        return ADMIN_CLIENT
    return request.client.host if request.client else "unknown"


def is_admin_token(ctx: AppContext, given: str) -> bool:
    """The admin token, compared in constant time (no token configured: nobody is admin)."""
    token = ctx.settings.token
    return bool(token) and secrets.compare_digest(given.encode(), token.encode())


def require_admin(request: Request, ctx: AppContext = Depends(context),
                  credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    if not is_admin_token(ctx, credentials.credentials if credentials is not None else ""):
        raise ServiceError(401, "admin route: send the service's token as 'Authorization: Bearer TOKEN'",
                           headers={"WWW-Authenticate": "Bearer"})
    request.state.admin = True

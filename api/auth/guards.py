"""Who is asking: token or session-cookie authentication. What they may do is decided in api/access.py."""

from __future__ import annotations

import time
import uuid
from contextlib import suppress

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.exc import OperationalError

from api.auth.models import User
from api.auth.proxies import client_view, strip_default_port
from api.auth.services import AuthService
from api.errors import Forbidden


def bearer_token(connection: ASGIConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_token(connection: ASGIConnection) -> str | None:
    return bearer_token(connection) or connection.cookies.get(connection.app.state.settings.cookie_name) or None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site(connection: ASGIConnection) -> bool:
    """Whether a request comes from another site's page: its Origin is neither this app nor an allowed one,
    or, without an Origin, the browser says it is cross-site (Sec-Fetch-Site)."""
    origin = connection.headers.get("origin")
    if origin is None:
        return connection.headers.get("sec-fetch-site", "").lower() == "cross-site"
    # The app's own origin as the browser saw it: behind a trusted proxy, the proxy's scheme and host.
    own = client_view(connection).origin
    allowed = {own, *(_origin(o) for o in connection.app.state.settings.allowed_origins)}
    return _origin(origin) not in allowed


def _origin(origin: str) -> str:
    scheme, sep, host = origin.strip().lower().rstrip("/").partition("://")
    return f"{scheme}{sep}{strip_default_port(scheme, host)}"


class TokenCache:
    """Tokens validated in the last few seconds, so that a burst of requests costs one auth query.

    Logout, deactivation and password resets through this app forget the affected entries at once;
    a change made by another process (the `floorcheck users` command, another app instance) takes
    effect within `ttl` seconds.
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, User]] = {}

    def get(self, token: str) -> User | None:
        entry = self._entries.get(token)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, token: str, user: User) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token] = (time.monotonic(), user)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)

    def forget_user(self, user_id: uuid.UUID) -> None:
        for token in [t for t, (_, user) in self._entries.items() if user.id == user_id]:
            del self._entries[token]


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = request_token(connection)
        if token is None:
            raise NotAuthorizedException("Log in first: send a Bearer token or the session cookie.")
        if connection.scope.get("method") not in SAFE_METHODS and bearer_token(connection) is None \
                and cross_site(connection):
            # A browser sends the cookie with another site's form posts too (SameSite=Lax is not enough).
            raise Forbidden("This write came from another site's page with your session cookie: refused.",
                            detail_zh="该写入请求来自其他网站的页面并携带了您的会话，已拒绝。")
        cache: TokenCache = connection.app.state.token_cache
        user = cache.get(token)
        if user is None:
            async with connection.app.state.sessionmaker() as session:
                user = await AuthService(session, connection.app.state.settings).authenticate(token)
                if session.dirty:
                    # A renewal is a convenience: when the database is busy it waits for a later request.
                    with suppress(OperationalError):
                        await session.commit()
            if user is None:
                raise NotAuthorizedException("Your session has ended. Log in again.")
            cache.put(token, user)
        return AuthenticationResult(user=user, auth=token)

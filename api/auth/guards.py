"""Who is asking: token or session-cookie authentication, and role guards."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from api.auth.models import Role
from api.auth.services import AuthService


def request_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return connection.cookies.get(connection.app.state.settings.cookie_name) or None


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = request_token(connection)
        if token is None:
            raise NotAuthorizedException("Log in first: send a Bearer token or the session cookie.")
        async with connection.app.state.sessionmaker() as session:
            user = await AuthService(session, connection.app.state.settings).authenticate(token)
        if user is None:
            raise NotAuthorizedException("Your session has ended. Log in again.")
        return AuthenticationResult(user=user, auth=token)


def requires(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.user.role not in allowed:
            raise PermissionDeniedException("Your role may not do this.")

    return guard


requires_admin = requires(Role.admin)
requires_staff = requires(Role.admin, Role.supervisor, Role.merchandiser)
requires_supervisor = requires(Role.admin, Role.supervisor)

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.access import requires_admin, requires_staff
from api.auth.guards import request_token
from api.auth.models import Role
from api.auth.proxies import ClientView, client_view
from api.auth.schemas import (
    LoginIn, LoginOut, PasswordReset, PersonOut, UserCreate, UserOut, UserPatch, user_out,
)
from api.auth.services import AuthService, UserService
from api.deps import DB, AppSettings, CurrentUser
from api.http import query_text


def provide_auth(db: DB, settings: AppSettings, state: State) -> AuthService:
    # A login reads in a read-only session of its own, and lets go of it before it hashes the password.
    return AuthService(db, settings, reader=state.sessionmaker)


def provide_users(db: DB, settings: AppSettings) -> UserService:
    return UserService(db, settings)


AuthServiceDep = NamedDependency[AuthService]
UserServiceDep = NamedDependency[UserService]
SERVICES = {"logins": Provide(provide_auth, sync_to_thread=False),
            "users": Provide(provide_users, sync_to_thread=False)}


def cookie_secure(seen: ClientView, setting: str) -> bool:
    """Whether the session cookie is Secure: "true"/"false", or "auto": when the request came over https."""
    setting = setting.strip().lower()
    if setting == "auto":
        return seen.scheme == "https"
    return setting in {"1", "true", "yes", "on"}


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    dependencies = SERVICES

    @post("/login", operation_id="login", exclude_from_auth=True, status_code=200)
    async def login(self, request: Request, data: JSONBody[LoginIn], logins: AuthServiceDep,
                    settings: AppSettings) -> Response[LoginOut]:
        seen = client_view(request)  # behind a trusted proxy: the proxy's client, and the scheme it was asked over
        token, auth, user = await logins.login(data.username, data.password, seen.address)
        cookie = Cookie(key=settings.cookie_name, value=token, httponly=True, samesite="lax", path="/",
                        secure=cookie_secure(seen, settings.cookie_secure),
                        max_age=int(settings.token_lifetime.total_seconds()))
        body = LoginOut(token=token, user=user_out(user), expires_at=auth.expires_at.isoformat())
        return Response(body, cookies=[cookie])

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, request: Request, logins: AuthServiceDep, settings: AppSettings) -> Response[None]:
        if token := request_token(request):
            await logins.logout(token)
            request.app.state.token_cache.forget(token)
        response: Response[None] = Response(None, status_code=HTTP_204_NO_CONTENT)
        response.delete_cookie(settings.cookie_name, path="/")
        return response

    @get("/me", operation_id="me")
    async def me(self, user: CurrentUser) -> UserOut:
        return user_out(user)


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [requires_admin]
    dependencies = SERVICES

    @get("/", operation_id="listUsers")
    async def list_users(self, users: UserServiceDep) -> list[UserOut]:
        return [user_out(u) for u in await users.list()]

    @post("/", operation_id="createUser")
    async def create_user(self, data: JSONBody[UserCreate], users: UserServiceDep) -> UserOut:
        return user_out(await users.create(data.username, data.password, data.role, data.display_name,
                                           data.factory_id, data.company))

    @patch("/{user_id:uuid}", operation_id="updateUser")
    async def update_user(self, request: Request, user_id: FromPath[UUID], data: JSONBody[UserPatch],
                          users: UserServiceDep) -> UserOut:
        user = await users.update(await users.get(user_id), data.version, display_name=data.display_name,
                                  role=data.role, factory_id=data.factory_id, active=data.active,
                                  company=data.company)
        request.app.state.token_cache.forget_user(user.id)  # a new role or a deactivation applies at once
        return user_out(user)

    @post("/{user_id:uuid}/password", operation_id="resetPassword", status_code=HTTP_204_NO_CONTENT)
    async def reset_password(self, request: Request, user_id: FromPath[UUID], data: JSONBody[PasswordReset],
                             users: UserServiceDep) -> None:
        await users.reset_password(await users.get(user_id), data.password)
        request.app.state.token_cache.forget_user(user_id)


class PeopleController(Controller):
    """The people directory: whom staff can book for an inspection, name as a follow-up owner, and so on."""

    path = "/api/people"
    tags = ["users"]
    guards = [requires_staff]
    dependencies = SERVICES

    @get("/", operation_id="listPeople")
    async def people(self, users: UserServiceDep, role: FromQuery[Role | None] = None,
                     q: query_text(100) = "") -> list[PersonOut]:
        return [PersonOut(id=u.id, display_name=u.display_name, role=u.role, company=company)
                for u, company in await users.people(role, q)]

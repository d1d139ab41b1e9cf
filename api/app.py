"""The Litestar application: create_app(settings) wires every area together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import Redirect
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

import api.inspections.reactions  # noqa: F401 - inspections react to order events (api/events.py)
from api.auth.controllers import AuthController, PeopleController, UserController
from api.auth.guards import TokenAuthMiddleware, TokenCache
from api.auth.models import User
from api.barcodes.controllers import BarcodeController, BarcodeUploadController
from api.dashboards.controllers import DashboardController
from api.db import create_engine, create_sessionmaker
from api.deps import DB
from api.errors import DomainError, ServiceUnavailable, UnsupportedMedia, problem_details_plugin
from api.inspections.controllers import (
    BookingController, FollowUpController, InspectionController, LibraryController, SamplingController,
    SpecSheetController,
)
from api.media.controllers import InspectionPhotoController, MediaController, PhotoController, PhotoEditController
from api.media.storage import LocalStorage, Storage
from api.openapi import ContractOpenAPIConfig
from api.orders.controllers import (
    CartonController, CustomerController, FactoryController, OrderController, PackingListController,
)
from api.reports.controllers import ReportController
from api.settings import Settings
from api.sync.controllers import FeedController, push_router

PUBLIC_PATHS = ["^/health$", "^/api/auth/login$", "^/app(/|$)", "^/$"]
DOCS_ASSETS = "/schema-assets"


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db(state: State, request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: it commits once when the handler returns and rolls back when it raises.

    A domain event and the change that caused it are in this one transaction. Writing requests take the
    write lock when they begin (SQLite), so concurrent writers queue instead of failing half-way.
    """
    maker = state.sessionmaker if request.method in READ_ONLY_METHODS else state.writer_sessionmaker
    async with maker() as session:
        try:
            yield session
        except DomainError as exc:
            await (session.commit() if exc.keep_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_storage(state: State) -> Storage:
    return state.storage


def provide_user(request: Request[User, Any, Any]) -> User:
    return request.user


async def require_json_body(request: Request) -> None:
    """Litestar parses a JSON body whatever its Content-Type; refuse anything not declared as JSON."""
    if request.method not in {"POST", "PUT", "PATCH"} or request.route_handler.opt.get("body", "json") != "json":
        return
    has_body = request.headers.get("content-length", "0") not in {"", "0"} or "transfer-encoding" in request.headers
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMedia(f"Send this body as application/json, not {media_type or 'an undeclared type'}.",
                               detail_zh="请求体须为 application/json。")


async def before_request(request: Request) -> Response | None:
    if request.method == "OPTIONS":
        return answer_options(request)
    await require_json_body(request)
    return None


def answer_options(request: Request) -> Response:
    """An OPTIONS request: 204 with the methods the route has.

    Litestar's own answer can list only some of them: its OPTIONS handler remembers the route as it was when the
    first of the route's handlers was registered (GET /api/customers and POST /api/customers share a route).
    """
    allowed = request.app.state.allowed_methods.get(request.scope.get("path_template"), "OPTIONS")
    return Response(None, status_code=204, headers={"Allow": allowed})


def allowed_methods(app: Litestar) -> dict[str, str]:
    """The `Allow` header of each route, by its path template (as in the scope's `path_template`)."""
    return {route.path_format: ", ".join(sorted(route.methods))
            for route in app.routes if isinstance(route, HTTPRoute)}


@get("/health", operation_id="health", exclude_from_auth=True, tags=["system"])
async def health(db: DB) -> dict[str, str]:
    try:
        await db.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError):
        raise ServiceUnavailable("The database cannot be reached.", detail_zh="无法连接数据库。") from None
    return {"status": "ok"}


@get("/", exclude_from_auth=True, include_in_schema=False)
async def index() -> Redirect:
    return Redirect("/app/")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.writer_sessionmaker = create_sessionmaker(engine, writer=True)
        try:
            yield
        finally:
            await engine.dispose()

    public = [*PUBLIC_PATHS, "^/schema"] if settings.schema_enabled else PUBLIC_PATHS
    # The docs' scripts and styles are served from the app (static/docs, vendored with scripts/vendor-docs):
    # from a CDN they would be blank offline and in mainland China.
    docs = SwaggerRenderPlugin(js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                               standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js", path="/",
                               favicon="")
    # The document says what each operation can answer, its errors included (api/openapi.py).
    openapi = ContractOpenAPIConfig(
        title="Floorcheck", version="0.1.0", path="/schema", render_plugins=[docs],
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        security=[{"bearer": []}], settings=settings, public_paths=tuple(PUBLIC_PATHS),
    ) if settings.schema_enabled else None
    docs_assets = create_static_files_router(path=DOCS_ASSETS, directories=[settings.static_dir.parent / "docs"],
                                             opt={"exclude_from_auth": True}, include_in_schema=False,
                                             cache_control=CacheControlHeader(max_age=86400))
    uploads = Router(path="/", route_handlers=[PackingListController],
                     request_max_body_size=settings.max_import_bytes)
    # A 12 MP phone photo is far over the app-wide limit.
    photo_uploads = Router(path="/", route_handlers=[PhotoController, BarcodeUploadController],
                           request_max_body_size=settings.max_photo_bytes)
    static = create_static_files_router(path="/app", directories=[settings.static_dir], html_mode=True,
                                        opt={"exclude_from_auth": True})
    app = Litestar(
        route_handlers=[health, index, AuthController, UserController, PeopleController, CustomerController,
                        FactoryController, OrderController, CartonController, BookingController, InspectionController,
                        FollowUpController, SpecSheetController, LibraryController, SamplingController, BarcodeController,
                        PhotoEditController, InspectionPhotoController, MediaController, FeedController, uploads,
                        photo_uploads, ReportController, DashboardController, push_router(settings), static,
                        docs_assets],
        state=State({"settings": settings, "storage": LocalStorage(settings.media_dir),
                     "token_cache": TokenCache(settings.auth_cache_seconds)}),
        lifespan=[database],
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "user": Provide(provide_user, sync_to_thread=False),
            "storage": Provide(provide_storage, sync_to_thread=False),
        },
        # OPTIONS too needs a user: a route's guards run for it and ask who is calling.
        middleware=[DefineMiddleware(TokenAuthMiddleware, exclude=public, exclude_http_methods=())],
        before_request=before_request,
        plugins=[problem_details_plugin()],
        openapi_config=openapi,
        request_max_body_size=settings.max_body_bytes,
    )
    app.state.allowed_methods = allowed_methods(app)
    if openapi is not None:
        openapi.bind(app)
    return app

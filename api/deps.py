"""Names of the dependencies every handler may ask for (provided in create_app), and service providers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.media.storage import Storage
from api.settings import Settings

DB = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
AppSettings = NamedDependency[Settings]
MediaStorage = NamedDependency[Storage]


def service_provider(service: Callable[[AsyncSession, User], Any]) -> Provide:
    """An area's service, built per request from the request's session (its one transaction) and user."""

    def provide(db: DB, user: CurrentUser) -> Any:
        return service(db, user)

    return Provide(provide, sync_to_thread=False)

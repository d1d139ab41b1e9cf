"""Names of the dependencies every handler may ask for (provided in create_app)."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.media.storage import Storage
from api.settings import Settings

DB = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
AppSettings = NamedDependency[Settings]
MediaStorage = NamedDependency[Storage]

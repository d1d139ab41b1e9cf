"""Database plumbing: the declarative base, engines for SQLite and PostgreSQL, migrations."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Stable constraint names, so that Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


# How long a SQLite writer waits for the lock before the request answers 503 (api/errors.py), by default.
SQLITE_BUSY_TIMEOUT_MS = 5000
# An execution option: begin the transaction as a writer (BEGIN IMMEDIATE on SQLite; ignored by PostgreSQL).
WRITER = "floorcheck_writer"


def create_engine(url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=url.startswith("postgresql"))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # SQLAlchemy, not the driver, begins transactions: reads are then transactional too, savepoints
            # work, and a writer can take the write lock at BEGIN.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # A writer that began as a reader would fail at once (not wait) when it upgrades after another
            # writer committed; taking the lock up front makes concurrent writers queue for busy_timeout.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITER) else "BEGIN")

    return engine


def create_sessionmaker(engine: AsyncEngine, *, writer: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions that read, or (writer=True) sessions whose transaction takes the write lock when it begins."""
    return async_sessionmaker(engine.execution_options(**{WRITER: True}) if writer else engine,
                              expire_on_commit=False)


def migrate(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations (the same ones on SQLite and PostgreSQL)."""
    from alembic import command
    from alembic.config import Config

    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)


@asynccontextmanager
async def unique_or(session: AsyncSession, error: Exception) -> AsyncIterator[None]:
    """Write what the block adds or changes inside a savepoint; a unique-key clash there raises `error`.

    Make the changes inside the block: pending changes made before it are flushed before the savepoint.
    The request's transaction stays usable, so the commit at its end never meets the clash.
    """
    try:
        async with session.begin_nested():
            yield
    except IntegrityError:
        raise error from None

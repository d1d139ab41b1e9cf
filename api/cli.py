"""The `floorcheck` command: serve, migrate, demo data and user administration."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.auth.models import Role, User
from api.auth.services import UserService, normalize_username
from api.db import create_engine, create_sessionmaker, migrate
from api.errors import DomainError
from api.settings import Settings


async def _with_session(settings: Settings, work: Callable[[Any], Awaitable[None]]) -> None:
    engine = create_engine(settings.database_url)
    try:
        # One transaction, as a request has: committed when the work is done, rolled back if it fails.
        async with create_sessionmaker(engine, writer=True).begin() as session:
            await work(session)
    finally:
        await engine.dispose()


async def _user(session: Any, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise DomainError(f"No user {username!r}.")
    return user


def _users(args: argparse.Namespace, settings: Settings) -> None:
    async def work(session: Any) -> None:
        service = UserService(session)
        if args.action == "create":
            factory_id = None
            if args.factory:
                from api.orders.models import Factory

                factory = await session.scalar(select(Factory).where(Factory.code == args.factory,
                                                                     Factory.deleted_at.is_(None)))
                if factory is None:
                    raise DomainError(f"No factory with code {args.factory!r}.")
                factory_id = factory.id
            user = await service.create(args.username, args.password, Role(args.role), args.name or "", factory_id)
            print(f"created {user.username} ({user.role})")
        elif args.action == "list":
            for user in await service.list():
                print(f"{user.username:24} {user.role:13} {'active' if user.active else 'inactive'}")
        elif args.action in {"deactivate", "activate"}:
            user = await service.update(await _user(session, args.username), active=args.action == "activate")
            print(f"{user.username} is now {'active' if user.active else 'inactive'}")
        elif args.action == "reset-password":
            await service.reset_password(await _user(session, args.username), args.password)
            print(f"password reset for {args.username}; their sessions have ended")

    asyncio.run(_with_session(settings, work))


async def _revision(url: str) -> str | None:
    """The Alembic revision the database is at (None for one never migrated)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return None  # connecting would create the file (and fail where its folder does not exist yet)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()


def _where(url: str) -> str:
    """The database, for a person: its file or its host and name, never its password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "in-memory SQLite"
    return f"{parsed.host or 'localhost'}{f':{parsed.port}' if parsed.port else ''}/{parsed.database}"


def _sweep(args: argparse.Namespace, settings: Settings) -> None:
    from datetime import timedelta

    from api.media.services import sweep
    from api.media.storage import LocalStorage

    async def work(session: Any) -> None:
        removed = await sweep(session, LocalStorage(settings.media_dir),
                              timedelta(minutes=args.older_than_minutes), dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(f"{verb} {len(removed)} unreferenced file(s) from {settings.media_dir}")
        for key in removed:
            print(f"  {key}")

    asyncio.run(_with_session(settings, work))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="floorcheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--ssl-certfile")
    serve.add_argument("--ssl-keyfile")
    sub.add_parser("migrate", help="apply the database migrations")
    demo = sub.add_parser("demo", help="load demo data (once)")
    demo.add_argument("--force", action="store_true", help="load even if the database has orders")
    users = sub.add_parser("users", help="manage users")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create")
    create.add_argument("--username", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name")
    create.add_argument("--factory", help="factory code, for factory users")
    actions.add_parser("list")
    for name in ("deactivate", "activate"):
        actions.add_parser(name).add_argument("--username", required=True)
    reset = actions.add_parser("reset-password")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password", required=True)
    media = sub.add_parser("media", help="stored photo files")
    media_actions = media.add_subparsers(dest="action", required=True)
    sweep = media_actions.add_parser("sweep", help="remove files no photo refers to (left by failed uploads)")
    sweep.add_argument("--older-than-minutes", type=float, default=60,
                       help="only files written longer ago than this (default 60): an upload may still be saving")
    sweep.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        if args.command == "serve":
            import uvicorn

            from api.app import create_app

            # Forwarded headers are read by the app, from the settings' trusted proxies only (api/auth/proxies.py):
            # uvicorn's own handling would believe X-Forwarded-For from any local client.
            uvicorn.run(create_app(settings), host=args.host, port=args.port, ssl_certfile=args.ssl_certfile,
                        ssl_keyfile=args.ssl_keyfile, proxy_headers=False)
        elif args.command == "migrate":
            before = asyncio.run(_revision(settings.database_url))
            migrate(settings.database_url)
            after = asyncio.run(_revision(settings.database_url))
            where = _where(settings.database_url)
            if before == after:
                print(f"{where}: already at the latest migration, {after}; nothing to do.")
            else:
                print(f"{where}: migrated from {before or 'an empty database'} to {after}.")
        elif args.command == "demo":
            from api.demo import load_demo

            asyncio.run(_with_session(settings, lambda s: load_demo(s, force=args.force)))
        elif args.command == "users":
            _users(args, settings)
        elif args.command == "media":
            _sweep(args, settings)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

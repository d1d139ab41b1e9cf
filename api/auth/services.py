"""Accounts, logins and sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import AuthSession, LoginFailure, Role, User
from api.db import utcnow
from api.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from api.orders.models import Factory
from api.settings import Settings

# Renewing a session writes to the database; once an hour is plenty.
_RENEW_AFTER = timedelta(hours=1)
T = TypeVar("T")
# Verifying reads the cost from the stored hash itself, whatever the settings say now.
_VERIFIER = PasswordHasher()


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def password_hasher(settings: Settings | None = None) -> PasswordHasher:
    """Argon2id with the settings' cost (without settings: the FLOORCHECK_PASSWORD_* environment, as the app's)."""
    s = settings or Settings.from_env()
    return _hasher(s.password_time_cost, s.password_memory_cost, s.password_parallelism)


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the account does not exist, so timing does not reveal which usernames exist.
    return hasher.hash("not-a-real-password")


# Password hashes computed at once, each in a worker thread: argon2 is slow by design and must not hold the
# event loop (every other request) while it runs, nor take every core when many log in together.
_HASHING = threading.BoundedSemaphore(2)


async def off_loop(work: Callable[..., T], *args: Any) -> T:
    def bounded() -> T:
        with _HASHING:
            return work(*args)

    return await anyio.to_thread.run_sync(bounded)


def hash_password(password: str, settings: Settings | None = None) -> str:
    return password_hasher(settings).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _VERIFIER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_username(username: str) -> str:
    return username.strip().lower()


class AuthService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def _token_hash(self, token: str) -> str:
        return hmac.new(self.settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()

    async def login(self, username: str, password: str, address: str) -> tuple[str, AuthSession, User]:
        username = normalize_username(username)
        now = utcnow()
        failure = await self.session.get(LoginFailure, (username, address))
        if failure and failure.blocked_until and failure.blocked_until > now:
            wait = int((failure.blocked_until - now).total_seconds()) + 1
            raise TooManyRequests(
                f"Too many failed logins for this account from this address. Try again in {wait} s.",
                detail_zh=f"此账号登录失败次数过多，请 {wait} 秒后再试。",
                headers={"Retry-After": str(wait)},
            )
        user = await self.session.scalar(select(User).where(User.username == username))
        hasher = password_hasher(self.settings)
        stored = user.password_hash if user else await off_loop(_dummy_hash, hasher)
        ok = await off_loop(verify_password, stored, password)
        if not (ok and user and user.active):
            await self._record_failure(failure, username, address, now)
            # The failure is remembered although the request fails: that is what slows a guesser down.
            raise Unauthorized("Wrong username or password.", detail_zh="用户名或密码错误。", keep_changes=True)
        if failure:
            await self.session.delete(failure)
        token = secrets.token_urlsafe(32)
        auth = AuthSession(token_hash=self._token_hash(token), user_id=user.id,
                           expires_at=now + self.settings.token_lifetime, created_at=now, last_used_at=now)
        self.session.add(auth)
        if hasher.check_needs_rehash(user.password_hash):  # e.g. the cost was raised: upgrade the stored hash
            user.password_hash = await off_loop(hasher.hash, password)
        return token, auth, user

    async def _record_failure(self, failure: LoginFailure | None, username: str, address: str,
                              now: datetime) -> None:
        if failure is None:
            try:
                async with self.session.begin_nested():
                    failure = LoginFailure(username=username, address=address, failures=0)
                    self.session.add(failure)
            except IntegrityError:
                pass  # a concurrent failed login made the row first: count on it
        # Concurrent failures each count: read the row under lock (SQLite's writers take turns anyway).
        failure = await self.session.scalar(
            select(LoginFailure).where(LoginFailure.username == username, LoginFailure.address == address)
            .with_for_update().execution_options(populate_existing=True))
        # A pause long ago should not count forever against a user who mistypes once a month.
        if failure.last_failed_at and now - failure.last_failed_at > timedelta(days=1):
            failure.failures = 0
        failure.failures += 1
        failure.last_failed_at = now
        over = failure.failures - self.settings.login_free_failures
        if over >= 0:
            delay = min(timedelta(seconds=2 ** min(over, 20)), self.settings.login_max_delay)
            failure.blocked_until = now + delay

    async def authenticate(self, token: str) -> User | None:
        """The token's user, or None. A renewal of the session is left pending for the caller to commit."""
        now = utcnow()
        row = await self.session.execute(
            select(AuthSession, User).join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == self._token_hash(token))
        )
        found = row.first()
        if found is None:
            return None
        auth, user = found
        if auth.expires_at <= now or not user.active:
            return None
        if now - auth.last_used_at > _RENEW_AFTER:
            auth.last_used_at = now
            auth.expires_at = now + self.settings.token_lifetime
        return user

    async def logout(self, token: str) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.token_hash == self._token_hash(token)))


class UserService:
    def __init__(self, session: AsyncSession, settings: Settings | None = None) -> None:
        self.session = session
        # Only the password cost is read from the settings; without them, the environment's (as the app's).
        self._hasher = password_hasher(settings)

    async def list(self) -> list[User]:
        return list(await self.session.scalars(select(User).order_by(User.username)))

    async def get(self, user_id: uuid.UUID) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", detail_zh="用户不存在。")
        return user

    async def people(self, role: Role | None = None, q: str | None = None) -> list[tuple[User, str | None]]:
        """Active users with their company (a factory user's is its factory), for staff to book and name."""
        query = (select(User, Factory.name).outerjoin(Factory, Factory.id == User.factory_id)
                 .where(User.active.is_(True)).order_by(User.display_name, User.username))
        if role is not None:
            query = query.where(User.role == role)
        if q and q.strip():
            like = f"%{q.strip().lower()}%"
            query = query.where(or_(func.lower(User.display_name).like(like), func.lower(User.username).like(like),
                                    func.lower(func.coalesce(User.company, Factory.name, "")).like(like)))
        return [(user, factory_name or user.company) for user, factory_name in await self.session.execute(query)]

    async def create(self, username: str, password: str, role: Role, display_name: str = "",
                     factory_id: uuid.UUID | None = None, company: str | None = None) -> User:
        username = normalize_username(username)
        if await self.session.scalar(select(User.id).where(User.username == username)):
            raise Conflict(f"The username {username!r} is taken.", detail_zh=f"用户名 {username} 已被使用。")
        await self._check_factory(role, factory_id)
        user = User(username=username, password_hash=await off_loop(self._hasher.hash, password), role=role,
                    display_name=display_name or username, factory_id=factory_id, company=company)
        self.session.add(user)
        await self.session.flush()
        return user

    async def update(self, user: User, *, display_name: str | None = None, role: Role | None = None,
                     factory_id: uuid.UUID | None = None, active: bool | None = None,
                     company: str | None = None) -> User:
        if display_name is not None:
            user.display_name = display_name
        if company is not None:
            user.company = company.strip() or None
        if role is not None:
            user.role = role
        if factory_id is not None:
            user.factory_id = factory_id
        await self._check_factory(Role(user.role), user.factory_id)
        if active is not None:
            user.active = active
            if not active:
                await self._revoke_sessions(user)
        return user

    async def reset_password(self, user: User, password: str) -> None:
        user.password_hash = await off_loop(self._hasher.hash, password)
        await self._revoke_sessions(user)

    async def _revoke_sessions(self, user: User) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))

    async def _check_factory(self, role: Role, factory_id: uuid.UUID | None) -> None:
        if role == Role.factory and factory_id is None:
            raise Invalid("A factory user needs a factory_id.", detail_zh="工厂用户必须指定所属工厂。", field="factory_id")
        if factory_id is not None and await self.session.get(Factory, factory_id) is None:
            raise Invalid("Unknown factory_id.", detail_zh="工厂不存在。", field="factory_id")

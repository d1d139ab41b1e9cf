"""Accounts, logins and sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import AccountLoginFailure, AuthSession, LoginFailure, Role, User
from api.auth.schemas import USERNAME_MAX, user_out
from api.db import unique_or, utcnow
from api.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from api.orders.models import Factory
from api.settings import Settings
from api.sync import CURRENT, RecordKind, SyncProtocol
from api.sync.protocol import Base as BaseVersion

# login_failures.address is String(64): an IPv6 address takes at most 45 characters.
ADDRESS_MAX = 64
# Users are edited with the protocol phones' records use: a versioned UPDATE, 409 with the user as now.
USER = RecordKind(User, out=user_out)

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


def throttle_key(username: str) -> str:
    """The key failed logins of a normalised username are counted under: at most as long as the column.

    A name longer than that once normalised is nobody's (usernames are stored normalised and fit), so its
    logins all fail; they are counted under its first USERNAME_MAX characters, like that name's.
    """
    return username[:USERNAME_MAX]


def _wait(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds()) + 1)


def _account_blocked(until: datetime, now: datetime) -> TooManyRequests:
    wait = _wait(until, now)
    return TooManyRequests(
        f"Too many failed logins for this account. Try again in {wait} s, or ask an administrator to reset "
        "the password.",
        detail_zh=f"此账号登录失败次数过多，请 {wait} 秒后再试，或请管理员重置密码。",
        headers={"Retry-After": str(wait)}, keep_changes=True,
    )


async def clear_login_failures(session: AsyncSession, username: str) -> None:
    """Forget an account's failed logins, from every address, and lift its blocks (a password reset does)."""
    key = throttle_key(normalize_username(username))
    await session.execute(delete(LoginFailure).where(LoginFailure.username == key))
    await session.execute(delete(AccountLoginFailure).where(AccountLoginFailure.username == key))


class AuthService:
    def __init__(self, session: AsyncSession, settings: Settings,
                 reader: Callable[[], AsyncSession] | None = None) -> None:
        self.session = session
        self.settings = settings
        # Where a login reads before it hashes (the app's read-only sessions); without it, `session`.
        self.reader = reader

    def _token_hash(self, token: str) -> str:
        return hmac.new(self.settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        if self.reader is None:
            yield self.session
            return
        async with self.reader() as session:
            yield session

    async def login(self, username: str, password: str, address: str) -> tuple[str, AuthSession, User]:
        """A new session for the right password; 401 for a wrong one (counted), 429 while the account is blocked.

        Three steps, so that no database connection, and on SQLite not the write lock, is held while the
        password is hashed (a third of a second at the production cost): read the blocks and the stored hash
        in a read-only session of its own; verify; then write in the request's transaction, where the counts
        are taken under lock and the blocks are checked again.
        """
        username = normalize_username(username)
        key, address = throttle_key(username), address[:ADDRESS_MAX]
        now = utcnow()
        async with self._reading() as reader:
            account = await reader.get(AccountLoginFailure, key)
            if account and account.blocked_until and account.blocked_until > now:
                raise _account_blocked(account.blocked_until, now)  # before any hashing: a blocked guess costs little
            failure = await reader.get(LoginFailure, (key, address))
            if failure and failure.blocked_until and failure.blocked_until > now:
                wait = _wait(failure.blocked_until, now)
                raise TooManyRequests(
                    f"Too many failed logins for this account from this address. Try again in {wait} s.",
                    detail_zh=f"此账号登录失败次数过多，请 {wait} 秒后再试。",
                    headers={"Retry-After": str(wait)},
                )
            # A name longer than the column once normalised is nobody's: a wrong login like any other.
            found = await reader.scalar(select(User).where(User.username == username)) \
                if len(username) <= USERNAME_MAX else None
            user_id, stored = (found.id, found.password_hash) if found else (None, None)

        hasher = password_hasher(self.settings)
        ok = await off_loop(verify_password, stored or await off_loop(_dummy_hash, hasher), password)
        upgraded = await off_loop(hasher.hash, password) \
            if ok and stored and hasher.check_needs_rehash(stored) else None  # e.g. the cost was raised

        user = await self.session.scalar(select(User).where(User.id == user_id)
                                         .execution_options(populate_existing=True)) if user_id else None
        # A password changed meanwhile (a reset) makes the one just checked a wrong one.
        if not (ok and user and user.active and user.password_hash == stored):
            await self._record_failure(key, address, now)
            blocked_until = await self._record_account_failure(key, now)
            if blocked_until is not None:
                # Over the account's cap (concurrent guesses got past the check above): the same answer as a
                # right password gets now, so a guess beyond the cap learns nothing.
                raise _account_blocked(blocked_until, now)
            # The failure is remembered although the request fails: that is what slows a guesser down.
            raise Unauthorized("Wrong username or password.", detail_zh="用户名或密码错误。", keep_changes=True)
        # The right password, unless the account went over its cap while it was being checked.
        account = await self.session.scalar(select(AccountLoginFailure).where(AccountLoginFailure.username == key)
                                            .execution_options(populate_existing=True))
        if account and account.blocked_until and account.blocked_until > now:
            raise _account_blocked(account.blocked_until, now)
        await self.session.execute(delete(LoginFailure).where(LoginFailure.username == key,
                                                              LoginFailure.address == address))
        token = secrets.token_urlsafe(32)
        auth = AuthSession(token_hash=self._token_hash(token), user_id=user.id,
                           expires_at=now + self.settings.token_lifetime, created_at=now, last_used_at=now)
        self.session.add(auth)
        if upgraded is not None:
            user.password_hash = upgraded
        return token, auth, user

    async def _record_failure(self, username: str, address: str, now: datetime) -> None:
        failure = await self.session.get(LoginFailure, (username, address))
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

    async def _record_account_failure(self, key: str, now: datetime) -> datetime | None:
        """Count a failed login against the account (every address together).

        Returns when the block ends if this failure is past the cap (the account was already blocked when
        it was counted), else None. At the cap the account is blocked until its window ends.
        """
        account = await self.session.get(AccountLoginFailure, key)
        if account is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(AccountLoginFailure(username=key, failures=0, window_started_at=now))
            except IntegrityError:
                pass  # a concurrent failed login made the row first: count on it
        # Concurrent failures each count: the row is read under lock (SQLite's writers take turns anyway).
        account = await self.session.scalar(
            select(AccountLoginFailure).where(AccountLoginFailure.username == key)
            .with_for_update().execution_options(populate_existing=True))
        window = self.settings.login_account_window
        if now - account.window_started_at >= window:  # a new window
            account.failures, account.window_started_at, account.blocked_until = 0, now, None
        account.failures += 1
        cap = self.settings.login_account_max_failures
        if account.failures >= cap:
            account.blocked_until = account.window_started_at + window
        if account.failures > cap and account.blocked_until is not None and account.blocked_until > now:
            return account.blocked_until
        return None

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
        if not username:
            raise Invalid("The username is empty.", detail_zh="用户名不能为空。", field="username")
        if len(username) > USERNAME_MAX:
            raise Invalid(f"The username is {len(username)} characters long once lower-cased; at most "
                          f"{USERNAME_MAX} are allowed.",
                          detail_zh=f"用户名转为小写后超过 {USERNAME_MAX} 个字符。", field="username")
        # Hashed before the first query: the transaction (on SQLite, the write lock) does not wait for it.
        password_hash = await off_loop(self._hasher.hash, password)
        taken = Conflict(f"The username {username!r} is taken.", detail_zh=f"用户名 {username} 已被使用。")
        if await self.session.scalar(select(User.id).where(User.username == username)):
            raise taken
        await self._check_factory(role, factory_id)
        user = User(username=username, password_hash=password_hash, role=role.value,
                    display_name=display_name or username, factory_id=factory_id,
                    company=(company.strip() or None) if company is not None else None, version=1)
        # A concurrent create of the same name may have committed meanwhile: its unique key answers 409.
        async with unique_or(self.session, taken):
            self.session.add(user)
        return user

    async def update(self, user: User, version: int | BaseVersion = CURRENT, *, display_name: str | None = None,
                     role: Role | None = None, factory_id: uuid.UUID | None = None, active: bool | None = None,
                     company: str | None = None) -> User:
        """Apply an edit based on `version` (CURRENT: the user as now, e.g. from the shell); None keeps a field.

        A stale version answers 409 with the user as now; an applied edit raises the version by 1.
        """
        desired: dict[str, Any] = {}
        if display_name is not None:
            desired["display_name"] = display_name
        if company is not None:
            desired["company"] = company.strip() or None
        if role is not None:
            desired["role"] = Role(role).value
        if factory_id is not None:
            desired["factory_id"] = factory_id
        if active is not None:
            desired["active"] = active

        async def authorize(current: User | None) -> None:
            now = current if current is not None else user
            await self._check_factory(Role(desired.get("role", now.role)), desired.get("factory_id", now.factory_id))

        if version is CURRENT:
            user = await self._locked(user)
        written = await SyncProtocol(self.session).write(USER, {"id": user.id}, desired, base_version=version,
                                                         current=user, authorize=authorize)
        if written.changed and active is False:
            await self._revoke_sessions(written.record)
        return written.record

    async def reset_password(self, user: User, password: str) -> None:
        """A new password: the user's sessions end, and the account's failed logins and blocks are forgotten."""
        password_hash = await off_loop(self._hasher.hash, password)
        user = await self._locked(user)
        await SyncProtocol(self.session).write(USER, {"id": user.id}, {"password_hash": password_hash},
                                               base_version=CURRENT, current=user)
        await self._revoke_sessions(user)
        await clear_login_failures(self.session, user.username)

    async def _locked(self, user: User) -> User:
        """The user read afresh under lock: an edit based on the user as now cannot meet a stale version."""
        locked = await self.session.scalar(select(User).where(User.id == user.id).with_for_update()
                                           .execution_options(populate_existing=True))
        if locked is None:
            raise NotFound("No such user.", detail_zh="用户不存在。")
        return locked

    async def _revoke_sessions(self, user: User) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))

    async def _check_factory(self, role: Role, factory_id: uuid.UUID | None) -> None:
        if role == Role.factory and factory_id is None:
            raise Invalid("A factory user needs a factory_id.", detail_zh="工厂用户必须指定所属工厂。", field="factory_id")
        if factory_id is not None and await self.session.get(Factory, factory_id) is None:
            raise Invalid("Unknown factory_id.", detail_zh="工厂不存在。", field="factory_id")

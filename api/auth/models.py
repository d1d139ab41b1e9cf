from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, new_id, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    merchandiser = "merchandiser"
    inspector = "inspector"  # third-party: sees only the work assigned to them
    factory = "factory"  # sees only its own factory's orders


STAFF = frozenset({Role.admin, Role.supervisor, Role.merchandiser})


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    factory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("factories.id"), default=None)
    # A third-party inspector's firm (a factory user's company is its factory).
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by exactly 1 by every applied edit (PATCH, deactivation, role change, password reset): an admin's
    # edit names the version it was based on, so two admins editing at once cannot undo each other silently.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class AuthSession(Base):
    """One login. Only a hash of the token is stored, so a database leak yields no usable token."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class LoginFailure(Base):
    """Failed logins counted per (account, address): an attacker elsewhere cannot lock a user out."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)


class AccountLoginFailure(Base):
    """Failed logins counted per account from every address together, in a window (an hour by default).

    Past the cap every login of the account answers 429, the right password too, until the window ends or
    an admin resets the password: an attacker with many addresses can slow the user down but not guess on.
    """

    __tablename__ = "login_account_failures"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)

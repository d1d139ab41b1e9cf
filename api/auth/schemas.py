from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from api.auth.models import Role
from api.schemas import Input, Output

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=200)]


class LoginIn(Input):
    username: Username
    password: Password


class UserOut(Output):
    id: UUID
    username: str
    display_name: str
    role: Role
    factory_id: UUID | None
    active: bool
    company: str | None = None


class PersonOut(Output):
    """Someone staff can book or name: a factory user's company is its factory."""

    id: UUID
    display_name: str
    role: Role
    company: str | None


class LoginOut(Output):
    token: str
    user: UserOut
    expires_at: str


class UserCreate(Input):
    username: Username
    password: NewPassword
    role: Role
    display_name: Annotated[str, msgspec.Meta(max_length=120)] = ""
    factory_id: UUID | None = None
    company: Annotated[str, msgspec.Meta(max_length=200)] | None = None  # a third-party inspector's firm


class UserPatch(Input):
    display_name: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    role: Role | None = None
    factory_id: UUID | None = None
    active: bool | None = None
    company: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class PasswordReset(Input):
    password: NewPassword

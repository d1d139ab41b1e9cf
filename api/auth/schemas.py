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


class LoginOut(Output):
    token: str
    user: UserOut
    expires_at: str


class UserCreate(Input):
    username: Username
    password: NewPassword
    role: Role
    display_name: str = ""
    factory_id: UUID | None = None


class UserPatch(Input):
    display_name: str | None = None
    role: Role | None = None
    factory_id: UUID | None = None
    active: bool | None = None


class PasswordReset(Input):
    password: NewPassword

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from api.auth.models import Role, User
from api.schemas import INT32_MAX, Input, Output, text

# users.username is String(80). Lower-casing can lengthen a name ("İ" becomes "i̇", two characters), so the
# services check the length again once the name is normalised.
USERNAME_MAX = 80
Username = text(USERNAME_MAX, 1)
Password = text(200, 1)
NewPassword = text(200, 8)
DisplayName = text(120)  # users.display_name
Company = text(200)  # users.company
Version = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]


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
    version: int  # send it back with an edit (PATCH /api/users/{id})
    company: str | None = None


def user_out(user: User) -> UserOut:
    return msgspec.convert(user, UserOut, from_attributes=True)


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
    display_name: DisplayName = ""
    factory_id: UUID | None = None
    company: Company | None = None  # a third-party inspector's firm


class UserPatch(Input):
    """An admin's edit of a user; a field left out (or null) keeps its value."""

    version: Version  # the version the edit is based on: a stale one answers 409 with the user as now
    display_name: DisplayName | None = None
    role: Role | None = None
    factory_id: UUID | None = None
    active: bool | None = None
    company: Company | None = None


class PasswordReset(Input):
    password: NewPassword

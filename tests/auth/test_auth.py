"""Logins, sessions, cookies, throttling and user administration."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY
from litestar.testing import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.auth.models import AuthSession, User
from api.auth.services import AuthService
from api.cli import main as cli
from api.db import utcnow
from api.errors import TooManyRequests, Unauthorized
from api.settings import Settings
from tests.helpers import PASSWORD, assert_problem, in_db, login, patch_user




def test_login_returns_token_user_and_cookie(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/auth/login", json={"username": "Admin ", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["user"]["username"] == "admin" and body["user"]["role"] == "admin"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the test client talks to a local host over http
    assert client.get("/api/auth/me").json()["username"] == "admin"  # the cookie alone authenticates
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200


@pytest.mark.parametrize(("setting", "base_url", "secure"), [
    ("auto", "http://testserver.local", False),  # "auto" follows the scheme, whatever the host
    ("auto", "https://floor.example", True),
    ("auto", "https://127.0.0.1:8443", True),
    ("auto", "http://127.0.0.1:8000", False),
    ("false", "https://floor.example", False),
    ("true", "http://127.0.0.1", True),
])
def test_cookie_is_secure_over_https(settings, admin, setting, base_url, secure) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(replace(settings, cookie_secure=setting)), base_url=base_url) as c:
        response = c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert ("; secure" in response.headers["set-cookie"].lower()) is secure


def test_passwords_are_stored_with_argon2(client, admin, settings) -> None:  # type: ignore[no-untyped-def]
    stored = in_db(settings.database_url, lambda s: s.scalar(select(User.password_hash)))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_real_password_cost_by_default_and_a_login_rehashes_to_the_configured_cost(settings, client, admin) -> None:  # type: ignore[no-untyped-def]
    """The tests hash cheaply (tests/helpers.py FAST_HASHING); production gets argon2-cffi's RFC 9106 profile."""
    real = Settings()
    assert (real.password_time_cost, real.password_memory_cost, real.password_parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost, RFC_9106_LOW_MEMORY.parallelism)
    env = {"FLOORCHECK_PASSWORD_TIME_COST": "4", "FLOORCHECK_PASSWORD_MEMORY_COST": "131072",
           "FLOORCHECK_PASSWORD_PARALLELISM": "2"}
    from_env = Settings.from_env(env)
    assert (from_env.password_time_cost, from_env.password_memory_cost, from_env.password_parallelism) == (4, 131072, 2)
    production = replace(settings, password_time_cost=real.password_time_cost,
                         password_memory_cost=real.password_memory_cost,
                         password_parallelism=real.password_parallelism)

    async def log_in(session):  # type: ignore[no-untyped-def]
        await AuthService(session, production).login("admin", PASSWORD, "10.1.1.5")
        return await session.scalar(select(User.password_hash).where(User.username == "admin"))

    assert in_db(settings.database_url, log_in).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert login(client, "admin").token  # the upgraded hash verifies


def test_wrong_password_is_401_without_saying_which_part(client, admin) -> None:  # type: ignore[no-untyped-def]
    wrong = assert_problem(client.post("/api/auth/login", json={"username": "admin", "password": "nope"}), 401)
    nobody = assert_problem(client.post("/api/auth/login", json={"username": "ghost", "password": "nope"}), 401)
    assert wrong["detail"] == nobody["detail"]


def test_logout_ends_the_session(client, admin) -> None:  # type: ignore[no-untyped-def]
    assert admin.post("/api/auth/logout").status_code == 204
    assert_problem(admin.get("/api/auth/me"), 401)


def test_token_expires_and_is_renewed_on_use(settings, admin) -> None:  # type: ignore[no-untyped-def]
    assert settings.token_lifetime >= timedelta(days=7)
    earlier = utcnow() - timedelta(days=3)

    async def age(session):  # type: ignore[no-untyped-def]
        await session.execute(update(AuthSession).values(last_used_at=earlier, expires_at=earlier + settings.token_lifetime))
        await session.commit()

    async def expire(session):  # type: ignore[no-untyped-def]
        await session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()

    with TestClient(create_app(replace(settings, auth_cache_seconds=0)), base_url="http://127.0.0.1") as c:
        headers = {"Authorization": f"Bearer {login(c, 'admin').token}"}
        in_db(settings.database_url, age)
        assert c.get("/api/auth/me", headers=headers).status_code == 200
        renewed = in_db(settings.database_url, lambda s: s.scalar(select(AuthSession.expires_at)
                                                                  .order_by(AuthSession.created_at.desc())))
        assert renewed > utcnow() + settings.token_lifetime - timedelta(minutes=5)
        in_db(settings.database_url, expire)
        assert_problem(c.get("/api/auth/me", headers=headers), 401)


def test_recently_checked_tokens_are_cached_but_logout_and_deactivation_apply_at_once(world) -> None:  # type: ignore[no-untyped-def]
    inspector = world.inspector
    assert inspector.get("/api/auth/me").status_code == 200  # now cached
    assert patch_user(world.admin, inspector.id, active=False).status_code == 200
    assert_problem(inspector.get("/api/auth/me"), 401)
    merchandiser = world.merchandiser
    assert merchandiser.get("/api/auth/me").status_code == 200
    assert merchandiser.post("/api/auth/logout").status_code == 204
    assert_problem(merchandiser.get("/api/auth/me"), 401)


def test_admin_deactivates_and_reactivates(world) -> None:  # type: ignore[no-untyped-def]
    inspector = world.inspector
    deactivated = world.admin.patch(f"/api/users/{inspector.id}", json={"version": 1, "active": False}).json()
    assert deactivated["active"] is False and deactivated["version"] == 2
    assert_problem(inspector.get("/api/auth/me"), 401)
    assert_problem(world.admin.client.post("/api/auth/login", json={"username": inspector.username,
                                                                    "password": PASSWORD}), 401)
    assert patch_user(world.admin, inspector.id, active=True).json()["version"] == 3
    assert login(world.admin.client, inspector.username).token


def test_admin_resets_a_password(world) -> None:  # type: ignore[no-untyped-def]
    target = world.merchandiser
    assert world.admin.post(f"/api/users/{target.id}/password", json={"password": "a-new-password"}).status_code == 204
    assert_problem(target.get("/api/auth/me"), 401)  # old sessions end
    assert login(world.admin.client, target.username, "a-new-password").token


def test_only_admins_manage_users(world) -> None:  # type: ignore[no-untyped-def]
    for actor in (world.supervisor, world.merchandiser, world.inspector, world.factory_user):
        assert_problem(actor.get("/api/users"), 403)
        assert_problem(actor.post("/api/users", json={"username": "x", "password": "12345678", "role": "admin"}), 403)


def test_factory_user_needs_a_factory(world) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.admin.post("/api/users", json={"username": "f", "password": "12345678",
                                                                  "role": "factory"}), 422)
    assert problem["field"] == "factory_id"


def test_duplicate_username_is_409(world) -> None:  # type: ignore[no-untyped-def]
    assert_problem(world.admin.post("/api/users", json={"username": world.inspector.username.upper(),
                                                        "password": "12345678", "role": "inspector"}), 409)


def test_failed_logins_slow_down_that_account_from_that_address(client, admin) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert client.post("/api/auth/login", json={"username": "admin", "password": "bad"}).status_code == 401
    response = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    problem = assert_problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1 and "try again" in problem["detail"].lower()


def test_throttle_is_per_account_and_address(settings, admin) -> None:  # type: ignore[no-untyped-def]
    """An attacker elsewhere cannot lock the user out; one account's typos don't block its neighbours."""

    async def scenario(session):  # type: ignore[no-untyped-def]
        from api.auth.services import UserService
        from api.auth.models import Role

        await UserService(session).create("colleague", PASSWORD, Role.merchandiser)
        auth = AuthService(session, settings)
        for _ in range(settings.login_free_failures + 3):
            with pytest.raises((Unauthorized, TooManyRequests)):
                await auth.login("admin", "guess", "203.0.113.9")
        with pytest.raises(TooManyRequests):
            await auth.login("admin", PASSWORD, "203.0.113.9")
        assert (await auth.login("admin", PASSWORD, "10.1.1.5"))[2].username == "admin"  # the real user, elsewhere
        assert (await auth.login("colleague", PASSWORD, "203.0.113.9"))[2].username == "colleague"  # same address

    in_db(settings.database_url, scenario)


def test_cli_manages_users(settings, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FLOORCHECK_DATABASE_URL", settings.database_url)
    assert cli(["users", "create", "--username", "Zhang", "--password", "s3cret-pass", "--role", "supervisor"]) == 0
    assert cli(["users", "create", "--username", "zhang", "--password", "s3cret-pass", "--role", "admin"]) == 1
    assert cli(["users", "deactivate", "--username", "zhang"]) == 0
    assert cli(["users", "reset-password", "--username", "zhang", "--password", "another-pass"]) == 0
    assert cli(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "zhang" in out and "inactive" in out
    user = in_db(settings.database_url, lambda s: s.scalar(select(User).where(User.username == "zhang")))
    assert user.role == "supervisor" and not user.active


def test_staff_find_people_to_book_with_their_company(client, world) -> None:  # type: ignore[no-untyped-def]
    firm = patch_user(world.admin, world.inspector.id, company="QIMA Ningbo")
    assert firm.status_code == 200 and firm.json()["company"] == "QIMA Ningbo"
    people = world.merchandiser.get("/api/people", params={"role": "inspector"}).json()
    assert {p["id"] for p in people} == {world.inspector.id, world.other_inspector.id}
    assert {p["company"] for p in people} == {"QIMA Ningbo", None}
    assert set(people[0]) == {"id", "display_name", "role", "company"}
    found = world.supervisor.get("/api/people", params={"q": "qima"}).json()
    assert [p["id"] for p in found] == [world.inspector.id]
    factory = world.supervisor.get("/api/people", params={"role": "factory"}).json()
    assert [p["company"] for p in factory] == ["Factory F1"]
    for outsider in (world.inspector, world.factory_user):
        problem = assert_problem(outsider.get("/api/people"), 403)
        assert problem["detail_zh"]


def test_cookie_writes_from_another_site_are_refused(client, admin, settings) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})  # the cookie, as a browser
    body = {"code": "EV", "name": "Evil"}
    refused = client.post("/api/customers", json=body, headers={"Origin": "http://evil.example"})
    assert assert_problem(refused, 403)["detail_zh"]
    assert_problem(client.post("/api/customers", json=body, headers={"Sec-Fetch-Site": "cross-site"}), 403)
    # The app's own pages, and reads from anywhere, are fine; a Bearer client is not affected.
    assert client.post("/api/customers", json=body, headers={"Origin": "http://127.0.0.1"}).status_code == 201
    assert client.get("/api/customers", headers={"Origin": "http://evil.example"}).status_code == 200
    client.cookies.clear()
    bearer = admin.post("/api/customers", json={"code": "EV2", "name": "Evil 2"},
                        headers={"Origin": "http://evil.example"})
    assert bearer.status_code == 201
    # An origin the settings allow may write with the cookie too.
    with TestClient(create_app(replace(settings, allowed_origins=("https://qc.example.com",))),
                    base_url="http://127.0.0.1") as other:
        other.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        allowed = other.post("/api/customers", json={"code": "EV3", "name": "Evil 3"},
                             headers={"Origin": "https://qc.example.com"})
        assert allowed.status_code == 201

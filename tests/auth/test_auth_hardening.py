"""Hardening: trusted proxies, the cookie's Secure flag, the per-account login cap, usernames and text the
databases cannot store, and versioned user edits. Every API test runs on SQLite and on PostgreSQL.

Requests from a real peer address go to the real server (tests/live.py `live_server`, uvicorn on
127.0.0.1, believing no forwarded headers itself: tests/conftest.py); the in-process TestClient's peer is
"testclient", never a trusted proxy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Request
from sqlalchemy import func, select, update

from api.app import create_app
from api.auth.models import AccountLoginFailure, LoginFailure, User
from api.auth.proxies import client_view
from api.auth.services import AuthService
from api.cli import main as cli
from api.db import utcnow
from api.errors import TooManyRequests, Unauthorized
from api.settings import Settings
from tests.helpers import PASSWORD, Actor, assert_problem, in_db, login, patch_user
from tests.live import LiveServer, live_server  # noqa: F401 - the real server, a fixture here too

PROXIES = ("127.0.0.1", "10.0.0.0/8")
LOGIN = "/api/auth/login"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared settings, with 127.0.0.1 (the live server's peer) and 10.0.0.0/8 as trusted proxies."""
    marker = request.node.get_closest_marker("trusted_proxies")
    return replace(settings, trusted_proxies=tuple(marker.args) if marker else PROXIES)


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[httpx.Client]:  # noqa: F811 - the fixture imported above
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        yield http


def failures(settings: Settings) -> list[tuple[str, str, int]]:
    return in_db(settings.database_url, lambda s: _rows(s, select(LoginFailure.username, LoginFailure.address,
                                                                  LoginFailure.failures)))


def account_failures(settings: Settings) -> list[tuple[str, int]]:
    return in_db(settings.database_url, lambda s: _rows(s, select(AccountLoginFailure.username,
                                                                  AccountLoginFailure.failures)))


async def _rows(session: Any, query: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await session.execute(query.order_by(*query.selected_columns))]


def secure(response: httpx.Response) -> bool:
    return "; secure" in response.headers["set-cookie"].lower()


# --- trusted proxies -----------------------------------------------------------------------------------------


def _request(settings: Settings, peer: str, headers: list[tuple[str, str]], scheme: str = "http") -> Request:
    """A request as uvicorn hands it to the app: from `peer`, over `scheme`, to the host app.local."""
    scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "root_path": "", "query_string": b"",
             "http_version": "1.1", "scheme": scheme, "client": (peer, 50123), "server": ("10.0.0.2", 8000),
             "headers": [(b"host", b"app.local"), *((k.lower().encode(), v.encode()) for k, v in headers)],
             "litestar_app": create_app(settings)}
    return Request(scope)  # type: ignore[arg-type]


@pytest.mark.parametrize(("peer", "scheme", "headers", "seen"), [
    # An untrusted peer's forwarded headers are ignored, whatever they say.
    ("198.51.100.7", "http", [("X-Forwarded-For", "203.0.113.5"), ("X-Forwarded-Proto", "https"),
                              ("X-Forwarded-Host", "evil.example")], ("198.51.100.7", "http", "app.local")),
    ("198.51.100.7", "http", [("Forwarded", "for=203.0.113.5;proto=https;host=evil.example")],
     ("198.51.100.7", "http", "app.local")),
    ("198.51.100.7", "https", [("X-Forwarded-Proto", "http")], ("198.51.100.7", "https", "app.local")),
    # A trusted proxy is believed.
    ("127.0.0.1", "http", [("X-Forwarded-For", "203.0.113.5"), ("X-Forwarded-Proto", "https"),
                           ("X-Forwarded-Host", "Floor.Example.com")], ("203.0.113.5", "https", "floor.example.com")),
    ("::ffff:127.0.0.1", "http", [("X-Forwarded-For", "203.0.113.5")], ("203.0.113.5", "http", "app.local")),
    ("10.20.30.40", "http", [("X-Forwarded-For", "203.0.113.5:61000")], ("203.0.113.5", "http", "app.local")),
    ("127.0.0.1", "http", [], ("127.0.0.1", "http", "app.local")),
    # What a client put on the left of the chain is never reached: the first untrusted hop from the right is it.
    ("127.0.0.1", "http", [("X-Forwarded-For", "6.6.6.6, 203.0.113.5")], ("203.0.113.5", "http", "app.local")),
    ("127.0.0.1", "http", [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.5")],
     ("203.0.113.5", "http", "app.local")),
    ("127.0.0.1", "http", [("X-Forwarded-For", "203.0.113.5, 10.1.2.3"), ("X-Forwarded-Proto", "https, http")],
     ("203.0.113.5", "https", "app.local")),  # two proxies: the outer one's scheme is the client's
    ("127.0.0.1", "http", [("X-Forwarded-For", "10.9.9.9, 10.1.2.3")], ("10.9.9.9", "http", "app.local")),
    ("127.0.0.1", "http", [("X-Forwarded-For", "203.0.113.5, not-an-address")], ("127.0.0.1", "http", "app.local")),
    ("127.0.0.1", "http", [("Forwarded", 'for="[2001:db8::17]:4711";proto=https;host=floor.example.com')],
     ("2001:db8::17", "https", "floor.example.com")),
    ("127.0.0.1", "http", [("Forwarded", "for=6.6.6.6;proto=http;host=evil.example, for=203.0.113.5;proto=https;"
                                         "host=floor.example.com")], ("203.0.113.5", "https", "floor.example.com")),
    # Nonsense from a trusted proxy changes nothing.
    ("127.0.0.1", "http", [("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "evil.example/path")],
     ("127.0.0.1", "http", "app.local")),
])
def test_client_view(tmp_path, peer, scheme, headers, seen) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(trusted_proxies=PROXIES, media_dir=tmp_path / "media")
    view = client_view(_request(settings, peer, headers, scheme))
    assert (view.address, view.scheme, view.host) == seen


@pytest.mark.parametrize("entries", [("10.0.0.0/33",), ("proxy.internal",), ("",)])
def test_trusted_proxies_must_be_addresses_or_networks(entries) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies=entries)
    assert Settings.from_env({"FLOORCHECK_TRUSTED_PROXIES": " 10.0.0.1, 172.16.0.0/12 ,"}).trusted_proxies == (
        "10.0.0.1", "172.16.0.0/12")


def test_rotating_a_forged_forwarded_for_does_not_escape_the_address_throttle(client, admin, settings) -> None:  # type: ignore[no-untyped-def]
    for i in range(settings.login_free_failures):
        wrong = client.post(LOGIN, json={"username": "admin", "password": "guess"},
                            headers={"X-Forwarded-For": f"203.0.113.{i}", "Forwarded": f"for=198.51.100.{i}"})
        assert_problem(wrong, 401)
    blocked = client.post(LOGIN, json={"username": "admin", "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.99", "Forwarded": "for=198.51.100.99"})
    assert_problem(blocked, 429)
    assert int(blocked.headers["retry-after"]) >= 1
    assert failures(settings) == [("admin", "testclient", settings.login_free_failures)]


@pytest.mark.trusted_proxies()
def test_without_trusted_proxies_the_real_server_ignores_forwarded_for(live, admin, settings) -> None:  # type: ignore[no-untyped-def]
    """`floorcheck serve` used to let uvicorn believe X-Forwarded-For from any local client: 8 rotated addresses
    never met a 429."""
    answers = [live.post(LOGIN, json={"username": "admin", "password": "guess"},
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(8)]
    free = settings.login_free_failures
    assert answers[:free] == [401] * free and 429 in answers[free:], answers
    # Every failure counted against the one real address.
    assert failures(settings) == [("admin", "127.0.0.1", answers.count(401))]


def test_a_trusted_proxys_forwarded_for_is_believed(live, admin, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.login_free_failures):
        wrong = live.post(LOGIN, json={"username": "admin", "password": "guess"},
                          headers={"X-Forwarded-For": "203.0.113.7"})
        assert wrong.status_code == 401, wrong.text
    blocked = live.post(LOGIN, json={"username": "admin", "password": PASSWORD},
                        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})  # the forged hop changes nothing
    assert_problem(blocked, 429)
    # The real user, behind the same proxy from another address, is not blocked; nor is the proxy itself.
    for headers in ({"X-Forwarded-For": "198.51.100.8"}, {"Forwarded": 'for="[2001:db8::8]"'}, {}):
        assert live.post(LOGIN, json={"username": "admin", "password": PASSWORD}, headers=headers).status_code == 200
    assert failures(settings) == [("admin", "203.0.113.7", settings.login_free_failures)]


def _cookie_header(token: str, settings: Settings) -> dict[str, str]:
    return {"Cookie": f"{settings.cookie_name}={token}"}


def test_origin_check_believes_forwarded_host_and_scheme_only_from_a_trusted_proxy(
        live, live_server, client, admin, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    proxied = {"X-Forwarded-For": "203.0.113.20", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "qc.example.com"}
    token = live.post(LOGIN, json={"username": "admin", "password": PASSWORD}, headers=proxied).json()["token"]
    live.cookies.clear()  # sent by hand below, to every server alike
    cookie = _cookie_header(token, settings)

    def write(http: Any, code: str, origin: str, **headers: str) -> int:
        return http.post("/api/customers", json={"code": code, "name": code},
                         headers={**cookie, "Origin": origin, **headers}).status_code

    # Through the trusted proxy, the page's origin is the proxy's https://qc.example.com (port 443 or none).
    assert write(live, "P1", "https://qc.example.com", **proxied) == 201
    assert write(live, "P2", "https://qc.example.com", **{**proxied, "X-Forwarded-Host": "qc.example.com:443"}) == 201
    assert write(live, "P3", "https://QC.example.com/", Forwarded="for=203.0.113.20;proto=https;host=qc.example.com") == 201
    # ... and no longer the socket's own scheme and Host.
    assert write(live, "P4", live_server.url, **proxied) == 403
    assert write(live, "P5", "http://qc.example.com", **proxied) == 403
    # Without forwarded headers, the socket's origin is the app's.
    assert write(live, "P6", live_server.url) == 201
    # From an untrusted peer the same headers are ignored: its Host is the origin.
    client.cookies.clear()
    assert write(client, "U1", "https://qc.example.com", **proxied) == 403
    assert write(client, "U2", "http://127.0.0.1", **proxied) == 201


def test_secure_flag_follows_the_scheme_a_trusted_proxy_reports(live, client, admin) -> None:  # type: ignore[no-untyped-def]
    body = {"username": "admin", "password": PASSWORD}
    assert secure(live.post(LOGIN, json=body, headers={"X-Forwarded-Proto": "https"}))
    assert secure(live.post(LOGIN, json=body, headers={"Forwarded": "for=203.0.113.3;proto=https"}))
    assert not secure(live.post(LOGIN, json=body, headers={"X-Forwarded-Proto": "http"}))
    assert not secure(live.post(LOGIN, json=body))  # plain http to the socket, no proxy
    # An untrusted peer cannot claim https (the cookie would then never come back over its plain http).
    assert not secure(client.post(LOGIN, json=body, headers={"X-Forwarded-Proto": "https"}))


def test_cookie_secure_setting_is_checked() -> None:
    assert Settings.from_env({"FLOORCHECK_COOKIE_SECURE": "false"}).cookie_secure == "false"
    with pytest.raises(ValueError, match="cookie_secure"):
        Settings(cookie_secure="sometimes")


# --- the per-account cap -------------------------------------------------------------------------------------


def _guess_from_many_addresses(settings: Settings, username: str, count: int, first: int = 0) -> None:
    async def guess(session: Any) -> None:
        auth = AuthService(session, settings)
        for i in range(first, first + count):
            with pytest.raises(Unauthorized):
                await auth.login(username, "a guess", f"198.51.{i // 250}.{i % 250 + 1}")

    in_db(settings.database_url, guess)


def test_per_account_cap_blocks_every_address_until_a_password_reset(client, admin, make_actor, settings) -> None:  # type: ignore[no-untyped-def]
    target: Actor = make_actor("merchandiser")
    cap = settings.login_account_max_failures
    assert cap == 20
    _guess_from_many_addresses(settings, target.username, cap - 1)
    assert_problem(client.post(LOGIN, json={"username": target.username, "password": "one more"}), 401)
    # Past the cap: every login of the account, from anywhere, the right password too, waits out the hour.
    for password in (PASSWORD, "another guess"):
        blocked = client.post(LOGIN, json={"username": target.username, "password": password})
        problem = assert_problem(blocked, 429)
        assert 60 < int(blocked.headers["retry-after"]) <= 3601, blocked.headers  # the rest of the hour
        assert "account" in problem["detail"] and problem["detail_zh"]
    assert account_failures(settings) == [(target.username, cap)]  # a blocked login is not even checked
    assert target.get("/api/auth/me").status_code == 200  # sessions already open go on
    assert login(client, "admin").token  # other accounts are not affected

    reset = admin.post(f"/api/users/{target.id}/password", json={"password": "a brand new password"})
    assert reset.status_code == 204
    assert account_failures(settings) == [] and [f for f in failures(settings) if f[0] == target.username] == []
    assert login(client, target.username, "a brand new password").token


def test_per_account_cap_ends_with_its_window_and_covers_unknown_names(admin, settings) -> None:  # type: ignore[no-untyped-def]
    cap = settings.login_account_max_failures
    _guess_from_many_addresses(settings, "admin", cap)
    _guess_from_many_addresses(settings, "nobody-here", cap)  # no difference tells which names exist

    async def blocked(session: Any) -> None:
        auth = AuthService(session, settings)
        for username, password in (("admin", PASSWORD), ("admin", "guess"), ("nobody-here", "guess")):
            with pytest.raises(TooManyRequests) as error:
                await auth.login(username, password, "192.0.2.200")
            assert "account" in error.value.detail

    in_db(settings.database_url, blocked)

    async def an_hour_later(session: Any) -> None:
        earlier = utcnow() - settings.login_account_window - timedelta(seconds=1)
        await session.execute(update(AccountLoginFailure).values(window_started_at=earlier,
                                                                  blocked_until=earlier + settings.login_account_window))

    in_db(settings.database_url, an_hour_later)

    async def allowed(session: Any) -> int:
        auth = AuthService(session, settings)
        assert (await auth.login("admin", PASSWORD, "192.0.2.200"))[2].username == "admin"
        with pytest.raises(Unauthorized):  # a new window: counted from 1 again
            await auth.login("nobody-here", "guess", "192.0.2.200")
        return await session.scalar(select(AccountLoginFailure.failures)
                                    .where(AccountLoginFailure.username == "nobody-here"))

    assert in_db(settings.database_url, allowed) == 1


# --- text the databases cannot store -------------------------------------------------------------------------

NUL = "\x00"


@pytest.mark.parametrize(("field", "body"), [
    ("username", {"username": f"ad{NUL}min", "password": PASSWORD}),
    ("password", {"username": "admin", "password": f"pass{NUL}word"}),
])
def test_nul_in_a_login_is_400(client, admin, field, body) -> None:  # type: ignore[no-untyped-def]
    assert field in assert_problem(client.post(LOGIN, json=body), 400)["detail"]


@pytest.mark.parametrize(("field", "extra"), [
    ("username", {"username": f"nul{NUL}user"}),
    ("password", {"password": f"long enough{NUL}"}),
    ("display_name", {"display_name": f"Li{NUL}Wei"}),
    ("company", {"company": f"QIMA{NUL}"}),
])
def test_nul_in_a_new_user_is_400(admin, field, extra) -> None:  # type: ignore[no-untyped-def]
    body = {"username": "new-user", "password": PASSWORD, "role": "inspector", **extra}
    assert field in assert_problem(admin.post("/api/users", json=body), 400)["detail"]
    assert [u["username"] for u in admin.get("/api/users").json()] == ["admin"]


def test_nul_in_user_edits_and_people_search_is_400(admin, make_actor) -> None:  # type: ignore[no-untyped-def]
    target = make_actor("inspector")
    for field in ("display_name", "company"):
        response = admin.patch(f"/api/users/{target.id}", json={"version": 1, field: f"x{NUL}y"})
        assert field in assert_problem(response, 400)["detail"]
    reset = admin.post(f"/api/users/{target.id}/password", json={"password": f"new password{NUL}"})
    assert "password" in assert_problem(reset, 400)["detail"]
    assert "q" in assert_problem(admin.get("/api/people", params={"q": f"li{NUL}"}), 400)["detail"]
    assert admin.get("/api/people", params={"q": "x" * 101}).status_code == 400
    assert admin.get("/api/people", params={"q": target.username}).json()[0]["id"] == target.id


def test_a_username_longer_than_the_column_once_lower_cased(client, admin, settings) -> None:  # type: ignore[no-untyped-def]
    dotted = "İ" * 80  # 80 characters; lower-cased, each is "i" and a combining dot: 160
    assert len(dotted.lower()) == 160
    for _ in range(2):  # a wrong login, counted like any other, under a key that fits the column
        assert_problem(client.post(LOGIN, json={"username": dotted, "password": "guess"}), 401)
    assert [(len(name), count) for name, _address, count in failures(settings)] == [(80, 2)]
    assert [(len(name), count) for name, count in account_failures(settings)] == [(80, 2)]
    problem = assert_problem(admin.post("/api/users", json={"username": dotted, "password": PASSWORD,
                                                            "role": "inspector"}), 422)
    assert problem["field"] == "username" and problem["detail_zh"]
    assert assert_problem(admin.post("/api/users", json={"username": "   ", "password": PASSWORD,
                                                         "role": "inspector"}), 422)["field"] == "username"
    # Half as many fit: stored lower-cased, and the same name logs in however it is cased.
    created = admin.post("/api/users", json={"username": "İ" * 40, "password": PASSWORD, "role": "inspector"})
    assert created.status_code == 201 and created.json()["username"] == "i̇" * 40
    assert login(client, "İ" * 40).id == created.json()["id"]


# --- versioned user edits ------------------------------------------------------------------------------------


def test_a_stale_user_edit_is_409_with_the_user_as_now(client, admin, make_actor, settings) -> None:  # type: ignore[no-untyped-def]
    target = make_actor("inspector")
    listed = next(u for u in admin.get("/api/users").json() if u["id"] == target.id)
    assert listed["version"] == 1
    first = admin.patch(f"/api/users/{target.id}", json={"version": 1, "display_name": "Li Wei"})
    assert first.status_code == 200 and first.json()["version"] == 2

    stale = admin.patch(f"/api/users/{target.id}", json={"version": 1, "active": False})
    problem = assert_problem(stale, 409)
    assert problem["current"]["display_name"] == "Li Wei" and problem["current"]["version"] == 2
    assert problem["current"]["active"] is True and problem["current_version"] == 2 and problem["detail_zh"]
    assert target.get("/api/auth/me").status_code == 200  # the refused deactivation ended no session

    again = admin.patch(f"/api/users/{target.id}", json={"version": 1, "display_name": "Li Wei"})
    assert again.status_code == 200 and again.json()["version"] == 2  # the same edit again: nothing to do
    assert "version" in assert_problem(admin.patch(f"/api/users/{target.id}", json={"display_name": "X"}), 400)["detail"]

    # A role change, a password reset and a deactivation each raise the version by 1.
    assert patch_user(admin, target.id, role="supervisor").json()["version"] == 3
    assert admin.post(f"/api/users/{target.id}/password", json={"password": "another password"}).status_code == 204
    assert patch_user(admin, target.id, active=False).json()["version"] == 5
    assert_problem(admin.patch(f"/api/users/{target.id}", json={"version": 5, "role": "factory"}), 422)
    user = in_db(settings.database_url, lambda s: s.scalar(select(User).where(User.id == uuid.UUID(target.id))))
    assert (user.version, user.role, user.active, user.display_name) == (5, "supervisor", False, "Li Wei")


def test_the_shell_raises_the_version_too(settings, monkeypatch, admin) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FLOORCHECK_DATABASE_URL", settings.database_url)
    assert cli(["users", "deactivate", "--username", "admin"]) == 0
    assert cli(["users", "activate", "--username", "admin"]) == 0
    assert cli(["users", "reset-password", "--username", "admin", "--password", "from the shell"]) == 0
    assert cli(["users", "create", "--username", "İ" * 80, "--password", "s3cret-pass", "--role", "admin"]) == 1
    version = in_db(settings.database_url, lambda s: s.scalar(select(User.version).where(User.username == "admin")))
    assert version == 4
    assert in_db(settings.database_url, lambda s: s.scalar(select(func.count()).select_from(User))) == 1

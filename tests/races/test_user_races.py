"""Twenty admins or guessers at once against the real server: user edits, user creates, the per-account cap.

Every burst goes over real sockets to uvicorn (tests/races/conftest.py), on SQLite and on PostgreSQL. No
answer may be a 5xx, except a 503 with Retry-After on SQLite (a writer that waited longer than busy_timeout):
nothing was written.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import select

from api.auth.models import AccountLoginFailure, LoginFailure
from api.settings import Settings
from tests.helpers import PASSWORD, Actor, in_db
from tests.races.test_races import CLIENTS, Call, assert_race, burst, conflict, report

if TYPE_CHECKING:
    from tests.races.conftest import LiveServer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The live server's peer (this machine) is a trusted proxy: each guesser below comes from its own address."""
    return replace(settings, trusted_proxies=("127.0.0.1",))


def users(admin: Actor) -> list[dict[str, Any]]:
    response = admin.get("/api/users")
    assert response.status_code == 200, response.text
    return response.json()


async def test_concurrent_edits_of_one_user_version(live_server: LiveServer, admin: Actor, make_actor) -> None:  # type: ignore[no-untyped-def]
    target = make_actor("inspector")
    names = [f"Inspector {n}" for n in range(CLIENTS)]

    responses = await burst(live_server, admin, [
        Call("PATCH", f"/api/users/{target.id}", json={"version": 1, "display_name": name}) for name in names])

    index, conflicts = assert_race(responses, live_server, winner=200, rest=409)
    won = responses[index].json()
    assert (won["version"], won["display_name"]) == (2, names[index]), won
    for response in conflicts:
        current = conflict(response)["current"]
        assert (current["id"], current["version"], current["display_name"]) == (target.id, 2, names[index]), current
    stored = next(u for u in users(admin) if u["id"] == target.id)
    assert (stored["version"], stored["display_name"]) == (2, names[index]), stored


async def test_concurrent_identical_user_creates(live_server: LiveServer, admin: Actor) -> None:
    body = {"username": "Zhang.Wei", "password": PASSWORD, "role": "inspector", "display_name": "Zhang Wei"}

    responses = await burst(live_server, admin, [Call("POST", "/api/users", json=body) for _ in range(CLIENTS)])

    index, conflicts = assert_race(responses, live_server, winner=201, rest=409)
    for response in conflicts:
        assert "taken" in conflict(response)["detail"]
    created = responses[index].json()
    assert [u["id"] for u in users(admin) if u["username"] == "zhang.wei"] == [created["id"]]
    assert created["version"] == 1


async def test_concurrent_failed_logins_from_many_addresses_meet_the_account_cap(
        live_server: LiveServer, admin: Actor, make_actor) -> None:  # type: ignore[no-untyped-def]
    target = make_actor("merchandiser")
    cap = live_server.settings.login_account_max_failures
    guesses = cap + 5  # each from its own address: the per-address throttle never meets one of them
    limits = httpx.Limits(max_connections=guesses, max_keepalive_connections=guesses)
    async with httpx.AsyncClient(base_url=live_server.url, limits=limits, timeout=60) as http:
        await asyncio.gather(*(http.get("/health") for _ in range(guesses)))

        def attempt(i: int, password: str) -> Any:
            return http.post("/api/auth/login", json={"username": target.username, "password": password},
                             headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})

        answers = await asyncio.gather(*(attempt(i, f"guess {i}") for i in range(guesses)))

        message = report(answers, live_server)
        print(f"[{'sqlite' if live_server.sqlite else 'postgresql'}] {message.splitlines()[0]}")
        histogram = Counter(r.status_code for r in answers)
        assert set(histogram) <= {401, 429} | ({503} if live_server.sqlite else set()), message
        assert all("retry-after" in r.headers for r in answers if r.status_code in {429, 503}), message
        assert not live_server.errors, message
        # Exactly `cap` guesses were checked, whichever came first; every other one was refused unchecked or
        # counted past the cap, and answered like the right password is answered now.
        assert histogram[401] == min(cap, guesses - histogram[503]), message

        rights = await asyncio.gather(*(attempt(100 + i, PASSWORD) for i in range(CLIENTS)))
        assert {r.status_code for r in rights} == {429}, report(rights, live_server)
        assert all(int(r.headers["retry-after"]) > 60 for r in rights)

    def rows(model: Any) -> Any:
        return lambda s: s.scalars(select(model).where(model.username == target.username))

    # Every guess that was checked counted, on the account and on its own address (a guess refused before it
    # was checked counted nowhere); none of the right passwords did.
    url = live_server.settings.database_url
    [account] = list(await asyncio.to_thread(in_db, url, rows(AccountLoginFailure)))
    assert cap <= account.failures <= guesses - histogram[503]
    per_address = list(await asyncio.to_thread(in_db, url, rows(LoginFailure)))
    assert len(per_address) == account.failures and {f.failures for f in per_address} == {1}
    assert {f.address for f in per_address} <= {f"203.0.113.{i + 1}" for i in range(guesses)}
    assert target.get("/api/auth/me").status_code == 200  # the user's open session goes on

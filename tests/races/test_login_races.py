"""Ten wrong-password logins for a new username at once: every one a 401 (or 429), never a 500."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select

from api.auth.models import AccountLoginFailure, LoginFailure
from tests.helpers import in_db

if TYPE_CHECKING:
    from tests.races.conftest import LiveServer


async def test_concurrent_failed_logins_each_count(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60,
                                 limits=httpx.Limits(max_connections=10)) as http:
        await asyncio.gather(*(http.get("/health") for _ in range(10)))
        answers = await asyncio.gather(*(
            http.post("/api/auth/login", json={"username": "nobody-yet", "password": f"guess {i}"})
            for i in range(10)))
        histogram = Counter(r.status_code for r in answers)
        assert set(histogram) <= {401, 429, 503}, (histogram, live_server.errors)
        assert not live_server.errors
        # Every failure counted: the next try is blocked (5 free failures, then a growing wait).
        later = await http.post("/api/auth/login", json={"username": "nobody-yet", "password": "again"})
        assert later.status_code == 429 and later.headers["retry-after"]

    # Each checked guess counted once per address and once for the account (the per-account cap's count).
    async def counts(session):  # type: ignore[no-untyped-def]
        return (await session.scalar(select(LoginFailure.failures).where(LoginFailure.username == "nobody-yet")),
                await session.scalar(select(AccountLoginFailure.failures)
                                     .where(AccountLoginFailure.username == "nobody-yet")))

    assert await asyncio.to_thread(in_db, live_server.settings.database_url, counts) == (histogram[401],) * 2

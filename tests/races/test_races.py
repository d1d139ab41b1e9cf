"""Twenty phones at once against the real server: one edit of a version wins, identical creates replay.

Every burst goes over real sockets to uvicorn (tests/races/conftest.py), on SQLite and on PostgreSQL.
No answer may be a 5xx, except a 503 with Retry-After on SQLite (a writer that waited longer than
busy_timeout): nothing was written and the phone's outbox retries it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.helpers import PROBLEM, Actor, inspection_body

if TYPE_CHECKING:
    from tests.races.conftest import Floor, LiveServer

CLIENTS = 20


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


async def burst(server: LiveServer, actor: Actor, calls: list[Call]) -> list[httpx.Response]:
    """All calls at once, each on its own connection, opened beforehand so that none waits on a handshake."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=server.url, headers=actor.headers, limits=limits, timeout=60) as http:
        await asyncio.gather(*(http.get("/health") for _ in calls))
        return list(await asyncio.gather(*(
            http.request(c.method, c.path, json=c.json, content=c.content, headers=c.headers) for c in calls)))


def report(responses: list[httpx.Response], server: LiveServer) -> str:
    """The status histogram, one body per status, and whatever the server logged as an error."""
    histogram = dict(sorted(Counter(r.status_code for r in responses).items()))
    lines = [f"statuses: {histogram}"]
    seen: set[int] = set()
    for r in responses:
        if r.status_code not in seen:
            seen.add(r.status_code)
            lines.append(f"  {r.status_code} {r.headers.get('content-type')} "
                         f"retry-after={r.headers.get('retry-after')}: {r.text[:600]}")
    lines += [f"server log: {line}" for line in server.errors]
    return "\n".join(lines)


def assert_race(responses: list[httpx.Response], server: LiveServer, *, winner: int,
                rest: int) -> tuple[int, list[httpx.Response]]:
    """Exactly one `winner`, every other answer `rest` (or, on SQLite, 503 with Retry-After), nothing logged.

    Returns the winner's index among the calls, and the answers with status `rest`.
    """
    message = report(responses, server)
    print(f"[{'sqlite' if server.sqlite else 'postgresql'}] {message.splitlines()[0]}")
    allowed = {winner, rest} | ({503} if server.sqlite else set())
    assert {r.status_code for r in responses} <= allowed, message
    assert all("retry-after" in r.headers for r in responses if r.status_code == 503), message
    winners = [i for i, r in enumerate(responses) if r.status_code == winner]
    assert len(winners) == 1, message
    assert not server.errors, message
    return winners[0], [r for r in responses if r.status_code == rest]


def conflict(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    body = response.json()
    assert body["status"] == 409 and body["title"] and body["detail"], body
    return body


def get_ok(actor: Actor, path: str) -> Any:
    response = actor.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def events(floor: Floor, kind: str, **data: str) -> list[dict[str, Any]]:
    timeline = get_ok(floor.supervisor, f"/api/orders/{floor.order['id']}/timeline")
    return [e for e in timeline if e["kind"] == kind and all(e["data"].get(k) == v for k, v in data.items())]


# --- concurrent edits of one version -------------------------------------------------------------------------


async def test_concurrent_edits_of_one_defect_version(floor: Floor) -> None:
    path = f"/api/inspections/{floor.iid}/defects/{uuid.uuid4()}"
    first = floor.inspector.put(path, json={"code": "W01", "severity": "major"})
    assert first.status_code == 201 and first.json()["version"] == 1, first.text
    counts = list(range(2, 2 + CLIENTS))

    responses = await burst(floor.server, floor.inspector, [
        Call("PUT", path, json={"code": "W01", "severity": "major", "version": 1, "count": n}) for n in counts])

    index, conflicts = assert_race(responses, floor.server, winner=200, rest=409)
    won = responses[index].json()
    assert (won["version"], won["count"]) == (2, counts[index]), won
    for response in conflicts:
        current = conflict(response)["current"]
        assert (current["id"], current["version"], current["count"]) == (won["id"], 2, won["count"]), current
    defects = [d for d in get_ok(floor.inspector, f"/api/inspections/{floor.iid}")["defects"] if d["id"] == won["id"]]
    assert [(d["version"], d["count"]) for d in defects] == [(2, counts[index])], defects


async def test_concurrent_edits_of_one_inspection_version(floor: Floor) -> None:
    path, version = f"/api/inspections/{floor.iid}", floor.inspection["version"]
    notes = [f"Carton 7 re-counted by phone {n}" for n in range(CLIENTS)]

    responses = await burst(floor.server, floor.inspector, [
        Call("PUT", path, json=inspection_body(floor.order, version=version, notes=note)) for note in notes])

    index, conflicts = assert_race(responses, floor.server, winner=200, rest=409)
    won = responses[index].json()
    assert (won["version"], won["notes"]) == (version + 1, notes[index]), won
    for response in conflicts:
        body = conflict(response)
        assert (body["current"]["id"], body["current"]["version"], body["current"]["notes"]) == (
            floor.iid, version + 1, notes[index]), body["current"]
        assert body["current_version"] == version + 1, body
    stored = get_ok(floor.inspector, path)
    assert (stored["version"], stored["notes"]) == (version + 1, notes[index])


async def test_concurrent_answers_to_one_checklist_item(floor: Floor) -> None:
    ids = [str(uuid.uuid4()) for _ in range(CLIENTS)]

    responses = await burst(floor.server, floor.inspector, [
        Call("PUT", f"/api/inspections/{floor.iid}/checklist/{aid}", json={"item_key": "carton_marks",
                                                                             "result": "pass"}) for aid in ids])

    index, conflicts = assert_race(responses, floor.server, winner=201, rest=409)
    assert responses[index].json()["id"] == ids[index]
    for response in conflicts:
        assert conflict(response)["answer_id"] == ids[index], response.text  # the answer to edit instead
    answers = [a for a in get_ok(floor.inspector, f"/api/inspections/{floor.iid}")["checklist_answers"]
               if a["item_key"] == "carton_marks"]
    assert [(a["id"], a["version"]) for a in answers] == [(ids[index], 1)], answers


# --- concurrent identical creates ----------------------------------------------------------------------------


def new_defect(floor: Floor) -> tuple[Actor, Call, Callable[[dict[str, Any]], None]]:
    did = str(uuid.uuid4())

    def stored(_: dict[str, Any]) -> None:
        found = [d for d in get_ok(floor.inspector, f"/api/inspections/{floor.iid}")["defects"] if d["id"] == did]
        assert [(d["version"], d["count"]) for d in found] == [(1, 1)], found

    return floor.inspector, Call("PUT", f"/api/inspections/{floor.iid}/defects/{did}",
                                 json={"code": "W01", "severity": "major"}), stored


def new_scan(floor: Floor) -> tuple[Actor, Call, Callable[[dict[str, Any]], None]]:
    sid, carton = str(uuid.uuid4()), floor.inspection["cartons"][0]  # a picked carton's SSCC

    def stored(body: dict[str, Any]) -> None:
        assert (body["verdict"], body["carton_number"]) == ("ok", carton["number"]), body
        found = [s for s in get_ok(floor.inspector, f"/api/inspections/{floor.iid}")["scans"] if s["id"] == sid]
        assert len(found) == 1, found

    return floor.inspector, Call("POST", f"/api/inspections/{floor.iid}/scans",
                                 json={"id": sid, "text": carton["barcode"]}), stored


def new_signature(floor: Floor) -> tuple[Actor, Call, Callable[[dict[str, Any]], None]]:
    def stored(_: dict[str, Any]) -> None:
        found = get_ok(floor.inspector, f"/api/inspections/{floor.iid}")["signatures"]
        assert [(s["role"], s["name"]) for s in found] == [("inspector", "Chen")], found
        assert len(events(floor, "report_signed", inspection_id=floor.iid)) == 1

    return floor.inspector, Call("POST", f"/api/inspections/{floor.iid}/signatures",
                                 json={"role": "inspector", "name": "Chen"}), stored


def new_booking(floor: Floor) -> tuple[Actor, Call, Callable[[dict[str, Any]], None]]:
    bid, path = str(uuid.uuid4()), f"/api/orders/{floor.order['id']}/inspections"

    def stored(_: dict[str, Any]) -> None:
        assert [b["id"] for b in get_ok(floor.supervisor, path)].count(bid) == 1
        assert len(events(floor, "inspection_booked", inspection_id=bid)) == 1

    return floor.supervisor, Call("POST", path, json={"id": bid, "type": "in_process",
                                                      "assignee_id": floor.inspector.id}), stored


def new_inspection(floor: Floor) -> tuple[Actor, Call, Callable[[dict[str, Any]], None]]:
    iid = str(uuid.uuid4())

    def stored(body: dict[str, Any]) -> None:
        assert get_ok(floor.supervisor, f"/api/inspections/{iid}") == body
        assert len(events(floor, "inspection_created", inspection_id=iid)) == 1

    return floor.supervisor, Call("PUT", f"/api/inspections/{iid}", json=inspection_body(floor.order)), stored


@pytest.mark.parametrize("make", [new_defect, new_scan, new_signature, new_booking, new_inspection],
                         ids=["defect", "scan", "signature", "booking", "inspection"])
async def test_concurrent_identical_creates(floor: Floor, make) -> None:  # type: ignore[no-untyped-def]
    actor, call, stored = make(floor)

    responses = await burst(floor.server, actor, [call] * CLIENTS)

    index, replays = assert_race(responses, floor.server, winner=201, rest=200)
    created = responses[index].json()
    assert all(r.json() == created for r in replays), report(responses, floor.server)
    stored(created)


# --- photos --------------------------------------------------------------------------------------------------


def jpeg(seed: int, size: tuple[int, int] = (400, 300)) -> bytes:
    """A small real photo-like JPEG: a gradient with a few shapes, different for each seed."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0] - 60), rng.randrange(size[1] - 60)
        draw.ellipse((x, y, x + rng.randrange(20, 60), y + rng.randrange(20, 60)),
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def upload(floor: Floor, photo_id: str, data: bytes) -> Call:
    return Call("PUT", f"/api/photos/{photo_id}?inspection_id={floor.iid}", content=data,
                headers={"Content-Type": "image/jpeg"})


async def test_concurrent_uploads_of_one_photo(floor: Floor) -> None:
    pid, data = str(uuid.uuid4()), jpeg(1)

    responses = await burst(floor.server, floor.inspector, [upload(floor, pid, data)] * CLIENTS)

    index, replays = assert_race(responses, floor.server, winner=201, rest=200)
    created = responses[index].json()
    assert created["sha256"] == hashlib.sha256(data).hexdigest(), created
    assert all(r.json() == created for r in replays), report(responses, floor.server)
    photos = [p for p in get_ok(floor.inspector, f"/api/inspections/{floor.iid}/photos") if p["id"] == pid]
    assert photos == [created]
    assert floor.inspector.get(f"/media/photos/{pid}/display").status_code == 200


async def test_concurrent_uploads_of_different_photos_under_one_id(floor: Floor) -> None:
    pid, images = str(uuid.uuid4()), [jpeg(seed) for seed in range(100, 100 + CLIENTS)]
    assert len({hashlib.sha256(i).hexdigest() for i in images}) == CLIENTS

    responses = await burst(floor.server, floor.inspector, [upload(floor, pid, data) for data in images])

    index, conflicts = assert_race(responses, floor.server, winner=201, rest=409)
    created = responses[index].json()
    assert created["sha256"] == hashlib.sha256(images[index]).hexdigest(), created
    for response in conflicts:
        current = conflict(response)["current"]
        assert (current["id"], current["sha256"]) == (pid, created["sha256"]), current
    assert get_ok(floor.inspector, f"/api/photos/{pid}")["sha256"] == created["sha256"]
    display = floor.inspector.get(f"/media/photos/{pid}/display")
    assert display.status_code == 200 and display.headers["content-type"] == "image/jpeg"

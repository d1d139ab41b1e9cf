"""Small oracles: what a user may not see answers exactly like what does not exist, and ids that others hold
are refused without a word about what holds them. On both databases."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from tests.helpers import assert_problem

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def dupro(world, assignee):  # type: ignore[no-untyped-def]
    """An in-process inspection of PO-1, booked by the merchandiser for `assignee`."""
    response = world.merchandiser.put(f"/api/inspections/{uuid.uuid4()}", json={
        "order_id": world.orders[0]["id"], "type": "in_process", "assignee_id": assignee.id})
    assert response.status_code == 201, response.text
    return response.json()


def photo(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 40 % 256, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(actor, inspection, photo_id, seed=0):  # type: ignore[no-untyped-def]
    return actor.put(f"/api/photos/{photo_id}", content=photo(seed), params={"inspection_id": inspection["id"]},
                     headers={"Content-Type": "image/jpeg"})


def put_defect(actor, inspection, defect_id=None, **extra):  # type: ignore[no-untyped-def]
    return actor.put(f"/api/inspections/{inspection['id']}/defects/{defect_id or uuid.uuid4()}",
                     json={"code": "W01", "severity": "minor", **extra})


def submit(actor, inspection) -> None:  # type: ignore[no-untyped-def]
    current = actor.get(f"/api/inspections/{inspection['id']}").json()
    response = actor.post(f"/api/inspections/{inspection['id']}/submit", json={"version": current["version"]})
    assert response.status_code == 200, response.text


def same_answer(first, second) -> dict:  # type: ignore[no-untyped-def]
    """Two answers a user cannot tell apart: the same status and the very same body."""
    assert first.status_code == second.status_code, (first.text, second.text)
    assert first.json() == second.json()
    return first.json()


# --- an inspection that exists but is hidden answers like one that does not exist -----------------------------


def test_putting_a_hidden_inspection_answers_like_a_missing_one(world, make_actor) -> None:  # type: ignore[no-untyped-def]
    dupro(world, world.inspector)  # the inspector sees PO-1 through their own inspection
    hidden = dupro(world, world.other_inspector)
    outsider = make_actor("factory", factory_id=world.factories[1]["id"])  # sees neither PO-1 nor its inspections

    def put(actor, inspection_id, order_id):  # type: ignore[no-untyped-def]
        return actor.put(f"/api/inspections/{inspection_id}", json={
            "order_id": order_id, "type": "in_process", "version": 1, "notes": "Seen on the floor"})

    cases = [
        (world.inspector, world.orders[0]["id"], 403),  # the order is visible: only staff create inspections
        (world.inspector, world.orders[1]["id"], 404),  # the order is not: "No such order."
        (world.inspector, str(uuid.uuid4()), 404),
        (outsider, world.orders[0]["id"], 404),
        (outsider, world.orders[1]["id"], 403),  # its own factory's order: it may not create inspections
    ]
    for actor, order_id, status in cases:
        body = same_answer(put(actor, hidden["id"], order_id), put(actor, uuid.uuid4(), order_id))
        assert body["status"] == status and body["detail"] != "No such inspection.", body
    # Reading it, too, is the same as reading nothing.
    same_answer(world.inspector.get(f"/api/inspections/{hidden['id']}"),
                world.inspector.get(f"/api/inspections/{uuid.uuid4()}"))
    # Nothing was written.
    after = world.other_inspector.get(f"/api/inspections/{hidden['id']}").json()
    assert after["notes"] == "" and after["version"] == hidden["version"]


def test_the_assignee_still_edits_their_inspection(world) -> None:  # type: ignore[no-untyped-def]
    mine = dupro(world, world.inspector)
    edited = world.inspector.put(f"/api/inspections/{mine['id']}", json={
        "order_id": mine["order"]["id"], "type": "in_process", "version": mine["version"], "notes": "Seen"})
    assert edited.status_code == 200 and edited.json()["notes"] == "Seen"


# --- ids that another inspection holds --------------------------------------------------------------------------


def test_a_scan_id_taken_by_another_inspection_is_a_plain_409(world) -> None:  # type: ignore[no-untyped-def]
    mine, hidden = dupro(world, world.inspector), dupro(world, world.other_inspector)

    def scan(actor, inspection, scan_id, text):  # type: ignore[no-untyped-def]
        return actor.post(f"/api/inspections/{inspection['id']}/scans", json={"id": scan_id, "text": text})

    # Within the user's own inspection, an id used for another code is a 409 with the server's copy ...
    own_id = str(uuid.uuid4())
    assert scan(world.inspector, mine, own_id, "CARTON-1").status_code == 201
    own = assert_problem(scan(world.inspector, mine, own_id, "CARTON-2"), 409)
    assert own["current"]["text"] == "CARTON-1"
    without_copy = {k: v for k, v in own.items() if k != "current"}
    # ... and an id that a scan of another inspection holds is the same 409 with nothing of that scan, whether
    # the user may see that inspection (the supervisor) or not (the inspector).
    their_id = str(uuid.uuid4())
    assert scan(world.other_inspector, hidden, their_id, "SECRET-CARTON-7").status_code == 201
    answers = [scan(actor, mine, their_id, "CARTON-2") for actor in (world.inspector, world.supervisor)]
    assert same_answer(*answers) == without_copy
    assert "SECRET" not in answers[0].text
    # A replay is still a replay, and nothing was stored under the taken id.
    assert scan(world.inspector, mine, own_id, "CARTON-1").status_code == 200
    assert [s["text"] for s in world.inspector.get(f"/api/inspections/{mine['id']}").json()["scans"]] == [
        "CARTON-1"]


def test_a_revision_id_taken_by_a_hidden_inspection_reveals_nothing(world) -> None:  # type: ignore[no-untyped-def]
    mine, hidden = dupro(world, world.inspector), dupro(world, world.other_inspector)
    world.other_inspector.put(f"/api/inspections/{hidden['id']}", json={
        "order_id": hidden["order"]["id"], "type": "in_process", "version": hidden["version"],
        "notes": "SECRET notes"})
    submit(world.inspector, mine)
    path = f"/api/inspections/{mine['id']}/revisions"
    hidden_answer = world.inspector.post(path, json={"id": hidden["id"]})
    visible_answer = world.supervisor.post(path, json={"id": hidden["id"]})  # a supervisor sees it
    problem = same_answer(hidden_answer, visible_answer)
    assert problem["status"] == 409 and "current" not in problem and "SECRET" not in hidden_answer.text
    revision = world.inspector.post(path, json={"id": str(uuid.uuid4())})
    assert revision.status_code == 201, revision.text


# --- photo ids name photos of the same inspection ---------------------------------------------------------------


def test_a_record_may_not_name_a_photo_of_another_inspection(world) -> None:  # type: ignore[no-untyped-def]
    mine, hidden = dupro(world, world.inspector), dupro(world, world.other_inspector)
    theirs = str(uuid.uuid4())
    assert upload(world.other_inspector, hidden, theirs).status_code == 201  # named by nothing: free
    own = str(uuid.uuid4())
    assert upload(world.inspector, mine, own, seed=1).status_code == 201

    answers = [put_defect(actor, mine, photo_ids=[own, theirs]) for actor in (world.inspector, world.supervisor)]
    problem = same_answer(*answers)  # hidden from the inspector, visible to the supervisor: the same words
    assert problem["status"] == 422 and problem["field"] == "photo_ids" and problem["photo_id"] == theirs
    assert problem["detail_zh"]
    answer = world.inspector.put(f"/api/inspections/{mine['id']}/checklist/{uuid.uuid4()}", json={
        "item_key": "labels", "result": "fail", "photo_ids": [theirs]})
    assert answer.json() == problem
    assert world.inspector.get(f"/api/inspections/{mine['id']}").json()["defects"] == []

    # Its own photos, and photos not uploaded yet, are fine.
    later = str(uuid.uuid4())
    defect_id = str(uuid.uuid4())
    assert put_defect(world.inspector, mine, defect_id, photo_ids=[own, later]).status_code == 201


def test_a_follow_up_close_may_not_name_a_photo_of_another_inspection(world) -> None:  # type: ignore[no-untyped-def]
    mine, hidden = dupro(world, world.inspector), dupro(world, world.other_inspector)
    theirs = str(uuid.uuid4())
    assert upload(world.other_inspector, hidden, theirs).status_code == 201
    defect_id = str(uuid.uuid4())
    assert put_defect(world.inspector, mine, defect_id, follow_up=True,
                      follow_up_owner_id=world.merchandiser.id).status_code == 201
    path = f"/api/inspections/{mine['id']}/defects/{defect_id}/close"
    answers = [actor.post(path, json={"note": "Re-sewn", "photo_ids": [theirs]})
               for actor in (world.merchandiser, world.supervisor)]
    problem = same_answer(*answers)
    assert problem["status"] == 422 and problem["field"] == "photo_ids" and problem["photo_id"] == theirs
    fix = str(uuid.uuid4())
    closed = world.merchandiser.post(path, json={"note": "Re-sewn", "photo_ids": [fix]})
    assert closed.status_code == 200, closed.text
    # The close claims its proof for this inspection: it cannot be uploaded for another one.
    assert_problem(upload(world.other_inspector, hidden, fix), 422)
    assert upload(world.merchandiser, mine, fix).status_code == 201


def test_an_upload_of_a_photo_a_record_names_must_be_for_that_inspection(world) -> None:  # type: ignore[no-untyped-def]
    mine, hidden = dupro(world, world.inspector), dupro(world, world.other_inspector)
    named = str(uuid.uuid4())
    defect_id = str(uuid.uuid4())
    assert put_defect(world.inspector, mine, defect_id, photo_ids=[named]).status_code == 201

    answers = [upload(actor, hidden, named) for actor in (world.other_inspector, world.supervisor)]
    problem = same_answer(*answers)  # mine is hidden from the other inspector, visible to the supervisor
    assert problem["status"] == 422 and problem["field"] == "inspection_id" and problem["detail_zh"]
    assert world.supervisor.get(f"/api/photos/{named}").status_code == 404
    assert upload(world.inspector, mine, named).status_code == 201
    assert upload(world.inspector, mine, named).status_code == 200  # a replay

    # An edit that keeps the photo keeps naming it; a deleted record names nothing any more.
    edited = put_defect(world.inspector, mine, defect_id, version=1, note="Left sleeve", photo_ids=[named])
    assert edited.status_code == 200, edited.text
    released = str(uuid.uuid4())
    gone = str(uuid.uuid4())
    assert put_defect(world.inspector, mine, gone, photo_ids=[released]).status_code == 201
    assert world.inspector.delete(f"/api/inspections/{mine['id']}/defects/{gone}").status_code == 204
    assert upload(world.other_inspector, hidden, released).status_code == 201


def test_a_revision_shares_its_photos_with_the_inspection_it_corrects(world) -> None:  # type: ignore[no-untyped-def]
    mine = dupro(world, world.inspector)
    uploaded, pending = str(uuid.uuid4()), str(uuid.uuid4())
    assert upload(world.inspector, mine, uploaded).status_code == 201
    defect_id = str(uuid.uuid4())
    assert put_defect(world.inspector, mine, defect_id, photo_ids=[uploaded, pending]).status_code == 201
    submit(world.inspector, mine)
    revision_id = str(uuid.uuid4())
    revision = world.inspector.post(f"/api/inspections/{mine['id']}/revisions", json={"id": revision_id})
    assert revision.status_code == 201, revision.text
    copy = revision.json()["defects"][0]
    assert copy["photo_ids"] == [uploaded, pending]

    # The copy is edited, and a new finding of the revision names the photo of the inspection it corrects.
    assert put_defect(world.inspector, revision.json(), copy["id"], version=copy["version"], note="Checked",
                      photo_ids=[uploaded, pending]).status_code == 200
    assert put_defect(world.inspector, revision.json(), photo_ids=[uploaded]).status_code == 201
    # The phone still uploads the photo its first record named, for the inspection it was taken for.
    assert upload(world.inspector, mine, pending).status_code == 201

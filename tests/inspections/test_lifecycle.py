"""The life of an inspection (api/inspections/lifecycle.py), as explicit tables of the business rules.

Every (status, action), (status, record) and (status, review decision) pair is listed here with the answer the
business expects, so a change to lifecycle.py that moves any of them fails one readable row.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from api.inspections.lifecycle import (
    TRANSITIONS,
    WRITABLE,
    Action,
    Record,
    Status,
    is_open,
    may_review,
    may_write,
    next_status,
)

S, A, R = Status, Action, Record
ROOT = Path(__file__).resolve().parents[2]

# --- moves between statuses -------------------------------------------------------------------------------

# status, action, the status it leads to (None: refused now)
MOVES = [
    # Booked: the inspector may start it, submit it straight away, or it is called off.
    (S.scheduled, A.start, S.in_progress),
    (S.scheduled, A.submit, S.submitted),
    (S.scheduled, A.review, None),
    (S.scheduled, A.abort, S.aborted),
    # Started: submitted or called off; it cannot start twice.
    (S.in_progress, A.start, None),
    (S.in_progress, A.submit, S.submitted),
    (S.in_progress, A.review, None),
    (S.in_progress, A.abort, S.aborted),
    # Submitted: only the supervisor's review.
    (S.submitted, A.start, None),
    (S.submitted, A.submit, None),
    (S.submitted, A.review, S.reviewed),
    (S.submitted, A.abort, None),
    # Reviewed: only a review again (may_review says when: a lot on hold).
    (S.reviewed, A.start, None),
    (S.reviewed, A.submit, None),
    (S.reviewed, A.review, S.reviewed),
    (S.reviewed, A.abort, None),
    # Aborted: final.
    (S.aborted, A.start, None),
    (S.aborted, A.submit, None),
    (S.aborted, A.review, None),
    (S.aborted, A.abort, None),
]


def _move_id(status: Status, action: Action, expected: Status | None) -> str:
    return f"{status}-{action}->{expected or 'refused'}"


@pytest.mark.parametrize(("status", "action", "expected"),
                         [pytest.param(*row, id=_move_id(*row)) for row in MOVES])
def test_next_status(status, action, expected):
    assert next_status(status, action) == expected
    # Statuses come out of the database as plain strings.
    assert next_status(str(status), action) == expected


def test_the_moves_table_lists_every_pair_once():
    assert [(s, a) for s, a, _ in MOVES] == list(itertools.product(Status, Action))


def test_transitions_hold_exactly_the_allowed_moves():
    allowed = {(s, a): to for s, a, to in MOVES if to is not None}
    assert {(s, a): to for s, moves in TRANSITIONS.items() for a, to in moves.items()} == allowed
    assert set(TRANSITIONS) == set(Status)


# --- what may be written in each status -------------------------------------------------------------------

COLUMNS = (R.settings, R.finding, R.photo, R.referenced_photo, R.signature, R.follow_up_close)
# Findings, photos and the inspection's settings only while open; after submission only the upload of a photo
# a record already names, signatures and follow-up closes; nothing once aborted.
WRITES = {
    #             settings finding photo  referenced_photo signature follow_up_close
    S.scheduled:   (True,  True,   True,  True,            True,     True),
    S.in_progress: (True,  True,   True,  True,            True,     True),
    S.submitted:   (False, False,  False, True,            True,     True),
    S.reviewed:    (False, False,  False, True,            True,     True),
    S.aborted:     (False, False,  False, False,           False,    False),
}
WRITE_ROWS = [(status, record, allowed)
              for status, row in WRITES.items() for record, allowed in zip(COLUMNS, row, strict=True)]


@pytest.mark.parametrize(("status", "record", "allowed"), [
    pytest.param(*row, id=f"{row[0]}-{row[1]}-{'writable' if row[2] else 'frozen'}") for row in WRITE_ROWS])
def test_may_write(status, record, allowed):
    assert may_write(status, record) is allowed
    assert may_write(str(status), record) is allowed


def test_the_writes_table_lists_every_pair_once():
    assert set(COLUMNS) == set(Record) and len(COLUMNS) == len(Record)
    assert set(WRITES) == set(Status)


def test_writable_holds_exactly_the_allowed_records():
    assert WRITABLE == {status: frozenset(r for s, r, ok in WRITE_ROWS if s == status and ok) for status in Status}


# --- reviews ----------------------------------------------------------------------------------------------

DECISIONS = ("accepted", "rejected", "on_hold", "accepted_with_concession", None)
# A submitted inspection is reviewed (once); a reviewed one only again when the lot was put on hold.
REVIEWS = {
    #             accepted rejected on_hold accepted_with_concession none
    S.scheduled:   (False, False,   False,  False,                   False),
    S.in_progress: (False, False,   False,  False,                   False),
    S.submitted:   (True,  True,    True,   True,                    True),
    S.reviewed:    (False, False,   True,   False,                   False),
    S.aborted:     (False, False,   False,  False,                   False),
}


@pytest.mark.parametrize(("status", "decision", "allowed"), [
    pytest.param(status, decision, allowed, id=f"{status}-{decision or 'no_decision'}-{'yes' if allowed else 'no'}")
    for status, row in REVIEWS.items() for decision, allowed in zip(DECISIONS, row, strict=True)])
def test_may_review(status, decision, allowed):
    assert may_review(status, decision) is allowed
    assert may_review(str(status), decision) is allowed


def test_the_reviews_table_lists_every_status():
    assert set(REVIEWS) == set(Status)


# --- open or not ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "open_"), [
    pytest.param(S.scheduled, True, id="scheduled-open"),
    pytest.param(S.in_progress, True, id="in_progress-open"),
    pytest.param(S.submitted, False, id="submitted-closed"),
    pytest.param(S.reviewed, False, id="reviewed-closed"),
    pytest.param(S.aborted, False, id="aborted-closed"),
])
def test_is_open(status, open_):
    assert is_open(status) is open_
    assert is_open(str(status)) is open_


def test_open_statuses_are_the_ones_findings_are_written_in():
    assert {s for s in Status if is_open(s)} == {s for s in Status if may_write(s, R.finding)}


# --- purity -----------------------------------------------------------------------------------------------

def test_lifecycle_is_pure():
    """No web framework and no database: services and the phone's rules can share it."""
    code = (
        "import sys, api.inspections.lifecycle; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('litestar', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"

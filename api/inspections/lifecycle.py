"""The life of an inspection: its statuses, the moves between them, and what is frozen when.

Pure: no database, no HTTP. Services ask here before they change a status or write a record.
"""

from __future__ import annotations

import enum
from typing import Literal


class Status(enum.StrEnum):
    scheduled = "scheduled"  # booked: the assignment is ready to download
    in_progress = "in_progress"  # the inspector started recording
    submitted = "submitted"  # findings are frozen; awaiting the supervisor's review
    reviewed = "reviewed"  # the supervisor decided (a lot on hold may be reviewed again)
    aborted = "aborted"  # called off with a reason; nothing more is recorded


# The statuses as a schema type (msgspec and OpenAPI), and the ones a phone may set by itself.
StatusName = Literal["scheduled", "in_progress", "submitted", "reviewed", "aborted"]
SettableStatus = Literal["scheduled", "in_progress"]


class Action(enum.StrEnum):
    start = "start"
    submit = "submit"
    review = "review"
    abort = "abort"


class Record(enum.StrEnum):
    """What can be written on an inspection."""

    settings = "settings"  # the inspection's own editable fields: lot size, sampling, notes, progress
    finding = "finding"  # defects, measurements, checklist answers, scans
    photo = "photo"  # new photos, annotations, withdrawals
    referenced_photo = "referenced_photo"  # the upload of a photo that a frozen record already names
    signature = "signature"
    follow_up_close = "follow_up_close"


OPEN = frozenset({Status.scheduled, Status.in_progress})
# Review decisions that let a pre-shipment lot ship.
SHIPPABLE = frozenset({"accepted", "accepted_with_concession"})
DONE = frozenset({Status.submitted, Status.reviewed})

# status → action → the status it leads to
TRANSITIONS: dict[Status, dict[Action, Status]] = {
    Status.scheduled: {Action.start: Status.in_progress, Action.submit: Status.submitted,
                       Action.abort: Status.aborted},
    Status.in_progress: {Action.submit: Status.submitted, Action.abort: Status.aborted},
    Status.submitted: {Action.review: Status.reviewed},
    # Only a lot put on hold is reviewed again; review_again() says which.
    Status.reviewed: {Action.review: Status.reviewed},
    Status.aborted: {},
}

# What may still be written in each status. Findings freeze at submission: a correction is a revision.
WRITABLE: dict[Status, frozenset[Record]] = {
    Status.scheduled: frozenset(Record),
    Status.in_progress: frozenset(Record),
    Status.submitted: frozenset({Record.referenced_photo, Record.signature, Record.follow_up_close}),
    Status.reviewed: frozenset({Record.referenced_photo, Record.signature, Record.follow_up_close}),
    Status.aborted: frozenset(),
}


def next_status(status: str, action: Action) -> Status | None:
    """The status an action leads to, or None when it is not allowed now."""
    return TRANSITIONS[Status(status)].get(action)


def may_write(status: str, record: Record) -> bool:
    return record in WRITABLE[Status(status)]


def may_review(status: str, decision: str | None) -> bool:
    """A submitted inspection is reviewed once; one put on hold is reviewed again when the facts are in."""
    if next_status(status, Action.review) is None:
        return False
    return Status(status) == Status.submitted or decision == "on_hold"


def is_open(status: str) -> bool:
    return Status(status) in OPEN

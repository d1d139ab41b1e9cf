"""A phone's outbox in one request: `POST /api/sync/push` applies up to 500 operations in order.

Each operation is what one request to its own route would have been: `kind` names the route, `key` holds that
route's path parameters (by their names in the route), `body` is that route's JSON body, decoded with the same
Struct, and `base_version` is the version the edit was based on. Every operation goes to the SAME service
method its route calls, so every rule (access, frozen inspections, the sync protocol's replay / versioned edit
/ 409 with `current`) is the route's own; this module only decodes, dispatches and reports.

Each operation runs in a savepoint of the request's one transaction, which commits once at the end. An
operation that fails is rolled back alone and answered with the problem+json body a single request would have
had; the others stay applied. See `PUSH_RULES` for the rules a client relies on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.barcodes.services import ScanService
# The app's one mapping of errors to problem+json (api/errors.py): an operation's problem is the body a single
# request would have had.
from api.errors import DomainError, TooLarge, problem_body
from api.inspections.findings import FindingService, SpecSheetService
from api.inspections.models import ChecklistAnswer, Defect, Inspection, Measurement, SpecSheet
from api.inspections.schemas import (
    AbortIn, BookingIn, ChecklistAnswerPut, DefectPut, FollowUpClose, InspectionPut, MeasurementPut, ScanIn,
    SignatureIn, SpecSheetPut, SubmitIn, answer_out, booking_out, defect_out, measurement_out, scan_out,
    signature_out, spec_sheet_out,
)
from api.inspections.services import BookingService, InspectionService
from api.media.models import Photo
from api.media.schemas import AnnotationsPut, WithdrawIn
from api.media.services import PhotoService
from api.media.storage import Storage
from api.schemas import Input, Output, changes
from api.settings import Settings

MAX_OPERATIONS = 500
# The push route's body limit, as a multiple of the JSON limit of a single request (settings.max_body_bytes,
# 1 MB by default, so 8 MB). A finding is 0.2-1 kB of JSON, so 500 ordinary operations stay under 0.5 MB; the
# large ones are signatures (up to 400 kB of base64) and 4,000-character notes. 8 MB holds 500 operations of
# 16 kB on average, a batch with several signatures in it. A bigger push answers 413: split it.
PUSH_BODY_FACTOR = 8


# --- the request and the response --------------------------------------------------------------------------


class Operation(Input):
    """One request of the outbox. `key` and `body` are checked per operation, against the kind's route."""

    kind: str
    key: dict[str, Any]  # the route's path parameters by name, e.g. {"inspection_id": …, "defect_id": …}
    base_version: Annotated[int, msgspec.Meta(ge=0)] | None = None
    body: dict[str, Any] | None = None


class PushIn(Input):
    operations: Annotated[list[Operation], msgspec.Meta(
        description=f"At most {MAX_OPERATIONS}, applied in this order (more answers 413).")]


class OperationResult(Output, omit_defaults=True):
    index: int  # the operation's place in the request
    kind: str
    status: int  # 201 created, 200 replay / edit / action, 204 deleted, or the problem's status
    body: Any = None  # the record as its own route answers it (none for a delete)
    problem: dict[str, Any] | None = None  # the problem+json body a single request would have had
    superseded_by: int | None = None  # see PUSH_RULES: a later operation of this push holds this one's content


class PushOut(Output):
    results: list[OperationResult]
    # Operations that met an unexpected server error (500, 503). Each was rolled back alone; send them again.
    server_errors: int = 0


# --- keys: each route's path parameters -----------------------------------------------------------------------


class OrderKey(Input):
    order_id: UUID


class InspectionKey(Input):
    inspection_id: UUID


class DefectKey(Input):
    inspection_id: UUID
    defect_id: UUID


class MeasurementKey(Input):
    inspection_id: UUID
    measurement_id: UUID


class AnswerKey(Input):
    inspection_id: UUID
    answer_id: UUID


class PhotoKey(Input):
    photo_id: UUID


# --- the kinds: each dispatches to the service method its route calls ----------------------------------------

Answer = tuple[int, Any]  # status, body


def made(body: Any, is_new: bool) -> Answer:
    return (201 if is_new else 200), body


async def _booking(push: PushService, key: OrderKey, body: BookingIn, _: int | None) -> Answer:
    inspection, is_new = await push.bookings.book(key.order_id, body.id, body.type, body.assignee_id,
                                                  body.scheduled_for)
    return made(booking_out(inspection), is_new)


async def _inspection(push: PushService, key: InspectionKey, body: InspectionPut, _: int | None) -> Answer:
    inspection, is_new = await push.inspections.put(key.inspection_id, changes(body))
    return made(await push.inspection_out(inspection.id), is_new)


async def _start(push: PushService, key: InspectionKey, _body: None, base_version: int | None) -> Answer:
    inspection = await push.inspections.start(key.inspection_id, base_version)
    return 200, await push.inspection_out(inspection.id)


async def _submit(push: PushService, key: InspectionKey, body: SubmitIn, _: int | None) -> Answer:
    missing = {m.carton_number: m.reason for m in body.missing_cartons}
    inspection = await push.inspections.submit(key.inspection_id, body.version, missing)
    return 200, await push.inspection_out(inspection.id)


async def _abort(push: PushService, key: InspectionKey, body: AbortIn, _: int | None) -> Answer:
    inspection = await push.inspections.abort(key.inspection_id, body.reason)
    return 200, await push.inspection_out(inspection.id)


async def _signature(push: PushService, key: InspectionKey, body: SignatureIn, _: int | None) -> Answer:
    signature, is_new = await push.inspections.sign(key.inspection_id, body.role, body.name, body.image_png)
    return made(signature_out(signature), is_new)


async def _scan(push: PushService, key: InspectionKey, body: ScanIn, _: int | None) -> Answer:
    scan, is_new = await push.scans.record(key.inspection_id, body.id, body.text)
    return made(scan_out(scan), is_new)


async def _defect(push: PushService, key: DefectKey, body: DefectPut, _: int | None) -> Answer:
    defect, is_new = await push.findings.put_defect(key.inspection_id, key.defect_id, changes(body))
    return made(defect_out(defect), is_new)


async def _defect_delete(push: PushService, key: DefectKey, _body: None, _: int | None) -> Answer:
    await push.findings.delete(Defect, key.inspection_id, key.defect_id)
    return 204, None


async def _follow_up_close(push: PushService, key: DefectKey, body: FollowUpClose, _: int | None) -> Answer:
    defect = await push.findings.close_follow_up(key.inspection_id, key.defect_id, body.note, body.photo_ids)
    return 200, defect_out(defect)


async def _measurement(push: PushService, key: MeasurementKey, body: MeasurementPut, _: int | None) -> Answer:
    record, is_new = await push.findings.put_measurement(key.inspection_id, key.measurement_id, changes(body))
    return made(measurement_out(record), is_new)


async def _measurement_delete(push: PushService, key: MeasurementKey, _body: None, _: int | None) -> Answer:
    await push.findings.delete(Measurement, key.inspection_id, key.measurement_id)
    return 204, None


async def _answer(push: PushService, key: AnswerKey, body: ChecklistAnswerPut, _: int | None) -> Answer:
    record, is_new = await push.findings.put_answer(key.inspection_id, key.answer_id, changes(body))
    return made(answer_out(record), is_new)


async def _answer_delete(push: PushService, key: AnswerKey, _body: None, _: int | None) -> Answer:
    await push.findings.delete(ChecklistAnswer, key.inspection_id, key.answer_id)
    return 204, None


async def _spec_sheet(push: PushService, key: OrderKey, body: SpecSheetPut, _: int | None) -> Answer:
    values = changes(body)
    values["points"] = [changes(p) for p in body.points]
    sheet, is_new = await push.spec_sheets.put(key.order_id, values)
    return made(spec_sheet_out(sheet), is_new)


async def _annotations(push: PushService, key: PhotoKey, body: AnnotationsPut, _: int | None) -> Answer:
    return 200, push.photos.out(await push.photos.annotate(key.photo_id, body.shapes, body.version))


async def _photo_withdraw(push: PushService, key: PhotoKey, body: WithdrawIn, _: int | None) -> Answer:
    return 200, push.photos.out(await push.photos.withdraw(key.photo_id, body.reason))


@dataclass(frozen=True)
class Kind:
    name: str
    route: str  # the single request this operation stands for
    key: type[Input]
    body: type[Input] | None  # None: the route takes no body
    run: Callable[[PushService, Any, Any, int | None], Awaitable[Answer]]
    # Where base_version goes: "body" (the body's `version`), "argument" (the action's version) or None (the
    # route takes no version: a base_version is refused).
    version: str | None = None
    # The record it writes as a whole, (name, key field), for supersession (PUSH_RULES); None: not tracked.
    record: tuple[str, str] | None = None


_IID = "/api/inspections/{inspection_id}"
KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind("booking", "POST /api/orders/{order_id}/inspections", OrderKey, BookingIn, _booking),
    Kind("inspection", f"PUT {_IID}", InspectionKey, InspectionPut, _inspection, "body",
         ("inspection", "inspection_id")),
    Kind("inspection.start", f"(no route of its own: a PUT {_IID} with status in_progress does it too)",
         InspectionKey, None, _start, "argument"),
    Kind("inspection.submit", f"POST {_IID}/submit", InspectionKey, SubmitIn, _submit, "body"),
    Kind("inspection.abort", f"POST {_IID}/abort", InspectionKey, AbortIn, _abort),
    Kind("signature", f"POST {_IID}/signatures", InspectionKey, SignatureIn, _signature),
    Kind("scan", f"POST {_IID}/scans (JSON only: a label photo goes to its route)", InspectionKey, ScanIn, _scan),
    Kind("defect", f"PUT {_IID}/defects/{{defect_id}}", DefectKey, DefectPut, _defect, "body",
         ("defect", "defect_id")),
    Kind("defect.delete", f"DELETE {_IID}/defects/{{defect_id}}", DefectKey, None, _defect_delete,
         record=("defect", "defect_id")),
    Kind("follow_up.close", f"POST {_IID}/defects/{{defect_id}}/close", DefectKey, FollowUpClose, _follow_up_close),
    Kind("measurement", f"PUT {_IID}/measurements/{{measurement_id}}", MeasurementKey, MeasurementPut, _measurement,
         "body", ("measurement", "measurement_id")),
    Kind("measurement.delete", f"DELETE {_IID}/measurements/{{measurement_id}}", MeasurementKey, None,
         _measurement_delete, record=("measurement", "measurement_id")),
    Kind("checklist_answer", f"PUT {_IID}/checklist/{{answer_id}}", AnswerKey, ChecklistAnswerPut, _answer, "body",
         ("checklist_answer", "answer_id")),
    Kind("checklist_answer.delete", f"DELETE {_IID}/checklist/{{answer_id}}", AnswerKey, None, _answer_delete,
         record=("checklist_answer", "answer_id")),
    Kind("spec_sheet", "PUT /api/orders/{order_id}/spec-sheet", OrderKey, SpecSheetPut, _spec_sheet, "body",
         ("spec_sheet", "order_id")),
    Kind("annotations", "PUT /api/photos/{photo_id}/annotations", PhotoKey, AnnotationsPut, _annotations, "body",
         ("annotations", "photo_id")),
    Kind("photo.withdraw", "POST /api/photos/{photo_id}/withdraw", PhotoKey, WithdrawIn, _photo_withdraw),
]}

# Each tracked record's row: its key column, its version, and its tombstone (if it has one).
RECORDS: dict[str, tuple[Any, Any, Any]] = {
    "inspection": (Inspection.id, Inspection.version, None),
    "defect": (Defect.id, Defect.version, Defect.deleted_at),
    "measurement": (Measurement.id, Measurement.version, Measurement.deleted_at),
    "checklist_answer": (ChecklistAnswer.id, ChecklistAnswer.version, ChecklistAnswer.deleted_at),
    "spec_sheet": (SpecSheet.order_id, SpecSheet.version, None),
    "annotations": (Photo.id, Photo.annotations_version, None),
}

PUSH_RULES = """\
Rules:

* **key**: the path parameters of the kind's route, named as in that route. **body**: that route's JSON body
  (the same schema; none for a delete or a start). A key or body that does not fit is that operation's 400,
  naming the field, as the route would answer.
* **base_version**: the version the operation was based on. For kinds whose body carries a `version` it is
  that `version`: leave `version` out of the body, or send the same number (a different one is that
  operation's 400). For `inspection.start` it is the inspection's version (left out: the current one). Other
  kinds take none (a base_version is that operation's 400): deletes, like their routes, apply to the current
  record.
* Operations run in order, each in its own savepoint of one transaction that commits once at the end. A
  failed operation is rolled back alone and answered with the problem+json body (`problem`) a single request
  would have had (404, 409 with `current`, 422 …); the others stay applied. An unexpected server error in one
  operation is that operation's 500 (or 503), counted in `server_errors`, and the rest still run; only if the
  database cannot undo that one operation does the whole push fail, with nothing saved.
* Sending the same push again changes nothing and answers each operation as before, 200 in place of 201. An
  edit or a create that a later operation of the same push on the same record supersedes (a later edit that
  sends every field this one sent, or a delete) no longer matches the stored record: when that later operation
  is answered as a replay and nothing else changed the record in between, the superseded one is answered 200
  with the stored record and `superseded_by` (the later operation's index), not 409.
* Photos are never pushed: upload each with `PUT /api/photos/{photo_id}`. More than 500 operations answer 413.
"""


def kinds_table() -> str:
    rows = [f"| `{k.name}` | {', '.join(f'`{f}`' for f in k.key.__struct_fields__)} | "
            f"{f'`{k.body.__name__}`' if k.body else '—'} | {'`base_version`' if k.version else '—'} | {k.route} |"
            for k in KINDS.values()]
    return "\n".join(["| kind | key | body | base_version | the request it stands for |",
                      "| --- | --- | --- | --- | --- |", *rows])


DESCRIPTION = (f"Applies up to {MAX_OPERATIONS} operations of a phone's outbox in order, each through the same "
               f"service as its own route, and answers one result per operation.\n\n{kinds_table()}\n\n{PUSH_RULES}")


# --- errors of one operation ----------------------------------------------------------------------------------


_AT = re.compile(r"`\$\.(.+)`$")


def invalid(exc: msgspec.ValidationError, source: str) -> ValidationException:
    """A key or body that does not fit, worded as Litestar words a route's invalid body."""
    text = str(exc)
    match = _AT.search(text)
    if source == "body":  # Litestar names a body's field by itself, and the whole body "data"
        key = match.group(1) if match else "data"
    else:
        key = f"key.{match.group(1)}" if match else "key"
    return ValidationException("Validation failed", extra=[{"message": text.split(" - ", 1)[0], "key": key,
                                                            "source": source}])


def unknown_kind(name: str) -> DomainError:
    hint, hint_zh = "", ""
    if name.startswith("photo"):
        hint = " Photos are not pushed: upload each with PUT /api/photos/{photo_id}."
        hint_zh = "照片不能批量推送，请逐张上传。"
    return DomainError(f"Unknown operation kind {name!r}.{hint} The kinds: {', '.join(KINDS)}.",
                       detail_zh=f"未知的操作类型 {name!r}。{hint_zh}", field="kind", kinds=list(KINDS))


@dataclass
class Prepared:
    kind: Kind
    key: Any
    body: Any
    base_version: int | None
    record: tuple[str, UUID] | None  # the record it writes as a whole, for supersession
    fields: frozenset[str] | None  # the fields it writes; None: all of them (a delete)


def prepare(op: Operation) -> Prepared | Exception:
    """Decode one operation with its route's Structs, or the error that is its answer. No database."""
    kind = KINDS.get(op.kind)
    if kind is None:
        return unknown_kind(op.kind)
    try:
        key = msgspec.convert(op.key, kind.key, strict=False, str_keys=True)
    except msgspec.ValidationError as exc:
        return invalid(exc, "key")
    if op.base_version is not None and kind.version is None:
        return DomainError(f"A {kind.name} operation takes no base_version: its route takes no version.",
                           detail_zh="此类操作不带版本号（base_version）。", field="base_version")
    body: Any = op.body
    if kind.body is None:
        if body:
            return DomainError(f"A {kind.name} operation takes no body.", detail_zh="此类操作不带请求体（body）。",
                               field="body")
        decoded = None
    else:
        if kind.version == "body" and op.base_version is not None and isinstance(body, dict) \
                and "version" not in body:
            body = {**body, "version": op.base_version}
        try:
            # As Litestar converts a route's JSON body (not strict: "3" is a count of 3).
            decoded = msgspec.convert(body, kind.body, strict=False, str_keys=True)
        except msgspec.ValidationError as exc:
            return invalid(exc, "body")
        if kind.version == "body" and op.base_version is not None and decoded.version != op.base_version:
            return DomainError(f"base_version {op.base_version} and the body's version {decoded.version} differ: "
                               "send one of them, or the same number in both.",
                               detail_zh="base_version 与请求体中的 version 不一致。", field="base_version")
    record = (kind.record[0], getattr(key, kind.record[1])) if kind.record else None
    fields = None
    if decoded is not None:
        fields = frozenset(changes(decoded)) - {"version"}
    return Prepared(kind, key, decoded, op.base_version, record, fields)


def covers(later: Prepared, earlier: Prepared) -> bool:
    """Whether `later` writes everything `earlier` wrote (a delete covers everything)."""
    if later.fields is None:
        return True
    return earlier.fields is not None and earlier.fields <= later.fields


# --- the service ----------------------------------------------------------------------------------------------


class PushService:
    """Dispatches each operation to the service its route uses, in a savepoint of the request's transaction."""

    def __init__(self, session: AsyncSession, user: User, storage: Storage, settings: Settings) -> None:
        self.session = session
        self.user = user
        self.inspections = InspectionService(session, user)
        self.findings = FindingService(session, user)
        self.bookings = BookingService(session, user)
        self.spec_sheets = SpecSheetService(session, user)
        self.scans = ScanService(session, user)
        self.photos = PhotoService(session, user, storage, settings)

    async def inspection_out(self, inspection_id: UUID) -> Any:
        return await self.inspections.out(*await self.inspections.load(inspection_id))

    async def push(self, operations: list[Operation]) -> PushOut:
        if len(operations) > MAX_OPERATIONS:
            raise TooLarge(f"A push holds at most {MAX_OPERATIONS} operations; this one has {len(operations)}. "
                           "Send the rest in another push.",
                           detail_zh=f"一次推送最多 {MAX_OPERATIONS} 个操作（本次 {len(operations)} 个），"
                                     "其余请分批推送。",
                           max_operations=MAX_OPERATIONS)
        prepared = [prepare(op) for op in operations]
        per_record = Counter(p.record for p in prepared if isinstance(p, Prepared) and p.record)
        results: list[OperationResult] = []
        before: dict[int, Any] = {}
        after: dict[int, Any] = {}
        for index, (op, p) in enumerate(zip(operations, prepared, strict=True)):
            if not isinstance(p, Prepared):
                results.append(failed(index, op.kind, p))
                continue
            tracked = p.record is not None and per_record[p.record] > 1
            if tracked:
                before[index] = await self._state(p.record)
            results.append(await self._run(index, p))
            if tracked:
                after[index] = await self._state(p.record)
        supersede(prepared, results, before, after)
        return PushOut(results=results, server_errors=sum(r.status >= 500 for r in results))

    async def _run(self, index: int, p: Prepared) -> OperationResult:
        """One operation in its own savepoint: kept when it succeeds, rolled back alone when it fails.

        If the savepoint cannot be rolled back (the connection is gone), that error ends the whole push: the
        request's transaction rolls back and nothing is saved.
        """
        savepoint = await self.session.begin_nested()
        try:
            try:
                status, body = await p.kind.run(self, p.key, p.body, p.base_version)
                await self.session.flush()  # a failing write fails here, inside its operation
            except Exception as exc:  # noqa: BLE001 - every error is this operation's answer
                if isinstance(exc, DomainError) and exc.keep_changes:
                    await savepoint.commit()  # as a single request commits them
                else:
                    await savepoint.rollback()
                return failed(index, p.kind.name, exc)
            await savepoint.commit()
            return OperationResult(index=index, kind=p.kind.name, status=status, body=body)
        finally:
            # The next operation reads afresh, as a request of its own would: nothing stale (a rolled-back
            # version, a row another request changed meanwhile) carries over, and memory stays flat.
            self.session.expunge_all()

    async def _state(self, record: tuple[str, UUID] | None) -> tuple[int, bool] | None:
        """A tracked record's version and whether it is a tombstone (None: no such row)."""
        assert record is not None
        key, version, deleted_at = RECORDS[record[0]]
        columns = [version] if deleted_at is None else [version, deleted_at]
        row = (await self.session.execute(select(*columns).where(key == record[1]))).first()
        if row is None:
            return None
        return row[0], len(row) > 1 and row[1] is not None


def failed(index: int, kind: str, exc: Exception) -> OperationResult:
    problem = problem_body(exc)
    return OperationResult(index=index, kind=kind, status=problem["status"], problem=problem)


def supersede(prepared: list[Prepared | Exception], results: list[OperationResult], before: dict[int, Any],
              after: dict[int, Any]) -> None:
    """A 409 on an operation that a later one of this push supersedes, answered as a replay (see PUSH_RULES).

    Later operation j supersedes operation i when both write the same record, j writes every field i wrote
    (or deletes it), j succeeded, and the record is as it was before i ran (version and tombstone): nothing,
    neither i, j nor anything between them, changed it, so j was a replay and the record holds j's content.
    """
    for i, result in enumerate(results):
        earlier = prepared[i]
        if result.status != 409 or before.get(i) is None or not isinstance(earlier, Prepared):
            continue
        for j in range(i + 1, len(results)):
            later = prepared[j]
            if (not isinstance(later, Prepared) or later.record != earlier.record
                    or not 200 <= results[j].status < 300 or after.get(j) != before[i] or not covers(later, earlier)):
                continue
            body = results[j].body if results[j].body is not None else (result.problem or {}).get("current")
            results[i] = OperationResult(index=i, kind=result.kind, status=200, body=body, superseded_by=j)
            break

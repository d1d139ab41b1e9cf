from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from api.inspections.lifecycle import SettableStatus
from api.orders.schemas import CartonItemOut, OrderOut
from api.schemas import INT32_MAX, Input, Output, text

InspectionType = Literal["pre_production", "in_process", "pre_shipment", "container_loading"]
Severity = Literal["critical", "major", "minor"]
Stage = Literal["cutting", "sewing", "finishing", "packing"]
Decision = Literal["accepted", "rejected", "on_hold", "accepted_with_concession"]
# Every string is bounded by its column (or its JSON document's own limit) and refuses NUL, which PostgreSQL
# cannot store: both databases give the same 400 naming the field.
Note = text(4000)  # Text columns
Short = text(200)  # String(200)
Key = text(40, min_length=1)  # String(40): sample units, sizes, points, checklist item keys
Code = text(200, min_length=1)  # a scanned or typed barcode: String(200)
PhotoIds = Annotated[list[UUID], msgspec.Meta(max_length=50)]
# A record version: PostgreSQL keeps it in a 32-bit integer, so larger numbers are refused here, on every database.
Version = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]
# A carton number on a packing list; far above any real shipment, far below any integer column's limit.
CartonNumber = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
# As typed; canonicalised before it is stored (String(4) for the level, String(8) for an AQL), and every
# canonical value fits: "2.50000" is stored as "2.5".
AqlText = text(8)
# The largest lot (and count of units inspected) an inspection takes: far below the Integer column's limit.
LOT_SIZE_MAX = 100_000_000
# A number as typed on a spec sheet or a checklist ("15 3/8", "12.5").
NumberText = text(40, min_length=1)


class BookingIn(Input):
    id: UUID  # made by the client, so a retried booking is a replay, not a second inspection
    type: InspectionType
    assignee_id: UUID
    scheduled_for: date | None = None
    # A re-inspection: the inspection of this order, rejected on review, whose reworked lot this one inspects.
    reinspection_of_id: UUID | None = None


class BookingOut(Output):
    id: UUID
    order_id: UUID
    type: str
    status: str
    assignee_id: UUID | None
    scheduled_for: date | None
    version: int
    created_at: datetime
    # What came of it, for the order's list of inspections.
    verdict: str | None = None
    review_decision: str | None = None
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    superseded_by_id: UUID | None = None
    reinspection_of_id: UUID | None = None


class InspectionPut(Input):
    """The inspection's editable state; `version` is the one this edit was based on (0: new).

    A field left out keeps its value (a new inspection takes the default); an explicit null clears it.
    """

    order_id: UUID
    type: InspectionType
    version: Version = 0
    status: SettableStatus | UnsetType = UNSET
    assignee_id: UUID | None | UnsetType = UNSET
    scheduled_for: date | None | UnsetType = UNSET
    lot_size: Annotated[int, msgspec.Meta(ge=1, le=LOT_SIZE_MAX)] | None | UnsetType = UNSET
    aql_level: AqlText | None | UnsetType = UNSET  # null: the order's, else the customer's, else level II
    aql_critical: AqlText | None | UnsetType = UNSET
    aql_major: AqlText | None | UnsetType = UNSET
    aql_minor: AqlText | None | UnsetType = UNSET
    units_inspected: Annotated[int, msgspec.Meta(ge=0, le=LOT_SIZE_MAX)] | UnsetType = UNSET
    production_stage: Stage | None | UnsetType = UNSET
    percent_complete: Annotated[int, msgspec.Meta(ge=0, le=100)] | None | UnsetType = UNSET
    notes: Note | UnsetType = UNSET
    checklist_template_id: UUID | None | UnsetType = UNSET


class PlanOut(Output):
    code_letter: str
    sample_size: int
    accept: int
    reject: int
    full_inspection: bool


class PickedCartonOut(Output):
    carton_id: UUID
    number: int
    barcode: str
    reason: str
    scanned: bool
    missing_reason: str
    items: list[CartonItemOut]


class DefectPut(Input):
    """A defect; a field left out keeps its value (a new defect takes the default)."""

    code: text(20, min_length=1)
    severity: Severity
    version: Version = 0
    count: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | UnsetType = UNSET
    sample_unit: text(40) | UnsetType = UNSET
    carton_number: CartonNumber | None | UnsetType = UNSET
    location: Short | UnsetType = UNSET
    note: Note | UnsetType = UNSET
    photo_ids: PhotoIds | UnsetType = UNSET
    follow_up: bool | UnsetType = UNSET
    follow_up_owner_id: UUID | None | UnsetType = UNSET
    follow_up_due: date | None | UnsetType = UNSET


class DefectOut(Output):
    id: UUID
    version: int
    code: str
    severity: str
    count: int
    sample_unit: str
    carton_number: int | None
    location: str
    note: str
    photo_ids: list[str]
    follow_up: bool
    follow_up_owner_id: UUID | None
    follow_up_due: date | None
    closed_at: datetime | None
    closed_note: str
    closed_photo_ids: list[str]
    created_at: datetime
    updated_at: datetime


class MeasurementPut(Input):
    sample_unit: Key
    size: Key
    point: Key
    reading: Key
    version: Version = 0
    note: Note | UnsetType = UNSET
    photo_ids: PhotoIds | UnsetType = UNSET


class MeasurementOut(Output):
    id: UUID
    version: int
    sample_unit: str
    size: str
    point: str
    reading: str
    value: str
    unit: str
    spec: str
    deviation: str
    within: bool
    note: str
    photo_ids: list[str]


class ChecklistAnswerPut(Input):
    item_key: Key
    result: Literal["pass", "fail", "na"]
    version: Version = 0
    value: text(24) | None | UnsetType = UNSET
    note: Note | UnsetType = UNSET
    photo_ids: PhotoIds | UnsetType = UNSET


class ChecklistAnswerOut(Output):
    id: UUID
    version: int
    item_key: str
    result: str
    value: str | None
    severity: str | None
    note: str
    photo_ids: list[str]


class ChecklistItem(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    label: Short
    label_zh: Short
    kind: Literal["check", "value"] = "check"
    limit: text(24) | None = None  # a plain number; checked when saved
    unit: text(40) | None = None
    fail_severity: Severity = "major"


class ChecklistTemplateIn(Input):
    name: Short
    name_zh: Short
    items: Annotated[list[ChecklistItem], msgspec.Meta(min_length=1, max_length=100)]
    # The version edited; 0: create only (409 if it exists); left out: the current one.
    version: Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)] | UnsetType = UNSET


class ChecklistTemplateOut(Output):
    id: UUID
    code: str
    name: str
    name_zh: str
    items: list[ChecklistItem]
    version: int


class SpecPoint(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Key
    name: Short
    name_zh: Short = ""
    tol_minus: NumberText
    tol_plus: NumberText | None = None  # null: the same as tol_minus
    specs: Annotated[dict[Key, NumberText],
                     msgspec.Meta(max_length=200)]  # size → spec value, as typed ("15 3/8" in inch sheets)


class SpecSheetPut(Input):
    points: Annotated[list[SpecPoint], msgspec.Meta(max_length=200)]
    version: Version = 0
    unit: Literal["cm", "inch"] = "cm"
    defect_severity: Severity = "major"


class SpecSheetOut(Output):
    order_id: UUID
    version: int
    unit: str
    defect_severity: str
    points: list[SpecPoint]


class DefectCodeIn(Input):
    category: text(30, min_length=1)
    name_en: Short
    name_zh: Short
    default_severity: Severity
    active: bool = True
    # The version edited; 0: create only (409 if it exists); left out: the current one.
    version: Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)] | UnsetType = UNSET


class DefectCodeOut(Output):
    code: str
    category: str
    name_en: str
    name_zh: str
    default_severity: str
    active: bool
    version: int = 1


class ScanIn(Input):
    id: UUID
    text: Code


SCAN_VERDICTS = """Every scan answers 201 (200 for a replay of the same scan id), whatever the verdict: read `verdict`.

* `ok`: a picked carton, scanned for the first time (open it), or a unit that belongs to this order (and, when a \
carton is open, to that carton). Go on.
* `already_scanned`: this picked carton was scanned before. Nothing to do; do not count it twice.
* `not_selected`: a carton of this order that was not picked. Put it back and open a picked carton.
* `not_on_packing_list`: the code is on no packing list this user may see. Check the label, scan another code on it, \
or type the code.
* `other_order`: the code belongs to another order (named in `message`). Set the carton aside and tell the supervisor.
* `bad_check_digit`: the code was misread or mistyped. Scan again or type it.
* `gtin_mismatch`: the unit does not belong in the carton opened last. Record a finding (wrong packing).

`message` / `message_zh` say the same to the inspector, in English and Simplified Chinese."""


class ScanOut(Output):
    id: UUID
    text: Annotated[str, msgspec.Meta(description="The code the verdict is about (for a photo: the one picked of "
                                                  "the codes on the label).")]
    verdict: Annotated[Literal["ok", "already_scanned", "not_selected", "not_on_packing_list", "other_order",
                               "bad_check_digit", "gtin_mismatch"], msgspec.Meta(description=SCAN_VERDICTS)]
    message: str
    message_zh: str
    carton_id: UUID | None
    carton_number: int | None
    order_line_id: UUID | None
    sku: str | None
    scanned_at: datetime
    other_codes: Annotated[list[str], msgspec.Meta(
        description="A photo scan: the other codes read on the label, which the verdict is not about.")] = \
        msgspec.field(default_factory=list)


class SignatureIn(Input):
    role: Literal["inspector", "factory"]
    name: text(120, min_length=1)
    image_png: text(400_000) | None = None  # base64; null: a typed name


class SignatureOut(Output):
    role: str
    name: str
    has_image: bool
    signed_at: datetime
    by_id: UUID | None


class MissingCarton(Input):
    carton_number: CartonNumber
    reason: text(1000, min_length=3)


class SubmitIn(Input):
    version: Version
    missing_cartons: Annotated[list[MissingCarton], msgspec.Meta(max_length=10_000)] = []


class ReviewIn(Input):
    decision: Decision
    note: Note = ""


class AbortIn(Input):
    reason: text(2000, min_length=3)


class RevisionIn(Input):
    id: UUID  # the new revision's id, made by the client


class FollowUpClose(Input):
    note: text(4000, min_length=1)
    photo_ids: PhotoIds = []


class ResultOut(Output):
    overall: str
    units_inspected: int
    severities: dict[str, dict[str, Any]]
    counting: str = "defects"  # garment practice: defects are counted, not defective units


class InspectionSummary(Output):
    id: UUID
    order_id: UUID
    po_number: str
    style_number: str
    type: str
    status: str
    assignee_id: UUID | None
    scheduled_for: date | None
    lot_size: int | None
    units_inspected: int
    verdict: str | None
    review_decision: str | None
    revision_of_id: UUID | None
    superseded_by_id: UUID | None
    reinspection_of_id: UUID | None
    submitted_at: datetime | None
    version: int
    updated_at: datetime


class InspectionOut(Output):
    id: UUID
    version: int
    order: OrderOut  # with its lines: the phone checks units against them offline
    type: str
    status: str
    assignee_id: UUID | None
    # Who inspects, by name: the people directory is staff's, and a factory reads its report too.
    assignee_name: str | None
    scheduled_for: date | None
    revision_of_id: UUID | None
    superseded_by_id: UUID | None
    reinspection_of_id: UUID | None
    lot_size: int | None
    aql_level: str
    aql_critical: str
    aql_major: str
    aql_minor: str
    mode: str
    mode_reason: str
    mode_reason_zh: str
    plans: dict[str, PlanOut]
    units_inspected: int
    production_stage: str | None
    percent_complete: int | None
    notes: str
    carton_seed: str | None
    packing_list_id: UUID | None
    cartons: list[PickedCartonOut]
    defects: list[DefectOut]
    measurements: list[MeasurementOut]
    checklist: ChecklistTemplateOut | None
    checklist_answers: list[ChecklistAnswerOut]
    spec_sheet: SpecSheetOut | None
    scans: list[ScanOut]
    signatures: list[SignatureOut]
    result: ResultOut
    verdict: str | None
    started_at: datetime | None
    submitted_at: datetime | None
    review_decision: str | None
    review_note: str
    reviewed_at: datetime | None
    abort_reason: str
    created_at: datetime
    updated_at: datetime


class AqlPlanOut(Output):
    code_letter: str
    sample_size: int
    accept: int
    reject: int
    full_inspection: bool


class SwitchingOut(Output):
    factory_id: UUID
    mode: str
    reason: str
    reason_zh: str
    switching_score: int
    discontinue: bool
    reduced_allowed: bool


class ReducedInspectionIn(Input):
    allowed: bool


def booking_out(i: Any) -> BookingOut:
    return msgspec.convert(i, BookingOut, from_attributes=True)


def defect_out(d: Any) -> DefectOut:
    return msgspec.convert(d, DefectOut, from_attributes=True)


class FollowUpOut(DefectOut):
    """An open follow-up (整改) on the list that spans orders: the finding, and where it belongs."""

    inspection_id: UUID
    inspection_type: str
    order_id: UUID
    po_number: str


def follow_up_out(d: Any, inspection: Any, po_number: str) -> FollowUpOut:
    return FollowUpOut(**msgspec.structs.asdict(defect_out(d)), inspection_id=inspection.id,
                       inspection_type=inspection.type, order_id=inspection.order_id, po_number=po_number)


def measurement_out(m: Any) -> MeasurementOut:
    return msgspec.convert(m, MeasurementOut, from_attributes=True)


def answer_out(a: Any) -> ChecklistAnswerOut:
    return msgspec.convert(a, ChecklistAnswerOut, from_attributes=True)


def template_out(t: Any) -> ChecklistTemplateOut:
    # `items` is a JSON column: its dicts are checked into ChecklistItem as before.
    return msgspec.convert(t, ChecklistTemplateOut, from_attributes=True)


def spec_sheet_out(s: Any) -> SpecSheetOut:
    # `points` is a JSON column: its dicts are checked into SpecPoint as before.
    return msgspec.convert(s, SpecSheetOut, from_attributes=True)


def defect_code_out(c: Any) -> DefectCodeOut:
    return msgspec.convert(c, DefectCodeOut, from_attributes=True)


def scan_out(s: Any) -> ScanOut:
    data = s.data or {}
    return ScanOut(id=s.id, text=s.text, verdict=s.verdict, message=data.get("message", ""),
                   message_zh=data.get("message_zh", ""), carton_id=s.carton_id,
                   carton_number=data.get("carton_number"), order_line_id=s.order_line_id, sku=data.get("sku"),
                   scanned_at=s.scanned_at)


def signature_out(s: Any) -> SignatureOut:
    return SignatureOut(role=s.role, name=s.name, has_image=s.image_png is not None, signed_at=s.signed_at,
                        by_id=s.by_id)


def summary_out(i: Any, order: Any) -> InspectionSummary:
    return InspectionSummary(
        id=i.id, order_id=i.order_id, po_number=order.po_number, style_number=order.style_number, type=i.type,
        status=i.status, assignee_id=i.assignee_id, scheduled_for=i.scheduled_for, lot_size=i.lot_size,
        units_inspected=i.units_inspected, verdict=i.verdict, review_decision=i.review_decision,
        revision_of_id=i.revision_of_id, superseded_by_id=i.superseded_by_id,
        reinspection_of_id=i.reinspection_of_id, submitted_at=i.submitted_at,
        version=i.version, updated_at=i.updated_at)


def result_out(result: Any, units_inspected: int) -> ResultOut:
    if result is None:
        return ResultOut(overall="pending", units_inspected=units_inspected, severities={})
    data = result.to_dict()
    return ResultOut(overall=data["overall"], units_inspected=data["units_inspected"], severities=data["severities"])


def switching_out(factory: Any, state: Any) -> SwitchingOut:
    return SwitchingOut(factory_id=factory.id, mode=state.mode, reason=state.reason, reason_zh=state.reason_zh,
                        switching_score=state.switching_score, discontinue=state.discontinue,
                        reduced_allowed=factory.reduced_allowed)

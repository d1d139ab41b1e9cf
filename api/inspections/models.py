from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.inspections.lifecycle import Status

# The rows the unique index on reinspection_of_id covers (the same words in migration 0010).
LIVE_REINSPECTION = f"reinspection_of_id IS NOT NULL AND revision_of_id IS NULL AND status != '{Status.aborted.value}'"


class Inspection(Base):
    __tablename__ = "inspections"
    # A rejected lot is re-inspected once at a time: one live re-inspection per rejection. An aborted one frees
    # it for another booking; a revision (a correction of the re-inspection) carries the link but is no second one.
    __table_args__ = (Index("uq_inspections_live_reinspection", "reinspection_of_id", unique=True,
                            sqlite_where=text(LIVE_REINSPECTION), postgresql_where=text(LIVE_REINSPECTION)),)

    # Made by the client that books or starts it, so every write can be replayed safely.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=Status.scheduled, index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    scheduled_for: Mapped[date | None] = mapped_column(default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # A correction of a submitted inspection is a new revision pointing to the one it replaces.
    revision_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspections.id"), default=None)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspections.id"), default=None)
    # A booking made after a rejection on review inspects the reworked lot again: the inspection it re-inspects.
    reinspection_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspections.id"), default=None)
    # Sampling: the lot offered, the settings, and the plan computed for each severity.
    lot_size: Mapped[int | None] = mapped_column(default=None)
    aql_level: Mapped[str] = mapped_column(String(4), default="II")
    aql_critical: Mapped[str] = mapped_column(String(8), default="0")
    aql_major: Mapped[str] = mapped_column(String(8), default="2.5")
    aql_minor: Mapped[str] = mapped_column(String(8), default="4.0")
    mode: Mapped[str] = mapped_column(String(10), default="normal")
    mode_reason: Mapped[str] = mapped_column(Text, default="")
    mode_reason_zh: Mapped[str] = mapped_column(Text, default="")
    plans: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    units_inspected: Mapped[int] = mapped_column(default=0)
    # In-process (DUPRO) progress.
    production_stage: Mapped[str | None] = mapped_column(String(20), default=None)
    percent_complete: Mapped[int | None] = mapped_column(default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    checklist_template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checklist_templates.id"),
                                                                    default=None)
    # Carton draw: the seed and the packing list it was drawn from, so anyone can recompute it.
    carton_seed: Mapped[str | None] = mapped_column(String(64), default=None)
    packing_list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("packing_lists.id"), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    verdict: Mapped[str | None] = mapped_column(String(10), default=None)  # pass / fail at submission
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the tally frozen at submission
    review_decision: Mapped[str | None] = mapped_column(String(30), default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    abort_reason: Mapped[str] = mapped_column(Text, default="")


class InspectionCarton(Base):
    """A carton picked to be opened. Scans prove it was; a written reason covers one that was not."""

    __tablename__ = "inspection_cartons"
    __table_args__ = (UniqueConstraint("inspection_id", "carton_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    carton_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cartons.id"))
    position: Mapped[int]
    reason: Mapped[str] = mapped_column(String(12))  # "random" or "assortment"
    missing_reason: Mapped[str] = mapped_column(Text, default="")
    # False once a re-imported packing list forced a new draw; kept so earlier scans keep their context.
    active: Mapped[bool] = mapped_column(default=True)


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the phone's own id: a replay is harmless
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(24))
    carton_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cartons.id"), default=None)
    order_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("order_lines.id"), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    version: Mapped[int] = mapped_column(default=1)


class DefectCode(Base):
    """The defect library: codes grouped by category, named in English and 中文."""

    __tablename__ = "defect_codes"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    default_severity: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)


class Finding:
    """Columns every client-made finding shares: its own id, the inspection, an edit version."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A removed finding stays as a tombstone, so a phone learns that it went away.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class Defect(Finding, Base):
    __tablename__ = "defects"

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(ForeignKey("defect_codes.code"))
    severity: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(default=1)
    sample_unit: Mapped[str] = mapped_column(String(40), default="")
    carton_number: Mapped[int | None] = mapped_column(default=None)
    location: Mapped[str] = mapped_column(String(200), default="")
    # Follow-up (整改) of an in-process finding.
    follow_up: Mapped[bool] = mapped_column(default=False)
    follow_up_owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    follow_up_due: Mapped[date | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_note: Mapped[str] = mapped_column(Text, default="")
    closed_photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class SpecSheet(Base):
    """Points of measure for an order: per size a spec value, with a tolerance and a unit."""

    __tablename__ = "spec_sheets"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(8), default="cm")
    defect_severity: Mapped[str] = mapped_column(String(10), default="major")
    # [{"code", "name", "name_zh", "tol_minus", "tol_plus", "specs": {size: value}}], values as strings
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Measurement(Finding, Base):
    __tablename__ = "measurements"

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    sample_unit: Mapped[str] = mapped_column(String(40))
    size: Mapped[str] = mapped_column(String(40))
    point: Mapped[str] = mapped_column(String(40))
    reading: Mapped[str] = mapped_column(String(40))  # as typed, e.g. "15 3/8"
    value: Mapped[str] = mapped_column(String(24))  # the parsed decimal
    unit: Mapped[str] = mapped_column(String(8))
    spec: Mapped[str] = mapped_column(String(24))
    deviation: Mapped[str] = mapped_column(String(24))
    within: Mapped[bool]


class ChecklistTemplate(Base):
    __tablename__ = "checklist_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    # [{"key", "label", "label_zh", "kind": "check"|"value", "limit", "unit", "fail_severity"}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)


class ChecklistAnswer(Finding, Base):
    __tablename__ = "checklist_answers"
    # One live answer per item: a deleted answer no longer holds it.
    __table_args__ = (Index("uq_checklist_answers_live_item", "inspection_id", "item_key", unique=True,
                            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(4))  # pass / fail / na
    value: Mapped[str | None] = mapped_column(String(24), default=None)
    severity: Mapped[str | None] = mapped_column(String(10), default=None)  # a failed item's defect class


class Signature(Base):
    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("inspection_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # inspector / factory
    name: Mapped[str] = mapped_column(String(120))
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    version: Mapped[int] = mapped_column(default=1)

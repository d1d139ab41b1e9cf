from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow


class Photo(Base):
    """A photo as evidence on an inspection. The bytes live in storage, keyed by their SHA-256."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the phone's own id: a replay is harmless
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    byte_size: Mapped[int]
    width: Mapped[int]  # upright, after EXIF orientation
    height: Mapped[int]
    display_width: Mapped[int]  # annotations are drawn over the display image, in its pixels
    display_height: Mapped[int]
    dhash: Mapped[int] = mapped_column(BigInteger)  # signed 64-bit perceptual hash of the display image
    # Provenance from EXIF, for supervisors only: served images never carry it.
    taken_at: Mapped[datetime | None] = mapped_column(default=None)
    # False when the camera gave no UTC offset: taken_at is then its wall-clock time, stored as if UTC.
    taken_at_zoned: Mapped[bool] = mapped_column(default=False)
    gps_lat: Mapped[float | None] = mapped_column(default=None)
    gps_lon: Mapped[float | None] = mapped_column(default=None)
    gps_alt: Mapped[float | None] = mapped_column(default=None)
    device_make: Mapped[str | None] = mapped_column(String(100), default=None)
    device_model: Mapped[str | None] = mapped_column(String(100), default=None)
    # What the photo is evidence of. No foreign key: the phone may upload before the defect syncs.
    defect_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    checklist_item: Mapped[str | None] = mapped_column(String(40), default=None)
    carton_number: Mapped[int | None] = mapped_column(default=None)
    sample_unit: Mapped[str | None] = mapped_column(String(40), default=None)
    caption: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A withdrawn photo (e.g. retaken) is no longer evidence but is kept for audit.
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    annotations_version: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)  # the photo record's own: a withdrawal raises it

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api.schemas import INT32_MAX, Input, Output, text

# Annotation coordinates are pixels of the photo's display image (display_width x display_height).
Coord = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Length = Annotated[float, msgspec.Meta(gt=0, le=100_000)]
# Strings are bounded and refuse NUL (PostgreSQL cannot store it), the same 400 on both databases.
LabelText = text(200, min_length=1)  # a text mark, kept in the annotations' JSON


class Shape(Input, tag_field="type"):
    color: Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")] = "#ff3b30"
    stroke: Annotated[float, msgspec.Meta(gt=0, le=100)] = 4

    def corners(self) -> list[tuple[float, float]]:
        """The points that must lie on the image."""
        raise NotImplementedError


class Arrow(Shape, tag="arrow", kw_only=True):
    x1: Coord
    y1: Coord
    x2: Coord  # the head
    y2: Coord

    def corners(self) -> list[tuple[float, float]]:
        return [(self.x1, self.y1), (self.x2, self.y2)]


class Circle(Shape, tag="circle", kw_only=True):
    cx: Coord
    cy: Coord
    r: Length

    def corners(self) -> list[tuple[float, float]]:
        return [(self.cx - self.r, self.cy - self.r), (self.cx + self.r, self.cy + self.r)]


class Box(Shape, tag="box", kw_only=True):
    x: Coord
    y: Coord
    w: Length
    h: Length

    def corners(self) -> list[tuple[float, float]]:
        return [(self.x, self.y), (self.x + self.w, self.y + self.h)]


class Label(Shape, tag="text", kw_only=True):
    x: Coord  # where the text starts
    y: Coord
    text: LabelText
    size: Annotated[float, msgspec.Meta(ge=4, le=500)] = 24

    def corners(self) -> list[tuple[float, float]]:
        return [(self.x, self.y)]


AnyShape = Arrow | Circle | Box | Label


class AnnotationsPut(Input):
    """All the marks on one photo; `version` is the annotations_version this edit was based on (0: none yet)."""

    shapes: Annotated[list[AnyShape], msgspec.Meta(max_length=200)]
    version: Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)] = 0


class WithdrawIn(Input):
    reason: text(500, min_length=1)  # a Text column


class PhotoUrls(Output):
    original: str  # supervisors and admins only
    display: str
    thumb: str


class ProvenanceOut(Output):
    """Where and with what the photo was taken, from its EXIF: for supervisors and admins."""

    taken_at: datetime | None  # without an offset when the camera gave none
    gps_lat: float | None
    gps_lon: float | None
    gps_alt: float | None
    device_make: str | None
    device_model: str | None


class PhotoOut(Output):
    id: UUID
    inspection_id: UUID
    sha256: str
    format: str
    byte_size: int
    width: int  # upright, after EXIF orientation
    height: int
    display_width: int
    display_height: int
    taken_at: datetime | None  # shown to supervisors, admins and the uploader
    urls: PhotoUrls
    defect_id: UUID | None
    checklist_item: str | None
    carton_number: int | None
    sample_unit: str | None
    caption: str
    uploaded_by_id: UUID | None
    uploaded_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str
    annotations: list[AnyShape]
    annotations_version: int
    provenance: ProvenanceOut | None  # supervisors and admins only


FlagKind = Literal["duplicate_sample_units", "reused_in_other_inspection", "capture_time_missing",
                   "capture_time_far"]


class PhotoFlagOut(Output):
    kind: FlagKind
    photo_id: UUID
    detail: str
    detail_zh: str
    other_photo_id: UUID | None = None
    other_inspection_id: UUID | None = None
    distance: int | None = None  # differing bits of the two 64-bit dHashes (0: the same picture)

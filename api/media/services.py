"""Photos as evidence: upload, serving, withdrawal, annotations and integrity flags."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import partial
from typing import BinaryIO

import anyio.to_thread
import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import (
    inspection_visible_to, is_reviewer, may_see_picks, may_write_inspection, require_writer, visible_inspection,
    without_picks,
)
from api.auth.models import User
from api.db import utcnow
from api.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, UnsupportedMedia
from api.imaging import ImageError, NotAnImage
from api.inspections.models import ChecklistAnswer, Defect, Inspection, Measurement
from api.inspections.lifecycle import Record, may_write
from api.inspections.photo_ids import named_elsewhere
from api.inspections.services import require_writable
from api.media import storage as stored
from api.media.models import Photo
from api.media.processing import FORMATS, hamming
from api.media.schemas import AnyShape, PhotoFlagOut, PhotoOut, PhotoUrls, ProvenanceOut
from api.orders.models import Order
from api.settings import Settings
from api.sync import ONCE, RecordKind, SyncProtocol

log = logging.getLogger("floorcheck")

RENDITIONS = {"display": "image/jpeg", "thumb": "image/webp"}
# dHash bits that may differ for a near copy: a photo re-sent through a chat app (downscaled and
# recompressed) lands at 5-8 bits; unrelated photos sit at 20 or more.
NEAR_COPY_BITS = 10
# How far outside the inspection's time a capture time may be before it is flagged.
FAR_FROM_INSPECTION = timedelta(hours=12)
# A capture time without a UTC offset is the camera's wall clock: allow for any time zone.
ANY_TIME_ZONE = timedelta(hours=14)


def photo_not_found() -> NotFound:
    # The same answer whether the photo is missing, hidden or its file lost: no hint of a path.
    return NotFound("No such photo.", detail_zh="照片不存在。")


def refused(exc: ImageError) -> DomainError:
    # A bomb is refused like a corrupt image (422): the body was within the size limit.
    kind = UnsupportedMedia if isinstance(exc, NotAnImage) else Invalid
    return kind(exc.message, detail_zh=exc.message_zh, reason=exc.code)


@dataclass(frozen=True)
class PhotoLinks:
    defect_id: uuid.UUID | None = None
    checklist_item: str | None = None
    carton_number: int | None = None
    sample_unit: str | None = None
    caption: str = ""


@dataclass(frozen=True)
class Served:
    """One rendition to send: `stream` is None when the client's copy is current (304)."""

    etag: str
    media_type: str
    stream: BinaryIO | None = None
    size: int = 0
    filename: str | None = None  # set for a download of the original


class PhotoService:
    def __init__(self, session: AsyncSession, user: User, storage: stored.Storage,
                 settings: Settings | None = None) -> None:
        self.session = session
        self.user = user
        self.storage = storage
        self.settings = settings or Settings()
        self.records = SyncProtocol(session)
        self.photo_kind = RecordKind(Photo, out=self.out, taken=(
            "A different photo was uploaded under this id already. Give a new photo a new id.",
            "该编号下已上传了另一张照片，新照片请使用新编号。"))
        self.withdrawal_kind = RecordKind(Photo, out=self.out, present=lambda p: p.withdrawn_at is not None,
                                          taken=("This photo was withdrawn already.", "该照片已撤回。"))
        self.annotations_kind = RecordKind(Photo, out=self.out, version="annotations_version")

    # --- reading -----------------------------------------------------------------------------------------

    async def load(self, photo_id: uuid.UUID) -> tuple[Photo, Inspection, Order]:
        row = (await self.session.execute(
            select(Photo, Inspection, Order).join(Inspection, Inspection.id == Photo.inspection_id)
            .join(Order, Order.id == Inspection.order_id)
            .where(Photo.id == photo_id, inspection_visible_to(self.user)))).first()
        if row is None:
            raise photo_not_found()
        return row[0], row[1], row[2]

    async def for_inspection(self, inspection_id: uuid.UUID) -> list[PhotoOut]:
        inspection, _ = await visible_inspection(self.session, self.user, inspection_id)
        photos = await self.session.scalars(
            select(Photo).where(Photo.inspection_id == inspection.id).order_by(Photo.uploaded_at, Photo.id))
        return [self.out_in(photo, inspection) for photo in photos]

    def out(self, photo: Photo, *, picks_visible: bool = True) -> PhotoOut:
        reviewer = is_reviewer(self.user)
        taken_at = photo.taken_at and photo.taken_at.astimezone(UTC)
        if taken_at and not photo.taken_at_zoned:
            taken_at = taken_at.replace(tzinfo=None)  # the camera's wall clock, offset unknown
        provenance = ProvenanceOut(taken_at=taken_at, gps_lat=photo.gps_lat, gps_lon=photo.gps_lon,
                                   gps_alt=photo.gps_alt, device_make=photo.device_make,
                                   device_model=photo.device_model) if reviewer else None
        base = f"/media/photos/{photo.id}"
        copy = PhotoOut(
            id=photo.id, inspection_id=photo.inspection_id, sha256=photo.sha256, format=photo.format,
            byte_size=photo.byte_size, width=photo.width, height=photo.height, display_width=photo.display_width,
            display_height=photo.display_height,
            taken_at=taken_at if reviewer or photo.uploaded_by_id == self.user.id else None,
            urls=PhotoUrls(original=f"{base}/original", display=f"{base}/display", thumb=f"{base}/thumb"),
            defect_id=photo.defect_id, checklist_item=photo.checklist_item, carton_number=photo.carton_number,
            sample_unit=photo.sample_unit, caption=photo.caption, uploaded_by_id=photo.uploaded_by_id,
            uploaded_at=photo.uploaded_at, withdrawn_at=photo.withdrawn_at, withdrawn_reason=photo.withdrawn_reason,
            annotations=msgspec.convert(photo.annotations, list[AnyShape]),
            annotations_version=photo.annotations_version, provenance=provenance,
        )
        return without_picks(copy, picks_visible)

    def out_in(self, photo: Photo, inspection: Inspection) -> PhotoOut:
        """The photo as this user may see it in its inspection (see api/access.py without_picks)."""
        return self.out(photo, picks_visible=may_see_picks(self.user, inspection))

    # --- upload ------------------------------------------------------------------------------------------

    async def upload(self, photo_id: uuid.UUID, inspection_id: uuid.UUID, data: bytes,
                     links: PhotoLinks) -> tuple[Photo, bool]:
        """Store a new photo (True), or answer a replay of the same bytes under the same id (False)."""
        inspection, order = await visible_inspection(self.session, self.user, inspection_id)
        existing = await self.session.get(Photo, photo_id)
        if existing is not None and existing.inspection_id != inspection.id:
            raise Conflict("This photo id belongs to another inspection.", detail_zh="该照片编号属于另一次验货。")
        sha256 = await anyio.to_thread.run_sync(lambda: hashlib.sha256(data).hexdigest())

        async def authorize(_current: Photo | None) -> None:
            await self._require_uploader(inspection, order)
            if not may_write(inspection.status, Record.photo) and not await self._referenced(inspection, photo_id):
                raise Conflict(f"This inspection is {inspection.status}: it takes only photos its records already "
                               "reference.", detail_zh="该验货已提交，只接受记录中已引用的照片。",
                               inspection_status=inspection.status)
            if links.defect_id is not None:
                defect = await self.session.get(Defect, links.defect_id)
                if defect is not None and defect.inspection_id != inspection.id:
                    raise Invalid("That defect belongs to another inspection.", detail_zh="该缺陷属于另一次验货。",
                                  field="defect_id")
            # A record that names this id claims it for its inspection (phones push records before photos).
            # The same words whether the user may see that inspection or not.
            if await named_elsewhere(self.session, inspection, photo_id):
                raise Invalid("A record of another inspection names this photo id: upload the photo for that "
                              "inspection, or give a new photo a new id.",
                              detail_zh="另一次验货的记录引用了该照片编号：请将照片上传到该验货，新照片请使用新编号。",
                              field="inspection_id")

        async def create() -> Photo:
            try:
                # CPU-bound decoding and fsynced writes: keep them off the event loop. The stored files are
                # content-addressed, so a concurrent upload of the same bytes leaves nothing half-written.
                result, _ = await anyio.to_thread.run_sync(partial(
                    stored.ingest_and_store, self.storage, data, max_pixels=self.settings.max_image_pixels))
            except ImageError as exc:
                raise refused(exc) from None
            zoned = result.taken_at is not None and result.taken_at.tzinfo is not None
            return Photo(
                id=photo_id, inspection_id=inspection.id, sha256=result.sha256, format=result.format,
                byte_size=len(data), width=result.width, height=result.height,
                display_width=result.display_width, display_height=result.display_height, dhash=result.dhash,
                taken_at=result.taken_at if zoned or result.taken_at is None else result.taken_at.replace(tzinfo=UTC),
                taken_at_zoned=zoned, gps_lat=result.gps.lat if result.gps else None,
                gps_lon=result.gps.lon if result.gps else None, gps_alt=result.gps.alt if result.gps else None,
                device_make=result.device_make, device_model=result.device_model, defect_id=links.defect_id,
                checklist_item=links.checklist_item, carton_number=links.carton_number,
                sample_unit=links.sample_unit, caption=links.caption, uploaded_by_id=self.user.id,
                uploaded_at=utcnow(), annotations=[], annotations_version=0,
            )

        written = await self.records.write(self.photo_kind, {"id": photo_id},
                                           {"inspection_id": inspection.id, "sha256": sha256}, base_version=ONCE,
                                           current=existing, authorize=authorize, create=create)
        return written.record, written.created

    async def _require_uploader(self, inspection: Inspection, order: Order) -> None:
        """Whoever records findings, and the owner of a follow-up (整改) proving the fix."""
        if may_write_inspection(self.user, inspection, order):
            return
        owns_follow_up = await self.session.scalar(select(Defect.id).where(
            Defect.inspection_id == inspection.id, Defect.follow_up_owner_id == self.user.id).limit(1))
        if owns_follow_up is None:
            require_writer(self.user, inspection, order)

    async def _referenced(self, inspection: Inspection, photo_id: uuid.UUID) -> bool:
        """Whether a record of the inspection names the photo: its phone may still be uploading it."""
        wanted = str(photo_id)
        for column in (Defect.photo_ids, Defect.closed_photo_ids, Measurement.photo_ids, ChecklistAnswer.photo_ids):
            model = column.class_
            for ids in await self.session.scalars(select(column).where(model.inspection_id == inspection.id)):
                if wanted in ids:
                    return True
        return False

    # --- serving -----------------------------------------------------------------------------------------

    async def serve(self, photo_id: uuid.UUID, kind: str, if_none_match: str | None) -> Served:
        if kind not in (*RENDITIONS, "original"):
            raise photo_not_found()
        photo, _, _ = await self.load(photo_id)
        if kind == "original" and not is_reviewer(self.user):
            raise Forbidden("Only supervisors and admins may download the original photo.",
                            detail_zh="只有主管和管理员可以下载原始照片。")
        key = stored.content_key(photo.sha256, photo.format if kind == "original" else kind)
        etag = f'"{photo.sha256}-{kind}"'
        media_type = FORMATS[photo.format] if kind == "original" else RENDITIONS[kind]
        if if_none_match and (if_none_match.strip() == "*" or etag in (
                tag.strip().removeprefix("W/") for tag in if_none_match.split(","))):
            return Served(etag=etag, media_type=media_type)
        try:
            size = await anyio.to_thread.run_sync(self.storage.size, key)
            stream = await anyio.to_thread.run_sync(self.storage.open_stream, key)
        except stored.NotFound:
            log.error("photo %s: %s is missing from storage", photo.id, kind)
            raise photo_not_found() from None
        filename = f"{photo.id}{stored.KINDS[photo.format]}" if kind == "original" else None
        return Served(etag=etag, media_type=media_type, stream=stream, size=size, filename=filename)

    # --- edits -------------------------------------------------------------------------------------------

    async def withdraw(self, photo_id: uuid.UUID, reason: str) -> Photo:
        """Take a photo out of the evidence (e.g. retaken). It stays stored and listed, for audit."""
        photo, inspection, order = await self.load(photo_id)

        async def authorize(_current: Photo | None) -> None:
            require_writer(self.user, inspection, order)
            require_writable(inspection, Record.photo)

        written = await self.records.write(self.withdrawal_kind, {"id": photo.id}, {"withdrawn_reason": reason},
                                           base_version=ONCE, current=photo, authorize=authorize,
                                           also={"withdrawn_at": utcnow(), "withdrawn_by_id": self.user.id})
        return written.record

    async def annotate(self, photo_id: uuid.UUID, shapes: list[AnyShape], base_version: int) -> Photo:
        photo, inspection, order = await self.load(photo_id)

        async def authorize(_current: Photo | None) -> None:
            require_writer(self.user, inspection, order)
            require_writable(inspection, Record.photo)
            if photo.withdrawn_at is not None:
                raise Conflict("This photo was withdrawn: annotate the one that replaced it.",
                               detail_zh="该照片已撤回，请在替换的照片上标注。")
            for index, shape in enumerate(shapes):
                if not all(0 <= x <= photo.display_width and 0 <= y <= photo.display_height
                           for x, y in shape.corners()):
                    raise Invalid(f"Shape {index + 1} ({type(shape).__name__.lower()}) reaches outside the "
                                  f"{photo.display_width} × {photo.display_height} display image.",
                                  detail_zh=f"第 {index + 1} 个标注超出了图片范围。", field=f"shapes[{index}]")

        written = await self.records.write(self.annotations_kind, {"id": photo.id},
                                           {"annotations": msgspec.to_builtins(shapes)}, base_version=base_version,
                                           current=photo, authorize=authorize)
        return written.record

    # --- integrity flags ---------------------------------------------------------------------------------

    async def flags(self, inspection_id: uuid.UUID) -> list[PhotoFlagOut]:
        """Near copies used for two sample units or in two inspections, and doubtful capture times.

        Withdrawn photos are no longer evidence and raise no flag.
        """
        inspection, _ = await visible_inspection(self.session, self.user, inspection_id)
        photos = list(await self.session.scalars(
            select(Photo).where(Photo.inspection_id == inspection.id, Photo.withdrawn_at.is_(None))
            .order_by(Photo.uploaded_at, Photo.id)))
        flags = [flag for photo in photos if (flag := self._capture_time_flag(inspection, photo))]
        units = await self._sample_units(inspection, photos)
        for index, photo in enumerate(photos):
            for earlier in photos[:index]:
                distance = hamming(photo.dhash, earlier.dhash)
                unit, other_unit = units[photo.id], units[earlier.id]
                if distance <= NEAR_COPY_BITS and unit and other_unit and unit != other_unit:
                    flags.append(PhotoFlagOut(
                        kind="duplicate_sample_units", photo_id=photo.id, other_photo_id=earlier.id,
                        distance=distance,
                        detail=f"The same picture is evidence for sample units {other_unit} and {unit}.",
                        detail_zh=f"同一张照片被用作样品 {other_unit} 和 {unit} 的证据。"))
        if is_reviewer(self.user) and photos:
            # Another inspection's photos may belong to an order this user cannot see: reviewers only.
            others = await self.session.execute(
                select(Photo.id, Photo.inspection_id, Photo.dhash)
                .where(Photo.inspection_id != inspection.id, Photo.withdrawn_at.is_(None)))
            for other_id, other_inspection_id, other_hash in others:
                for photo in photos:
                    if (distance := hamming(photo.dhash, other_hash)) <= NEAR_COPY_BITS:
                        flags.append(PhotoFlagOut(
                            kind="reused_in_other_inspection", photo_id=photo.id, other_photo_id=other_id,
                            other_inspection_id=other_inspection_id, distance=distance,
                            detail="The same picture is evidence in another inspection.",
                            detail_zh="同一张照片也是另一次验货的证据。"))
        return flags

    @staticmethod
    def _capture_time_flag(inspection: Inspection, photo: Photo) -> PhotoFlagOut | None:
        if photo.taken_at is None:
            return PhotoFlagOut(kind="capture_time_missing", photo_id=photo.id,
                                detail="The photo carries no capture time: it may not come from the camera.",
                                detail_zh="照片没有拍摄时间，可能不是相机直接拍摄的。")
        slack = FAR_FROM_INSPECTION + (timedelta(0) if photo.taken_at_zoned else ANY_TIME_ZONE)
        start = inspection.started_at or inspection.created_at
        end = inspection.submitted_at or utcnow()
        if start - slack <= photo.taken_at <= end + slack:
            return None
        before = photo.taken_at < start
        hours = round(abs((photo.taken_at - (start if before else end)) / timedelta(hours=1)))
        return PhotoFlagOut(
            kind="capture_time_far", photo_id=photo.id,
            detail=f"Taken about {hours} hours {'before the inspection started' if before else 'after it ended'}.",
            detail_zh=f"拍摄时间在验货{'开始前' if before else '结束后'}约 {hours} 小时。")

    async def _sample_units(self, inspection: Inspection, photos: list[Photo]) -> dict[uuid.UUID, str | None]:
        """The sample unit each photo shows: its own link, else that of the defect or measurement naming it."""
        by_record: dict[uuid.UUID, str] = {}
        by_photo: dict[str, str] = {}
        for model in (Defect, Measurement):
            for record in await self.session.scalars(select(model).where(model.inspection_id == inspection.id,
                                                                         model.sample_unit != "")):
                by_record[record.id] = record.sample_unit
                for photo_id in record.photo_ids:
                    by_photo.setdefault(photo_id, record.sample_unit)
        return {p.id: p.sample_unit or (p.defect_id and by_record.get(p.defect_id)) or by_photo.get(str(p.id))
                for p in photos}


async def sweep(session: AsyncSession, storage: stored.Storage, older_than: timedelta,
                dry_run: bool = False) -> list[str]:
    """Remove stored files that no photo refers to and that were written more than `older_than` ago.

    Files are stored by content hash before their record commits, and two uploads of the same bytes share
    them, so a failed upload never deletes its files inline: this sweep, run now and then, does. The age
    keeps it off files whose upload is still committing.
    """
    referenced = set(await session.scalars(select(Photo.sha256)))
    cutoff = (utcnow() - older_than).timestamp()
    removed = []
    for key, written_at in list(storage.listing()):
        digest = key.rsplit("/", 1)[-1][:64]
        if digest not in referenced and written_at < cutoff:
            if not dry_run:
                storage.delete(key)
            removed.append(key)
    return sorted(removed)

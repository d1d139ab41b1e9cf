"""Which inspection a photo id belongs to, as records name it and as its upload says.

A finding (a defect, a measurement, a checklist answer) and a follow-up close name photos by id, and phones
push records before photos: an id not uploaded yet is fine. Once there is a photo under an id, it belongs to
the inspection its upload named, and only that inspection's records may name it; and an upload of an id that
a record already names must be for that record's inspection. A revision shares its photos with the inspection
it corrects (its findings are copies that name the same photos), so "the same inspection" means the same line
of revisions. Photos that no record names are free.

The answers never depend on whether the user may see the other inspection: the same words either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Invalid
from api.inspections.models import ChecklistAnswer, Defect, Inspection, Measurement
from api.media.models import Photo

# Every column that names photos of its row's inspection.
PHOTO_ID_COLUMNS = (Defect.photo_ids, Defect.closed_photo_ids, Measurement.photo_ids, ChecklistAnswer.photo_ids)


async def lineage_root(session: AsyncSession, inspection_id: uuid.UUID) -> uuid.UUID:
    """The first inspection of the line of revisions that `inspection_id` belongs to."""
    seen = {inspection_id}
    while (parent := await session.scalar(
            select(Inspection.revision_of_id).where(Inspection.id == inspection_id))) is not None:
        if parent in seen:  # no revision corrects itself, but never loop should one be stored so
            break
        seen.add(parent)
        inspection_id = parent
    return inspection_id


async def _other_lines(session: AsyncSession, inspection_id: uuid.UUID,
                       others: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `others` that are not of `inspection_id`'s line of revisions."""
    others = set(others) - {inspection_id}
    if not others:
        return set()
    root = await lineage_root(session, inspection_id)
    return {other for other in others if await lineage_root(session, other) != root}


async def require_own_photos(session: AsyncSession, inspection: Inspection, photo_ids: Iterable[str],
                             field: str = "photo_ids") -> None:
    """Refuse (422 naming `field`) a photo id that was uploaded for another inspection."""
    wanted = {uuid.UUID(str(p)) for p in photo_ids}
    if not wanted:
        return
    owners = {photo_id: owner for photo_id, owner in await session.execute(
        select(Photo.id, Photo.inspection_id).where(Photo.id.in_(wanted)))}
    foreign = await _other_lines(session, inspection.id, owners.values())
    for photo_id in sorted(wanted, key=str):
        if owners.get(photo_id) in foreign:
            raise Invalid("A photo named here was uploaded for another inspection: name only this inspection's "
                          "photos (photo_id says which).", detail_zh="所引用的照片属于另一次验货，只能引用本次验货的照片。",
                          field=field, photo_id=str(photo_id))


async def named_elsewhere(session: AsyncSession, inspection: Inspection, photo_id: uuid.UUID) -> bool:
    """Whether a live record of another inspection (not of this one's line of revisions) names the photo id."""
    # The ids are kept as JSON lists of strings; the quoted id is found in the text on either database.
    quoted = f'%"{photo_id}"%'
    namers: set[uuid.UUID] = set()
    for column in PHOTO_ID_COLUMNS:
        model = column.class_
        namers.update(await session.scalars(
            select(model.inspection_id).distinct()
            .where(cast(column, String).like(quoted), model.inspection_id != inspection.id,
                   model.deleted_at.is_(None))))
    return bool(await _other_lines(session, inspection.id, namers))

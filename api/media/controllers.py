from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO
from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter, RawBody
from litestar.response import Stream

from api.deps import DB, AppSettings, CurrentUser, MediaStorage
from api.http import created, optional_query_text, query_text
from api.media.schemas import AnnotationsPut, PhotoFlagOut, PhotoOut, WithdrawIn
from api.media.services import PhotoLinks, PhotoService, Served


def provide_photos(db: DB, user: CurrentUser, storage: MediaStorage, settings: AppSettings) -> PhotoService:
    return PhotoService(db, user, storage, settings)


PhotoServiceDep = NamedDependency[PhotoService]
SERVICES = {"photos": Provide(provide_photos, sync_to_thread=False)}

# The bytes behind a photo's URL never change (other bytes under its id are refused), but they are private.
IMMUTABLE = "private, max-age=31536000, immutable"


class PhotoController(Controller):
    """Mounted on its own router, whose body limit is the photo limit rather than the JSON one (the GET is
    here too: Litestar wants one router per path)."""

    path = "/api/photos"
    tags = ["photos"]
    dependencies = SERVICES

    @put("/{photo_id:uuid}", operation_id="uploadPhoto", opt={"body": "raw"},
         description="The body is the image itself (JPEG, PNG, WebP or HEIC; the type is read from its bytes).")
    async def upload(
        self, photos: PhotoServiceDep, photo_id: FromPath[UUID], inspection_id: FromQuery[UUID], body: RawBody,
        defect_id: FromQuery[UUID | None] = None,
        checklist_item: optional_query_text(40, min_length=1) = None,  # String(40), as the photo's columns
        carton_number: Annotated[int | None, QueryParameter(ge=1, le=1_000_000)] = None,
        sample_unit: optional_query_text(40, min_length=1) = None,
        caption: query_text(500) = "",
    ) -> Response[PhotoOut]:
        links = PhotoLinks(defect_id, checklist_item, carton_number, sample_unit, caption)
        photo, is_new = await photos.upload(photo_id, inspection_id, body, links)
        return created(photos.out(photo), is_new)

    @get("/{photo_id:uuid}", operation_id="getPhoto")
    async def get_photo(self, photos: PhotoServiceDep, photo_id: FromPath[UUID]) -> PhotoOut:
        photo, inspection, _ = await photos.load(photo_id)
        return photos.out_in(photo, inspection)


class PhotoEditController(Controller):
    path = "/api/photos"
    tags = ["photos"]
    dependencies = SERVICES

    @post("/{photo_id:uuid}/withdraw", operation_id="withdrawPhoto", status_code=200)
    async def withdraw(self, photos: PhotoServiceDep, photo_id: FromPath[UUID],
                       data: JSONBody[WithdrawIn]) -> PhotoOut:
        return photos.out(await photos.withdraw(photo_id, data.reason))

    @put("/{photo_id:uuid}/annotations", operation_id="putPhotoAnnotations")
    async def annotate(self, photos: PhotoServiceDep, photo_id: FromPath[UUID],
                       data: JSONBody[AnnotationsPut]) -> PhotoOut:
        return photos.out(await photos.annotate(photo_id, data.shapes, data.version))


class InspectionPhotoController(Controller):
    path = "/api/inspections/{inspection_id:uuid}"
    tags = ["photos"]
    dependencies = SERVICES

    @get("/photos", operation_id="listInspectionPhotos")
    async def photos(self, photos: PhotoServiceDep, inspection_id: FromPath[UUID]) -> list[PhotoOut]:
        return await photos.for_inspection(inspection_id)

    @get("/photo-flags", operation_id="listPhotoFlags")
    async def flags(self, photos: PhotoServiceDep, inspection_id: FromPath[UUID],
                    storage: MediaStorage) -> list[PhotoFlagOut]:
        return await photos.flags(inspection_id)


class MediaController(Controller):
    """The image files, by photo id: the storage key comes from the stored hash, never from the request."""

    path = "/media/photos"
    tags = ["photos"]
    dependencies = SERVICES

    @get("/{photo_id:uuid}/{kind:str}", operation_id="getPhotoImage",
         description="kind: display (JPEG), thumb (WebP) or original (supervisors and admins only).")
    async def image(self, photos: PhotoServiceDep, photo_id: FromPath[UUID], kind: FromPath[str],
                    if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None) -> Response:
        return image_response(await photos.serve(photo_id, kind, if_none_match))


def image_response(served: Served) -> Response:
    headers = {"ETag": served.etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if served.stream is None:
        return Response(b"", status_code=304, headers=headers)
    if served.filename:
        headers["Content-Disposition"] = f'attachment; filename="{served.filename}"'
    return Stream(_chunks(served.stream), media_type=served.media_type,
                  headers=headers | {"Content-Length": str(served.size)})


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(256 * 1024):
            yield chunk

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import msgspec
from litestar.di import NamedDependency
from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody, MultipartBody

from api.barcodes import gs1
from api.barcodes.schemas import DecodeOut, ParseIn, ParseOut
from api.barcodes.services import ScanService, decode_photo
from api.deps import AppSettings, service_provider
from api.errors import UnsupportedMedia
from api.http import created
from api.inspections.schemas import SCAN_VERDICTS, ScanIn, ScanOut, scan_out


SCAN_DESCRIPTION = (
    "JSON `{\"id\", \"text\"}` for a typed or scanned code, or multipart with `id` and an `image` of the label: "
    "the codes are read from the photo, and of the several a label carries (a carrier's tracking code, the SSCC, "
    "a GTIN …) the scan is about a code on this inspection's packing list or an SSCC first, then a GTIN; "
    "`text` is that code and `other_codes` the others read.\n\n" + SCAN_VERDICTS)


def scan_response(scan: object) -> ScanOut:
    """``scan_out`` plus, for a photo scan, the other codes read on the label."""
    out = scan_out(scan)
    others = (getattr(scan, "data", None) or {}).get("other_codes") or []
    return msgspec.structs.replace(out, other_codes=list(others)) if others else out


# The area's services, built per request from its session and user.
ScanServiceDep = NamedDependency[ScanService]

SERVICES = {
    "scans": service_provider(ScanService),
}



@dataclass
class ImageUpload:
    image: UploadFile


class BarcodeController(Controller):
    path = "/api/barcodes"
    tags = ["barcodes"]
    dependencies = SERVICES

    @post("/parse", operation_id="parseGs1", status_code=200)
    async def parse(self, data: JSONBody[ParseIn]) -> ParseOut:
        return msgspec.convert(gs1.parse(data.text).to_dict(), ParseOut)


class BarcodeUploadController(Controller):
    """Mounted on the photo-upload router, whose body limit fits a phone photo."""

    path = "/api"
    tags = ["barcodes"]
    dependencies = SERVICES

    @post("/barcodes/decode", operation_id="decodeBarcodes", status_code=200, opt={"body": "multipart"})
    async def decode(self, data: MultipartBody[ImageUpload], settings: AppSettings) -> DecodeOut:
        result = await decode_photo(await data.image.read(), settings.max_image_pixels)
        return msgspec.convert(result.to_dict(), DecodeOut)

    @post("/inspections/{inspection_id:uuid}/scans", operation_id="recordScan", opt={"body": "raw"},
          description=SCAN_DESCRIPTION)
    async def scan(self, request: Request, inspection_id: FromPath[UUID], scans: ScanServiceDep,
                   settings: AppSettings) -> Response[ScanOut]:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == "application/json":
            try:
                body = msgspec.json.decode(await request.body(), type=ScanIn)
            except msgspec.ValidationError as exc:
                raise ValidationException(str(exc)) from None
            except msgspec.DecodeError:
                raise ValidationException("The body is not valid JSON.") from None
            scan, is_new = await scans.record(inspection_id, body.id, body.text)
        elif media_type == "multipart/form-data":
            form = await request.form()
            try:
                scan_id = UUID(str(form.get("id")))
            except ValueError:
                raise ValidationException("id: send the scan's own UUID as the form field `id`.") from None
            image = form.get("image")
            if not isinstance(image, UploadFile):
                raise ValidationException("image: attach the label photo as the form field `image`.")
            scan, is_new = await scans.record_photo(inspection_id, scan_id, await image.read(),
                                                      settings.max_image_pixels)
        else:
            raise UnsupportedMedia("Send a scan as application/json or as multipart/form-data with a photo.",
                                   detail_zh="扫描数据须为 JSON 或带照片的 multipart/form-data。")
        return created(scan_response(scan), is_new)

"""Scans of carton and unit barcodes during an inspection, resolved against the packing list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import order_visible_to, require_writer
from api.auth.models import User
from api.barcodes import gs1
from api.barcodes.decoding import DecodeResult, decode_image
from api.db import utcnow
from api.errors import Invalid, UnsupportedMedia
from api.imaging import BadImage, NotAnImage
from api.inspections.models import Inspection, InspectionCarton, Scan
from api.inspections.lifecycle import Record, Status
from api.inspections.schemas import scan_out
from api.inspections.services import InspectionService, require_writable
from api.orders.models import Carton, CartonItem, Order, OrderLine
from api.sync import ONCE, RecordKind, SyncProtocol

# verdict → (English, 中文); {n} is the carton number, {po} the other order, {sku} the unit's SKU
MESSAGES: dict[str, tuple[str, str]] = {
    "ok": ("Carton {n}: picked, opened.", "第 {n} 箱：已抽中，已开箱。"),
    "ok_unit": ("Unit {sku} belongs to this order.", "产品 {sku} 属于本订单。"),
    "not_on_packing_list": ("Not on this order's packing list.", "不在本订单的装箱单中。"),
    "other_order": ("This belongs to order {po}, not to this one.", "此条码属于订单 {po}，不是本订单。"),
    "already_scanned": ("Carton {n} was scanned already.", "第 {n} 箱已扫描过。"),
    "not_selected": ("Carton {n} was not picked: open a picked carton.", "第 {n} 箱未被抽中，请打开抽中的箱子。"),
    "bad_check_digit": ("The check digit is wrong: scan again or type the code.", "校验位错误，请重新扫描或手动输入。"),
    "gtin_mismatch": ("Unit {sku} does not belong in carton {n}.", "产品 {sku} 不应在第 {n} 箱中。"),
}


@dataclass
class Resolution:
    verdict: str
    carton: Carton | None = None
    line: OrderLine | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        key = "ok_unit" if self.verdict == "ok" and self.carton is None else self.verdict
        english, chinese = MESSAGES[key]
        values = {"n": self.carton.number if self.carton else "", "sku": self.line.sku if self.line else "",
                  **self.values}
        return {"message": english.format(**values), "message_zh": chinese.format(**values),
                "carton_number": self.carton.number if self.carton else None,
                "sku": self.line.sku if self.line else None}


async def decode_photo(data: bytes, max_pixels: int) -> DecodeResult:
    """Every code in a photo, decoded in a worker thread so the event loop keeps serving."""
    try:
        return await anyio.to_thread.run_sync(lambda: decode_image(data, max_pixels=max_pixels))
    except NotAnImage as exc:
        raise UnsupportedMedia(exc.message, detail_zh=exc.message_zh) from None
    except BadImage as exc:
        raise Invalid(exc.message, detail_zh=exc.message_zh) from None


def carton_code_first(result: DecodeResult, on_packing_list: frozenset[str] = frozenset()) -> str | None:
    """The code a scan stands for, of the several a carton label carries (a carrier's tracking code, the
    SSCC, a GTIN …): a code on this inspection's packing list or an SSCC first, then a GTIN, then the
    first code read. ``on_packing_list`` holds the texts that name a carton of this order."""
    def rank(barcode: Any) -> int:
        if barcode.text in on_packing_list:
            return 0
        elements = _elements(barcode)
        if "00" in elements:
            return 1
        if "01" in elements or "02" in elements:
            return 2
        return 3

    ranked = sorted(result.barcodes, key=rank)  # stable: reading order among equals
    return ranked[0].text if ranked else None


def _elements(barcode: Any) -> dict[str, str]:
    """The GS1 elements of a decoded symbol (its decoder's reading, or the text's own) with valid values."""
    parsed = barcode.gs1 or gs1.parse(barcode.text).to_dict()
    if any(error["code"] == "bad_check_digit" for error in parsed["errors"]):
        return {}
    return {e["ai"]: e["raw"] for e in parsed["elements"]}


SCAN = RecordKind(Scan, out=scan_out, taken=("This scan id was used for another code.", "该扫描编号已用于其他条码。"))
# The longest code a scan keeps (Scan.text), as a typed scan's schema allows.
SCAN_TEXT_MAX = Scan.__table__.c.text.type.length


class ScanService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.records = SyncProtocol(session)

    async def record(self, inspection_id: uuid.UUID, scan_id: uuid.UUID, text: str,
                     extra: dict[str, Any] | None = None) -> tuple[Scan, bool]:
        """Store the scan with its verdict. The phone's id makes a replay return the stored scan."""
        inspection, order = await InspectionService(self.session, self.user).load(inspection_id)

        async def authorize(_current: Scan | None) -> None:
            require_writer(self.user, inspection, order)
            require_writable(inspection, Record.finding)

        async def create() -> Scan:
            found = await self.resolve(inspection, order, text.strip())
            return Scan(id=scan_id, inspection_id=inspection.id, text=text, verdict=found.verdict,
                        carton_id=found.carton.id if found.carton else None,
                        order_line_id=found.line.id if found.line else None,
                        data=found.data() | (extra or {}), scanned_at=utcnow(), by_id=self.user.id)

        # A scan id that a scan of another inspection holds (one this user may not see, perhaps) cannot be created,
        # so it cannot look unknown either. It gets the sync protocol's answer for a taken key, the same 409 as an
        # id used for another code in this inspection, only without the server's copy: that copy is another
        # inspection's scan. So the answer says the id is taken and nothing else, whoever holds it.
        kind = RecordKind(Scan, out=lambda s: scan_out(s) if s.inspection_id == inspection.id else None,
                          taken=SCAN.taken)
        written = await self.records.write(kind, {"id": scan_id}, {"inspection_id": inspection.id, "text": text},
                                           base_version=ONCE, authorize=authorize, create=create)
        if written.created and inspection.status == Status.scheduled:
            inspection.status, inspection.started_at = Status.in_progress, utcnow()
        return written.record, written.created

    async def record_photo(self, inspection_id: uuid.UUID, scan_id: uuid.UUID, photo: bytes,
                           max_pixels: int) -> tuple[Scan, bool]:
        """A scan from a label photo: of the codes on the label, the one ``carton_code_first`` picks is what was
        scanned; the scan's data keeps it (``code_used``) and the others read (``other_codes``)."""
        existing = await self.session.get(Scan, scan_id)
        if existing is not None and existing.inspection_id == inspection_id and existing.data.get("source") == "photo":
            return await self.record(inspection_id, scan_id, existing.text)  # a replay: no need to decode again
        result = await decode_photo(photo, max_pixels)
        # A symbol may hold anything (a QR code a NUL, or a page of text): only a code a scan can keep is what was
        # scanned, and one with NUL is no label's code at all (nor one PostgreSQL can compare or store).
        read = [b for b in result.barcodes if "\x00" not in b.text]
        ours = frozenset[str]()
        if read:
            _inspection, order = await InspectionService(self.session, self.user).load(inspection_id)
            ours = await self._on_packing_list(order, [b.text for b in read])
        text = carton_code_first(replace(result, barcodes=[b for b in read if len(b.text) <= SCAN_TEXT_MAX]), ours)
        if text is None and result.barcodes:
            raise Invalid("The codes read in this photo are not a carton's or a unit's (too long, or with control "
                          "characters). Photograph the carton label, or type the code.",
                          detail_zh="照片中读到的条码不是箱唛或产品条码（过长或含控制字符），请拍摄箱唛或手动输入。")
        if text is None:
            raise Invalid("No barcode could be read in this photo. Hold the phone closer and steadier, or type "
                          "the code.", detail_zh="照片中未识别到条码，请靠近并稳住手机重拍，或手动输入。")
        decoded = [{"format": b.format, "text": b.text} for b in read]
        others = [b.text for b in read if b.text != text]
        return await self.record(inspection_id, scan_id, text, {"source": "photo", "decoded": decoded,
                                                                 "code_used": text, "other_codes": others})

    async def _on_packing_list(self, order: Order, texts: list[str]) -> frozenset[str]:
        """Those of ``texts`` that name a current carton of this order, as printed or as an SSCC."""
        keys = {text: {text.strip()} | ({sscc} if (sscc := gs1.sscc_from_text(text)) else set()) for text in texts}
        wanted = set().union(*keys.values())
        if not wanted:
            return frozenset()
        ours = set(await self.session.scalars(select(Carton.barcode).where(
            Carton.order_id == order.id, Carton.is_current, Carton.barcode.in_(wanted))))
        return frozenset(text for text, names in keys.items() if names & ours)

    async def resolve(self, inspection: Inspection, order: Order, text: str) -> Resolution:
        own = await self._carton(text, order)  # a customer's own carton code is taken as printed
        if own is not None:
            return await self._carton_verdict(inspection, order, own)
        # An SSCC as printed under the bars ("(00) 0 6901234 000000003 0") or typed with hyphens: the same
        # carton the packing list and the carton lookup read (api/orders/services.py carton_code).
        sscc = gs1.sscc_from_text(text)
        if sscc is not None:
            if not gs1.is_valid_sscc(sscc):
                return Resolution("bad_check_digit")
            carton = await self._carton(sscc, order)
            return await self._carton_verdict(inspection, order, carton) if carton else Resolution("not_on_packing_list")
        parsed = gs1.parse(text)
        if any(error.code == "bad_check_digit" for error in parsed.errors):
            return Resolution("bad_check_digit")
        elements = {e.ai: e.value for e in parsed.elements}
        if "00" in elements:
            carton = await self._carton(elements["00"], order)
            return await self._carton_verdict(inspection, order, carton) if carton else Resolution("not_on_packing_list")
        gtin = elements.get("01") or elements.get("02")
        if gtin:
            try:
                normalized = gs1.normalize_gtin(gtin)
            except ValueError:  # "(01)123": no GTIN of any length, so no unit of any order
                return Resolution("not_on_packing_list")
            return await self._unit_verdict(inspection, order, normalized)
        return Resolution("not_on_packing_list")

    async def _carton(self, code: str, order: Order) -> Carton | None:
        """The current carton with this code: this order's first, since factories reuse their own carton codes
        and SSCCs collide across orders; another order's only when this one has none."""
        cartons = list(await self.session.scalars(select(Carton).where(Carton.barcode == code, Carton.is_current)))
        return next((c for c in cartons if c.order_id == order.id), cartons[0] if cartons else None)

    async def _carton_verdict(self, inspection: Inspection, order: Order, carton: Carton) -> Resolution:
        if carton.order_id != order.id:
            return await self._elsewhere(carton.order_id, Resolution("other_order"))
        picked = await self.session.scalar(select(InspectionCarton.id).where(
            InspectionCarton.inspection_id == inspection.id, InspectionCarton.carton_id == carton.id,
            InspectionCarton.active))
        if picked is None:
            return Resolution("not_selected", carton)
        earlier = await self.session.scalar(select(Scan.id).where(
            Scan.inspection_id == inspection.id, Scan.carton_id == carton.id, Scan.verdict == "ok").limit(1))
        return Resolution("already_scanned" if earlier else "ok", carton)

    async def _unit_verdict(self, inspection: Inspection, order: Order, gtin: str) -> Resolution:
        lines = list(await self.session.scalars(select(OrderLine).where(OrderLine.gtin.is_not(None))
                                                .where(OrderLine.gtin.in_(_gtin_forms(gtin)),
                                                       OrderLine.deleted_at.is_(None))))
        line = next((x for x in lines if x.order_id == order.id), None)
        if line is None:
            other = next((x.order_id for x in lines), None)
            return await self._elsewhere(other, Resolution("other_order")) if other else Resolution(
                "not_on_packing_list")
        # A unit is checked against the carton opened last: it must be among that carton's contents.
        last = await self.session.scalar(
            select(Carton).join(Scan, Scan.carton_id == Carton.id)
            .where(Scan.inspection_id == inspection.id, Scan.verdict.in_(("ok", "already_scanned")))
            .order_by(Scan.scanned_at.desc()).limit(1))
        if last is not None:
            packed = set(await self.session.scalars(select(CartonItem.order_line_id).where(
                CartonItem.carton_id == last.id)))
            if line.id not in packed:
                return Resolution("gtin_mismatch", last, line)
        return Resolution("ok", None, line)

    async def _elsewhere(self, order_id: uuid.UUID | None, found: Resolution) -> Resolution:
        """Name the other order only to a user who may see it; a verdict never reveals a hidden order."""
        other = await self.session.scalar(select(Order).where(Order.id == order_id, order_visible_to(self.user)))
        if other is None:
            return Resolution("not_on_packing_list")
        found.values["po"] = other.po_number
        return found


def _gtin_forms(gtin14: str) -> list[str]:
    """The ways one GTIN may be written on an order line: GTIN-14 and its shorter zero-stripped forms."""
    return [gtin14[14 - n:] for n in (14, 13, 12, 8) if set(gtin14[: 14 - n]) <= {"0"}]

"""Findings of an inspection (defects, measurements, checklist answers), follow-ups, spec sheets and the library."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import inspection_visible_to, require_admin, require_staff, require_writer, visible_order
from api.auth.models import User
from api.db import utcnow
from api.errors import Conflict, DomainError, Invalid, NotFound
from api.events import record_event
from api.inspections.grading import bounded, grade, parse_plain_number, parse_reading
from api.inspections.lifecycle import Record, Status
from api.inspections.models import (
    ChecklistAnswer, ChecklistTemplate, Defect, DefectCode, Inspection, Measurement, SpecSheet,
)
from api.inspections.photo_ids import require_own_photos
from api.inspections.schemas import (
    answer_out, defect_code_out, defect_out, measurement_out, spec_sheet_out, template_out,
)
from api.inspections.services import InspectionService, require_writable
from api.orders.models import Order
from api.sync import CURRENT, ONCE, RecordKind, SyncProtocol

FINDINGS: dict[Any, RecordKind[Any]] = {
    Defect: RecordKind(Defect, out=defect_out),
    Measurement: RecordKind(Measurement, out=measurement_out),
    ChecklistAnswer: RecordKind(ChecklistAnswer, out=answer_out),
}
# What a new finding holds for a field its first PUT leaves out.
DEFAULTS: dict[Any, dict[str, Any]] = {
    Defect: {"count": 1, "sample_unit": "", "carton_number": None, "location": "", "note": "", "photo_ids": [],
             "follow_up": False, "follow_up_owner_id": None, "follow_up_due": None},
    Measurement: {"note": "", "photo_ids": []},
    ChecklistAnswer: {"value": None, "note": "", "photo_ids": []},
}
# A follow-up close lives in its defect's row: it exists once the defect is closed.
FOLLOW_UP_CLOSE = RecordKind(Defect, out=defect_out, present=lambda d: d.closed_at is not None,
                             taken=("This follow-up is closed already.", "该整改项已关闭。"))
SPEC_SHEET = RecordKind(SpecSheet, out=spec_sheet_out, key=("order_id",))
DEFECT_CODE = RecordKind(DefectCode, out=defect_code_out, key=("code",))
CHECKLIST_TEMPLATE = RecordKind(ChecklistTemplate, out=template_out, key=("code",))


class FindingService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.inspections = InspectionService(session, user)
        self.records = SyncProtocol(session)

    async def _put(self, model: Any, inspection_id: uuid.UUID, finding_id: uuid.UUID, values: dict[str, Any],
                   check: Any) -> tuple[Any, bool]:
        """Create, replay or edit one client-made finding. Findings freeze when the inspection is submitted.

        A field the PUT leaves out keeps its stored value, so the checks below always see the whole finding.
        """
        base_version = values.pop("version")
        kind = FINDINGS[model]
        inspection, order = await self.inspections.load(inspection_id)
        existing = await self.session.get(model, finding_id)
        if existing is not None and existing.inspection_id != inspection.id:
            raise Conflict("This id belongs to a record of another inspection.", detail_zh="该编号属于另一次验货的记录。")
        stored = {name: getattr(existing, name) for name in DEFAULTS[model]} if existing else DEFAULTS[model]
        full = stored | values
        if "photo_ids" in full:
            full["photo_ids"] = [str(p) for p in full["photo_ids"]]
        desired = await check(inspection, order, full)
        named_before = set(existing.photo_ids) if existing else set()

        async def authorize(_current: Any) -> None:
            require_writer(self.user, inspection, order)
            require_writable(inspection, Record.finding)
            # Only photos this edit adds: what the record named before stays named.
            await require_own_photos(self.session, inspection,
                                     [p for p in desired["photo_ids"] if p not in named_before])

        async def create() -> Any:
            return model(id=finding_id, inspection_id=inspection.id, created_at=utcnow(), updated_at=utcnow(), **desired)

        async def clash() -> DomainError | None:
            return await self._clash(model, inspection.id, desired)

        written = await self.records.write(kind, {"id": finding_id}, desired, base_version=base_version,
                                           current=existing, authorize=authorize, create=create, clash=clash)
        if written.changed:
            self._touch(inspection)
        return written.record, written.created

    async def _clash(self, model: Any, inspection_id: uuid.UUID, desired: dict[str, Any]) -> DomainError | None:
        """The one create that can conflict: a second answer to the same checklist item."""
        if model is not ChecklistAnswer:
            return None
        other = await self.session.scalar(select(ChecklistAnswer.id).where(
            ChecklistAnswer.inspection_id == inspection_id, ChecklistAnswer.item_key == desired["item_key"],
            ChecklistAnswer.deleted_at.is_(None)))
        if other is None:
            return None
        return Conflict("This item is answered already; edit that answer instead.",
                        detail_zh="该检查项已有答案，请修改原答案。", answer_id=str(other))

    @staticmethod
    def _touch(inspection: Inspection) -> None:
        if inspection.status == Status.scheduled:
            inspection.status, inspection.started_at = Status.in_progress, utcnow()
        inspection.updated_at = utcnow()

    async def put_defect(self, inspection_id: uuid.UUID, defect_id: uuid.UUID, values: dict[str, Any]) -> tuple[Defect, bool]:
        async def check(inspection: Inspection, _order: Any, desired: dict[str, Any]) -> dict[str, Any]:
            code = await self.session.get(DefectCode, desired["code"])
            if code is None or not code.active:
                raise Invalid(f"Unknown defect code {desired['code']!r}.", detail_zh="缺陷代码不存在。", field="code")
            if desired["follow_up"] and inspection.type != "in_process":
                raise Invalid("Follow-up (整改) is for in-process inspections.", detail_zh="整改跟进仅用于中期验货。",
                              field="follow_up")
            if desired["follow_up_owner_id"] and await self.session.get(User, desired["follow_up_owner_id"]) is None:
                raise Invalid("Unknown follow-up owner.", detail_zh="整改负责人不存在。", field="follow_up_owner_id")
            return desired

        return await self._put(Defect, inspection_id, defect_id, values, check)

    async def put_measurement(self, inspection_id: uuid.UUID, measurement_id: uuid.UUID,
                              values: dict[str, Any]) -> tuple[Measurement, bool]:
        async def check(inspection: Inspection, order: Any, desired: dict[str, Any]) -> dict[str, Any]:
            sheet = await self.session.get(SpecSheet, order.id)
            if sheet is None:
                raise Invalid("This order has no spec sheet yet.", detail_zh="该订单还没有尺寸表。")
            point = next((p for p in sheet.points if p["code"] == desired["point"]), None)
            if point is None:
                raise Invalid(f"Point of measure {desired['point']!r} is not on the spec sheet.",
                              detail_zh="尺寸表中没有该测量部位。", field="point")
            spec_text = point["specs"].get(desired["size"])
            if spec_text is None:
                raise Invalid(f"The spec sheet has no {desired['point']} value for size {desired['size']}.",
                              detail_zh="尺寸表中没有该尺码的数值。", field="size")
            try:
                value = bounded(parse_reading(desired["reading"], sheet.unit), desired["reading"])
            except ValueError as exc:
                raise Invalid(str(exc), detail_zh="读数无法识别。", field="reading") from None
            try:  # a sheet saved before its numbers were checked may hold one that cannot be graded against
                spec = bounded(parse_reading(spec_text, sheet.unit), spec_text)
                tol_minus = parse_reading(point["tol_minus"], sheet.unit)
                tol_plus = parse_reading(point.get("tol_plus") or point["tol_minus"], sheet.unit)
                graded = grade(value, spec, tol_minus, tol_plus)
            except ValueError as exc:
                raise Invalid(f"The spec sheet's {desired['point']} cannot be graded against ({exc}); correct the "
                              "spec sheet first.", detail_zh="尺寸表中该部位的数值有误，请先修改尺寸表。",
                              field="point") from None
            return desired | {"value": str(value), "unit": sheet.unit, "spec": str(spec),
                              "deviation": str(graded.deviation), "within": graded.within}

        return await self._put(Measurement, inspection_id, measurement_id, values, check)

    async def put_answer(self, inspection_id: uuid.UUID, answer_id: uuid.UUID,
                         values: dict[str, Any]) -> tuple[ChecklistAnswer, bool]:
        async def check(inspection: Inspection, _order: Any, desired: dict[str, Any]) -> dict[str, Any]:
            template = await self.session.get(ChecklistTemplate, inspection.checklist_template_id)
            item = next((i for i in (template.items if template else []) if i["key"] == desired["item_key"]), None)
            if item is None:
                raise Invalid(f"{desired['item_key']!r} is not an item of this inspection's checklist.",
                              detail_zh="该检查项不在本次检查表中。", field="item_key")
            result = desired["result"]
            if item.get("kind") == "value" and result != "na":
                if desired["value"] is None:
                    raise Invalid("This item needs a numeric value.", detail_zh="该检查项需要填写数值。", field="value")
                try:
                    reading = parse_plain_number(desired["value"])
                except ValueError as exc:
                    raise Invalid(f"This item needs a numeric value: {exc}",
                                  detail_zh="该检查项需要填写数值，例如 12 或 12.5。", field="value") from None
                if item.get("limit") is not None:
                    try:  # a template saved before its limits were checked may hold one that is no number
                        limit = parse_plain_number(item["limit"])
                    except ValueError:
                        raise Invalid(f"The checklist's limit for {item['key']!r} is not a number; an admin must "
                                      "correct the checklist template.", detail_zh="检查表中该项的限值有误，请管理员修改检查表模板。",
                                      field="item_key") from None
                    if reading > limit:
                        result = "fail"  # over the limit fails, whatever was tapped
            return desired | {"result": result, "severity": item["fail_severity"] if result == "fail" else None}

        return await self._put(ChecklistAnswer, inspection_id, answer_id, values, check)

    async def delete(self, model: Any, inspection_id: uuid.UUID, finding_id: uuid.UUID) -> None:
        inspection, order = await self.inspections.load_for_writing(inspection_id)
        record = await self.session.get(model, finding_id)
        if record is None or record.inspection_id != inspection.id:
            return  # deleting twice is fine: the phone may retry
        if record.deleted_at is None:
            require_writable(inspection, Record.finding)
        written = await self.records.delete(FINDINGS[model], {"id": finding_id}, record, self.user)
        if written.changed:
            inspection.updated_at = utcnow()

    async def close_follow_up(self, inspection_id: uuid.UUID, defect_id: uuid.UUID, note: str,
                              photo_ids: list[uuid.UUID]) -> Defect:
        inspection, order = await self.inspections.load(inspection_id)
        defect = await self.session.get(Defect, defect_id)
        if defect is None or defect.inspection_id != inspection.id or not defect.follow_up or defect.deleted_at:
            raise NotFound("No such follow-up.", detail_zh="整改项不存在。")

        async def authorize(_current: Any) -> None:
            if defect.follow_up_owner_id != self.user.id:
                require_writer(self.user, inspection, order)
            require_writable(inspection, Record.follow_up_close)
            await require_own_photos(self.session, inspection, [str(p) for p in photo_ids])

        written = await self.records.write(FOLLOW_UP_CLOSE, {"id": defect.id},
                                           {"closed_note": note, "closed_photo_ids": [str(p) for p in photo_ids]},
                                           base_version=ONCE, current=defect, authorize=authorize,
                                           also={"closed_at": utcnow()})
        if not written.changed:
            return defect
        open_left = await self.session.scalar(
            select(func.count()).select_from(Defect).join(Inspection, Inspection.id == Defect.inspection_id)
            .where(Inspection.order_id == order.id, Inspection.superseded_by_id.is_(None), Defect.follow_up.is_(True),
                   Defect.closed_at.is_(None), Defect.deleted_at.is_(None), Defect.id != defect.id)) or 0
        if order.inspection_state and order.inspection_state["type"] == "in_process":
            order.inspection_state = order.inspection_state | {"open_follow_ups": open_left}
        await record_event(self.session, order.id, "follow_up_closed", f"Follow-up closed: {note}", self.user,
                           inspection_id=str(inspection.id), defect_id=str(defect.id), open_follow_ups=open_left)
        return defect

    async def follow_ups(self, order_id: uuid.UUID | None = None, closed: bool = False,
                         owner_id: uuid.UUID | None = None) -> list[tuple[Defect, Inspection, str]]:
        """Open follow-ups, the soonest due first; or closed ones, the last closed first."""
        query = (select(Defect, Inspection, Order.po_number).join(Inspection, Inspection.id == Defect.inspection_id)
                 .join(Order, Order.id == Inspection.order_id)
                 .where(inspection_visible_to(self.user), Inspection.superseded_by_id.is_(None),
                        Defect.follow_up.is_(True), Defect.deleted_at.is_(None)))
        if closed:
            query = query.where(Defect.closed_at.is_not(None)).order_by(Defect.closed_at.desc(), Defect.id)
        else:
            query = query.where(Defect.closed_at.is_(None)).order_by(
                Defect.follow_up_due.is_(None), Defect.follow_up_due, Defect.created_at, Defect.id)
        if order_id is not None:
            query = query.where(Inspection.order_id == order_id)
        if owner_id is not None:
            query = query.where(Defect.follow_up_owner_id == owner_id)
        return [(d, i, po_number) for d, i, po_number in await self.session.execute(query)]


class SpecSheetService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.records = SyncProtocol(session)

    async def get(self, order_id: uuid.UUID) -> SpecSheet:
        order = await visible_order(self.session, self.user, order_id)
        sheet = await self.session.get(SpecSheet, order.id)
        if sheet is None:
            raise NotFound("This order has no spec sheet yet.", detail_zh="该订单还没有尺寸表。")
        return sheet

    async def put(self, order_id: uuid.UUID, values: dict[str, Any]) -> tuple[SpecSheet, bool]:
        order = await visible_order(self.session, self.user, order_id)
        base_version = values.pop("version")
        codes: set[str] = set()
        for index, point in enumerate(values["points"]):
            # A measurement names its point by code: two points with one code could not be told apart.
            if point["code"] in codes:
                raise Invalid(f"Point code {point['code']!r} is on the sheet twice; give each point its own code.",
                              detail_zh=f"测量部位代码 {point['code']} 重复，每个部位须有自己的代码。",
                              field=f"points[{index}].code")
            codes.add(point["code"])
            tolerances = [("tol_minus", point["tol_minus"])]
            if point.get("tol_plus") is not None:
                tolerances.append(("tol_plus", point["tol_plus"]))
            for label, text in [*tolerances, *((f"specs.{size}", spec) for size, spec in point["specs"].items())]:
                field = f"points[{index}].{label}"
                try:
                    number = bounded(parse_reading(text, values["unit"]), text)
                except ValueError as exc:
                    raise Invalid(f"Point {point['code']} ({label}): {exc}", detail_zh=f"尺寸表数值无法识别：{field}。",
                                  field=field) from None
                if label.startswith("tol_") and number < 0:
                    raise Invalid(f"Point {point['code']} ({label}): tolerances are positive amounts; give a minus "
                                  "tolerance of 0.5 as 0.5.", detail_zh=f"公差须为正数（{field}），例如负公差 0.5 填写为 0.5。",
                                  field=field)
        existing = await self.session.get(SpecSheet, order.id)

        async def authorize(_current: Any) -> None:
            require_staff(self.user)

        async def create() -> SpecSheet:
            return SpecSheet(order_id=order.id, updated_at=utcnow(), **values)

        written = await self.records.write(SPEC_SHEET, {"order_id": order.id}, values, base_version=base_version,
                                           current=existing, authorize=authorize, create=create)
        sheet = written.record
        if written.changed:
            await record_event(self.session, order.id, "spec_sheet_saved", f"Spec sheet v{sheet.version} saved",
                               self.user, points=len(values["points"]))
        return sheet, written.created


def named(values: dict[str, Any], *names: str, field: str = "") -> None:
    """Names in both languages, trimmed: the phone shows the one of its language, so neither may be blank."""
    for name in names:
        values[name] = values[name].strip()
        if not values[name]:
            raise Invalid(f"{field}{name}: give the name in English and in Chinese; it may not be blank.",
                          detail_zh=f"{field}{name}：请填写中英文名称，不能为空。", field=f"{field}{name}")


class LibraryService:
    """The defect library and checklist templates: everyone reads them, admins edit them."""

    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.records = SyncProtocol(session)

    async def _authorize(self, _current: Any) -> None:
        require_admin(self.user)

    async def codes(self) -> list[DefectCode]:
        return list(await self.session.scalars(select(DefectCode).order_by(DefectCode.category, DefectCode.code)))

    async def put_code(self, code: str, values: dict[str, Any]) -> tuple[DefectCode, bool]:
        # An admin's desk edit without a version applies to the copy it just read.
        base_version = values.pop("version", CURRENT)
        named(values, "name_en", "name_zh")

        async def create() -> DefectCode:
            return DefectCode(code=code, **values)

        written = await self.records.write(DEFECT_CODE, {"code": code}, values, base_version=base_version,
                                           authorize=self._authorize, create=create)
        return written.record, written.created

    async def templates(self) -> list[ChecklistTemplate]:
        return list(await self.session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.code)))

    async def put_template(self, code: str, values: dict[str, Any]) -> tuple[ChecklistTemplate, bool]:
        base_version = values.pop("version", CURRENT)
        named(values, "name", "name_zh")
        values["items"] = [dict(i) for i in values["items"]]
        for index, item in enumerate(values["items"]):
            named(item, "label", "label_zh", field=f"items[{index}].")
        if len({i["key"] for i in values["items"]}) != len(values["items"]):
            raise Invalid("Item keys must be unique.", detail_zh="检查项键名不能重复。", field="items")
        for index, item in enumerate(values["items"]):
            if item["limit"] is not None:
                try:
                    parse_plain_number(item["limit"])
                except ValueError as exc:
                    raise Invalid(f"Item {item['key']} (limit): {exc}",
                                  detail_zh=f"限值必须是数字，例如 12 或 12.5：items[{index}].limit。",
                                  field=f"items[{index}].limit") from None

        async def create() -> ChecklistTemplate:
            return ChecklistTemplate(id=uuid.uuid4(), code=code, **values)

        written = await self.records.write(CHECKLIST_TEMPLATE, {"code": code}, values, base_version=base_version,
                                           authorize=self._authorize, create=create)
        return written.record, written.created

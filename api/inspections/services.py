"""Inspections: booking, sampling plans, the carton draw, the lifecycle and the live result."""

from __future__ import annotations

import base64
import io
import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import inspection_visible_to, may_write_inspection, visible_inspection, visible_order
from api.auth.models import STAFF, Role, User
from api.db import utcnow
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.inspections import aql
from api.inspections.cartons import TYPE_LABEL, draw, picked_cartons
from api.inspections.models import (
    ChecklistAnswer, ChecklistTemplate, Defect, Inspection, InspectionCarton, Measurement, Scan, Signature, SpecSheet,
)
from api.inspections.rules import SEVERITIES, LiveResult, live_result
from api.inspections.switching import LotRecord, SeverityOutcome, SwitchState, switch_state, switching_points
from api.inspections.schemas import (
    InspectionOut, PickedCartonOut, PlanOut, answer_out, defect_out, measurement_out, result_out, scan_out,
    signature_out, spec_sheet_out, template_out,
)
from api.orders.models import Carton, Customer, Factory, Order
from api.orders.schemas import carton_out, order_summary
from api.orders.services import PackingListService, require_staff
from api.orders.timeline import record_event
from api.sync import apply, same_content, stale_edit

INSPECTOR_ROLES = {Role.inspector, Role.merchandiser, Role.supervisor, Role.admin}
OPEN = ("scheduled", "in_progress")
GARMENT_DEFAULTS = {"aql_level": "II", "aql_critical": "0", "aql_major": "2.5", "aql_minor": "4.0"}
DEFAULT_TEMPLATE = "garment-final"


def frozen(inspection: Inspection) -> Conflict:
    return Conflict(f"This inspection is {inspection.status}: its findings are frozen. "
                    "Start a revision to correct it.",
                    detail_zh="该验货已提交，记录已锁定。如需更正请创建修订版。", inspection_status=inspection.status)


def require_writer(user: User, inspection: Inspection, order: Order) -> None:
    if not may_write_inspection(user, inspection, order):
        raise Forbidden("Only the assigned inspector, the order's merchandiser and supervisors may record this.",
                        detail_zh="只有指派的验货员、该订单的跟单员和主管可以记录。")


def require_open(inspection: Inspection) -> None:
    if inspection.status not in OPEN:
        raise frozen(inspection)


async def check_assignee(session: AsyncSession, assignee_id: uuid.UUID | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = await session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in INSPECTOR_ROLES:
        raise Invalid("The assignee must be an active inspector, merchandiser or supervisor.",
                      detail_zh="验货人必须是有效的验货员、跟单员或主管。", field="assignee_id")
    return assignee


def canonical_aql(value: str) -> str:
    return str(aql.parse_aql(value))


def sampling_settings(put: dict[str, Any], order: Order, customer: Customer) -> dict[str, str]:
    """Level and AQLs: what the inspection says, else the order's, else the customer's, else the garment defaults."""
    settings = {}
    for name, default in GARMENT_DEFAULTS.items():
        value = put.get(name) or getattr(order, name) or getattr(customer, name) or default
        try:
            settings[name] = aql.parse_level(value) if name == "aql_level" else canonical_aql(value)
        except aql.PlanInputError as exc:
            raise Invalid(exc.message, detail_zh=f"{name} 无效。", field=name) from None
    return settings


def compute_plans(lot_size: int | None, settings: dict[str, str], mode: str) -> dict[str, Any]:
    if lot_size is None:
        return {}
    return {severity: {k: v for k, v in asdict(aql.plan(lot_size, settings["aql_level"],
                                                          settings[f"aql_{severity}"], mode)).items()
                       if k != "initial_letter"}
            for severity in SEVERITIES}


class InspectionService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user

    # --- reading -----------------------------------------------------------------------------------------

    async def load(self, inspection_id: uuid.UUID) -> tuple[Inspection, Order]:
        return await visible_inspection(self.session, self.user, inspection_id)

    async def load_for_writing(self, inspection_id: uuid.UUID) -> tuple[Inspection, Order]:
        inspection, order = await self.load(inspection_id)
        require_writer(self.user, inspection, order)
        return inspection, order

    async def list(self, *, mine: bool = False, status: str | None = None, order_id: uuid.UUID | None = None,
                   type_: str | None = None, date_from: date | None = None, date_to: date | None = None,
                   page: int = 1, per_page: int = 50) -> tuple[list[tuple[Inspection, Order]], int]:
        query = (select(Inspection, Order).join(Order, Order.id == Inspection.order_id)
                 .where(inspection_visible_to(self.user)))
        if mine:
            query = query.where(Inspection.assignee_id == self.user.id)
        if status:
            query = query.where(Inspection.status == status)
        if order_id:
            query = query.where(Inspection.order_id == order_id)
        if type_:
            query = query.where(Inspection.type == type_)
        day = func.coalesce(Inspection.scheduled_for, func.date(Inspection.created_at))
        if date_from:
            query = query.where(day >= date_from)
        if date_to:
            query = query.where(day <= date_to)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(query.order_by(Inspection.updated_at.desc(), Inspection.id)
                                          .offset((page - 1) * per_page).limit(per_page))
        return [(i, o) for i, o in rows], total or 0

    async def tally(self, inspection: Inspection) -> LiveResult | None:
        """Defects per severity (garment practice counts defects, not defective units) against each plan."""
        if not inspection.plans:
            return None
        counts = dict.fromkeys(SEVERITIES, 0)
        for severity, total in await self.session.execute(
                select(Defect.severity, func.sum(Defect.count)).where(Defect.inspection_id == inspection.id)
                .group_by(Defect.severity)):
            counts[severity] += int(total or 0)
        for severity, total in await self.session.execute(
                select(ChecklistAnswer.severity, func.count()).where(
                    ChecklistAnswer.inspection_id == inspection.id, ChecklistAnswer.result == "fail")
                .group_by(ChecklistAnswer.severity)):
            counts[severity or "major"] += int(total)
        # A sample unit with any point out of tolerance is one measurement defect.
        off_units = await self.session.scalar(
            select(func.count(func.distinct(Measurement.sample_unit)))
            .where(Measurement.inspection_id == inspection.id, Measurement.within.is_(False)))
        if off_units:
            severity = await self.session.scalar(
                select(SpecSheet.defect_severity).where(SpecSheet.order_id == inspection.order_id)) or "major"
            counts[severity] += int(off_units)
        return live_result(inspection.plans, counts, inspection.units_inspected)

    async def out(self, inspection: Inspection, order: Order) -> InspectionOut:
        """Everything a phone needs to work offline: plans, picked cartons, findings, checklist, spec sheet."""
        iid = inspection.id
        customer = await self.session.get(Customer, order.customer_id)
        factory = await self.session.get(Factory, order.factory_id)
        picked = await self.picked_cartons(inspection)
        contents = await PackingListService(self.session, self.user).with_items([c for _, c, _ in picked])
        items = {carton.id: carton_items for carton, carton_items in contents}

        async def rows(model: Any, *order_by: Any) -> list[Any]:
            return list(await self.session.scalars(select(model).where(model.inspection_id == iid).order_by(*order_by)))

        template = (await self.session.get(ChecklistTemplate, inspection.checklist_template_id)
                    if inspection.checklist_template_id else None)
        spec = await self.session.get(SpecSheet, order.id)
        return InspectionOut(
            id=iid, version=inspection.version, order=order_summary(order, customer, factory), type=inspection.type,
            status=inspection.status, assignee_id=inspection.assignee_id, scheduled_for=inspection.scheduled_for,
            revision_of_id=inspection.revision_of_id, superseded_by_id=inspection.superseded_by_id,
            lot_size=inspection.lot_size, aql_level=inspection.aql_level, aql_critical=inspection.aql_critical,
            aql_major=inspection.aql_major, aql_minor=inspection.aql_minor, mode=inspection.mode,
            mode_reason=inspection.mode_reason, mode_reason_zh=inspection.mode_reason_zh,
            plans={k: PlanOut(**v) for k, v in inspection.plans.items()}, units_inspected=inspection.units_inspected,
            production_stage=inspection.production_stage, percent_complete=inspection.percent_complete,
            notes=inspection.notes, carton_seed=inspection.carton_seed, packing_list_id=inspection.packing_list_id,
            cartons=[PickedCartonOut(carton_id=c.id, number=c.number, barcode=c.barcode, reason=ic.reason,
                                     scanned=scanned, missing_reason=ic.missing_reason,
                                     items=carton_out(c, items[c.id]).items) for ic, c, scanned in picked],
            defects=[defect_out(d) for d in await rows(Defect, Defect.created_at, Defect.id)],
            measurements=[measurement_out(m) for m in await rows(Measurement, Measurement.sample_unit,
                                                                  Measurement.point)],
            checklist=template_out(template) if template else None,
            checklist_answers=[answer_out(a) for a in await rows(ChecklistAnswer, ChecklistAnswer.item_key)],
            spec_sheet=spec_sheet_out(spec) if spec else None,
            scans=[scan_out(s) for s in await rows(Scan, Scan.scanned_at, Scan.id)],
            signatures=[signature_out(s) for s in await rows(Signature, Signature.role)],
            result=result_out(await self.tally(inspection), inspection.units_inspected),
            verdict=inspection.verdict, started_at=inspection.started_at, submitted_at=inspection.submitted_at,
            review_decision=inspection.review_decision, review_note=inspection.review_note,
            reviewed_at=inspection.reviewed_at, abort_reason=inspection.abort_reason,
            created_at=inspection.created_at, updated_at=inspection.updated_at,
        )

    # --- creating and editing --------------------------------------------------------------------------

    async def put(self, inspection_id: uuid.UUID, values: dict[str, Any]) -> tuple[Inspection, bool]:
        """Create the inspection, replay an identical PUT, or apply a versioned edit. True when created."""
        base_version = values.pop("version")
        existing = await self.session.get(Inspection, inspection_id)
        if existing is not None:
            existing, order = await self.load(inspection_id)  # 404 unless visible
            if values["order_id"] != existing.order_id or values["type"] != existing.type:
                raise Conflict("An inspection's order and type cannot change.", detail_zh="验货的订单和类型不能更改。")
        else:
            order = await visible_order(self.session, self.user, values["order_id"])
            require_staff(self.user)
        customer = await self.session.get(Customer, order.customer_id)
        settings = sampling_settings(values, order, customer)
        desired = {k: v for k, v in values.items() if k not in GARMENT_DEFAULTS} | settings
        if desired["checklist_template_id"] is None:
            desired["checklist_template_id"] = (existing and existing.checklist_template_id) or (
                await self.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == DEFAULT_TEMPLATE)))
        elif await self.session.get(ChecklistTemplate, desired["checklist_template_id"]) is None:
            raise Invalid("Unknown checklist template.", detail_zh="检查表模板不存在。", field="checklist_template_id")
        if existing is not None:
            if desired["status"] == "scheduled":
                desired["status"] = existing.status  # a started inspection does not go back to scheduled
            if desired["assignee_id"] is None:
                desired["assignee_id"] = existing.assignee_id
            if same_content(existing, desired):
                return existing, False
            require_writer(self.user, existing, order)
            if base_version != existing.version:
                raise stale_edit(existing, base_version, await self.out(existing, order))
            require_open(existing)
        inspection = existing or Inspection(id=inspection_id, created_by_id=self.user.id, created_at=utcnow(),
                                            version=0, order_id=order.id, type=values["type"])
        if existing is None or desired["assignee_id"] != existing.assignee_id:
            await check_assignee(self.session, desired["assignee_id"])
        if existing is None:
            self.session.add(inspection)
        if not inspection.mode_reason:  # decided once, when the phone first takes the inspection
            state = await self.switching_state(order.factory_id) if values["type"] == "pre_shipment" else None
            inspection.mode = state.mode if state else "normal"
            inspection.mode_reason = state.reason if state else "Not a pre-shipment lot: normal inspection."
            inspection.mode_reason_zh = state.reason_zh if state else "非尾期批次：正常检验。"
        apply(inspection, desired)
        if inspection.assignee_id is None and self.user.role != Role.factory:
            inspection.assignee_id = self.user.id
        inspection.plans = compute_plans(inspection.lot_size, settings, inspection.mode)
        if inspection.status == "in_progress" and inspection.started_at is None:
            inspection.started_at = utcnow()
        inspection.updated_at = utcnow()
        if existing is None:
            await record_event(self.session, order.id, "inspection_created",
                               f"{TYPE_LABEL[inspection.type]} inspection created", self.user,
                               inspection_id=str(inspection.id), type=inspection.type)
        await self.session.flush()
        if inspection.type == "pre_shipment" and inspection.carton_seed is None:
            await draw(self.session, inspection, self.user)
        await self.session.commit()
        return inspection, existing is None


    # --- switching rules ---------------------------------------------------------------------------------

    async def switching_state(self, factory_id: uuid.UUID) -> SwitchState:
        factory = await self.session.get(Factory, factory_id)
        rows = await self.session.execute(
            select(Inspection).join(Order, Order.id == Inspection.order_id)
            .where(Order.factory_id == factory_id, Inspection.type == "pre_shipment",
                   Inspection.submitted_at.is_not(None), Inspection.superseded_by_id.is_(None),
                   Inspection.verdict.is_not(None))
            .order_by(Inspection.submitted_at))
        first_per_order: dict[uuid.UUID, Inspection] = {}
        for inspection in rows.scalars():
            # A re-inspection after rework is the same lot, not a new one.
            first_per_order.setdefault(inspection.order_id, inspection)
        lots = [LotRecord(i.mode, i.verdict == "fail", int(i.result.get("switching_points", 0)))
                for i in sorted(first_per_order.values(), key=lambda i: i.submitted_at)]
        return switch_state(lots, reduced_allowed=bool(factory and factory.reduced_allowed))

    async def factory_switching(self, factory_id: uuid.UUID) -> tuple[Factory, SwitchState]:
        factory = await self.session.get(Factory, factory_id)
        if factory is None or self.user.role not in STAFF:
            raise NotFound("No such factory.", detail_zh="工厂不存在。")
        return factory, await self.switching_state(factory.id)

    async def allow_reduced(self, factory_id: uuid.UUID, allowed: bool) -> tuple[Factory, SwitchState]:
        factory, _ = await self.factory_switching(factory_id)
        factory.reduced_allowed = allowed
        await self.session.commit()
        return factory, await self.switching_state(factory.id)

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def submit(self, inspection_id: uuid.UUID, version: int, missing: dict[int, str]) -> Inspection:
        inspection, order = await self.load_for_writing(inspection_id)
        if inspection.status == "submitted" and inspection.version == version + 1:
            return inspection  # a replay of the submission that made this version
        require_open(inspection)
        if version != inspection.version:
            raise Conflict("The inspection changed since your copy; reload it before submitting.",
                           detail_zh="验货记录已更新，请刷新后再提交。", current_version=inspection.version)
        picked = await self.picked_cartons(inspection)
        unscanned = [c for ic, c, scanned in picked if not scanned and not (missing.get(c.number) or ic.missing_reason)]
        if unscanned:
            numbers = ", ".join(str(c.number) for c in unscanned)
            raise Invalid(f"Scan every picked carton or give a reason for each one not opened: {numbers}.",
                          detail_zh=f"请扫描所有抽中的箱子，或为未开箱的箱子填写原因：{numbers}。",
                          cartons=[c.number for c in unscanned])
        for ic, carton, _ in picked:
            if carton.number in missing:
                ic.missing_reason = missing[carton.number]
        result = await self.tally(inspection)
        if inspection.type == "pre_shipment" and result is None:
            raise Invalid("Enter the lot size before submitting a pre-shipment inspection.",
                          detail_zh="提交尾期验货前请填写批量。", field="lot_size")
        if result is not None and result.overall == "pending" and inspection.type == "pre_shipment":
            short = [f"{r.severity}: {r.sample_size - inspection.units_inspected}" for r in result.severities
                     if r.verdict == "pending"]
            raise Invalid(f"The sample is not complete ({', '.join(short)} more units to inspect).",
                          detail_zh="抽样数量未完成。", result=result.to_dict())
        inspection.status = "submitted"
        inspection.submitted_at = utcnow()
        inspection.verdict = result.overall if result and result.overall != "pending" else None
        inspection.result = (result.to_dict() if result else {}) | {"switching_points": self._points(inspection, result)}
        inspection.version += 1
        inspection.updated_at = utcnow()
        await self._order_status(inspection, order, "inspection_submitted")
        await self.session.commit()
        return inspection

    @staticmethod
    def _points(inspection: Inspection, result: LiveResult | None) -> int:
        if result is None or inspection.mode != "normal":
            return 0
        outcomes = []
        for r in result.severities:
            letter = inspection.plans[r.severity]["code_letter"]
            tighter = aql.accept_at_tighter_aql(letter, getattr(inspection, f"aql_{r.severity}")) if r.accept >= 2 else None
            if r.accept >= 2 and tighter is None:
                return 0
            outcomes.append(SeverityOutcome(accept=r.accept, defects=r.count, tighter_accept=tighter))
        return switching_points(outcomes)

    async def review(self, inspection_id: uuid.UUID, decision: str, note: str) -> Inspection:
        inspection, order = await self.load(inspection_id)
        if self.user.role not in {Role.admin, Role.supervisor}:
            raise Forbidden("Only supervisors review inspections.", detail_zh="只有主管可以审核验货报告。")
        if inspection.status == "reviewed" and (inspection.review_decision, inspection.review_note) == (decision, note):
            return inspection  # replay
        if inspection.status != "submitted" and not (inspection.status == "reviewed"
                                                     and inspection.review_decision == "on_hold"):
            raise Conflict(f"Only a submitted inspection (or one on hold) can be reviewed; this one is "
                           f"{inspection.status}.", detail_zh="只能审核已提交或暂缓的验货。")
        if decision == "accepted" and inspection.verdict == "fail":
            raise Invalid("This lot failed its AQL: reject it, or accept it with a concession and say why.",
                          detail_zh="该批次AQL不合格：请拒收，或让步接受并说明原因。", field="decision")
        if decision == "accepted_with_concession" and not note.strip():
            raise Invalid("Say why the lot is accepted with a concession.", detail_zh="让步接受须说明原因。",
                          field="note")
        if decision in {"accepted", "accepted_with_concession"} and inspection.type == "pre_shipment":
            roles = set(await self.session.scalars(select(Signature.role).where(
                Signature.inspection_id == inspection.id)))
            if not {"inspector", "factory"} <= roles:
                raise Invalid("A pre-shipment report needs the inspector's and the factory's signatures before it "
                              "can be accepted.", detail_zh="尾期验货报告须验货员和工厂负责人双方签字后才能接受。",
                              missing=sorted({"inspector", "factory"} - roles))
        inspection.status = "reviewed"
        inspection.review_decision = decision
        inspection.review_note = note
        inspection.reviewed_at = utcnow()
        inspection.reviewed_by_id = self.user.id
        inspection.version += 1
        inspection.updated_at = utcnow()
        await self._order_status(inspection, order, "inspection_reviewed")
        await self.session.commit()
        return inspection

    async def abort(self, inspection_id: uuid.UUID, reason: str) -> Inspection:
        inspection, order = await self.load_for_writing(inspection_id)
        if inspection.status == "aborted" and inspection.abort_reason == reason:
            return inspection
        require_open(inspection)
        inspection.status = "aborted"
        inspection.abort_reason = reason
        inspection.version += 1
        inspection.updated_at = utcnow()
        await record_event(self.session, order.id, "inspection_aborted",
                           f"{TYPE_LABEL[inspection.type]} inspection aborted: {reason}", self.user,
                           inspection_id=str(inspection.id))
        await self.session.commit()
        return inspection

    async def revise(self, inspection_id: uuid.UUID, new_id: uuid.UUID) -> tuple[Inspection, bool]:
        """A correction of a submitted inspection: a new open revision with copies of its findings."""
        source, order = await self.load_for_writing(inspection_id)
        if source.superseded_by_id == new_id:
            return await self.session.get(Inspection, new_id), False  # type: ignore[return-value]
        if source.status not in {"submitted", "reviewed"} or source.superseded_by_id is not None:
            raise Conflict("Only the latest submitted inspection can be revised.",
                           detail_zh="只能修订最新的已提交验货。")
        if await self.session.get(Inspection, new_id) is not None:
            raise Conflict("That id is taken.", detail_zh="该编号已被使用。")
        skip = {"id", "status", "version", "revision_of_id", "superseded_by_id", "submitted_at", "verdict", "result",
                "review_decision", "review_note", "reviewed_at", "reviewed_by_id", "created_at", "updated_at"}
        columns = {c.key: getattr(source, c.key) for c in Inspection.__table__.columns if c.key not in skip}
        revision = Inspection(id=new_id, status="in_progress", version=1, revision_of_id=source.id,
                              created_at=utcnow(), updated_at=utcnow(), **columns)
        self.session.add(revision)
        await self.session.flush()

        def copy_id(old: uuid.UUID) -> uuid.UUID:
            return uuid.uuid5(new_id, str(old))  # stable, so the phone can find its records again

        for model in (Defect, Measurement, ChecklistAnswer, InspectionCarton, Scan):
            for row in (await self.session.scalars(select(model).where(model.inspection_id == source.id))).all():
                data = {c.key: getattr(row, c.key) for c in model.__table__.columns}
                self.session.add(model(**data | {"id": copy_id(row.id), "inspection_id": new_id}))
        source.superseded_by_id = new_id
        source.updated_at = utcnow()
        await record_event(self.session, order.id, "inspection_revised",
                           f"{TYPE_LABEL[source.type]} inspection reopened as a revision", self.user,
                           inspection_id=str(source.id), revision_id=str(new_id))
        await self.session.commit()
        return revision, True

    async def sign(self, inspection_id: uuid.UUID, role: str, name: str, image_b64: str | None) -> tuple[Signature, bool]:
        inspection, order = await self.load(inspection_id)
        own_factory = self.user.role == Role.factory and self.user.factory_id == order.factory_id
        if role == "factory" and not (own_factory or may_write_inspection(self.user, inspection, order)):
            raise Forbidden("Only the factory, or the inspector on their phone, can sign for the factory.",
                            detail_zh="只有工厂或验货员手机上的工厂负责人可以代表工厂签字。")
        if role == "inspector" and not may_write_inspection(self.user, inspection, order):
            raise Forbidden("Only the inspector signs as the inspector.", detail_zh="只有验货员本人可以签字。")
        if inspection.status in {"aborted"}:
            raise frozen(inspection)
        image = decode_signature(image_b64) if image_b64 else None
        existing = await self.session.scalar(select(Signature).where(
            Signature.inspection_id == inspection.id, Signature.role == role))
        if existing is not None:
            if (existing.name, existing.image_png) == (name, image):
                return existing, False
            raise Conflict(f"The {role} has signed this report already.", detail_zh="该报告已签字。")
        signature = Signature(id=uuid.uuid4(), inspection_id=inspection.id, role=role, name=name, image_png=image,
                              by_id=self.user.id, signed_at=utcnow())
        self.session.add(signature)
        await record_event(self.session, order.id, "report_signed", f"Report signed by the {role}: {name}",
                           self.user, inspection_id=str(inspection.id), role=role)
        await self.session.commit()
        return signature, True

    async def signature_image(self, inspection_id: uuid.UUID, role: str) -> bytes:
        inspection, _ = await self.load(inspection_id)
        image = await self.session.scalar(select(Signature.image_png).where(
            Signature.inspection_id == inspection.id, Signature.role == role))
        if image is None:
            raise NotFound("This report has no signature image for that role.", detail_zh="没有签名图片。")
        return image

    async def picked_cartons(self, inspection: Inspection) -> list[tuple[InspectionCarton, Carton, bool]]:
        return await picked_cartons(self.session, inspection)

    async def _order_status(self, inspection: Inspection, order: Order, kind: str) -> None:
        label = TYPE_LABEL[inspection.type]
        open_follow_ups = await self.session.scalar(
            select(func.count()).select_from(Defect).join(Inspection, Inspection.id == Defect.inspection_id)
            .where(Inspection.order_id == order.id, Inspection.superseded_by_id.is_(None),
                   Defect.follow_up.is_(True), Defect.closed_at.is_(None))) or 0
        verdict = {"pass": "passed", "fail": "failed"}.get(inspection.verdict or "", "done")
        if inspection.status == "reviewed":
            status = {"accepted": f"{label} accepted", "accepted_with_concession": f"{label} accepted with concession",
                      "rejected": f"{label} rejected — rework and re-inspection", "on_hold": f"{label} on hold"}[
                inspection.review_decision or ""]
        elif inspection.type == "in_process":
            status = f"DUPRO: {inspection.percent_complete or 0} %, " + (
                f"{open_follow_ups} issue{'s' if open_follow_ups != 1 else ''} open" if open_follow_ups else "no open issues")
        else:
            status = f"{label} {verdict} — awaiting review"
        order.inspection_status = status
        await record_event(self.session, order.id, kind, status, self.user, inspection_id=str(inspection.id),
                           verdict=inspection.verdict, decision=inspection.review_decision,
                           open_follow_ups=open_follow_ups)


def decode_signature(image_b64: str) -> bytes:
    from PIL import Image, UnidentifiedImageError

    try:
        data = base64.b64decode(image_b64.split(",", 1)[-1], validate=True)
    except ValueError:
        raise Invalid("The signature image is not valid base64.", detail_zh="签名图片编码无效。",
                      field="image_png") from None
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) > 300_000:
        raise Invalid("The signature must be a PNG of at most 300 KB.", detail_zh="签名须为不超过 300 KB 的 PNG 图片。",
                      field="image_png")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 4_000_000:
                raise Invalid("The signature image is too large.", detail_zh="签名图片过大。", field="image_png")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise Invalid("The signature PNG is damaged.", detail_zh="签名图片已损坏。", field="image_png") from None
    return data


class BookingService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user

    async def book(self, order_id: uuid.UUID, inspection_id: uuid.UUID, type_: str, assignee_id: uuid.UUID,
                   scheduled_for: date | None) -> tuple[Inspection, bool]:
        """Returns the inspection and whether it was created now (False for a replay)."""
        order = await visible_order(self.session, self.user, order_id)
        require_staff(self.user)
        existing = await self.session.get(Inspection, inspection_id)
        if existing is not None:
            same = (existing.order_id, existing.type, existing.assignee_id, existing.scheduled_for) == (
                order.id, type_, assignee_id, scheduled_for)
            if not same:
                raise Conflict("An inspection with this id exists with other content.",
                               detail_zh="该编号的验货已存在且内容不同。", id=str(inspection_id))
            return existing, False
        assignee = await check_assignee(self.session, assignee_id)
        inspection = Inspection(id=inspection_id, order_id=order.id, type=type_, assignee_id=assignee.id,
                                scheduled_for=scheduled_for, created_by_id=self.user.id)
        self.session.add(inspection)
        await record_event(self.session, order.id, "inspection_booked",
                           f"{TYPE_LABEL[type_]} inspection booked for {assignee.display_name}"
                           + (f" on {scheduled_for.isoformat()}" if scheduled_for else ""),
                           self.user, inspection_id=str(inspection_id), assignee_id=str(assignee.id), type=type_)
        await self.session.commit()
        return inspection, True

    async def for_order(self, order_id: uuid.UUID) -> list[Inspection]:
        order = await visible_order(self.session, self.user, order_id)
        query = select(Inspection).where(Inspection.order_id == order.id).order_by(Inspection.created_at)
        if self.user.role == Role.inspector:
            query = query.where(Inspection.assignee_id == self.user.id)
        return list(await self.session.scalars(query))

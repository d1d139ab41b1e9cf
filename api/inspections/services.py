"""Inspections: booking, sampling plans, the carton draw, the lifecycle and the live result."""

from __future__ import annotations

import base64
import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from api import aql
from api.access import (
    ASSIGNABLE, find_visible_inspection, inspection_visible_to, inspections_listed_for, is_assignable,
    may_see_factory, may_see_picks, require_planner, require_reviewer, require_signer, require_staff, require_writer,
    visible_inspection, visible_order, without_picks,
)
from api.auth.models import User
from api.db import utcnow
from api.errors import Conflict, Invalid, NotFound
from api.events import record_event
from api.imaging import ImageError, read_signature_png
from api.inspections.cartons import TYPE_LABEL, draw, picked_cartons
from api.inspections.lifecycle import SHIPPABLE, Action, Record, Status, may_review, may_write, next_status
from api.inspections.models import (
    ChecklistAnswer, ChecklistTemplate, Defect, Inspection, InspectionCarton, Measurement, Scan, Signature, SpecSheet,
)
from api.inspections.rules import SEVERITIES, LiveResult, live_result
from api.inspections.schemas import (
    InspectionOut, PickedCartonOut, PlanOut, answer_out, booking_out, defect_out, measurement_out, result_out, scan_out,
    signature_out, spec_sheet_out, template_out,
)
from api.inspections.switching import LotRecord, SeverityOutcome, SwitchState, switch_state, switching_points
from api.orders.inspection_status import render as render_order_state
from api.orders.inspection_status import state as order_state
from api.orders.models import Carton, Customer, Factory, Order, OrderLine, PackingList
from api.orders.schemas import carton_out, order_out
from api.orders.services import PackingListService
from api.sync import CURRENT, ONCE, RecordKind, SyncProtocol

GARMENT_DEFAULTS = {"aql_level": "II", "aql_critical": "0", "aql_major": "2.5", "aql_minor": "4.0"}
DEFAULT_TEMPLATE = "garment-final"


def frozen(inspection: Inspection) -> Conflict:
    return Conflict(f"This inspection is {inspection.status}: its findings are frozen. "
                    "Start a revision to correct it.",
                    detail_zh="该验货已提交，记录已锁定。如需更正请创建修订版。", inspection_status=inspection.status)


def id_taken(kind: RecordKind[Any]) -> Conflict:
    """A create under an id that a record the user does not own holds (another inspection's, perhaps one they may
    not see): the sync protocol's 409 for a taken key, with its wording, but without the server's copy. The id
    cannot be created, so it cannot look unknown; the answer says only that it is taken, the same whoever holds it.
    """
    return Conflict(kind.taken[0], detail_zh=kind.taken[1])


def require_writable(inspection: Inspection, record: Record = Record.finding) -> None:
    if not may_write(inspection.status, record):
        raise frozen(inspection)


async def check_assignee(session: AsyncSession, assignee_id: uuid.UUID | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = await session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in ASSIGNABLE:
        raise Invalid("The assignee must be an active inspector, merchandiser or supervisor.",
                      detail_zh="验货人必须是有效的验货员、跟单员或主管。", field="assignee_id")
    return assignee


def canonical_aql(value: str) -> str:
    return str(aql.parse_aql(value))


def sampling_settings(sent: dict[str, Any], order: Order, customer: Customer,
                      existing: Inspection | None) -> dict[str, str]:
    """Level and AQLs: what the inspection says, else the order's, else the customer's, else the garment defaults.

    A setting the PUT leaves out keeps its value; an explicit null goes back to the order's (or its default).
    """
    settings = {}
    for name, default in GARMENT_DEFAULTS.items():
        if name not in sent and existing is not None:
            settings[name] = getattr(existing, name)
            continue
        value = sent.get(name) or getattr(order, name) or getattr(customer, name) or default
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
        self.records = SyncProtocol(session)
        # The server's copy sent with a 409 is the whole inspection, as a GET shows it.
        self.kind = RecordKind(Inspection, out=self._server_copy)

    async def _server_copy(self, inspection: Inspection) -> InspectionOut:
        return await self.out(inspection, await self.session.get(Order, inspection.order_id))

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
                select(Defect.severity, func.sum(Defect.count)).where(Defect.inspection_id == inspection.id,
                                                                      Defect.deleted_at.is_(None))
                .group_by(Defect.severity)):
            counts[severity] += int(total or 0)
        for severity, total in await self.session.execute(
                select(ChecklistAnswer.severity, func.count()).where(
                    ChecklistAnswer.inspection_id == inspection.id, ChecklistAnswer.result == "fail",
                    ChecklistAnswer.deleted_at.is_(None))
                .group_by(ChecklistAnswer.severity)):
            counts[severity or "major"] += int(total)
        # A sample unit with any point out of tolerance is one measurement defect.
        off_units = await self.session.scalar(
            select(func.count(func.distinct(Measurement.sample_unit)))
            .where(Measurement.inspection_id == inspection.id, Measurement.within.is_(False),
                   Measurement.deleted_at.is_(None)))
        if off_units:
            severity = await self.session.scalar(
                select(SpecSheet.defect_severity).where(SpecSheet.order_id == inspection.order_id)) or "major"
            counts[severity] += int(off_units)
        return live_result(inspection.plans, counts, inspection.units_inspected)

    async def out(self, inspection: Inspection, order: Order, *, with_findings: bool = True) -> InspectionOut:
        """Everything a phone needs to work offline: plans, picked cartons, findings, checklist, spec sheet.

        Without findings (the change feed sends them as items of their own), the lists of defects,
        measurements, checklist answers, scans and signatures are left empty.
        """
        iid = inspection.id
        customer = await self.session.get(Customer, order.customer_id)
        factory = await self.session.get(Factory, order.factory_id)
        set_committed_value(order, "lines", list(await self.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.deleted_at.is_(None))
            .order_by(OrderLine.position))))
        picks_visible = may_see_picks(self.user, inspection)
        picked = await self.picked_cartons(inspection) if picks_visible else []
        contents = await PackingListService(self.session, self.user).with_items([c for _, c, _ in picked])
        items = {carton.id: carton_items for carton, carton_items in contents}

        async def rows(model: Any, *order_by: Any) -> list[Any]:
            if not with_findings:
                return []
            query = select(model).where(model.inspection_id == iid)
            if hasattr(model, "deleted_at"):
                query = query.where(model.deleted_at.is_(None))
            return list(await self.session.scalars(query.order_by(*order_by)))

        template = (await self.session.get(ChecklistTemplate, inspection.checklist_template_id)
                    if inspection.checklist_template_id else None)
        spec = await self.session.get(SpecSheet, order.id)
        assignee_name = (await self.session.scalar(select(User.display_name).where(User.id == inspection.assignee_id))
                         if inspection.assignee_id else None)
        return InspectionOut(
            id=iid, version=inspection.version, order=order_out(order, customer, factory), type=inspection.type,
            status=inspection.status, assignee_id=inspection.assignee_id, assignee_name=assignee_name,
            scheduled_for=inspection.scheduled_for,
            revision_of_id=inspection.revision_of_id, superseded_by_id=inspection.superseded_by_id,
            reinspection_of_id=inspection.reinspection_of_id, lot_size=inspection.lot_size,
            aql_level=inspection.aql_level, aql_critical=inspection.aql_critical, aql_major=inspection.aql_major,
            aql_minor=inspection.aql_minor, mode=inspection.mode,
            mode_reason=inspection.mode_reason, mode_reason_zh=inspection.mode_reason_zh,
            plans={k: PlanOut(**v) for k, v in inspection.plans.items()}, units_inspected=inspection.units_inspected,
            production_stage=inspection.production_stage, percent_complete=inspection.percent_complete,
            notes=inspection.notes, carton_seed=inspection.carton_seed if picks_visible else None,
            packing_list_id=inspection.packing_list_id,
            cartons=[PickedCartonOut(carton_id=c.id, number=c.number, barcode=c.barcode, reason=ic.reason,
                                     scanned=scanned, missing_reason=ic.missing_reason,
                                     items=carton_out(c, items[c.id]).items) for ic, c, scanned in picked],
            defects=[without_picks(defect_out(d), picks_visible)
                     for d in await rows(Defect, Defect.created_at, Defect.id)],
            measurements=[measurement_out(m) for m in await rows(Measurement, Measurement.sample_unit,
                                                                  Measurement.point)],
            checklist=template_out(template) if template else None,
            checklist_answers=[answer_out(a) for a in await rows(ChecklistAnswer, ChecklistAnswer.item_key)],
            spec_sheet=spec_sheet_out(spec) if spec else None,
            scans=[scan_out(s) for s in await rows(Scan, Scan.scanned_at, Scan.id)] if picks_visible else [],
            signatures=[signature_out(s) for s in await rows(Signature, Signature.role)],
            result=result_out(await self.tally(inspection), inspection.units_inspected),
            verdict=inspection.verdict, started_at=inspection.started_at, submitted_at=inspection.submitted_at,
            review_decision=inspection.review_decision, review_note=inspection.review_note,
            reviewed_at=inspection.reviewed_at, abort_reason=inspection.abort_reason,
            created_at=inspection.created_at, updated_at=inspection.updated_at,
        )

    # --- creating and editing --------------------------------------------------------------------------

    async def put(self, inspection_id: uuid.UUID, values: dict[str, Any]) -> tuple[Inspection, bool]:
        """Create the inspection, replay an identical PUT, or apply a versioned edit. True when created.

        A field the PUT leaves out keeps its value; an explicit null clears it.
        """
        base_version = values.pop("version", 0)
        found = await find_visible_inspection(self.session, self.user, inspection_id)
        existing: Inspection | None = None
        if found is not None:
            existing, order = found
            if values["order_id"] != existing.order_id or values["type"] != existing.type:
                raise Conflict("An inspection's order and type cannot change.", detail_zh="验货的订单和类型不能更改。")
        else:
            # An inspection this user may not see is answered exactly as a missing one: by the create path's
            # checks, the order named in the body ("No such order.") and who may create one.
            order = await visible_order(self.session, self.user, values["order_id"])
            require_staff(self.user)
            if await self.session.get(Inspection, inspection_id) is not None:
                # Unreachable while staff see every inspection (api/access.py). Should that change, the id is
                # taken: say so, and nothing about the inspection behind it.
                raise id_taken(BOOKING)
        customer = await self.session.get(Customer, order.customer_id)
        settings = sampling_settings(values, order, customer, existing)
        desired = {k: v for k, v in values.items() if k not in GARMENT_DEFAULTS and k not in {"order_id", "type"}}
        desired |= {k: v for k, v in settings.items() if existing is None or k in values}
        if existing is None or "checklist_template_id" in desired or existing.checklist_template_id is None:
            desired["checklist_template_id"] = await self._template_id(desired.get("checklist_template_id"), existing)
        if existing is not None:
            if desired.get("status") == Status.scheduled:
                desired["status"] = existing.status  # a started inspection does not go back to scheduled
            if "assignee_id" in desired and desired["assignee_id"] is None:
                desired["assignee_id"] = existing.assignee_id  # an inspection always has someone to do it

        async def authorize(current: Inspection | None) -> None:
            if current is not None:
                require_writer(self.user, current, order)
                require_writable(current, Record.settings)
                if any(name in desired and desired[name] != getattr(current, name)
                       for name in (*GARMENT_DEFAULTS, "assignee_id")):
                    require_planner(self.user)
            if current is None or desired.get("assignee_id", current.assignee_id) != current.assignee_id:
                await check_assignee(self.session, desired.get("assignee_id"))

        async def create() -> Inspection:
            fields = {"status": Status.in_progress} | desired
            if fields.get("assignee_id") is None and is_assignable(self.user):
                fields["assignee_id"] = self.user.id
            return Inspection(id=inspection_id, created_by_id=self.user.id, created_at=utcnow(), updated_at=utcnow(),
                              order_id=order.id, type=values["type"], **fields)

        written = await self.records.write(self.kind, {"id": inspection_id}, desired, base_version=base_version,
                                           current=existing, authorize=authorize, create=create)
        inspection = written.record
        if not written.changed:
            return inspection, False
        if inspection.status == Status.in_progress and inspection.started_at is None:
            inspection.started_at = utcnow()
        if written.created:
            await record_event(self.session, order.id, "inspection_created",
                               f"{TYPE_LABEL[inspection.type]} created", self.user,
                               inspection_id=str(inspection.id), type=inspection.type)
        await self._plan_and_draw(inspection, order)
        return inspection, written.created

    async def prepare(self, inspection: Inspection, order: Order) -> None:
        """Make a booked inspection a ready assignment, so the phone can take it offline to the floor.

        The lot size is the current packing list's total, else the order's quantity, until the inspection
        starts (then it is the assignee's to correct on site). The sampling comes from the order, else the
        customer; the plans follow; a pre-shipment inspection picks its cartons once there is a packing list.
        """
        if inspection.status == Status.scheduled:
            inspection.lot_size = await self._lot_size(order) or inspection.lot_size
        if not inspection.mode_reason:  # not planned yet: the sampling comes from the order or the customer
            customer = await self.session.get(Customer, order.customer_id)
            for name, value in sampling_settings({}, order, customer, None).items():
                setattr(inspection, name, value)
        await self._plan_and_draw(inspection, order)

    async def _plan_and_draw(self, inspection: Inspection, order: Order) -> None:
        """The inspection mode (decided once, from the factory's switching state), the plans for the lot size
        and sampling as they are now, and for a pre-shipment inspection its first draw of cartons."""
        if not inspection.mode_reason:
            state = await self.switching_state(order.factory_id) if inspection.type == "pre_shipment" else None
            inspection.mode = state.mode if state else "normal"
            inspection.mode_reason = state.reason if state else "Not a pre-shipment lot: normal inspection."
            inspection.mode_reason_zh = state.reason_zh if state else "非尾期批次：正常检验。"
        settings = {name: getattr(inspection, name) for name in GARMENT_DEFAULTS}
        inspection.plans = compute_plans(inspection.lot_size, settings, inspection.mode)
        await self.session.flush()
        if inspection.type == "pre_shipment" and inspection.carton_seed is None:
            await draw(self.session, inspection, self.user)

    async def _lot_size(self, order: Order) -> int | None:
        packed = await self.session.scalar(select(PackingList.total_quantity).where(
            PackingList.order_id == order.id, PackingList.is_current))
        if packed:
            return int(packed)
        ordered = await self.session.scalar(select(func.sum(OrderLine.quantity)).where(
            OrderLine.order_id == order.id, OrderLine.deleted_at.is_(None)))
        return int(ordered) if ordered else None

    async def _template_id(self, template_id: uuid.UUID | None, existing: Inspection | None) -> uuid.UUID | None:
        if template_id is None:
            return (existing and existing.checklist_template_id) or (
                await self.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == DEFAULT_TEMPLATE)))
        if await self.session.get(ChecklistTemplate, template_id) is None:
            raise Invalid("Unknown checklist template.", detail_zh="检查表模板不存在。", field="checklist_template_id")
        return template_id

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
        if factory is None or factory.deleted_at is not None or not may_see_factory(self.user):
            raise NotFound("No such factory.", detail_zh="工厂不存在。")
        return factory, await self.switching_state(factory.id)

    async def allow_reduced(self, factory_id: uuid.UUID, allowed: bool) -> tuple[Factory, SwitchState]:
        factory, _ = await self.factory_switching(factory_id)
        factory.reduced_allowed = allowed
        return factory, await self.switching_state(factory.id)

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def start(self, inspection_id: uuid.UUID, version: int | None = None) -> Inspection:
        """Scheduled → in progress (the phone's "start" offline). `version`: the one it was based on; None: current.

        A start is a fact that stays true: once the inspection was started (by this, a finding, a scan or a
        PUT), a start answers the inspection as it is, however late it arrives, and changes nothing.
        """
        inspection, _ = await self.load_for_writing(inspection_id)
        kind = RecordKind(Inspection, out=self._server_copy,
                          present=lambda i: i.started_at is not None or i.status not in {Status.scheduled,
                                                                                          Status.aborted})

        async def authorize(current: Inspection | None) -> None:
            assert current is not None
            if next_status(current.status, Action.start) is None:
                raise frozen(current)

        await self.records.write(kind, {"id": inspection.id}, {}, base_version=CURRENT if version is None else version,
                                 current=inspection, authorize=authorize,
                                 also={"status": Status.in_progress, "started_at": utcnow()})
        return inspection

    async def submit(self, inspection_id: uuid.UUID, version: int, missing: dict[int, str]) -> Inspection:
        inspection, order = await self.load_for_writing(inspection_id)
        checked: dict[str, Any] = {}

        async def authorize(current: Inspection | None) -> None:
            assert current is not None
            if next_status(current.status, Action.submit) is None:
                raise frozen(current)
            picked = await self.picked_cartons(current)
            unscanned = [c for ic, c, scanned in picked
                         if not scanned and not (missing.get(c.number) or ic.missing_reason)]
            if unscanned:
                numbers = ", ".join(str(c.number) for c in unscanned)
                raise Invalid(f"Scan every picked carton or give a reason for each one not opened: {numbers}.",
                              detail_zh=f"请扫描所有抽中的箱子，或为未开箱的箱子填写原因：{numbers}。",
                              cartons=[c.number for c in unscanned])
            result = await self.tally(current)
            if current.type == "pre_shipment" and result is None:
                raise Invalid("Enter the lot size before submitting a pre-shipment inspection.",
                              detail_zh="提交尾期验货前请填写批量。", field="lot_size")
            if result is not None and result.overall == "pending" and current.type == "pre_shipment":
                short = [f"{r.severity}: {r.sample_size - current.units_inspected}" for r in result.severities
                         if r.verdict == "pending"]
                raise Invalid(f"The sample is not complete ({', '.join(short)} more units to inspect).",
                              detail_zh="抽样数量未完成。", result=result.to_dict())
            checked.update(picked=picked, result=result)

        now = utcnow()
        written = await self.records.write(self.kind, {"id": inspection.id}, {"status": Status.submitted},
                                           base_version=version, current=inspection, authorize=authorize,
                                           also={"submitted_at": now})
        if not written.changed:
            return inspection  # a replay of the submission
        for ic, carton, _ in checked["picked"]:
            if carton.number in missing:
                ic.missing_reason = missing[carton.number]
        result = checked["result"]
        inspection.verdict = result.overall if result and result.overall != "pending" else None
        inspection.result = (result.to_dict() if result else {}) | {"switching_points": self._points(inspection, result)}
        await self._order_status(inspection, order, "inspection_submitted")
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
        require_reviewer(self.user)

        async def authorize(current: Inspection | None) -> None:
            assert current is not None
            if not may_review(current.status, current.review_decision):
                raise Conflict(f"Only a submitted inspection (or one on hold) can be reviewed; this one is "
                               f"{current.status}.", detail_zh="只能审核已提交或暂缓的验货。")
            if decision == "accepted" and current.verdict == "fail":
                raise Invalid("This lot failed its AQL: reject it, or accept it with a concession and say why.",
                              detail_zh="该批次AQL不合格：请拒收，或让步接受并说明原因。", field="decision")
            if decision == "accepted_with_concession" and not note.strip():
                raise Invalid("Say why the lot is accepted with a concession.", detail_zh="让步接受须说明原因。",
                              field="note")
            if decision in {"accepted", "accepted_with_concession"} and current.type == "pre_shipment":
                roles = set(await self.session.scalars(select(Signature.role).where(
                    Signature.inspection_id == current.id)))
                if not {"inspector", "factory"} <= roles:
                    raise Invalid("A pre-shipment report needs the inspector's and the factory's signatures before "
                                  "it can be accepted.",
                                  detail_zh="尾期验货报告须验货员和工厂负责人双方签字后才能接受。",
                                  missing=sorted({"inspector", "factory"} - roles))

        written = await self.records.write(
            self.kind, {"id": inspection.id},
            {"status": Status.reviewed, "review_decision": decision, "review_note": note},
            base_version=CURRENT, current=inspection, authorize=authorize,
            also={"reviewed_at": utcnow(), "reviewed_by_id": self.user.id})
        if written.changed:
            await self._order_status(inspection, order, "inspection_reviewed")
        return inspection

    async def abort(self, inspection_id: uuid.UUID, reason: str) -> Inspection:
        inspection, order = await self.load_for_writing(inspection_id)

        async def authorize(current: Inspection | None) -> None:
            assert current is not None
            if next_status(current.status, Action.abort) is None:
                raise frozen(current)

        written = await self.records.write(self.kind, {"id": inspection.id},
                                           {"status": Status.aborted, "abort_reason": reason},
                                           base_version=CURRENT, current=inspection, authorize=authorize)
        if written.changed:
            await record_event(self.session, order.id, "inspection_aborted",
                               f"{TYPE_LABEL[inspection.type]} aborted: {reason}", self.user,
                               inspection_id=str(inspection.id))
        return inspection

    async def revise(self, inspection_id: uuid.UUID, new_id: uuid.UUID) -> tuple[Inspection, bool]:
        """A correction of a submitted inspection: a new open revision with copies of its findings."""
        source, order = await self.load_for_writing(inspection_id)
        if order.status == "shipped":
            require_reviewer(self.user)  # a correction after shipping is a supervisor's call, and reopens nothing
        # An id held by anything but this revision is another inspection, perhaps one this user may not see: its
        # 409 says the id is taken and sends no copy of it (as id_taken: no `current`).
        kind = RecordKind(Inspection, out=lambda _: None, taken=("That id is taken.", "该编号已被使用。"))

        async def authorize(current: Inspection | None) -> None:
            if source.status not in {Status.submitted, Status.reviewed} or source.superseded_by_id is not None:
                raise Conflict("Only the latest submitted inspection can be revised.",
                               detail_zh="只能修订最新的已提交验货。")

        async def create() -> Inspection:
            skip = {"id", "status", "version", "revision_of_id", "superseded_by_id", "submitted_at", "verdict",
                    "result", "review_decision", "review_note", "reviewed_at", "reviewed_by_id", "created_at",
                    "updated_at"}
            columns = {c.key: getattr(source, c.key) for c in Inspection.__table__.columns if c.key not in skip}
            return Inspection(id=new_id, status=Status.in_progress, revision_of_id=source.id, created_at=utcnow(),
                              updated_at=utcnow(), **columns)

        written = await self.records.write(kind, {"id": new_id}, {"revision_of_id": source.id}, base_version=ONCE,
                                           authorize=authorize, create=create)
        if not written.created:
            return written.record, False
        # Of two revisions of one inspection made at once, one supersedes it; the other is undone with its request.
        claimed = await self.session.execute(
            update(Inspection).where(Inspection.id == source.id, Inspection.superseded_by_id.is_(None))
            .values(superseded_by_id=new_id, updated_at=utcnow()).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise Conflict("Only the latest submitted inspection can be revised.", detail_zh="只能修订最新的已提交验货。")
        await self.session.refresh(source)

        def copy_id(old: uuid.UUID) -> uuid.UUID:
            return uuid.uuid5(new_id, str(old))  # stable, so the phone can find its records again

        for model in (Defect, Measurement, ChecklistAnswer, InspectionCarton, Scan):
            query = select(model).where(model.inspection_id == source.id)
            if hasattr(model, "deleted_at"):
                query = query.where(model.deleted_at.is_(None))
            for row in (await self.session.scalars(query)).all():
                data = {c.key: getattr(row, c.key) for c in model.__table__.columns}
                self.session.add(model(**data | {"id": copy_id(row.id), "inspection_id": new_id}))
        await record_event(self.session, order.id, "inspection_revised",
                           f"{TYPE_LABEL[source.type]} reopened as a revision", self.user,
                           inspection_id=str(source.id), revision_id=str(new_id))
        return written.record, True

    async def sign(self, inspection_id: uuid.UUID, role: str, name: str, image_b64: str | None) -> tuple[Signature, bool]:
        inspection, order = await self.load(inspection_id)
        image = decode_signature(image_b64) if image_b64 else None

        async def authorize(current: Signature | None) -> None:
            require_signer(self.user, role, inspection, order)
            require_writable(inspection, Record.signature)

        async def create() -> Signature:
            return Signature(id=uuid.uuid4(), inspection_id=inspection.id, role=role, name=name, image_png=image,
                             by_id=self.user.id, signed_at=utcnow())

        written = await self.records.write(SIGNATURE, {"inspection_id": inspection.id, "role": role},
                                           {"name": name, "image_png": image}, base_version=ONCE,
                                           authorize=authorize, create=create)
        if written.created:
            await record_event(self.session, order.id, "report_signed", f"Report signed by the {role}: {name}",
                               self.user, inspection_id=str(inspection.id), role=role)
        return written.record, written.created

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
        """The order's inspection news, and ready to ship once its pre-shipment inspection is accepted.

        Once the order has shipped, nothing an inspection does changes the order (a late revision only adds
        to the timeline).
        """
        if order.status == "shipped":
            await record_event(self.session, order.id, kind, f"{TYPE_LABEL[inspection.type]} {kind.split('_')[-1]} "
                               "after shipping; the order stays shipped", self.user, inspection_id=str(inspection.id),
                               verdict=inspection.verdict, decision=inspection.review_decision)
            return
        if (inspection.type == "pre_shipment" and inspection.review_decision in SHIPPABLE
                and inspection.status == Status.reviewed and order.status in {"confirmed", "in_production"}):
            order.status = "ready_to_ship"
        open_follow_ups = await self.session.scalar(
            select(func.count()).select_from(Defect).join(Inspection, Inspection.id == Defect.inspection_id)
            .where(Inspection.order_id == order.id, Inspection.superseded_by_id.is_(None),
                   Defect.follow_up.is_(True), Defect.closed_at.is_(None), Defect.deleted_at.is_(None))) or 0
        order.inspection_state = order_state(
            inspection.type, submitted=True, verdict=inspection.verdict,
            decision=inspection.review_decision if inspection.status == Status.reviewed else None,
            percent_complete=inspection.percent_complete, open_follow_ups=open_follow_ups)
        english, chinese = render_order_state(order.inspection_state)
        await record_event(self.session, order.id, kind, english, self.user, inspection_id=str(inspection.id),
                           verdict=inspection.verdict, decision=inspection.review_decision,
                           open_follow_ups=open_follow_ups, message_zh=chinese)


SIGNATURE = RecordKind(Signature, out=signature_out, key=("inspection_id", "role"),
                       taken=("This report has been signed for that role already.", "该报告已签字。"))
BOOKING = RecordKind(Inspection, out=booking_out,
                     taken=("An inspection with this id exists with other content.", "该编号的验货已存在且内容不同。"))


def reinspected_already() -> Conflict:
    # A 409, like a PO number taken: the rejection is held by another booking (abort that one to book anew).
    return Conflict("This inspection has a re-inspection booked already; abort that one first to book another.",
                    detail_zh="该验货已预约复验；如需重新预约，请先中止已有的复验。", field="reinspection_of_id")


def decode_signature(image_b64: str) -> bytes:
    try:
        data = base64.b64decode(image_b64.split(",", 1)[-1], validate=True)
    except ValueError:
        raise Invalid("The signature image is not valid base64.", detail_zh="签名图片编码无效。",
                      field="image_png") from None
    try:
        return read_signature_png(data)
    except ImageError as exc:
        # Whatever is wrong with it, the body was well-formed JSON: a wrong signature is a 422.
        raise Invalid(exc.message, detail_zh=exc.message_zh, field="image_png") from None


class BookingService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.records = SyncProtocol(session)

    async def book(self, order_id: uuid.UUID, inspection_id: uuid.UUID, type_: str, assignee_id: uuid.UUID,
                   scheduled_for: date | None,
                   reinspection_of_id: uuid.UUID | None = None) -> tuple[Inspection, bool]:
        """Returns the inspection and whether it was created now (False for a replay)."""
        order = await visible_order(self.session, self.user, order_id)
        require_staff(self.user)
        assignee: list[User] = []
        rejected: list[Inspection] = []

        async def authorize(current: Inspection | None) -> None:
            if current is None:
                assignee.append(await check_assignee(self.session, assignee_id))  # type: ignore[arg-type]
                if reinspection_of_id is not None:
                    rejected.append(await self._rejected(order, reinspection_of_id))

        async def create() -> Inspection:
            template_id = await self.session.scalar(
                select(ChecklistTemplate.id).where(ChecklistTemplate.code == DEFAULT_TEMPLATE))
            return Inspection(id=inspection_id, order_id=order.id, type=type_, assignee_id=assignee_id,
                              scheduled_for=scheduled_for, created_by_id=self.user.id, status=Status.scheduled,
                              checklist_template_id=template_id, reinspection_of_id=reinspection_of_id)

        async def clash() -> Conflict | None:
            # Another booking re-inspecting the same rejection committed between the check and this insert.
            if reinspection_of_id is not None and await self._live_reinspection(reinspection_of_id) is not None:
                return reinspected_already()
            return None

        written = await self.records.write(
            BOOKING, {"id": inspection_id},
            {"order_id": order.id, "type": type_, "assignee_id": assignee_id, "scheduled_for": scheduled_for,
             "reinspection_of_id": reinspection_of_id},
            base_version=ONCE, authorize=authorize, create=create, clash=clash)
        if written.created:
            await InspectionService(self.session, self.user).prepare(written.record, order)
            if (order.inspection_state or {"booked": True}).get("booked") and order.status != "shipped":
                # Until an inspection is submitted, the order's news is the latest booking.
                order.inspection_state = order_state(type_, booked=True, scheduled_for=scheduled_for)
            message = (f"{TYPE_LABEL[type_]} booked for {assignee[0].display_name}"
                       + (f" on {scheduled_for.isoformat()}" if scheduled_for else ""))
            extra: dict[str, Any] = {}
            if rejected:
                original = rejected[0]
                message += (" as a re-inspection after the rejection"
                            + (f" of {original.reviewed_at.date().isoformat()}" if original.reviewed_at else ""))
                extra = {"reinspection_of_id": str(original.id)}
            await record_event(self.session, order.id, "inspection_booked", message, self.user,
                               inspection_id=str(inspection_id), assignee_id=str(assignee_id), type=type_, **extra)
        return written.record, written.created

    async def _rejected(self, order: Order, inspection_id: uuid.UUID) -> Inspection:
        """The inspection a new booking re-inspects: one of this order's, rejected on review, the latest revision,
        and not re-inspected by another live booking. A refusal names the field reinspection_of_id."""
        found = await find_visible_inspection(self.session, self.user, inspection_id)
        if found is None:
            raise Invalid("There is no such inspection to re-inspect.", detail_zh="要复验的验货记录不存在。",
                          field="reinspection_of_id")
        original, _ = found
        if original.order_id != order.id:
            raise Invalid("A re-inspection is booked on the order of the inspection it re-inspects; that inspection "
                          "belongs to another order.", detail_zh="复验须预约在原验货所属的订单上；该验货属于另一个订单。",
                          field="reinspection_of_id")
        if original.review_decision != "rejected":
            state = original.review_decision or original.status
            raise Invalid(f"Only an inspection rejected on review is re-inspected; this one is "
                          f"{state.replace('_', ' ')}.", detail_zh="只有审核被拒收的验货才能预约复验。",
                          field="reinspection_of_id", state=state)
        if original.superseded_by_id is not None:
            raise Invalid("This inspection was corrected by a revision: re-inspect the latest revision instead.",
                          detail_zh="该验货已有修订版，请针对最新修订版预约复验。", field="reinspection_of_id")
        if await self._live_reinspection(original.id) is not None:
            raise reinspected_already()
        return original

    async def _live_reinspection(self, inspection_id: uuid.UUID) -> uuid.UUID | None:
        """The booking that re-inspects this inspection now: neither aborted nor a revision (the unique index's
        rows)."""
        return await self.session.scalar(
            select(Inspection.id).where(Inspection.reinspection_of_id == inspection_id,
                                        Inspection.revision_of_id.is_(None), Inspection.status != Status.aborted))

    async def for_order(self, order_id: uuid.UUID) -> list[Inspection]:
        order = await visible_order(self.session, self.user, order_id)
        return list(await self.session.scalars(
            select(Inspection).where(Inspection.order_id == order.id, inspections_listed_for(self.user))
            .order_by(Inspection.created_at)))

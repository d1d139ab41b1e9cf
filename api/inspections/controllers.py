from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from litestar.di import NamedDependency
from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api import aql as sampling
from api.access import requires_supervisor
from api.deps import service_provider
from api.errors import BadParameter
from api.http import PageNo, PerPage, created, query_text
from api.inspections.findings import FindingService, LibraryService, SpecSheetService
from api.inspections.lifecycle import StatusName
from api.inspections.models import ChecklistAnswer, Defect, Measurement
from api.inspections.schemas import (
    AbortIn, AqlPlanOut, BookingIn, BookingOut, ChecklistAnswerOut, ChecklistAnswerPut, ChecklistTemplateIn,
    ChecklistTemplateOut, DefectCodeIn, DefectCodeOut, DefectOut, DefectPut, FollowUpClose, FollowUpOut,
    InspectionOut, InspectionPut, InspectionSummary, InspectionType, LOT_SIZE_MAX, MeasurementOut, MeasurementPut, ResultOut,
    ReviewIn, RevisionIn, ReducedInspectionIn, SignatureIn, SignatureOut, SpecSheetOut, SpecSheetPut, SubmitIn,
    SwitchingOut, answer_out, defect_code_out, defect_out, measurement_out, result_out, signature_out,
    booking_out, follow_up_out, spec_sheet_out, summary_out, switching_out, template_out,
)
from api.inspections.services import BookingService, InspectionService
from api.schemas import Page, changes


# The area's services, built per request from its session and user.
InspectionServiceDep = NamedDependency[InspectionService]
FindingServiceDep = NamedDependency[FindingService]
BookingServiceDep = NamedDependency[BookingService]
SpecSheetServiceDep = NamedDependency[SpecSheetService]
LibraryServiceDep = NamedDependency[LibraryService]

SERVICES = {
    "inspections": service_provider(InspectionService),
    "findings": service_provider(FindingService),
    "bookings": service_provider(BookingService),
    "spec_sheets": service_provider(SpecSheetService),
    "library": service_provider(LibraryService),
}


class BookingController(Controller):
    path = "/api/orders/{order_id:uuid}/inspections"
    tags = ["inspections"]
    dependencies = SERVICES

    @post("/", operation_id="bookInspection")
    async def book(self, order_id: FromPath[UUID], data: JSONBody[BookingIn],
                   bookings: BookingServiceDep) -> Response[BookingOut]:
        inspection, is_new = await bookings.book(order_id, data.id, data.type, data.assignee_id, data.scheduled_for,
                                                 data.reinspection_of_id)
        return created(booking_out(inspection), is_new)

    @get("/", operation_id="listOrderInspections")
    async def for_order(self, order_id: FromPath[UUID], bookings: BookingServiceDep) -> list[BookingOut]:
        return [booking_out(i) for i in await bookings.for_order(order_id)]


class InspectionController(Controller):
    path = "/api/inspections"
    tags = ["inspections"]
    dependencies = SERVICES

    @get("/", operation_id="listInspections")
    async def list_inspections(
        self, inspections: InspectionServiceDep, mine: FromQuery[bool] = False,
        status: FromQuery[StatusName | None] = None,
        order_id: FromQuery[UUID | None] = None, type: FromQuery[InspectionType | None] = None,
        date_from: FromQuery[date | None] = None, date_to: FromQuery[date | None] = None,
        page: PageNo = 1, per_page: PerPage = 50,
    ) -> Page[InspectionSummary]:
        rows, total = await inspections.list(
            mine=mine, status=status, order_id=order_id, type_=type, date_from=date_from, date_to=date_to,
            page=page, per_page=per_page)
        return Page(items=[summary_out(i, o) for i, o in rows], total=total, page=page, per_page=per_page)

    @put("/{inspection_id:uuid}", operation_id="putInspection")
    async def put_inspection(self, inspection_id: FromPath[UUID], data: JSONBody[InspectionPut],
                             inspections: InspectionServiceDep) -> Response[InspectionOut]:
        inspection, is_new = await inspections.put(inspection_id, changes(data))
        return created(await inspections.out(*await inspections.load(inspection.id)), is_new)

    @get("/{inspection_id:uuid}", operation_id="getInspection")
    async def get_inspection(self, inspection_id: FromPath[UUID], inspections: InspectionServiceDep) -> InspectionOut:
        return await inspections.out(*await inspections.load(inspection_id))

    @get("/{inspection_id:uuid}/result", operation_id="getInspectionResult")
    async def result(self, inspection_id: FromPath[UUID], inspections: InspectionServiceDep) -> ResultOut:
        inspection, _ = await inspections.load(inspection_id)
        return result_out(await inspections.tally(inspection), inspection.units_inspected)

    @post("/{inspection_id:uuid}/submit", operation_id="submitInspection", status_code=200)
    async def submit(self, inspection_id: FromPath[UUID], data: JSONBody[SubmitIn],
                     inspections: InspectionServiceDep) -> InspectionOut:
        missing = {m.carton_number: m.reason for m in data.missing_cartons}
        inspection = await inspections.submit(inspection_id, data.version, missing)
        return await inspections.out(*await inspections.load(inspection.id))

    @post("/{inspection_id:uuid}/review", operation_id="reviewInspection", status_code=200)
    async def review(self, inspection_id: FromPath[UUID], data: JSONBody[ReviewIn],
                     inspections: InspectionServiceDep) -> InspectionOut:
        inspection = await inspections.review(inspection_id, data.decision, data.note)
        return await inspections.out(*await inspections.load(inspection.id))

    @post("/{inspection_id:uuid}/abort", operation_id="abortInspection", status_code=200)
    async def abort(self, inspection_id: FromPath[UUID], data: JSONBody[AbortIn],
                    inspections: InspectionServiceDep) -> InspectionOut:
        inspection = await inspections.abort(inspection_id, data.reason)
        return await inspections.out(*await inspections.load(inspection.id))

    @post("/{inspection_id:uuid}/revisions", operation_id="reviseInspection")
    async def revise(self, inspection_id: FromPath[UUID], data: JSONBody[RevisionIn],
                     inspections: InspectionServiceDep) -> Response[InspectionOut]:
        revision, is_new = await inspections.revise(inspection_id, data.id)
        return created(await inspections.out(*await inspections.load(revision.id)), is_new)

    @post("/{inspection_id:uuid}/signatures", operation_id="signReport")
    async def sign(self, inspection_id: FromPath[UUID], data: JSONBody[SignatureIn],
                   inspections: InspectionServiceDep) -> Response[SignatureOut]:
        signature, is_new = await inspections.sign(inspection_id, data.role, data.name, data.image_png)
        return created(signature_out(signature), is_new)

    @get("/{inspection_id:uuid}/signatures/{role:str}/image", operation_id="getSignatureImage",
         media_type="image/png")
    async def signature_image(self, inspection_id: FromPath[UUID], role: FromPath[Literal["inspector", "factory"]],
                              inspections: InspectionServiceDep) -> Response[bytes]:
        image = await inspections.signature_image(inspection_id, role)
        return Response(image, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    @put("/{inspection_id:uuid}/defects/{defect_id:uuid}", operation_id="putDefect")
    async def put_defect(self, inspection_id: FromPath[UUID], defect_id: FromPath[UUID], data: JSONBody[DefectPut],
                         findings: FindingServiceDep) -> Response[DefectOut]:
        defect, is_new = await findings.put_defect(inspection_id, defect_id, changes(data))
        return created(defect_out(defect), is_new)

    @delete("/{inspection_id:uuid}/defects/{defect_id:uuid}", operation_id="deleteDefect", status_code=204)
    async def delete_defect(self, inspection_id: FromPath[UUID], defect_id: FromPath[UUID],
                            findings: FindingServiceDep) -> None:
        await findings.delete(Defect, inspection_id, defect_id)

    @post("/{inspection_id:uuid}/defects/{defect_id:uuid}/close", operation_id="closeFollowUp", status_code=200)
    async def close_follow_up(self, inspection_id: FromPath[UUID], defect_id: FromPath[UUID],
                              data: JSONBody[FollowUpClose], findings: FindingServiceDep) -> DefectOut:
        return defect_out(await findings.close_follow_up(inspection_id, defect_id, data.note, data.photo_ids))

    @put("/{inspection_id:uuid}/measurements/{measurement_id:uuid}", operation_id="putMeasurement")
    async def put_measurement(self, inspection_id: FromPath[UUID], measurement_id: FromPath[UUID],
                              data: JSONBody[MeasurementPut], findings: FindingServiceDep) -> Response[MeasurementOut]:
        record, is_new = await findings.put_measurement(inspection_id, measurement_id, changes(data))
        return created(measurement_out(record), is_new)

    @delete("/{inspection_id:uuid}/measurements/{measurement_id:uuid}", operation_id="deleteMeasurement",
            status_code=204)
    async def delete_measurement(self, inspection_id: FromPath[UUID], measurement_id: FromPath[UUID],
                                 findings: FindingServiceDep) -> None:
        await findings.delete(Measurement, inspection_id, measurement_id)

    @put("/{inspection_id:uuid}/checklist/{answer_id:uuid}", operation_id="putChecklistAnswer")
    async def put_answer(self, inspection_id: FromPath[UUID], answer_id: FromPath[UUID],
                         data: JSONBody[ChecklistAnswerPut],
                         findings: FindingServiceDep) -> Response[ChecklistAnswerOut]:
        record, is_new = await findings.put_answer(inspection_id, answer_id, changes(data))
        return created(answer_out(record), is_new)

    @delete("/{inspection_id:uuid}/checklist/{answer_id:uuid}", operation_id="deleteChecklistAnswer", status_code=204)
    async def delete_answer(self, inspection_id: FromPath[UUID], answer_id: FromPath[UUID],
                            findings: FindingServiceDep) -> None:
        await findings.delete(ChecklistAnswer, inspection_id, answer_id)


class FollowUpController(Controller):
    path = "/api/follow-ups"
    tags = ["inspections"]
    dependencies = SERVICES

    @get("/", operation_id="listOpenFollowUps",
         description="Open follow-ups, the soonest due first; closed=true: the closed ones, the last closed first. "
                     "owner_id narrows them to one owner's.")
    async def follow_ups(self, findings: FindingServiceDep, order_id: FromQuery[UUID | None] = None,
                         closed: FromQuery[bool] = False, owner_id: FromQuery[UUID | None] = None) -> list[FollowUpOut]:
        return [follow_up_out(d, i, po) for d, i, po in await findings.follow_ups(order_id, closed, owner_id)]


class SpecSheetController(Controller):
    path = "/api/orders/{order_id:uuid}/spec-sheet"
    tags = ["inspections"]
    dependencies = SERVICES

    @get("/", operation_id="getSpecSheet")
    async def get_sheet(self, order_id: FromPath[UUID], spec_sheets: SpecSheetServiceDep) -> SpecSheetOut:
        return spec_sheet_out(await spec_sheets.get(order_id))

    @put("/", operation_id="putSpecSheet")
    async def put_sheet(self, order_id: FromPath[UUID], data: JSONBody[SpecSheetPut],
                        spec_sheets: SpecSheetServiceDep) -> Response[SpecSheetOut]:
        values = changes(data)
        values["points"] = [changes(p) for p in data.points]
        sheet, is_new = await spec_sheets.put(order_id, values)
        return created(spec_sheet_out(sheet), is_new)


class LibraryController(Controller):
    path = "/api"
    tags = ["inspections"]
    dependencies = SERVICES

    @get("/defect-codes", operation_id="listDefectCodes")
    async def codes(self, library: LibraryServiceDep) -> list[DefectCodeOut]:
        return [defect_code_out(c) for c in await library.codes()]

    @put("/defect-codes/{code:str}", operation_id="putDefectCode")
    async def put_code(self, code: FromPath[Annotated[str, QueryParameter(max_length=20, pattern=r"^[A-Z0-9-]+$")]],
                       data: JSONBody[DefectCodeIn], library: LibraryServiceDep) -> Response[DefectCodeOut]:
        record, is_new = await library.put_code(code, changes(data))
        return created(defect_code_out(record), is_new)

    @get("/checklist-templates", operation_id="listChecklistTemplates")
    async def templates(self, library: LibraryServiceDep) -> list[ChecklistTemplateOut]:
        return [template_out(t) for t in await library.templates()]

    @put("/checklist-templates/{code:str}", operation_id="putChecklistTemplate")
    async def put_template(self, code: FromPath[query_text(40, min_length=1)], data: JSONBody[ChecklistTemplateIn],
                           library: LibraryServiceDep) -> Response[ChecklistTemplateOut]:
        values = changes(data)
        values["items"] = [changes(i) for i in data.items]
        record, is_new = await library.put_template(code, values)
        return created(template_out(record), is_new)


class SamplingController(Controller):
    path = "/api"
    tags = ["inspections"]
    dependencies = SERVICES

    @get("/aql/plan", operation_id="getAqlPlan")
    async def plan(self, lot_size: FromQuery[Annotated[int, QueryParameter(le=LOT_SIZE_MAX)]],
                   level: FromQuery[query_text(20)] = "II", aql: FromQuery[query_text(20)] = "2.5",
                   mode: FromQuery[query_text(20)] = "normal") -> AqlPlanOut:
        try:
            found = sampling.plan(lot_size, level, aql, mode)
        except sampling.PlanInputError as exc:
            raise BadParameter(exc.param, exc.message, detail_zh=f"抽样参数 {exc.param} 无效：{exc.message}") from None
        return AqlPlanOut(code_letter=found.code_letter, sample_size=found.sample_size, accept=found.accept,
                          reject=found.reject, full_inspection=found.full_inspection)

    @get("/factories/{factory_id:uuid}/switching", operation_id="getSwitchingState")
    async def switching(self, factory_id: FromPath[UUID], inspections: InspectionServiceDep) -> SwitchingOut:
        return switching_out(*await inspections.factory_switching(factory_id))

    @put("/factories/{factory_id:uuid}/reduced-inspection", operation_id="allowReducedInspection",
         guards=[requires_supervisor])
    async def allow_reduced(self, factory_id: FromPath[UUID], data: JSONBody[ReducedInspectionIn],
                            inspections: InspectionServiceDep) -> SwitchingOut:
        factory, state = await inspections.allow_reduced(factory_id, data.allowed)
        return switching_out(factory, state)

from __future__ import annotations

from typing import Literal
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from api.deps import DB, AppSettings, CurrentUser, MediaStorage
from api.reports.services import ReportService


def provide_reports(db: DB, user: CurrentUser, storage: MediaStorage, settings: AppSettings) -> ReportService:
    return ReportService(db, user, storage, settings)


ReportServiceDep = NamedDependency[ReportService]
# The report shows the inspection as it is now (a draft changes; a review adds its decision): never cached.
NO_STORE = {"Cache-Control": "private, no-store"}


class ReportController(Controller):
    path = "/api/inspections/{inspection_id:uuid}"
    tags = ["reports"]
    dependencies = {"reports": Provide(provide_reports, sync_to_thread=False)}

    @get("/report", operation_id="getInspectionReport", media_type="text/html",
         description="The inspection report as HTML, for the screen and the printer. Before submission, staff and "
                     "the inspector see it marked DRAFT; the factory sees no report until then.")
    async def report(self, inspection_id: FromPath[UUID], reports: ReportServiceDep,
                     lang: FromQuery[Literal["en", "zh"]] = "en") -> Response[str]:
        report = await reports.build(inspection_id, lang)
        return Response(reports.html(report), media_type="text/html; charset=utf-8", headers=NO_STORE)

    @get("/report.pdf", operation_id="getInspectionReportPdf", media_type="application/pdf",
         description="The same report as a PDF, with the stored photos embedded as they are.")
    async def report_pdf(self, inspection_id: FromPath[UUID], reports: ReportServiceDep,
                         lang: FromQuery[Literal["en", "zh"]] = "en") -> Response[bytes]:
        report = await reports.build(inspection_id, lang)
        return Response(await reports.pdf(report), media_type="application/pdf", headers={
            **NO_STORE, "Content-Disposition": f'attachment; filename="{report.filename}.pdf"'})

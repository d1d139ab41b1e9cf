from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from api.deps import DB, CurrentUser
from api.inspections.models import Inspection
from api.inspections.schemas import BookingIn, BookingOut
from api.inspections.services import BookingService


def booking_out(i: Inspection) -> BookingOut:
    return BookingOut(id=i.id, order_id=i.order_id, type=i.type, status=i.status, assignee_id=i.assignee_id,
                      scheduled_for=i.scheduled_for, version=i.version, created_at=i.created_at)


class BookingController(Controller):
    path = "/api/orders/{order_id:uuid}/inspections"
    tags = ["inspections"]

    @post("/", operation_id="bookInspection")
    async def book(self, order_id: FromPath[UUID], data: JSONBody[BookingIn], db: DB,
                   user: CurrentUser) -> Response[BookingOut]:
        inspection, created = await BookingService(db, user).book(order_id, data.id, data.type, data.assignee_id,
                                                                  data.scheduled_for)
        return Response(booking_out(inspection), status_code=201 if created else 200)

    @get("/", operation_id="listOrderInspections")
    async def for_order(self, order_id: FromPath[UUID], db: DB, user: CurrentUser) -> list[BookingOut]:
        return [booking_out(i) for i in await BookingService(db, user).for_order(order_id)]

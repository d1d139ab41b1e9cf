from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from litestar.di import NamedDependency, Provide
from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.access import requires_staff
from api.deps import DB, CurrentUser, service_provider
from api.errors import BadParameter
from api.http import PageNo, PerPage, created, query_text
from api.orders.models import Customer, Factory
from api.orders.schemas import (
    CartonLookupOut, CustomerIn, CustomerOut, CustomerPatch, EventOut, FactoryIn, FactoryOut, FactoryPatch,
    ImportReason, OrderCreate, OrderLineIn, OrderLineOut, OrderLinePatch, OrderOut, OrderPatch, OrderStatus,
    OrderSummary, PackingListDetail, PackingListOut, PackingListPreview, carton_out, customer_out, event_out, factory_out,
    line_out, order_out, order_summary, packing_list_fields, packing_list_preview,
)
from api.orders.services import CatalogueService, OrderFilters, OrderService, PackingListService
from api.schemas import Page, changes


# The area's services, built per request from its session and user.
OrderServiceDep = NamedDependency[OrderService]
PackingListServiceDep = NamedDependency[PackingListService]

def _catalogue(model: type[Customer] | type[Factory]):  # type: ignore[no-untyped-def]
    def provide(db: DB, user: CurrentUser) -> CatalogueService:
        return CatalogueService(db, model, user)  # the user is who a deletion's tombstone names

    return Provide(provide, sync_to_thread=False)


CatalogueServiceDep = NamedDependency[CatalogueService]

SERVICES = {
    "customers": _catalogue(Customer),
    "factories": _catalogue(Factory),
    "orders": service_provider(OrderService),
    "packing_lists": service_provider(PackingListService),
}


class CustomerController(Controller):
    path = "/api/customers"
    tags = ["orders"]
    dependencies = SERVICES

    @get("/", operation_id="listCustomers")
    async def list_customers(self, customers: CatalogueServiceDep) -> list[CustomerOut]:
        return [customer_out(c) for c in await customers.list()]

    @post("/", operation_id="createCustomer", guards=[requires_staff])
    async def create_customer(self, data: JSONBody[CustomerIn], customers: CatalogueServiceDep) -> CustomerOut:
        return customer_out(await customers.create(changes(data)))

    @patch("/{customer_id:uuid}", operation_id="updateCustomer", guards=[requires_staff])
    async def update_customer(self, customer_id: FromPath[UUID], data: JSONBody[CustomerPatch],
                              customers: CatalogueServiceDep) -> CustomerOut:
        return customer_out(await customers.update(customer_id, data.version, changes(data, skip=("version",))))

    @delete("/{customer_id:uuid}", operation_id="deleteCustomer", guards=[requires_staff],
            status_code=HTTP_204_NO_CONTENT)
    async def delete_customer(self, customer_id: FromPath[UUID], customers: CatalogueServiceDep) -> None:
        await customers.delete(customer_id)


class FactoryController(Controller):
    path = "/api/factories"
    tags = ["orders"]
    dependencies = SERVICES

    @get("/", operation_id="listFactories")
    async def list_factories(self, factories: CatalogueServiceDep) -> list[FactoryOut]:
        return [factory_out(f) for f in await factories.list()]

    @post("/", operation_id="createFactory", guards=[requires_staff])
    async def create_factory(self, data: JSONBody[FactoryIn], factories: CatalogueServiceDep) -> FactoryOut:
        return factory_out(await factories.create(changes(data)))

    @patch("/{factory_id:uuid}", operation_id="updateFactory", guards=[requires_staff])
    async def update_factory(self, factory_id: FromPath[UUID], data: JSONBody[FactoryPatch],
                             factories: CatalogueServiceDep) -> FactoryOut:
        return factory_out(await factories.update(factory_id, data.version, changes(data, skip=("version",))))

    @delete("/{factory_id:uuid}", operation_id="deleteFactory", guards=[requires_staff],
            status_code=HTTP_204_NO_CONTENT)
    async def delete_factory(self, factory_id: FromPath[UUID], factories: CatalogueServiceDep) -> None:
        await factories.delete(factory_id)


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]
    dependencies = SERVICES

    @get("/", operation_id="listOrders")
    async def list_orders(
        self, orders: OrderServiceDep, status: FromQuery[OrderStatus | None] = None,
        factory_id: FromQuery[UUID | None] = None, customer_id: FromQuery[UUID | None] = None,
        # A merchandiser's own orders ("Mine"); every member of staff reads all orders.
        merchandiser_id: FromQuery[UUID | None] = None,
        ship_from: FromQuery[date | None] = None, ship_to: FromQuery[date | None] = None,
        # Not `query_text(…) | None`: Litestar does not check the limits of a type inside a union.
        q: query_text(100) = "", page: PageNo = 1, per_page: PerPage = 50,
    ) -> Page[OrderSummary]:
        if ship_from and ship_to and ship_from > ship_to:
            raise BadParameter("ship_from", "ship_from is after ship_to.", detail_zh="出货起始日期晚于截止日期。")
        filters = OrderFilters(status, factory_id, customer_id, ship_from, ship_to, q, merchandiser_id)
        rows, total = await orders.list(filters, page, per_page)
        return Page(items=[order_summary(*r) for r in rows], total=total, page=page, per_page=per_page)

    @post("/", operation_id="createOrder")
    async def create_order(self, data: JSONBody[OrderCreate], orders: OrderServiceDep) -> Response[OrderOut]:
        values = changes(data, skip=("lines",))
        order, is_new = await orders.create(values, [changes(line) for line in data.lines])
        return created(order_out(*await orders.get(order.id)), is_new)

    @get("/{order_id:uuid}", operation_id="getOrder")
    async def get_order(self, order_id: FromPath[UUID], orders: OrderServiceDep) -> OrderOut:
        return order_out(*await orders.get(order_id))

    @patch("/{order_id:uuid}", operation_id="updateOrder")
    async def update_order(self, order_id: FromPath[UUID], data: JSONBody[OrderPatch],
                           orders: OrderServiceDep) -> OrderOut:
        await orders.update(order_id, data.version, changes(data, skip=("version",)))
        return order_out(*await orders.get(order_id))

    @delete("/{order_id:uuid}", operation_id="deleteOrder", status_code=HTTP_204_NO_CONTENT)
    async def delete_order(self, order_id: FromPath[UUID], orders: OrderServiceDep) -> None:
        await orders.delete(order_id)

    @post("/{order_id:uuid}/lines", operation_id="addOrderLine")
    async def add_line(self, order_id: FromPath[UUID], data: JSONBody[OrderLineIn],
                       orders: OrderServiceDep) -> OrderLineOut:
        return line_out(await orders.add_line(order_id, changes(data)))

    @patch("/{order_id:uuid}/lines/{line_id:uuid}", operation_id="updateOrderLine")
    async def update_line(self, order_id: FromPath[UUID], line_id: FromPath[UUID], data: JSONBody[OrderLinePatch],
                          orders: OrderServiceDep) -> OrderLineOut:
        return line_out(await orders.update_line(order_id, line_id, changes(data)))

    @delete("/{order_id:uuid}/lines/{line_id:uuid}", operation_id="deleteOrderLine", status_code=HTTP_204_NO_CONTENT)
    async def delete_line(self, order_id: FromPath[UUID], line_id: FromPath[UUID],
                          orders: OrderServiceDep) -> None:
        await orders.delete_line(order_id, line_id)

    @get("/{order_id:uuid}/timeline", operation_id="getOrderTimeline")
    async def timeline(self, order_id: FromPath[UUID], orders: OrderServiceDep) -> list[EventOut]:
        return [event_out(e) for e in await orders.timeline(order_id)]


@dataclass
class PackingListUpload:
    file: UploadFile
    # Needed when cartons were already picked from the list it replaces ("" when not). api/openapi.py states its
    # limits: Litestar's schema of a form's parts leaves them out.
    reason: ImportReason = ""


class PackingListController(Controller):
    """Mounted on its own router, whose body limit is the import limit rather than the JSON one."""

    path = "/api/orders"
    tags = ["orders"]
    dependencies = SERVICES

    @post("/{order_id:uuid}/packing-list", operation_id="importPackingList", opt={"body": "multipart"},
          responses={200: ResponseSpec(PackingListPreview, description="With dry_run=true: nothing is stored.")})
    async def import_packing_list(
        self, order_id: FromPath[UUID], data: MultipartBody[PackingListUpload], packing_lists: PackingListServiceDep,
        dry_run: FromQuery[bool] = False,
    ) -> Response[PackingListOut | PackingListPreview]:
        """`?dry_run=true` answers what the import would give (200) and stores nothing."""
        content = await data.file.read()
        if dry_run:
            preview = await packing_lists.preview(order_id, data.file.filename or "", content)
            return Response(packing_list_preview(preview), status_code=200)
        packing_list = await packing_lists.import_file(order_id, data.file.filename or "", content, data.reason)
        return Response(PackingListOut(**packing_list_fields(packing_list)), status_code=201)

    @get("/{order_id:uuid}/packing-list", operation_id="getPackingList")
    async def packing_list(self, order_id: FromPath[UUID], packing_lists: PackingListServiceDep) -> PackingListDetail:
        current = await packing_lists.current_visible(order_id)
        cartons = await packing_lists.cartons(current.id)
        return PackingListDetail(**packing_list_fields(current), cartons=[carton_out(c, i) for c, i in cartons])


class CartonController(Controller):
    path = "/api/cartons"
    tags = ["orders"]
    dependencies = SERVICES

    @get("/lookup", operation_id="lookupCarton")
    async def lookup(self, code: query_text(100, min_length=1),
                     packing_lists: PackingListServiceDep) -> CartonLookupOut:
        carton, items, order, customer, factory = await packing_lists.lookup(code)
        return CartonLookupOut(carton=carton_out(carton, items), order=order_summary(order, customer, factory))

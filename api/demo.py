"""Realistic demo data: two customers, three factories, five orders with packing lists, one user per role."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.inspections.reactions  # noqa: F401 - inspections react to order events (api/events.py)
from api.auth.models import Role, User
from api.auth.services import UserService
from api.barcodes import gs1
from api.inspections.services import BookingService
from api.orders.models import Customer, Factory, Order
from api.orders.services import OrderService, PackingListService

COMPANY_PREFIX = "6901234"  # a GS1 China prefix (690–699)
PASSWORD = "floorcheck-demo"

FACTORIES = [
    ("NBT", "Ningbo Textile Garment Co. 宁波纺织服装有限公司", "Yinzhou District, Ningbo"),
    ("DGK", "Dongguan Knitwear Factory 东莞针织厂", "Humen Town, Dongguan"),
    ("SZA", "Shaoxing Apparel Works 绍兴服饰", "Keqiao District, Shaoxing"),
]
CUSTOMERS = [("NORDIC", "Nordic Outdoor AB", ("II", "0", "2.5", "4.0")), ("URBAN", "Urban Basics Ltd", ("II", "0", "1.5", "4.0"))]
ORDERS = [
    # customer, factory, PO, style, description, colours, sizes, pcs per size, pcs per carton, days to ship
    ("NORDIC", "NBT", "PO-24-1187", "NO-JKT-301", "Men's padded jacket 男士棉服", ["Black", "Navy"], ["S", "M", "L", "XL"], 120, 12, 18),
    ("NORDIC", "DGK", "PO-24-1203", "NO-KNT-114", "Merino crew-neck sweater 美利奴圆领毛衣", ["Grey", "Olive"], ["S", "M", "L"], 200, 20, 30),
    ("URBAN", "DGK", "UB-77120", "UB-TEE-001", "Organic cotton T-shirt 有机棉T恤", ["White", "Black", "Sand"], ["XS", "S", "M", "L", "XL"], 300, 50, 9),
    ("URBAN", "SZA", "UB-77131", "UB-CHN-220", "Stretch chino trousers 弹力休闲裤", ["Khaki", "Navy"], ["28", "30", "32", "34", "36"], 150, 25, 24),
    ("URBAN", "NBT", "UB-77145", "UB-HOO-410", "Brushed fleece hoodie 抓绒连帽衫", ["Heather", "Forest"], ["S", "M", "L", "XL"], 180, 15, 40),
]


def gtin13(item: int) -> str:
    body = f"{COMPANY_PREFIX}{item:05d}"
    return body + gs1.check_digit(body)


def sscc(serial: int) -> str:
    body = f"0{COMPANY_PREFIX}{serial:09d}"
    return body + gs1.check_digit(body)


def packing_csv(lines: list[dict[str, Any]], per_carton: int, first_serial: int) -> bytes:
    """One row per SKU: a range of full cartons whose SSCCs count up from the first."""
    rows = ["Carton No.,SSCC,SKU,Colour,Size,Qty/Ctn,N.W. (kg),G.W. (kg),Meas (cm)"]
    carton, serial = 1, first_serial
    for line in lines:
        count = line["quantity"] // per_carton
        net = round(per_carton * 0.42, 2)
        rows.append(f"{carton}-{carton + count - 1},{sscc(serial)},{line['sku']},{line['colour']},{line['size']},"
                    f"{per_carton},{net},{net + 1.2:.2f},60x40x35")
        carton += count
        serial += count
    return ("\n".join(rows) + "\n").encode()


DEMO_ROLES = (Role.admin, Role.supervisor, Role.merchandiser, Role.inspector, Role.factory)


async def print_logins(session: AsyncSession) -> None:
    """The demo logins the README promises, as they are in this database (every time `floorcheck demo` runs)."""
    users = {u.username: u for u in await session.scalars(
        select(User).where(User.username.in_([f"demo-{role.value}" for role in DEMO_ROLES])))}
    if not users:
        print("This database has no demo users (its data was not loaded by `floorcheck demo`).")
        return
    print("Logins (password for all: %s):" % PASSWORD)
    for role in DEMO_ROLES:
        user = users.get(f"demo-{role.value}")
        if user is not None:
            print(f"  {role.value:13} {user.username}{'' if user.active else '  (deactivated)'}")


async def load_demo(session: AsyncSession, force: bool = False) -> None:
    if not force and await session.scalar(select(func.count()).select_from(Order)):
        print("Demo data already loaded: nothing to do (--force loads it again).")
        await print_logins(session)
        return
    factories = {}
    for code, name, address in FACTORIES:
        factory = Factory(code=code, name=name, address=address, contact="QC office")
        session.add(factory)
        factories[code] = factory
    customers = {}
    for code, name, (level, critical, major, minor) in CUSTOMERS:
        customer = Customer(code=code, name=name, aql_level=level, aql_critical=critical, aql_major=major,
                            aql_minor=minor)
        session.add(customer)
        customers[code] = customer
    await session.flush()

    users = UserService(session)
    made = {}
    for role, name in ((Role.admin, "Admin"), (Role.supervisor, "Supervisor Li 李主管"),
                       (Role.merchandiser, "Merchandiser Wang 王跟单"), (Role.inspector, "Inspector Chen (3rd party)"),
                       (Role.factory, "Ningbo QC 宁波质检")):
        made[role] = await users.create(f"demo-{role.value}", PASSWORD, role, name,
                                        factories["NBT"].id if role == Role.factory else None)

    orders = OrderService(session, made[Role.admin])
    packing = PackingListService(session, made[Role.admin])
    today, item, serial = date.today(), 1, 1
    created = []
    for customer, factory, po, style, description, colours, sizes, per_size, per_carton, days in ORDERS:
        lines = []
        for colour in colours:
            for size in sizes:
                lines.append({"colour": colour, "size": size, "sku": f"{style}-{colour[:3].upper()}-{size}",
                              "gtin": gtin13(item), "quantity": per_size})
                item += 1
        order, _ = await orders.create(
            {"customer_id": customers[customer].id, "factory_id": factories[factory].id, "po_number": po,
             "style_number": style, "factory_batch": f"{factory}-{today:%y%m}-{len(created) + 1:02d}",
             "description": description, "ship_date": today + timedelta(days=days), "destination": "Gothenburg, SE"
             if customer == "NORDIC" else "Felixstowe, UK", "status": "in_production",
             "merchandiser_id": made[Role.merchandiser].id}, lines)
        await packing.import_file(order.id, f"{po}-packing-list.csv", packing_csv(lines, per_carton, serial))
        serial += 1000
        created.append(order)
    await BookingService(session, made[Role.supervisor]).book(
        created[0].id, uuid.uuid4(), "pre_shipment", made[Role.inspector].id, today + timedelta(days=1))

    await session.flush()
    print(f"Demo data loaded: {len(FACTORIES)} factories, {len(CUSTOMERS)} customers, {len(created)} orders with "
          f"packing lists, one inspection booked.")
    await print_logins(session)

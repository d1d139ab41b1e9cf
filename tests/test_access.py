"""The role × record matrix: every role rule of api/access.py, as one table, and the visibility filters."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.sql.elements import True_

from api import access
from api.auth.models import Role, User
from api.errors import Forbidden, NotFound
from api.inspections.models import Inspection
from api.orders.models import Customer, Factory, Order
from tests.helpers import in_db

FACTORY, OTHER_FACTORY = uuid.uuid4(), uuid.uuid4()
OWNER, INSPECTOR = uuid.uuid4(), uuid.uuid4()


def actor(role: Role, user_id: uuid.UUID | None = None, factory_id: uuid.UUID | None = None) -> User:
    return User(id=user_id or uuid.uuid4(), username=role.value, role=role, factory_id=factory_id)


ACTORS = {
    "admin": actor(Role.admin),
    "supervisor": actor(Role.supervisor),
    "merchandiser of the order": actor(Role.merchandiser, OWNER),
    "another merchandiser": actor(Role.merchandiser),
    "assigned inspector": actor(Role.inspector, INSPECTOR),
    "another inspector": actor(Role.inspector),
    "the order's factory": actor(Role.factory, factory_id=FACTORY),
    "another factory": actor(Role.factory, factory_id=OTHER_FACTORY),
}
ORDER = Order(id=uuid.uuid4(), factory_id=FACTORY, merchandiser_id=OWNER)
INSPECTION = Inspection(id=uuid.uuid4(), order_id=ORDER.id, assignee_id=INSPECTOR)

RULES = {
    "change orders": lambda u: access.require_staff(u),
    "review": lambda u: access.require_reviewer(u),
    "edit the library": lambda u: access.require_admin(u),
    "record findings": lambda u: access.require_writer(u, INSPECTION, ORDER),
    "sign as inspector": lambda u: access.require_signer(u, "inspector", INSPECTION, ORDER),
    "sign for the factory": lambda u: access.require_signer(u, "factory", INSPECTION, ORDER),
    "replace a drawn packing list": lambda u: access.require_redraw_allowed(u),
}
FLAGS = {
    "see provenance and originals": access.is_reviewer,
    "see a factory's switching state": access.may_see_factory,
    "be assigned an inspection": access.is_assignable,
}
Y, N = True, False
# rule → allowed per actor, in ACTORS order
MATRIX = {
    "change orders": (Y, Y, Y, Y, N, N, N, N),
    "review": (Y, Y, N, N, N, N, N, N),
    "edit the library": (Y, N, N, N, N, N, N, N),
    "record findings": (Y, Y, Y, N, Y, N, N, N),
    "sign as inspector": (Y, Y, Y, N, Y, N, N, N),
    "sign for the factory": (Y, Y, Y, N, Y, N, Y, N),
    "replace a drawn packing list": (Y, Y, N, N, N, N, N, N),
    "see provenance and originals": (Y, Y, N, N, N, N, N, N),
    "see a factory's switching state": (Y, Y, Y, Y, N, N, N, N),
    "be assigned an inspection": (Y, Y, Y, Y, Y, Y, N, N),
}
CASES = [pytest.param(rule, name, allowed, id=f"{rule} / {name}")
         for rule, row in MATRIX.items() for name, allowed in zip(ACTORS, row, strict=True)]


def test_the_matrix_names_every_rule():
    assert set(MATRIX) == set(RULES) | set(FLAGS)


@pytest.mark.parametrize(("rule", "name", "allowed"), CASES)
def test_role_matrix(rule: str, name: str, allowed: bool) -> None:
    user = ACTORS[name]
    if rule in FLAGS:
        assert FLAGS[rule](user) is allowed
        return
    if allowed:
        RULES[rule](user)
    else:
        with pytest.raises(Forbidden) as refused:
            RULES[rule](user)
        assert refused.value.detail and refused.value.detail_zh


def test_a_merchandiser_records_findings_on_an_order_without_a_merchandiser():
    unowned = Order(id=uuid.uuid4(), factory_id=FACTORY, merchandiser_id=None)
    access.require_writer(ACTORS["another merchandiser"], INSPECTION, unowned)


# --- visibility, as the database applies it ------------------------------------------------------------------

VISIBLE = {  # who sees which orders (and so their inspections): mine = the factory's order with the assignment
    "admin": {"mine", "other"},
    "merchandiser of the order": {"mine", "other"},
    "assigned inspector": {"mine"},
    "another inspector": set(),
    "the order's factory": {"mine"},
    "another factory": {"other"},
}


@pytest.mark.parametrize(("name", "expected"), VISIBLE.items(), ids=list(VISIBLE))
def test_visibility(db_url: str, name: str, expected: set[str]) -> None:
    async def work(session):  # type: ignore[no-untyped-def]
        customer = Customer(code=f"C-{uuid.uuid4().hex[:6]}", name="C")
        factories = [Factory(id=FACTORY, code="F1", name="F1"), Factory(id=OTHER_FACTORY, code="F2", name="F2")]
        users = [User(id=u.id, username=f"{key}-{uuid.uuid4().hex[:6]}", password_hash="x", role=u.role,
                      factory_id=u.factory_id) for key, u in ACTORS.items()]
        session.add_all([customer, *factories])
        await session.flush()
        session.add_all(users)
        orders = {"mine": Order(customer_id=customer.id, factory_id=FACTORY, po_number="PO-MINE", style_number="S"),
                  "other": Order(customer_id=customer.id, factory_id=OTHER_FACTORY, po_number="PO-OTHER",
                                 style_number="S")}
        session.add_all(orders.values())
        await session.flush()
        inspection = Inspection(id=uuid.uuid4(), order_id=orders["mine"].id, type="pre_shipment",
                                assignee_id=INSPECTOR)
        session.add(inspection)
        await session.flush()
        user = ACTORS[name]
        by_id = {o.id: key for key, o in orders.items()}
        seen_orders = {by_id[i] for i in await session.scalars(select(Order.id).where(access.order_visible_to(user)))}
        seen_inspections = {by_id[i] for i in await session.scalars(
            select(Inspection.order_id).where(access.inspection_visible_to(user)))}
        # One lookup by id for missing and hidden alike: None for both.
        found = await access.find_visible_inspection(session, user, inspection.id)
        assert await access.find_visible_inspection(session, user, uuid.uuid4()) is None
        try:
            await access.visible_inspection(session, user, inspection.id)
            refused = None
        except NotFound as exc:
            refused = exc.detail
        return seen_orders, seen_inspections, found is not None, refused

    seen_orders, seen_inspections, found, refused = in_db(db_url, work)
    assert seen_orders == expected
    assert seen_inspections == expected & {"mine"}
    assert found == ("mine" in seen_inspections)
    assert refused == (None if found else access.inspection_not_found().detail)


def test_whoever_may_create_an_inspection_sees_every_inspection() -> None:
    # PUT /api/inspections/{id} relies on it: a hidden id goes the create path, which only staff pass, and
    # staff see every inspection, so a hidden inspection is never told apart from a missing one.
    for user in ACTORS.values():
        try:
            access.require_staff(user)
        except Forbidden:
            continue
        assert isinstance(access.inspection_visible_to(user), True_), user.role

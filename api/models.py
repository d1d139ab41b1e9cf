"""Imports every area's models so that metadata and relationships are complete."""

from api.auth.models import AuthSession, LoginFailure, User  # noqa: F401
from api.inspections.models import Inspection  # noqa: F401
from api.orders.models import (  # noqa: F401
    Carton,
    CartonItem,
    Customer,
    Factory,
    Order,
    OrderEvent,
    OrderLine,
    PackingList,
)

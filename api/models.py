"""Imports every area's models so that metadata and relationships are complete."""

from api.auth.models import AuthSession, LoginFailure, User  # noqa: F401
from api.inspections.models import (  # noqa: F401
    ChecklistAnswer,
    ChecklistTemplate,
    Defect,
    DefectCode,
    Inspection,
    InspectionCarton,
    Measurement,
    Scan,
    Signature,
    SpecSheet,
)
from api.media.models import Photo  # noqa: F401
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
from api.sync.models import Change  # noqa: F401

"""Cases: the catalogue of component and event classes, the responsibility list, the
working calendar, the component inventory and the seven-stage case workflow.

The models live in one module per concern; this package re-exports them so the rest of
the code says ``from gridgov.cases.models import Case``.
"""

from gridgov.cases.models.calendar import CalendarDay, WorkSchedule
from gridgov.cases.models.catalogue import CaseClass, CaseKind, Responsibility, TimeUnit
from gridgov.cases.models.components import Component, ComponentCount, ComponentState
from gridgov.cases.models.evaluation import (
    CaseTally,
    Decision,
    EvaluationCount,
    EvaluationSettings,
    Grain,
    PersonCount,
    PersonRole,
)
from gridgov.cases.models.workflow import (
    Attachment,
    AttachmentPurpose,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Postponement,
    PostponementStatus,
    Rating,
    Source,
    Stage,
)

__all__ = [
    "Attachment",
    "AttachmentPurpose",
    "CalendarDay",
    "Case",
    "CaseClass",
    "CaseEvent",
    "CaseKind",
    "CaseNumberCounter",
    "CaseTally",
    "Component",
    "ComponentCount",
    "ComponentState",
    "Decision",
    "EvaluationCount",
    "EvaluationSettings",
    "Grain",
    "PersonCount",
    "PersonRole",
    "Postponement",
    "PostponementStatus",
    "Rating",
    "Responsibility",
    "Source",
    "Stage",
    "TimeUnit",
    "WorkSchedule",
]

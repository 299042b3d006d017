"""Epidemic response on the grid (domain.md §5): risk areas, screening, daily health
declarations, isolation, health codes, cases and close contacts, daily grid reports,
notices, and their roll-ups.

The models live in one module per concern; this package re-exports them so the rest of
the code says ``from gridgov.epidemic.models import HealthDeclaration``.
"""

from gridgov.epidemic.models.base import (
    COLOUR_RANK,
    Colour,
    GridFact,
    Health,
    RegionScoped,
    Symptom,
    Transport,
)
from gridgov.epidemic.models.contacts import (
    CaseKind,
    CaseStatus,
    CloseContact,
    ContactSetting,
    ContactSource,
    InfectionCase,
)
from gridgov.epidemic.models.declarations import (
    Channel,
    DeclarationDay,
    DeclaredBy,
    HealthDeclaration,
)
from gridgov.epidemic.models.health_code import CodeReason, HealthCode, HealthCodeChange
from gridgov.epidemic.models.isolation import (
    FollowUpStatus,
    IsolationEpisode,
    IsolationFollowUp,
    IsolationKind,
    IsolationReason,
    IsolationStatus,
    ReleaseMode,
)
from gridgov.epidemic.models.notices import (
    Audience,
    DeliveryChannel,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    NoticeTarget,
)
from gridgov.epidemic.models.reports import (
    CommunitySituation,
    GridDailyReport,
    ReportStatus,
    Situation,
)
from gridgov.epidemic.models.risk import RISK_RANK, RiskArea, RiskLevel
from gridgov.epidemic.models.rollups import CurrentCount, DailyCount
from gridgov.epidemic.models.screening import (
    TEN_POINTS,
    CampaignStatus,
    CampaignTarget,
    Measure,
    ScreeningCampaign,
    ScreeningRecord,
    ScreeningTask,
    TaskStatus,
)
from gridgov.epidemic.models.settings import EpidemicSettings

__all__ = [
    "COLOUR_RANK",
    "RISK_RANK",
    "TEN_POINTS",
    "Audience",
    "CampaignStatus",
    "CampaignTarget",
    "CaseKind",
    "CaseStatus",
    "Channel",
    "CloseContact",
    "CodeReason",
    "Colour",
    "CommunitySituation",
    "ContactSetting",
    "ContactSource",
    "CurrentCount",
    "DailyCount",
    "DeclarationDay",
    "DeclaredBy",
    "DeliveryChannel",
    "EpidemicSettings",
    "FollowUpStatus",
    "GridDailyReport",
    "GridFact",
    "Health",
    "HealthCode",
    "HealthCodeChange",
    "HealthDeclaration",
    "InfectionCase",
    "IsolationEpisode",
    "IsolationFollowUp",
    "IsolationKind",
    "IsolationReason",
    "IsolationStatus",
    "Measure",
    "Notice",
    "NoticeDelivery",
    "NoticeStatus",
    "NoticeTarget",
    "RegionScoped",
    "ReleaseMode",
    "ReportStatus",
    "RiskArea",
    "RiskLevel",
    "ScreeningCampaign",
    "ScreeningRecord",
    "ScreeningTask",
    "Situation",
    "Symptom",
    "TaskStatus",
    "Transport",
]

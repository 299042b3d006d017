"""Roles and what each may do. A role is always bound to a scope (a territory node or a
department) by a RoleAssignment; capabilities say what, the scope says where."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    TOWNSHIP_STAFF = "township_staff", _("Township staff")
    SUPERVISION = "supervision", _("Supervision centre")
    COMMAND = "command", _("Command centre")
    DEPARTMENT = "department", _("Department handler")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")
    CITIZEN = "citizen", _("Citizen")


# Roles bound to a department rather than a territory node.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT})

# Capabilities per role. Later domains add theirs here, next to the role they belong to.
# Population registry: "registry.view" lists and opens people (always masked);
# "registry.edit" records and changes them; "registry.reveal" shows one full ID or phone
# number, audited; "registry.import"/"registry.export" move files; "registry.aggregate"
# reads counts and completeness only — leaders see aggregates, never people.
_REGISTRY_WORK = frozenset({"registry.view", "registry.edit", "registry.aggregate"})
# Cases (domain.md §3), supervision kept apart from disposal: "cases.view" reads cases in
# scope (a department handler only its department's); "cases.report" reports a problem;
# "cases.verify" verifies and checks on site (the grid's supervisor); "cases.supervise"
# files, cancels, closes, sends back for rework and merges (supervision centre);
# "cases.dispatch" dispatches and decides postponements (command centre);
# "cases.dispose" accepts, returns, disposes and asks for time (department);
# "cases.catalogue" edits classes, the responsibility list and the working calendar;
# "components.view"/"components.edit" read and keep the facility inventory;
# "evaluation.view" reads the scores.
_CASE_FIELD_WORK = frozenset({"cases.view", "cases.report", "components.view"})
# Epidemic response (domain.md §5): "epidemic.view" reads people's declarations, health
# codes, screening and isolation in scope; "epidemic.declare" records declarations for
# people (those without phones); "epidemic.screen" carries out screening tasks;
# "epidemic.follow_up" does isolation follow-ups; "epidemic.report" confirms the grid's
# daily report; "epidemic.campaign" starts screening campaigns at its level;
# "epidemic.isolate" starts and releases isolation and records cases and close contacts;
# "epidemic.notify" sends notices; "epidemic.manage" keeps risk areas, the rules and
# health-code decisions (county and city); "epidemic.export" exports contact lists for
# the health authority; "epidemic.aggregate" reads figures and dashboards only.
_EPIDEMIC_FIELD_WORK = frozenset(
    {
        "epidemic.view",
        "epidemic.declare",
        "epidemic.screen",
        "epidemic.follow_up",
        "epidemic.report",
        "epidemic.aggregate",
    }
)
_EPIDEMIC_COMMUNITY = _EPIDEMIC_FIELD_WORK | frozenset(
    {"epidemic.campaign", "epidemic.isolate", "epidemic.notify"}
)
_EPIDEMIC_TOWNSHIP = frozenset(
    {
        "epidemic.view",
        "epidemic.campaign",
        "epidemic.isolate",
        "epidemic.notify",
        "epidemic.aggregate",
    }
)
_EPIDEMIC_COMMAND = _EPIDEMIC_TOWNSHIP | frozenset({"epidemic.manage", "epidemic.export"})
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset({"territory.view", "registry.reveal", "cases.verify"})
    | _REGISTRY_WORK
    | _CASE_FIELD_WORK
    | _EPIDEMIC_FIELD_WORK,
    Role.COMMUNITY_STAFF: frozenset(
        {"territory.view", "registry.reveal", "registry.import", "registry.export"}
    )
    | _REGISTRY_WORK
    | _CASE_FIELD_WORK
    | _EPIDEMIC_COMMUNITY,
    Role.TOWNSHIP_STAFF: frozenset({"territory.view", "registry.import", "registry.export"})
    | _REGISTRY_WORK
    | _CASE_FIELD_WORK
    | frozenset({"components.edit"})
    | _EPIDEMIC_TOWNSHIP,
    Role.SUPERVISION: frozenset(
        {"territory.view", "cases.supervise", "components.edit", "evaluation.view"}
    )
    | _CASE_FIELD_WORK,
    Role.COMMAND: frozenset(
        {"territory.view", "cases.view", "cases.dispatch", "components.view", "evaluation.view"}
    )
    | _EPIDEMIC_COMMAND,
    Role.DEPARTMENT: frozenset(
        {"territory.view", "cases.view", "cases.dispose", "components.view"}
    ),
    Role.LEADER: frozenset(
        {"territory.view", "registry.aggregate", "cases.report", "evaluation.view"}
    )
    | frozenset({"epidemic.aggregate"}),
    Role.ADMIN: frozenset(
        {
            "territory.view",
            "territory.edit",
            "users.manage",
            "audit.view",
            "departments.manage",
            "registry.aggregate",
            "cases.view",
            "cases.catalogue",
            "components.view",
            "components.edit",
            "evaluation.view",
        }
    ),
    Role.CITIZEN: frozenset(),
}


# Territory levels (code lengths) a role may be bound to; department roles take a
# department instead. Anything else is refused when the role is granted.
ROLE_CODE_LENGTHS: dict[str, frozenset[int]] = {
    Role.GRID_WORKER: frozenset({12, 15}),
    Role.COMMUNITY_STAFF: frozenset({12}),
    Role.TOWNSHIP_STAFF: frozenset({9}),
    Role.SUPERVISION: frozenset({4, 6}),
    Role.COMMAND: frozenset({4, 6}),
    Role.LEADER: frozenset({4, 6, 9}),
    Role.ADMIN: frozenset({4, 6, 9}),
    Role.CITIZEN: frozenset({12, 15}),
}


def all_capabilities() -> frozenset[str]:
    """Every capability some role has: what an operator may do."""
    return frozenset().union(*CAPABILITIES.values())

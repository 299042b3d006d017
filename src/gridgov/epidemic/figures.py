"""The epidemic's figures as people read them: the roll-up measure names every concern
keeps (``gridgov.epidemic.rollups`` and ``tallies``), what a daily grid report counts as
"nothing to report", and the summary the reports and the dashboard show.

Everything here is pure (no database): the daily report and the dashboard read the
roll-ups (``DailyCount`` per grid and day, ``CurrentCount`` per grid) with a handful of
grouped queries and pass the sums to ``summarise``. Measures are read generically — a
measure this module does not know still travels in a report's figures and is shown by its
name (``measure_label``) — so a measure added by a concern later appears without a change
here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from gridgov.epidemic.models import CaseKind, Colour, DeclaredBy
from gridgov.epidemic.rollups import (
    ABNORMAL,
    CODE,
    CODE_TO,
    DECLARATIONS,
    DECLARATIONS_ABNORMAL,
    DECLARED,
)

# --- measure names (common to every concern) ------------------------------------------------

# Daily, per grid and day (besides the declarations' own, from ``rollups``).
SCREENED = "screened"
ISOLATION_STARTED = "isolation:started"
ISOLATION_RELEASED = "isolation:released"
FOLLOW_UPS_DUE = "follow_ups:due"
FOLLOW_UPS_DONE = "follow_ups:done"
FOLLOW_UPS_MISSED = "follow_ups:missed"
CASES = "cases:"  # cases:<kind> reported that day
REPORT = "report:"
REPORT_CONFIRMED = "report:confirmed"
REPORT_ZERO = "report:zero"
REPORT_LATE = "report:late"

# Standing, per grid.
CODE_YELLOW = CODE + Colour.YELLOW
CODE_RED = CODE + Colour.RED
ISOLATED_HOME = "isolated:home"
ISOLATED_CENTRALISED = "isolated:centralised"
SCREENING_TASKS = "screening:tasks"
SCREENING_DONE = "screening:done"
SCREENING_UNREACHABLE = "screening:unreachable"
SCREENING_UNCLEAR = "screening:unclear"
CASES_OPEN = "cases_open:"  # cases_open:<kind>
CONTACTS_1 = "contacts:1"
CONTACTS_2 = "contacts:2"
NOTICES_RECIPIENTS = "notices:recipients"
NOTICES_REACHED = "notices:reached"

# --- the zero report ------------------------------------------------------------------------

# A day has something to report when one of these daily measures is above zero: an
# abnormal declaration, a health code turned yellow or red, a new (suspected, confirmed or
# asymptomatic) case, a new isolation, a missed isolation follow-up. Standing figures
# (people already isolated, codes already yellow) do not: they were reported on the day
# they began. Screening results are not alarms either (an unclear point is work to do, not
# an abnormality).
ALARMS = (
    ABNORMAL,
    DECLARATIONS_ABNORMAL,
    CODE_TO + Colour.YELLOW,
    CODE_TO + Colour.RED,
    ISOLATION_STARTED,
    FOLLOW_UPS_MISSED,
)
ALARM_PREFIXES = (CASES,)


def alarms(day: Mapping[str, int]) -> dict[str, int]:
    """The day's measures that make a report more than a zero report."""
    return {
        measure: value
        for measure, value in sorted(day.items())
        if value > 0 and (measure in ALARMS or measure.startswith(ALARM_PREFIXES))
    }


def is_zero(day: Mapping[str, int]) -> bool:
    """Nothing abnormal happened that day (see ``ALARMS``): a zero report (零报告)."""
    return not alarms(day)


# --- summary --------------------------------------------------------------------------------


def _sum(figures: Mapping[str, int], prefix: str) -> int:
    return sum(v for k, v in figures.items() if k.startswith(prefix))


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent (one decimal), None when there is no whole."""
    if whole <= 0:
        return None
    return round(100.0 * part / whole, 1)


def summarise(
    day: Mapping[str, int],
    current: Mapping[str, int],
    *,
    people: int = 0,
    grids: int = 0,
) -> dict[str, Any]:
    """The named figures of a node (or grid) on a day, from its roll-up sums: ``day`` the
    day's measures, ``current`` the standing ones, ``people`` living there (registry),
    ``grids`` unit grids under it (for the missing reports)."""
    confirmed = day.get(REPORT_CONFIRMED, 0)
    return {
        "people": people,
        "declared": day.get(DECLARED, 0),
        "declared_share": percent(day.get(DECLARED, 0), people),
        "declarations": day.get(DECLARATIONS, 0),
        "abnormal": day.get(ABNORMAL, 0),
        "code_yellow": current.get(CODE_YELLOW, 0),
        "code_red": current.get(CODE_RED, 0),
        "codes_changed": day.get(CODE_TO + Colour.YELLOW, 0) + day.get(CODE_TO + Colour.RED, 0),
        "isolated_home": current.get(ISOLATED_HOME, 0),
        "isolated_centralised": current.get(ISOLATED_CENTRALISED, 0),
        "isolated": current.get(ISOLATED_HOME, 0) + current.get(ISOLATED_CENTRALISED, 0),
        "isolation_started": day.get(ISOLATION_STARTED, 0),
        "isolation_released": day.get(ISOLATION_RELEASED, 0),
        "follow_ups_due": day.get(FOLLOW_UPS_DUE, 0),
        "follow_ups_done": day.get(FOLLOW_UPS_DONE, 0),
        "follow_ups_missed": day.get(FOLLOW_UPS_MISSED, 0),
        "screening_tasks": current.get(SCREENING_TASKS, 0),
        "screening_done": current.get(SCREENING_DONE, 0),
        "screening_unreachable": current.get(SCREENING_UNREACHABLE, 0),
        "screening_unclear": current.get(SCREENING_UNCLEAR, 0),
        "screening_progress": percent(
            current.get(SCREENING_DONE, 0), current.get(SCREENING_TASKS, 0)
        ),
        "screened": day.get(SCREENED, 0),
        "cases_new": _sum(day, CASES),
        "cases_open": _sum(current, CASES_OPEN),
        "contacts_1": current.get(CONTACTS_1, 0),
        "contacts_2": current.get(CONTACTS_2, 0),
        "grids": grids,
        "reports_confirmed": confirmed,
        "reports_zero": day.get(REPORT_ZERO, 0),
        "reports_late": day.get(REPORT_LATE, 0),
        "reports_missing": max(0, grids - confirmed),
        "notices_recipients": current.get(NOTICES_RECIPIENTS, 0),
        "notices_reached": current.get(NOTICES_REACHED, 0),
        "notice_reach": percent(
            current.get(NOTICES_REACHED, 0), current.get(NOTICES_RECIPIENTS, 0)
        ),
    }


# What each figure of a summary is called.
FIGURE_LABELS: dict[str, Any] = {
    "people": _("People living here"),
    "declared": _("People declared"),
    "declared_share": _("People declared (%)"),
    "declarations": _("Declarations received"),
    "abnormal": _("People with an abnormal declaration"),
    "code_yellow": _("Yellow codes"),
    "code_red": _("Red codes"),
    "codes_changed": _("Codes turned yellow or red today"),
    "isolated_home": _("Isolated at home"),
    "isolated_centralised": _("Isolated in a centre"),
    "isolated": _("People in isolation"),
    "isolation_started": _("Isolations started"),
    "isolation_released": _("Released"),
    "follow_ups_due": _("Follow-ups due"),
    "follow_ups_done": _("Follow-ups done"),
    "follow_ups_missed": _("Follow-ups missed"),
    "screening_tasks": _("Screening tasks"),
    "screening_done": _("Screened (tasks done)"),
    "screening_unreachable": _("Not reached"),
    "screening_unclear": _("With unclear points"),
    "screening_progress": _("Screening done (%)"),
    "screened": _("Screening records today"),
    "cases_new": _("New cases"),
    "cases_open": pgettext_lazy("epidemic", "Open cases"),
    "contacts_1": _("First-degree contacts"),
    "contacts_2": _("Second-degree contacts"),
    "grids": _("Unit grids"),
    "reports_confirmed": _("Reports confirmed"),
    "reports_zero": _("Zero reports"),
    "reports_late": _("Reports confirmed late"),
    "reports_missing": _("Reports not confirmed"),
    "notices_recipients": _("Notice recipients"),
    "notices_reached": _("Notice recipients reached"),
    "notice_reach": _("Notices reached (%)"),
}

# The figures of a summary as the pages group them: (group label, figure keys).
FIGURE_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("Health declarations"), ("declared", "people", "abnormal", "declarations")),
    (_("Health codes"), ("code_yellow", "code_red", "codes_changed")),
    (
        _("Isolation"),
        (
            "isolated_home",
            "isolated_centralised",
            "isolation_started",
            "isolation_released",
            "follow_ups_due",
            "follow_ups_done",
            "follow_ups_missed",
        ),
    ),
    (
        _("Screening"),
        (
            "screening_tasks",
            "screening_done",
            "screening_unreachable",
            "screening_unclear",
            "screened",
        ),
    ),
    (_("Cases and contacts"), ("cases_new", "cases_open", "contacts_1", "contacts_2")),
    (_("Notices"), ("notices_recipients", "notices_reached")),
)

# Measures whose figure is one of the summary's (not listed again among the others).
SUMMARISED = frozenset(
    {
        DECLARATIONS,
        DECLARATIONS_ABNORMAL,
        DECLARED,
        ABNORMAL,
        SCREENED,
        ISOLATION_STARTED,
        ISOLATION_RELEASED,
        FOLLOW_UPS_DUE,
        FOLLOW_UPS_DONE,
        FOLLOW_UPS_MISSED,
        CODE_YELLOW,
        CODE_RED,
        CODE_TO + Colour.YELLOW,
        CODE_TO + Colour.RED,
        ISOLATED_HOME,
        ISOLATED_CENTRALISED,
        SCREENING_TASKS,
        SCREENING_DONE,
        SCREENING_UNREACHABLE,
        SCREENING_UNCLEAR,
        CONTACTS_1,
        CONTACTS_2,
        NOTICES_RECIPIENTS,
        NOTICES_REACHED,
    }
)

ALARM_LABELS: dict[str, Any] = {
    ABNORMAL: _("people with an abnormal declaration"),
    DECLARATIONS_ABNORMAL: _("abnormal declarations"),
    CODE_TO + Colour.YELLOW: _("codes turned yellow"),
    CODE_TO + Colour.RED: _("codes turned red"),
    ISOLATION_STARTED: _("isolations started"),
    FOLLOW_UPS_MISSED: _("follow-ups missed"),
}

_PART_LABELS: dict[str, Any] = {
    "tasks": _("tasks"),
    "done": _("done"),
    "unreachable": _("not reached"),
    "recipients": _("recipients"),
    "reached": _("reached"),
    "door": _("delivered at the door"),
}


def _choice(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def measure_label(measure: str) -> str:
    """A readable name for any measure: known families by pattern, else the name itself."""
    head, _sep, rest = measure.partition(":")
    if measure in ALARM_LABELS:
        return str(ALARM_LABELS[measure]).capitalize()
    if head == "cases" and rest:
        return str(_("New: %(kind)s") % {"kind": _choice(CaseKind, rest)})
    if head == "cases_open" and rest:
        return str(_("Open: %(kind)s") % {"kind": _choice(CaseKind, rest)})
    if head == "by" and rest:
        return str(_("Declared by: %(who)s") % {"who": _choice(DeclaredBy, rest)})
    if head == "code_to" and rest:
        return str(_("Codes turned %(colour)s") % {"colour": _choice(Colour, rest)})
    if head in ("campaign", "notice") and rest.count(":") == 1:
        number, part = rest.split(":")
        what = pgettext_lazy("figure of", "Campaign") if head == "campaign" else _("Notice")
        return f"{what} #{number}: {_PART_LABELS.get(part, part)}"
    return measure


@dataclass(frozen=True)
class Line:
    measure: str
    label: str
    value: int


def other_lines(*figures: Mapping[str, int]) -> list[Line]:
    """The measures of ``figures`` the summary does not show, by name, labelled."""
    seen: dict[str, int] = {}
    for counts in figures:
        for measure, value in counts.items():
            if measure not in SUMMARISED and not measure.startswith(REPORT) and value:
                seen[measure] = seen.get(measure, 0) + value
    return [Line(m, measure_label(m), v) for m, v in sorted(seen.items())]


def alarm_text(found: Mapping[str, int]) -> str:
    """ "2 people with an abnormal declaration, 1 new case" — what a day has to report."""
    parts = [
        f"{value} {ALARM_LABELS[measure]}"
        if measure in ALARM_LABELS
        else f"{value} {measure_label(measure)}"
        for measure, value in found.items()
    ]
    return pgettext("list separator", ", ").join(parts)


def without_reports(figures: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Measures other than the reports' own (a report does not report on reports)."""
    return {m: v for m, v in figures if not m.startswith(REPORT) and v}

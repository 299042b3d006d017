"""Daily grid reports (日报): assembling them from the roll-ups, confirming them, and
flagging the grids that did not report.

- ``assemble_reports`` stores (or refreshes) the waiting report of every grid under a
  node for a day, its figures read from the roll-ups only (``queries.reports
  .assemble_figures``) — the scheduled ``gridgov epidemic assemble-reports`` for the
  whole city, or one grid when its worker opens a report nobody assembled yet. A
  confirmed report keeps the figures it was confirmed with.
- ``confirm_report``: the grid's worker (``epidemic.report``) confirms the day's report,
  with an optional note, re-assembled at that moment. A day with nothing to report
  (``figures.is_zero``) must be confirmed explicitly as a zero report, and a day with
  something to report cannot be; confirmed after the deadline hour it is *late*. A
  confirmed report can be amended (confirmed again, with its version) the same way;
  lateness stays that of the first confirmation.
- ``flag_missing_reports``: after the deadline, the staff of each community with grids
  still missing their report get one inbox message listing them and their grid workers
  (never twice for the same community and day).

The roll-up measures ``report:confirmed``, ``report:zero`` and ``report:late`` (1 per
grid report, daily; ``tallies/reports.py``) change in the confirmation's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridgov.accounts import scope
from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.actions import record
from gridgov.core.errors import Conflict, NotFound
from gridgov.core.versions import check_version
from gridgov.epidemic import bulk, rollups, rules
from gridgov.epidemic import figures as names
from gridgov.epidemic.actions.common import clean_date, clean_text, fail
from gridgov.epidemic.capabilities import MANAGE, REPORT
from gridgov.epidemic.models import GridDailyReport, ReportStatus
from gridgov.epidemic.queries import reports as queries
from gridgov.inbox import actions as inbox
from gridgov.inbox.models import Message, MessageKind
from gridgov.territory import codes
from gridgov.territory.models import Region

NOTE_LENGTH = 300
# Who may assemble reports: those who confirm them (their grids), managers (their area).
ASSEMBLERS = (REPORT, MANAGE)
CHUNK = 2000  # grids per upsert round of a bulk assembly (and per progress step)
LISTED_GRIDS = 30  # grids named in one missing-report message
Progress = Callable[[int, int], None]

# A waiting report takes the new figures; a confirmed one keeps those it was confirmed with.
REFRESH_PENDING = (
    "DO UPDATE SET figures = excluded.figures, is_zero = excluded.is_zero"
    f" WHERE {{table}}.status = '{ReportStatus.PENDING.value}'"
)


# --- assembling -----------------------------------------------------------------------------


def _node(code: Any) -> str:
    """A territory code the caller names (a node to assemble under)."""
    text = str(code or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) in codes.LEVEL_BY_LENGTH):
        raise fail({"code": _("a territory code of 4, 6, 9, 12 or 15 digits")})
    return text


def _day(value: Any, *, confirming: bool = False) -> dt.date:
    errors: dict[str, Any] = {}
    day = clean_date(value, "date", errors, required=True)
    if day is not None and day > rules.today():
        errors["date"] = _("in the future")
    elif day is not None and confirming and not queries.confirmable(day):
        errors["date"] = _("more than %(days)d days ago") % {"days": queries.CONFIRM_DAYS}
    if errors or day is None:
        raise fail(errors)
    return day


def _upsert(day: dt.date, figures: dict[str, dict[str, Any]], grids: Sequence[str]) -> int:
    """Store the waiting reports of ``grids`` (new or refreshed); how many were written."""
    now = timezone.now()
    rows = [
        {
            "grid_code": grid,
            "date": day,
            "figures": figures.get(grid) or queries.empty_figures(),
            "is_zero": names.is_zero((figures.get(grid) or {}).get("day", {})),
            "status": ReportStatus.PENDING,
            "late": False,
            "note": "",
            "created_at": now,
            "version": 1,
        }
        for grid in grids
    ]
    written = bulk.insert_returning(
        GridDailyReport,
        rows,
        conflict=["grid_code", "date"],
        returning=["grid_code"],
        on_conflict=REFRESH_PENDING,
    )
    return len(written)


@dataclass(frozen=True)
class Assembled:
    day: dt.date
    code: str
    grids: int  # unit grids under the node
    written: int  # waiting reports stored or refreshed (confirmed ones are left as they are)


@transaction.atomic
def assemble_reports(
    day: Any,
    *,
    actor: Any,
    code: Any,
    progress: Progress | None = None,
) -> Assembled:
    """Assemble the reports of ``day`` of every unit grid under ``code`` (a city, …, or
    one grid) from the roll-ups: a handful of reads and one upsert per ``CHUNK`` grids.
    For ``epidemic.report`` holders (their grids) and ``epidemic.manage`` (their area)."""
    node = _node(code)
    queries.require_one_of(actor, ASSEMBLERS, node)
    when = _day(day)
    grids = list(
        Region.objects.filter(queries.under("code", node), level=codes.GRID)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not grids:
        raise NotFound()
    figures = queries.assemble_figures(when, node)
    written = 0
    for start in range(0, len(grids), CHUNK):
        written += _upsert(when, figures, grids[start : start + CHUNK])
        if progress is not None:
            progress(min(start + CHUNK, len(grids)), len(grids))
    record(
        "epidemic.report.assemble",
        actor=actor,
        object_type="epidemic.griddailyreport",
        object_repr=f"{node} {when}",
        grid_code=node if len(node) == 15 else "",
        changes={"code": node, "date": when, "grids": len(grids), "written": written},
    )
    return Assembled(day=when, code=node, grids=len(grids), written=written)


def ensure_report(grid_code: str, day: dt.date, *, actor: Any) -> GridDailyReport:
    """The grid's report of the day, assembled now if nobody did (its worker's first
    look); the stored one otherwise."""
    found = queries.stored_report(grid_code, day)
    if found is not None:
        return found
    assemble_reports(day, actor=actor, code=grid_code)
    report = queries.stored_report(grid_code, day)
    assert report is not None  # just stored, in this transaction
    return report


# --- confirming -----------------------------------------------------------------------------


def _flag(value: Any) -> bool:
    if value in (True, 1, "1", "true", "yes", "on"):
        return True
    if value in (None, "", False, 0, "0", "false", "no", "off"):
        return False
    raise fail({"zero": _("yes or no")})


def _zero_matches(zero: bool, day_figures: dict[str, int]) -> None:
    """A zero report is one with nothing to report, said explicitly: refuse either way
    round, naming what the day has (or has not)."""
    found = names.alarms(day_figures)
    if zero and found:
        raise fail(
            {
                "zero": _("not a zero report: %(what)s today; confirm it as a report")
                % {"what": names.alarm_text(found)}
            }
        )
    if not zero and not found:
        raise fail({"zero": _("nothing abnormal today: confirm it as a zero report")})


def _audit(report: GridDailyReport) -> dict[str, Any]:
    return {
        "status": report.status,
        "is_zero": report.is_zero,
        "late": report.late,
        "note": report.note,
    }


@transaction.atomic
def confirm_report(
    grid_code: Any,
    day: Any,
    *,
    actor: Any,
    zero: Any,
    note: Any = "",
    expected_version: Any = None,
) -> GridDailyReport:
    """Confirm (or amend) a grid's report of a day: its figures re-assembled now, ``zero``
    saying explicitly whether it is a zero report, an optional ``note``."""
    grid = str(grid_code or "")
    scope.require(actor, REPORT, grid or None)
    if not Region.objects.filter(code=grid, level=codes.GRID).exists():
        raise NotFound()
    when = _day(day, confirming=True)
    errors: dict[str, Any] = {}
    text = clean_text(note, "note", NOTE_LENGTH, errors)
    if errors:
        raise fail(errors)
    is_zero = _flag(zero)
    figures = queries.assemble_figures(when, [grid]).get(grid) or queries.empty_figures()
    _upsert(when, {grid: figures}, [grid])
    report = GridDailyReport.objects.select_for_update().get(grid_code=grid, date=when)
    first = report.status != ReportStatus.CONFIRMED
    if not first and expected_version in (None, ""):
        raise Conflict(
            _("This report was already confirmed; reload it to amend it."),
            details={"version": report.version},
        )
    check_version(report, expected_version)
    _zero_matches(is_zero, figures["day"])
    before = _audit(report)
    was_zero = report.is_zero if not first else False
    now = timezone.now()
    report.figures = figures
    report.is_zero = is_zero
    report.note = text
    report.status = ReportStatus.CONFIRMED
    report.confirmed_by = actor if getattr(actor, "pk", None) else None
    report.confirmed_at = now
    if first:
        report.late = now > queries.deadline(when)
    report.version += 1
    report.save()
    rollups.add_daily({(grid, when): _deltas(first, was_zero, report)})
    record(
        "epidemic.report.amend" if not first else "epidemic.report.confirm",
        actor=actor,
        obj=report,
        grid_code=grid,
        changes={"before": before, "after": _audit(report), "date": when},
    )
    return report


def _deltas(first: bool, was_zero: bool, report: GridDailyReport) -> Counter[str]:
    deltas: Counter[str] = Counter()
    if first:
        deltas[names.REPORT_CONFIRMED] += 1
        deltas[names.REPORT_LATE] += int(report.late)
    deltas[names.REPORT_ZERO] += int(report.is_zero) - int(was_zero)
    return deltas


# --- flagging missing reports ---------------------------------------------------------------


@dataclass(frozen=True)
class Flagged:
    day: dt.date
    overdue: bool  # False: the deadline has not passed, nothing is missing yet
    missing_grids: int
    communities: int
    messages: int  # inbox messages sent now (none to staff already told)


def topic(community: str, day: dt.date) -> str:
    return f"epidemic:report_missing:{community}:{day.isoformat()}"


def _overview_link(community: str, day: dt.date) -> str:
    try:
        base = reverse("epidemic:reports_overview")
    except NoReverseMatch:  # pages not mounted
        base = "/epidemic/reports/overview/"
    return f"{base}?code={community}&date={day.isoformat()}&status=missing"


def _community_staff(communities: Sequence[str]) -> dict[str, list[User]]:
    """{community: its active community staff}: two queries."""
    by_code: dict[str, set[int]] = defaultdict(set)
    for code, user_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.COMMUNITY_STAFF, scope_code__in=list(communities))
        .values_list("scope_code", "user_id")
    ):
        by_code[code].add(user_id)
    wanted = set().union(*by_code.values()) if by_code else set()
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    return {code: [users[pk] for pk in sorted(ids) if pk in users] for code, ids in by_code.items()}


def _message_body(grids: Sequence[str], day: dt.date) -> str:
    region_names = dict(Region.objects.filter(code__in=grids).values_list("code", "name"))
    workers = queries.grid_workers(grids)
    lines = [
        _("%(grid)s %(name)s — grid worker: %(worker)s")
        % {
            "grid": grid,
            "name": region_names.get(grid, ""),
            "worker": workers.get(grid) or _("none assigned"),
        }
        for grid in grids[:LISTED_GRIDS]
    ]
    if len(grids) > LISTED_GRIDS:
        lines.append(_("… and %(n)d more.") % {"n": len(grids) - LISTED_GRIDS})
    intro = _("These grids have not confirmed their daily report of %(day)s:") % {"day": day}
    return "\n".join([intro, *lines])


@transaction.atomic
def flag_missing_reports(day: Any, *, actor: Any, code: Any = "") -> Flagged:
    """After the deadline of ``day``, tell the staff of each community under ``code``
    (default: the actor's ``epidemic.manage`` scope) which of its grids have not
    confirmed their report. Running it again sends nothing new to anyone told before."""
    node = _node(code) if code else ""
    scope.require(actor, MANAGE, node or None)
    when = _day(day)
    if not queries.overdue(when):
        return Flagged(when, False, 0, 0, 0)
    within = scope.scope_filter(actor, field="code", capability=MANAGE)
    missing = queries.missing_by_community(node, when, within)
    staff = _community_staff(sorted(missing))
    told = set(
        Message.objects.filter(topic__in=[topic(c, when) for c in missing]).values_list(
            "topic", "recipient_id"
        )
    )
    sent = 0
    # In the site's language: the message is stored once and read later.
    with translation.override(settings.LANGUAGE_CODE):
        for community, grids in sorted(missing.items()):
            about = topic(community, when)
            audience = [u for u in staff.get(community, []) if (about, u.pk) not in told]
            if not audience:
                continue
            sent += inbox.deliver(
                audience,
                kind=MessageKind.ALERT,
                subject=ngettext(
                    "%(n)d grid has not confirmed its daily report (%(day)s)",
                    "%(n)d grids have not confirmed their daily report (%(day)s)",
                    len(grids),
                )
                % {"n": len(grids), "day": when},
                body=_message_body(grids, when),
                link=_overview_link(community, when),
                topic=about,
                grid_code=grids[0] if len(grids) == 1 else "",
            )
    missing_grids = sum(len(g) for g in missing.values())
    if sent:
        record(
            "epidemic.report.flag_missing",
            actor=actor,
            object_type="epidemic.griddailyreport",
            object_repr=f"{node or '*'} {when}",
            changes={
                "date": when,
                "code": node,
                "communities": len(missing),
                "missing_grids": missing_grids,
                "messages": sent,
            },
        )
    return Flagged(when, True, missing_grids, len(missing), sent)

"""The epidemic's rules as pure functions: days, abnormal declarations, health-code colours.

No database here: the actions feed these with rows they read, so the rules can be tested
(and reasoned about) on their own.

Days are calendar days in the site's time zone (``TIME_ZONE``, Asia/Shanghai by default):
a declaration at 23:59 belongs to that day, one at 00:01 to the next.

Health codes (domain.md §5, thresholds from ``EpidemicSettings``):

- A declaration can only raise a code: fever (temperature at or above the threshold) or a
  symptom → ``symptom_colour`` (yellow); contact → ``contact_colour`` (red); coming from a
  medium- or high-risk area → that level's colour. The reason that set the colour is kept.
- An abnormal declaration (fever, symptom or contact) of someone already yellow or red
  restarts their count; travel from a risk area at the colour they already have does not
  (they declare it every day of their first fortnight).
- A code returns to green after ``required_days`` consecutive normal declaration days after
  ``count_from`` (7 for yellow, 14 for red); a day with any abnormal declaration breaks the
  run, and so does a day without one. A code set by decision with ``required_days`` 0
  returns to green only by decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from gridgov.epidemic.models.base import COLOUR_RANK, Colour
from gridgov.epidemic.models.health_code import CodeReason
from gridgov.epidemic.models.risk import RiskLevel

DIVISION_LENGTHS = (2, 4, 6, 9, 12)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def site_zone() -> ZoneInfo:
    return _zone(settings.TIME_ZONE)


def day_of(moment: dt.datetime) -> dt.date:
    """The calendar day of an aware moment in the site's time zone."""
    return moment.astimezone(site_zone()).date()


def today() -> dt.date:
    """Today in the site's time zone."""
    return day_of(timezone.now())


def aware(moment: dt.datetime) -> dt.datetime:
    """A naive time is read as the site's local time (a phone's clock), not UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=site_zone())
    return moment


def prefixes(code: str) -> list[str]:
    """The division codes a place's code lies in, itself included: ``41130200`` → 41,
    4113, 411302. A risk area matches a place when its code is one of these."""
    return [code[:n] for n in DIVISION_LENGTHS if n <= len(code)]


def valid_division(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) in DIVISION_LENGTHS and code[:2] != "00"


@dataclass(frozen=True)
class Findings:
    """What one declaration says, as the health-code rules see it."""

    fever: bool
    symptoms: bool
    contact: bool
    travel_risk: str  # "" or a RiskLevel

    @property
    def abnormal(self) -> bool:
        return self.fever or self.symptoms or self.contact


def findings(
    temperature: Decimal | None,
    symptoms: Iterable[str],
    contact: bool,
    travel_risk: str,
    threshold: Decimal,
) -> Findings:
    return Findings(
        fever=temperature is not None and temperature >= threshold,
        symptoms=bool(list(symptoms)),
        contact=bool(contact),
        travel_risk=travel_risk or "",
    )


def trigger(found: Findings, rules: Any) -> tuple[str, str]:
    """(colour, reason) a declaration calls for: the most severe of what it says;
    (green, "") when it says nothing."""
    candidates: list[tuple[str, str]] = [(Colour.GREEN, "")]
    if found.fever:
        candidates.append((rules.symptom_colour, CodeReason.FEVER))
    elif found.symptoms:
        candidates.append((rules.symptom_colour, CodeReason.SYMPTOMS))
    if found.contact:
        candidates.append((rules.contact_colour, CodeReason.CONTACT))
    if found.travel_risk == RiskLevel.HIGH:
        candidates.append((rules.high_risk_colour, CodeReason.RISK_TRAVEL))
    elif found.travel_risk == RiskLevel.MEDIUM:
        candidates.append((rules.medium_risk_colour, CodeReason.RISK_TRAVEL))
    # max keeps the first of equals: fever before contact before travel.
    return max(candidates, key=lambda c: COLOUR_RANK[Colour(c[0])])


@dataclass
class CodeState:
    """A person's code as the rules move it (a HealthCode row, or green without one)."""

    colour: str = Colour.GREEN
    reason: str = ""
    since: dt.datetime | None = None
    count_from: dt.date | None = None
    normal_days: int = 0
    required_days: int = 0

    @property
    def green(self) -> bool:
        return self.colour == Colour.GREEN


def escalate(state: CodeState, found: Findings, moment: dt.datetime, rules: Any) -> bool:
    """Apply one declaration's findings; True when the colour changed."""
    colour, reason = trigger(found, rules)
    day = day_of(moment)
    if COLOUR_RANK[Colour(colour)] > COLOUR_RANK[Colour(state.colour)]:
        state.colour, state.reason, state.since = colour, reason, moment
        state.count_from = max(day, state.count_from or day)
        state.required_days = rules.required_days(colour)
        state.normal_days = 0
        return True
    if found.abnormal and not state.green:
        state.count_from = max(day, state.count_from or day)
        state.normal_days = 0
    return False


def normal_run(days: Mapping[dt.date, bool], after: dt.date) -> tuple[dt.date, int]:
    """Over the declaration days strictly after ``after`` ({day: abnormal}): the day after
    which counting now starts (the last abnormal day, else ``after``) and the longest run
    of consecutive normal days after it."""
    later = sorted(day for day in days if day > after)
    abnormal = [day for day in later if days[day]]
    start = abnormal[-1] if abnormal else after
    best = run = 0
    previous: dt.date | None = None
    for day in (d for d in later if d > start):
        run = run + 1 if previous is not None and day - previous == dt.timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return start, best


def settle(state: CodeState, days: Mapping[dt.date, bool]) -> bool:
    """Count the normal days of a yellow or red code; True when it turns green."""
    if state.green or state.count_from is None:
        return False
    state.count_from, state.normal_days = normal_run(days, state.count_from)
    if state.required_days and state.normal_days >= state.required_days:
        state.colour, state.reason = Colour.GREEN, CodeReason.NORMAL_DAYS
        return True
    return False

"""The case state machine (domain.md §3): which action moves a case from which stages to
which stage, and who may take it.

    report ─▶ REPORTED ─request_verification─▶ VERIFYING ─record_verification─▶ VERIFIED
    REPORTED / VERIFIED ─file─▶ FILED ─dispatch─▶ DISPATCHED ─accept─▶ ACCEPTED
    DISPATCHED ─return─▶ FILED (wrongly sent; the command centre dispatches again)
    ACCEPTED ─dispose─▶ DISPOSED ─request_check─▶ CHECKING ─record_check─▶ CHECKED
    CHECKED (check passed) ─close─▶ CLOSED
    DISPOSED / CHECKED (check failed) ─rework─▶ DISPATCHED (same department)
    REPORTED / VERIFYING / VERIFIED ─cancel or merge─▶ CANCELLED

Rules beyond the table, enforced by the actions:

- Verification is optional: the supervision centre may file a report as it stands (a
  hotline call it trusts, a video frame). A problem reported on patrol by the grid's own
  supervisor starts VERIFIED — the supervisor saw it on site.
- A case verified as not real cannot be filed, only cancelled.
- Closing needs a passed on-site check: a case is never closed on the department's word
  alone (DISPOSED → CLOSED is not a move); that is what separates supervision from disposal.
- Rework goes back to the department that disposed of it, with the original deadline (the
  clock is not restarted for work that failed its check); a returned case is dispatched
  afresh and its deadline counts from the new dispatch.
- Postponements are asked for and decided while the department holds the case
  (DISPATCHED or ACCEPTED); they do not move the case.

Stages that have their own clock — verification (VERIFYING), dispatch (FILED) and check
(CHECKING) — get ``Case.stage_deadline`` from ``stage_limit``; the disposal clock
(DISPATCHED, ACCEPTED) is ``Case.deadline``, from the class's limit.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.cases.models import Stage, TimeUnit
from gridgov.core.errors import Conflict

SUPERVISE = "cases.supervise"
VERIFY = "cases.verify"
DISPATCH = "cases.dispatch"
DISPOSE = "cases.dispose"
REPORT = "cases.report"
VIEW = "cases.view"


class Transition(NamedTuple):
    sources: frozenset[str]
    target: str | None  # None: the case stays in its stage
    capability: str | None  # None: no role needed (the public's own actions, the system)


_BEFORE_FILING = frozenset({Stage.REPORTED, Stage.VERIFYING, Stage.VERIFIED})
# The department holds the case: its disposal clock runs.
DISPOSAL_STAGES = frozenset({Stage.DISPATCHED, Stage.ACCEPTED})
OPEN = frozenset(Stage) - {Stage.CLOSED, Stage.CANCELLED}

TRANSITIONS: dict[str, Transition] = {
    "request_verification": Transition(frozenset({Stage.REPORTED}), Stage.VERIFYING, SUPERVISE),
    "record_verification": Transition(frozenset({Stage.VERIFYING}), Stage.VERIFIED, VERIFY),
    "file": Transition(frozenset({Stage.REPORTED, Stage.VERIFIED}), Stage.FILED, SUPERVISE),
    "cancel": Transition(_BEFORE_FILING, Stage.CANCELLED, SUPERVISE),
    "merge": Transition(_BEFORE_FILING, Stage.CANCELLED, SUPERVISE),
    "dispatch": Transition(frozenset({Stage.FILED}), Stage.DISPATCHED, DISPATCH),
    "accept": Transition(frozenset({Stage.DISPATCHED}), Stage.ACCEPTED, DISPOSE),
    "return": Transition(frozenset({Stage.DISPATCHED}), Stage.FILED, DISPOSE),
    "dispose": Transition(frozenset({Stage.ACCEPTED}), Stage.DISPOSED, DISPOSE),
    "request_check": Transition(frozenset({Stage.DISPOSED}), Stage.CHECKING, SUPERVISE),
    "record_check": Transition(frozenset({Stage.CHECKING}), Stage.CHECKED, VERIFY),
    "close": Transition(frozenset({Stage.CHECKED}), Stage.CLOSED, SUPERVISE),
    "rework": Transition(frozenset({Stage.DISPOSED, Stage.CHECKED}), Stage.DISPATCHED, SUPERVISE),
    "request_postponement": Transition(DISPOSAL_STAGES, None, DISPOSE),
    "approve_postponement": Transition(DISPOSAL_STAGES, None, DISPATCH),
    "reject_postponement": Transition(DISPOSAL_STAGES, None, DISPATCH),
    "rate": Transition(frozenset({Stage.CLOSED}), None, None),
    "escalate": Transition(OPEN, None, None),
}

# Every CaseEvent.action value, with its label (the timeline, the audit trail).
ACTION_LABELS: dict[str, Promise] = {
    "report": pgettext_lazy("case action", "Reported"),
    "request_verification": pgettext_lazy("case action", "Verification requested"),
    "record_verification": pgettext_lazy("case action", "Verified on site"),
    "file": pgettext_lazy("case action", "Filed"),
    "cancel": pgettext_lazy("case action", "Cancelled"),
    "merge": pgettext_lazy("case action", "Merged into another case"),
    "dispatch": pgettext_lazy("case action", "Dispatched"),
    "accept": pgettext_lazy("case action", "Accepted by the department"),
    "return": pgettext_lazy("case action", "Returned as wrongly sent"),
    "dispose": pgettext_lazy("case action", "Disposed"),
    "request_check": pgettext_lazy("case action", "Check requested"),
    "record_check": pgettext_lazy("case action", "Checked on site"),
    "close": pgettext_lazy("case action", "Closed"),
    "rework": pgettext_lazy("case action", "Sent back for rework"),
    "request_postponement": pgettext_lazy("case action", "Postponement requested"),
    "approve_postponement": pgettext_lazy("case action", "Postponement approved"),
    "reject_postponement": pgettext_lazy("case action", "Postponement refused"),
    "rate": pgettext_lazy("case action", "Rated by the reporter"),
    "escalate": pgettext_lazy("case action", "Escalated as overdue"),
}

# What the action is called when it is refused ("… is not possible").
_VERBS: dict[str, Promise] = {
    "request_verification": pgettext_lazy("case verb", "Requesting verification"),
    "record_verification": pgettext_lazy("case verb", "Recording a verification"),
    "file": pgettext_lazy("case verb", "Filing"),
    "cancel": pgettext_lazy("case verb", "Cancelling"),
    "merge": pgettext_lazy("case verb", "Merging"),
    "dispatch": pgettext_lazy("case verb", "Dispatching"),
    "accept": pgettext_lazy("case verb", "Accepting"),
    "return": pgettext_lazy("case verb", "Returning"),
    "dispose": pgettext_lazy("case verb", "Disposing"),
    "request_check": pgettext_lazy("case verb", "Requesting a check"),
    "record_check": pgettext_lazy("case verb", "Recording a check"),
    "close": pgettext_lazy("case verb", "Closing"),
    "rework": pgettext_lazy("case verb", "Sending back for rework"),
    "request_postponement": pgettext_lazy("case verb", "Asking for a postponement"),
    "approve_postponement": pgettext_lazy("case verb", "Approving a postponement"),
    "reject_postponement": pgettext_lazy("case verb", "Refusing a postponement"),
    "rate": pgettext_lazy("case verb", "Rating"),
    "escalate": pgettext_lazy("case verb", "Escalating"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def stage_label(stage: str) -> str:
    try:
        return str(Stage(stage).label)
    except ValueError:
        return stage


def can_move(stage: str, action: str) -> bool:
    """Whether ``action`` is a move out of ``stage`` (regardless of who asks)."""
    transition = TRANSITIONS.get(action)
    return transition is not None and stage in transition.sources


def moves_from(stage: str) -> list[str]:
    """The actions possible in ``stage``, in the order of ``TRANSITIONS``."""
    return [action for action, t in TRANSITIONS.items() if stage in t.sources]


def check_transition(case: Any, action: str) -> Transition:
    """The transition of ``action`` for this case; Conflict naming the stage when the case
    is in a stage it cannot be taken from."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValueError(f"unknown case action {action!r}")
    if case.stage not in transition.sources:
        raise Conflict(
            _("%(action)s is not possible: case %(number)s is “%(stage)s”.")
            % {
                "action": _VERBS[action],
                "number": case.number,
                "stage": stage_label(case.stage),
            },
            details={"stage": case.stage, "action": action},
        )
    return transition


# --- stage clocks -------------------------------------------------------------------------

# The stage whose clock a setting gives: verification, dispatch, on-site check.
_STAGE_SETTINGS = {
    Stage.VERIFYING: "GRIDGOV_CASE_VERIFY_LIMIT",
    Stage.FILED: "GRIDGOV_CASE_DISPATCH_LIMIT",
    Stage.CHECKING: "GRIDGOV_CASE_CHECK_LIMIT",
}
TIMED_STAGES = frozenset(_STAGE_SETTINGS)


def parse_limit(text: str, name: str = "limit") -> tuple[int, str]:
    """``"1 working_hours"`` → ``(1, "working_hours")``; ImproperlyConfigured otherwise."""
    parts = str(text).split()
    if len(parts) == 2 and parts[0].isdigit() and int(parts[0]) > 0 and parts[1] in TimeUnit.values:
        return int(parts[0]), parts[1]
    raise ImproperlyConfigured(
        f"{name}={text!r}: expected '<whole number> <unit>' with the unit one of "
        + ", ".join(TimeUnit.values)
    )


def stage_limit(stage: str) -> tuple[int, str] | None:
    """(amount, unit) a stage may take, from settings; None for stages without a clock."""
    name = _STAGE_SETTINGS.get(stage)  # type: ignore[call-overload]
    if name is None:
        return None
    return parse_limit(getattr(settings, name), name)

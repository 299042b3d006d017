"""Notices' roll-ups: standing figures per grid of each notice and of all notices in force.

Per notice, by the ``grid_code`` of each delivery (a resident's grid; a staff member's grid,
or the community or township their role is bound to):

- ``notice:<id>:recipients`` — deliveries; ``notice:<id>:reached`` — of them read or
  delivered door to door;
- ``notice:<id>:door_due`` — residents without a phone, reached door to door by their grid
  worker; ``notice:<id>:door`` — of them delivered at the door (marked by the worker);
- ``notice:<id>:staff`` — staff recipients (inbox); ``notice:<id>:staff_reached`` — of them
  read.

Over every notice in force (sent, not withdrawn: a withdrawn notice keeps its own figures
as history but leaves these): ``notices:recipients``, ``notices:reached``,
``notices:door_due``, ``notices:door`` — what the dashboard shows.

Kept by ``actions.notices`` in the transaction of the send, read, door marking or withdrawal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from django.db.models import Count, Q

from gridgov.epidemic import rollups
from gridgov.epidemic.models import DeliveryChannel, NoticeDelivery, NoticeStatus

NOTICE = "notice:"
ALL = "notices:"
RECIPIENTS = "recipients"
REACHED = "reached"
DOOR_DUE = "door_due"
DOOR = "door"  # delivered at the door
STAFF = "staff"
STAFF_REACHED = "staff_reached"
# The figures kept over all notices in force.
AGGREGATED = (RECIPIENTS, REACHED, DOOR_DUE, DOOR)


def measure(notice_id: int, name: str) -> str:
    return f"{NOTICE}{notice_id}:{name}"


def notice_of(measure_name: str) -> tuple[int, str] | None:
    """(notice id, figure) of a per-notice measure; None for any other."""
    if not measure_name.startswith(NOTICE):
        return None
    number, _sep, name = measure_name[len(NOTICE) :].partition(":")
    return (int(number), name) if number.isdigit() else None


def figures(*, staff: bool, door: bool, reached: bool) -> Iterator[str]:
    """The figures one delivery counts in."""
    yield RECIPIENTS
    if staff:
        yield STAFF
    if door:
        yield DOOR_DUE
    if reached:
        yield from reach_figures(staff=staff, door=door)


def reach_figures(*, staff: bool, door: bool) -> Iterator[str]:
    """The figures a delivery adds to when it is reached."""
    yield REACHED
    if staff:
        yield STAFF_REACHED
    if door:
        yield DOOR


def add(
    counts: dict[str, Counter[str]],
    grid: str,
    notice_id: int,
    names: Iterator[str] | list[str],
    *,
    in_force: bool,
    n: int = 1,
) -> None:
    """Count ``n`` deliveries of one grid in ``names`` (and the all-notices figures when the
    notice is in force)."""
    counter = counts[grid]
    for name in names:
        counter[measure(notice_id, name)] += n
        if in_force and name in AGGREGATED:
            counter[ALL + name] += n


def count_current() -> dict[str, Counter[str]]:
    """The notice figures recounted from the deliveries."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    reached = Q(read_at__isnull=False)
    rows = (
        NoticeDelivery.objects.values_list("notice_id", "notice__status", "grid_code", "channel")
        .annotate(
            n=Count("pk"),
            staff=Count("pk", filter=Q(user__isnull=False)),
            reached=Count("pk", filter=reached),
            staff_reached=Count("pk", filter=reached & Q(user__isnull=False)),
        )
        .order_by()
    )
    for notice_id, status, grid, channel, n, staff, done, staff_done in rows:
        in_force = status == NoticeStatus.SENT
        door = channel == DeliveryChannel.DOOR
        residents, residents_done = n - staff, done - staff_done
        add(counts, grid, notice_id, [RECIPIENTS], in_force=in_force, n=n)
        add(counts, grid, notice_id, [REACHED], in_force=in_force, n=done)
        add(counts, grid, notice_id, [STAFF], in_force=in_force, n=staff)
        add(counts, grid, notice_id, [STAFF_REACHED], in_force=in_force, n=staff_done)
        if door:
            add(counts, grid, notice_id, [DOOR_DUE], in_force=in_force, n=residents)
            add(counts, grid, notice_id, [DOOR], in_force=in_force, n=residents_done)
    return counts


def count_daily() -> dict[rollups.DayKey, Counter[str]]:
    return {}  # notices keep no daily figures


TALLY = rollups.Tally(
    name="notices",
    daily=rollups.NOTHING,
    current=Q(measure__startswith=NOTICE) | Q(measure__startswith=ALL),
    count_daily=count_daily,
    count_current=count_current,
)

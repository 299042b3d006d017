"""Notices: who sees which, who a notice reaches, its reach per area, the grid worker's
door-to-door list and a staff member's own notices.

- A notice is seen by holders of ``epidemic.notify`` over its region (drafts included) and,
  once sent, by anyone with an epidemic reading capability (``view``, ``aggregate``,
  ``notify``) whose scope it was issued in or which one of its targets covers or lies in,
  and by its staff recipients.
- Figures (reach) need ``epidemic.aggregate`` over the area; deliveries, which name people,
  ``epidemic.view`` over their grid (names masked all the same); the door-to-door list and
  its marking ``epidemic.declare`` (the grid's field staff: grid workers, community staff).
- A notice's recipients are the union of its targets: the living residents under each
  target's node (with a confirmed care tag of the target's group, when it names one) and
  the field staff (grid workers, community and township staff) whose grid or role lies
  under a target's node. Staff are not narrowed by care group: they deliver the notice.
- A resident's notice link carries an unguessable token made from the delivery's id with
  the installation's secret (``link_token``): no login, nothing stored.
"""

from __future__ import annotations

import base64
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.accounts.models import GridAssignment, RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic.capabilities import AGGREGATE, DECLARE, NOTIFY, VIEW
from gridgov.epidemic.models import (
    Audience,
    CurrentCount,
    DeliveryChannel,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    NoticeTarget,
)
from gridgov.epidemic.queries.public import mask_name
from gridgov.epidemic.tallies import notices as tally
from gridgov.registry.models import (
    Building,
    CareKind,
    CareTag,
    Person,
    PersonStatus,
    TagStatus,
)
from gridgov.territory import codes
from gridgov.territory.models import Region

READERS = (VIEW, AGGREGATE, NOTIFY)
# Door-to-door delivery is field work: the same people who declare for residents
# without a phone (grid workers and community staff).
DELIVER = DECLARE
STAFF_ROLES = (Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.TOWNSHIP_STAFF)
MAX_TARGETS = 50
LINK_SALT = "gridgov.epidemic.notice-link"  # the HMAC key is SECRET_KEY; this separates uses
CHILD_LENGTH = {4: 6, 6: 9, 9: 12, 12: 15}


# --- who sees which notice ------------------------------------------------------------------


def may_read(user: Any) -> bool:
    return any(scope.has_capability(user, capability) for capability in READERS)


def _reading_scope(user: Any) -> list[str]:
    return scope.minimal_prefixes(
        code for capability in READERS for code in scope.scope_codes(user, capability)
    )


def _covering(prefixes: Iterable[str]) -> Q:
    """Targets that cover part of these scopes: a target inside one, or one above it."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        above = [prefix[:n] for n in codes.CODE_LENGTH.values() if n <= len(prefix)]
        q |= Q(code__startswith=prefix) | Q(code__in=above)
    return q


def visible_notices(user: Any) -> QuerySet[Notice]:
    if not may_read(user):
        raise PermissionDenied()
    managed = scope.scope_filter(user, field="region_code", capability=NOTIFY)
    prefixes = _reading_scope(user)
    if "" in prefixes:
        return Notice.objects.all()
    targeted = Exists(NoticeTarget.objects.filter(_covering(prefixes), notice_id=OuterRef("pk")))
    received = Exists(NoticeDelivery.objects.filter(notice_id=OuterRef("pk"), user_id=user.pk))
    issued_here = Q(pk__in=[])
    for prefix in prefixes:
        issued_here |= Q(region_code__startswith=prefix)
    published = ~Q(status=NoticeStatus.DRAFT) & (issued_here | Q(targeted) | Q(received))
    return Notice.objects.filter(managed | published)


def get_notice_for(user: Any, notice_id: Any) -> Notice:
    try:
        return visible_notices(user).get(pk=int(notice_id))
    except (Notice.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def may_manage(user: Any, notice: Notice) -> bool:
    return scope.has_capability(user, NOTIFY, notice.region_code)


def get_managed_notice_for(user: Any, notice_id: Any) -> Notice:
    """A notice the user may change: NotFound when they do not see it, PermissionDenied
    when they see it without ``epidemic.notify`` over its area."""
    notice = get_notice_for(user, notice_id)
    if not may_manage(user, notice):
        raise PermissionDenied()
    return notice


def search_notices(user: Any, *, q: str = "", status: str = "") -> QuerySet[Notice]:
    """Notices by part of the title or text, and status; newest first."""
    notices = visible_notices(user)
    if q.strip():
        text = q.strip()
        notices = notices.filter(Q(title__icontains=text) | Q(body__icontains=text))
    if status:
        if status not in NoticeStatus.values:
            raise InvalidInput(fields={"status": ", ".join(NoticeStatus.values)})
        notices = notices.filter(status=status)
    return notices.order_by("-created_at", "-pk")


def region_names(regions: Iterable[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(regions)).values_list("code", "name"))


def totals_in_scope(user: Any, notice_ids: Sequence[int]) -> dict[int, Counter[str]]:
    """{notice: {figure: n}} of each notice over the part of it in the user's aggregate
    scope (the figures of a list page), with one query."""
    if not notice_ids or not scope.has_capability(user, AGGREGATE):
        return {}
    names = [tally.measure(pk, f) for pk in notice_ids for f in (tally.RECIPIENTS, tally.REACHED)]
    found: dict[int, Counter[str]] = {pk: Counter() for pk in notice_ids}
    rows = (
        CurrentCount.objects.filter(scope.scope_filter(user, capability=AGGREGATE))
        .filter(measure__in=names)
        .values_list("measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    for name, n in rows:
        parsed = tally.notice_of(name)
        if parsed:
            found[parsed[0]][parsed[1]] += int(n or 0)
    return found


# --- targets and recipients -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    code: str
    care_kind: str = ""


def clean_targets(region_code: str, rows: Any, errors: dict[str, Any]) -> list[Target]:
    """The targets as given ([{"code", "care_kind"}…]): each an existing territory node
    inside the notice's region, with a known care group or none; repeats dropped."""
    if rows in (None, ""):
        return []
    if not isinstance(rows, list | tuple):
        errors["targets"] = _("a list of targets")
        return []
    if len(rows) > MAX_TARGETS:
        errors["targets"] = _("at most %(n)d targets") % {"n": MAX_TARGETS}
        return []
    found: list[tuple[int, Target]] = []
    problems: dict[int, str] = {}
    for index, row in enumerate(rows):
        data = row if isinstance(row, Mapping) else {"code": row}
        code = str(data.get("code") or "").strip()
        kind = str(data.get("care_kind") or "").strip()
        if not (code.isascii() and code.isdigit() and len(code) in codes.LEVEL_BY_LENGTH):
            problems[index] = _("a territory code of 4, 6, 9, 12 or 15 digits")
        elif not code.startswith(region_code):
            problems[index] = _("%(code)s is not inside the notice's area") % {"code": code}
        elif kind and kind not in CareKind.values:
            problems[index] = _("unknown care group %(kind)s") % {"kind": kind}
        else:
            found.append((index, Target(code, kind)))
    known = set(
        Region.objects.filter(code__in={t.code for _i, t in found}).values_list("code", flat=True)
    )
    for index, target in found:
        if target.code not in known:
            problems[index] = _("no such place: %(code)s") % {"code": target.code}
    if problems:
        errors["targets"] = "; ".join(
            _("target %(n)d: %(reason)s") % {"n": index + 1, "reason": reason}
            for index, reason in sorted(problems.items())
        )
    return list(dict.fromkeys(t for _i, t in found if t.code in known))


def _target_q(target: Target) -> Q:
    q = Q(grid_code__startswith=target.code)
    if target.care_kind:
        tagged = CareTag.objects.filter(kind=target.care_kind, status=TagStatus.CONFIRMED)
        q &= Q(pk__in=tagged.values("person_id"))
    return q


def _union(targets: Sequence[Target]) -> Q:
    q = Q(pk__in=[])
    for target in targets:
        q |= _target_q(target)
    return q


def resident_rows(targets: Sequence[Target]) -> list[tuple[int, str, bool]]:
    """(person id, grid, has a phone) of every living resident the targets reach, once."""
    if not targets:
        return []
    people = Person.objects.filter(_union(targets), status=PersonStatus.LIVING).order_by()
    return [
        (pk, grid, bool(phone))
        for pk, grid, phone in people.values_list("pk", "grid_code", "phone_hash")
    ]


def staff_rows(targets: Sequence[Target]) -> dict[int, str]:
    """{user id: the code their delivery is counted at} of the active field staff under
    the targets: a grid worker's grid, else the node their role is bound to (the most
    precise one when there are several)."""
    if not targets:
        return {}
    under_roles = Q(pk__in=[])
    under_grids = Q(pk__in=[])
    for code in {t.code for t in targets}:
        under_roles |= Q(scope_code__startswith=code)
        under_grids |= Q(grid_code__startswith=code)
    found: dict[int, str] = {}
    grids = GridAssignment.objects.active().filter(under_grids, user__is_active=True)
    roles = RoleAssignment.objects.active().filter(
        under_roles, role__in=STAFF_ROLES, user__is_active=True, department__isnull=True
    )
    for user_id, code in [
        *grids.values_list("user_id", "grid_code").order_by(),
        *roles.values_list("user_id", "scope_code").order_by(),
    ]:
        held = found.get(user_id)
        if held is None or _precision(code) < _precision(held):
            found[user_id] = code
    return found


def _precision(code: str) -> tuple[int, str]:
    """Longer codes first (a grid before its community), then in code order."""
    return (-len(code), code)


@dataclass
class TargetCount:
    code: str
    name: str
    care_kind: str
    care_label: str
    residents: int = 0
    staff: int = 0


@dataclass
class Preview:
    """How many people a notice would reach: per target and in all (each person once)."""

    audience: str
    targets: list[TargetCount] = field(default_factory=list)
    residents: int = 0
    with_phone: int = 0
    staff: int = 0

    @property
    def door(self) -> int:
        return self.residents - self.with_phone

    @property
    def total(self) -> int:
        return self.residents + self.staff


def reaches_residents(audience: str) -> bool:
    return audience in (Audience.RESIDENTS, Audience.BOTH)


def reaches_staff(audience: str) -> bool:
    return audience in (Audience.STAFF, Audience.BOTH)


def count_recipients(audience: str, targets: Sequence[Target], exclude_user: Any = None) -> Preview:
    """The preview of a notice: residents per target and in all with one query, staff
    with two."""
    names = region_names(t.code for t in targets)
    preview = Preview(
        audience=audience,
        targets=[
            TargetCount(
                t.code,
                names.get(t.code, t.code),
                t.care_kind,
                str(CareKind(t.care_kind).label) if t.care_kind else "",
            )
            for t in targets
        ],
    )
    if not targets:
        return preview
    if reaches_residents(audience):
        people = Person.objects.filter(_union(targets), status=PersonStatus.LIVING)
        counts = people.aggregate(
            total=Count("pk"),
            phone=Count("pk", filter=~Q(phone_hash="")),
            **{f"t{i}": Count("pk", filter=_target_q(t)) for i, t in enumerate(targets)},
        )
        preview.residents, preview.with_phone = counts["total"], counts["phone"]
        for i, row in enumerate(preview.targets):
            row.residents = counts[f"t{i}"]
    if reaches_staff(audience):
        staff = staff_rows(targets)
        staff.pop(getattr(exclude_user, "pk", None), None)  # type: ignore[arg-type]
        preview.staff = len(staff)
        for row in preview.targets:
            row.staff = sum(1 for code in staff.values() if code.startswith(row.code))
    return preview


def preview_for(user: Any, notice: Notice) -> Preview:
    """The recipients a draft would reach now (``epidemic.notify`` over its region)."""
    scope.require(user, NOTIFY, notice.region_code)
    targets = [
        Target(code, kind)
        for code, kind in notice.targets.order_by("pk").values_list("code", "care_kind")
    ]
    return count_recipients(notice.audience, targets, exclude_user=user)


def preview_targets(user: Any, region_code: str, audience: str, rows: Any) -> Preview:
    """The preview of targets not saved yet; errors name the field."""
    scope.require(user, NOTIFY)
    errors: dict[str, Any] = {}
    if audience not in Audience.values:
        errors["audience"] = _("must be one of: %(choices)s") % {
            "choices": ", ".join(Audience.values)
        }
    code = str(region_code or "").strip()
    if not (code.isdigit() and len(code) in codes.LEVEL_BY_LENGTH):
        errors["region_code"] = _("a territory code of 4, 6, 9, 12 or 15 digits")
        raise InvalidInput(_("Some fields are not valid."), fields=errors)
    scope.require(user, NOTIFY, code)
    targets = clean_targets(code, rows, errors)
    if errors:
        raise InvalidInput(_("Some fields are not valid."), fields=errors)
    return count_recipients(audience, targets, exclude_user=user)


# --- reach per area -------------------------------------------------------------------------


@dataclass
class ReachRow:
    code: str
    name: str
    figures: Counter[str]

    # Attributes, not item access: templates look items up before attributes.
    @property
    def recipients(self) -> int:
        return self.figures.get(tally.RECIPIENTS, 0)

    @property
    def reached(self) -> int:
        return self.figures.get(tally.REACHED, 0)

    @property
    def door_due(self) -> int:
        return self.figures.get(tally.DOOR_DUE, 0)

    @property
    def door_done(self) -> int:
        return self.figures.get(tally.DOOR, 0)

    @property
    def staff(self) -> int:
        return self.figures.get(tally.STAFF, 0)

    @property
    def staff_reached(self) -> int:
        return self.figures.get(tally.STAFF_REACHED, 0)

    @property
    def percent(self) -> float:
        return 100.0 * self.reached / self.recipients if self.recipients else 0.0

    @property
    def door_pending(self) -> int:
        return self.door_due - self.door_done


@dataclass
class Reach:
    """A notice's figures under one node: in all, per child area, and those counted at the
    node itself (its own staff)."""

    notice: Notice
    node: ReachRow
    children: list[ReachRow]
    own: ReachRow | None
    level: int


def reach_node(user: Any, notice: Notice) -> str | None:
    """Where the reach of a notice starts for the user: its region when they may read
    figures there, else the first part of their scope inside it."""
    if scope.has_capability(user, AGGREGATE, notice.region_code):
        return notice.region_code
    inside = [c for c in scope.scope_codes(user, AGGREGATE) if c.startswith(notice.region_code)]
    return inside[0] if inside else None


def reach(user: Any, notice: Notice, code: str = "") -> Reach:
    """The notice's figures under ``code`` (default: ``reach_node``) by child area, from the
    roll-ups with one grouped query (and one for the areas' names)."""
    node = code or reach_node(user, notice)
    if not node or not (node.isdigit() and len(node) in codes.LEVEL_BY_LENGTH):
        raise NotFound()
    scope.require(user, AGGREGATE, node)
    child_length = CHILD_LENGTH.get(len(node), len(node))
    prefix = tally.measure(notice.pk, "")
    rows = (
        CurrentCount.objects.filter(grid_code__startswith=node, measure__startswith=prefix)
        .annotate(child=Substr("grid_code", 1, child_length))
        .values_list("child", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    )
    by_child: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    for child, name, n in rows:
        figure = name[len(prefix) :]
        by_child.setdefault(child, Counter())[figure] += int(n or 0)
        total[figure] += int(n or 0)
    names = dict(
        Region.objects.filter(code__startswith=node, level__in=_levels(node, child_length))
        .values_list("code", "name")
        .order_by("code")
    )
    children = [
        ReachRow(child, name, by_child.get(child, Counter()))
        for child, name in names.items()
        if len(child) == child_length and child != node
    ]
    own = by_child.get(node)
    return Reach(
        notice=notice,
        node=ReachRow(node, names.get(node, node), total),
        children=children,
        own=ReachRow(node, names.get(node, node), own)
        if own and child_length != len(node)
        else None,
        level=codes.LEVEL_BY_LENGTH[len(node)],
    )


def _levels(node: str, child_length: int) -> list[int]:
    return [codes.LEVEL_BY_LENGTH[len(node)], codes.LEVEL_BY_LENGTH[child_length]]


# --- deliveries -----------------------------------------------------------------------------


class DeliveryState:
    REACHED = "reached"
    PENDING = "pending"


class RecipientKind:
    STAFF = "staff"
    RESIDENT = "resident"
    DOOR = "door"


def search_deliveries(
    user: Any,
    notice: Notice,
    *,
    state: str = "",
    kind: str = "",
    code: str = "",
) -> QuerySet[NoticeDelivery]:
    """A notice's deliveries in the grids the user may view people in: reached or
    pending, to staff, residents or door to door, under ``code``; by grid and name."""
    scope.require(user, VIEW, code or None)
    rows = NoticeDelivery.objects.filter(
        scope.scope_filter(user, capability=VIEW), notice_id=notice.pk
    )
    if code:
        rows = rows.filter(grid_code__startswith=code)
    if state == DeliveryState.REACHED:
        rows = rows.filter(read_at__isnull=False)
    elif state == DeliveryState.PENDING:
        rows = rows.filter(read_at__isnull=True)
    if kind == RecipientKind.STAFF:
        rows = rows.filter(user__isnull=False)
    elif kind == RecipientKind.RESIDENT:
        rows = rows.filter(person__isnull=False)
    elif kind == RecipientKind.DOOR:
        rows = rows.filter(channel=DeliveryChannel.DOOR)
    return rows.select_related("person", "user", "marked_by").order_by("grid_code", "pk")


def door_list(
    user: Any, *, notice_id: Any = None, grid: str = "", q: str = "", building_id: Any = None
) -> QuerySet[NoticeDelivery]:
    """The grid worker's round: residents without a phone, in the grids where the user
    delivers, not yet reached, of notices in force — ordered by address so that one walk
    covers a building."""
    scope.require(user, DELIVER, grid or None)
    rows = NoticeDelivery.objects.filter(
        scope.scope_filter(user, capability=DELIVER),
        channel=DeliveryChannel.DOOR,
        read_at__isnull=True,
        notice__status=NoticeStatus.SENT,
    )
    if notice_id not in (None, ""):
        rows = rows.filter(notice_id=_number(notice_id, "notice"))
    if building_id not in (None, ""):
        building = _number(building_id, "building")
        mine = Building.objects.filter(scope.scope_filter(user, capability=DELIVER), pk=building)
        if not mine.exists():
            raise NotFound()
        rows = rows.filter(person__household__building_id=building)
    if grid:
        rows = rows.filter(grid_code__startswith=grid)
    if q.strip():
        text = q.strip()
        rows = rows.filter(Q(person__name__icontains=text) | Q(person__address__icontains=text))
    return rows.select_related(
        "notice", "person", "person__household", "person__household__building"
    ).order_by(
        "grid_code",
        "person__household__building__address",
        "person__household__unit",
        "person__household__room",
        "person__address",
        "person__name",
        "pk",
    )


def _number(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise InvalidInput(fields={name: _("not a valid id")})
    return number


def my_notices(user: Any, *, unread: bool = False) -> QuerySet[NoticeDelivery]:
    """The notices sent to the user (as staff), newest first."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied()
    rows = NoticeDelivery.objects.filter(user_id=user.pk).exclude(notice__status=NoticeStatus.DRAFT)
    if unread:
        rows = rows.filter(read_at__isnull=True, notice__status=NoticeStatus.SENT)
    return rows.select_related("notice").order_by("-notice__sent_at", "-pk")


def recipient_label(delivery: NoticeDelivery) -> str:
    """Who a delivery went to as lists show it: a staff member by name, a resident masked."""
    if delivery.user_id is not None:
        return str(delivery.user)
    return mask_name(delivery.person.name) if delivery.person is not None else ""


def delivery_to(user: Any, notice: Notice) -> NoticeDelivery | None:
    if not getattr(user, "pk", None):
        return None
    return NoticeDelivery.objects.filter(notice_id=notice.pk, user_id=user.pk).first()


# --- the residents' link ----------------------------------------------------------------------


def link_token(delivery_id: int) -> str:
    """``<id>-<mac>``: 128 bits of HMAC over the delivery id with the installation's secret
    — nobody can make or guess one, and nothing needs storing."""
    mac = salted_hmac(LINK_SALT, str(int(delivery_id)), algorithm="sha256").digest()[:16]
    return f"{int(delivery_id)}-{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def delivery_id_of(token: Any) -> int | None:
    """The delivery a token was made for; None for anything not made by ``link_token``."""
    text = str(token or "")
    number, _sep, _mac = text.partition("-")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        return None
    return int(number) if hmac.compare_digest(link_token(int(number)), text) else None


def get_delivery_by_token(token: Any) -> NoticeDelivery:
    """A resident's delivery by its link; NotFound for a bad token (never saying why)."""
    pk = delivery_id_of(token)
    delivery = (
        NoticeDelivery.objects.filter(pk=pk, person__isnull=False).select_related("notice").first()
        if pk
        else None
    )
    if delivery is None:
        raise NotFound()
    return delivery

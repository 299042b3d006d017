"""Notices (宣传通知): drafted under a territory node, targeted at nodes inside it (each
optionally narrowed to a care group), sent to field staff's inboxes and to residents, and
their receipts counted per grid (``tallies.notices``) in the transaction of each change.

- ``create_notice`` / ``update_notice`` — a draft (``epidemic.notify`` over its region);
- ``send_notice`` — every recipient at once, set-based whatever the size: the residents in
  one query, staff messages and deliveries in bulk inserts, the figures in one upsert. A
  resident with a phone reads it through a link (``queries.notices.link_token``), one
  without is on their grid worker's door-to-door list;
- receipts: a staff member's from their inbox (``inbox.actions.messages_read``, or opening
  the notice), a resident's from the link (``read_notice_link``), a door-to-door delivery
  from the grid worker's mark (``mark_door_delivered``, one or a building at once);
- ``withdraw_notice`` — unread messages retired, the link shows the withdrawal, the
  door-to-door list drops it; its figures stay as history.

Sending, withdrawing and editing check the version the user saw (409 when stale).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts import scope
from gridgov.audit.actions import diff, record
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.core.versions import check_version
from gridgov.epidemic import rollups
from gridgov.epidemic.actions.common import clean_text, fail, locked
from gridgov.epidemic.capabilities import NOTIFY
from gridgov.epidemic.models import (
    Audience,
    CurrentCount,
    DeliveryChannel,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    NoticeTarget,
)
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.tallies import notices as tally
from gridgov.inbox import actions as inbox
from gridgov.inbox.models import Message, MessageKind
from gridgov.registry import privacy

TITLE_LENGTH = 120
BODY_LENGTH = 5000
MAX_MARKS = 1000
CHUNK = 2000
TOPIC = "epidemic:notice:"
REVEAL = "registry.reveal"
FIELDS = ("title", "body", "audience")
LABELS = {
    "title": gettext_lazy("Title"),
    "body": gettext_lazy("Text"),
    "audience": gettext_lazy("Send to"),
    "targets": gettext_lazy("Targets"),
}


def topic(notice_id: int) -> str:
    return f"{TOPIC}{notice_id}"


def notice_link(notice_id: int) -> str:
    try:
        return reverse("epidemic:notice_detail", args=[notice_id])
    except NoReverseMatch:  # pages not mounted (an API-only installation)
        return f"/epidemic/notices/{notice_id}/"


# --- drafts -------------------------------------------------------------------------------


def _region(actor: Any, region_code: Any) -> str:
    """The node the notice is issued under: the one given, else the actor's own."""
    code = str(region_code or "").strip()
    if not code:
        held = [c for c in scope.scope_codes(actor, NOTIFY) if c]
        if len(held) != 1:
            raise fail({"region_code": _("say which area issues the notice")})
        code = held[0]
    if not (code.isascii() and code.isdigit() and len(code) in queries.CHILD_LENGTH):
        raise fail({"region_code": _("a city, county, township or community code")})
    scope.require(actor, NOTIFY, code)
    return code


def _clean(
    data: Mapping[str, Any], region_code: str, current: Notice | None = None
) -> tuple[dict[str, Any], list[queries.Target] | None]:
    """The notice's fields and targets (None: targets not given) as they will be saved."""
    errors: dict[str, Any] = {}
    values = {f: getattr(current, f) for f in FIELDS} if current else {}
    values.update({k: v for k, v in data.items() if k in FIELDS})
    title = clean_text(values.get("title"), "title", TITLE_LENGTH, errors)
    if not title and "title" not in errors:
        errors["title"] = _("required")
    body = str(values.get("body") or "").strip().replace("\r\n", "\n")
    if not body:
        errors["body"] = _("required")
    elif len(body) > BODY_LENGTH:
        errors["body"] = _("longer than %(n)d characters") % {"n": BODY_LENGTH}
    elif any(not (c.isprintable() or c in "\n\t") for c in body):
        errors["body"] = _("contains control characters")
    audience = str(values.get("audience") or "")
    if audience not in Audience.values:
        errors["audience"] = _("must be one of: %(choices)s") % {
            "choices": ", ".join(Audience.values)
        }
    targets = None
    if "targets" in data:
        targets = queries.clean_targets(region_code, data["targets"], errors)
    if errors:
        raise _refused(errors)
    return {"title": title, "body": body, "audience": audience}, targets


def _refused(errors: Mapping[str, Any]) -> InvalidInput:
    """InvalidInput naming the fields as the notice form does."""
    if len(errors) != 1:
        return fail(errors)
    name, reason = next(iter(errors.items()))
    label = LABELS.get(name, name)
    return fail(errors, _("%(field)s: %(reason)s") % {"field": label, "reason": reason})


def _audit(notice: Notice, targets: Iterable[queries.Target] | None = None) -> dict[str, Any]:
    found = targets if targets is not None else _targets(notice)
    return {f: getattr(notice, f) for f in FIELDS} | {
        "targets": [f"{t.code}{':' + t.care_kind if t.care_kind else ''}" for t in found]
    }


def _targets(notice: Notice) -> list[queries.Target]:
    return [
        queries.Target(code, kind)
        for code, kind in notice.targets.order_by("pk").values_list("code", "care_kind")
    ]


def _save_targets(notice: Notice, targets: Sequence[queries.Target]) -> None:
    notice.targets.all().delete()
    NoticeTarget.objects.bulk_create(
        NoticeTarget(notice=notice, code=t.code, care_kind=t.care_kind) for t in targets
    )


@transaction.atomic
def create_notice(*, actor: Any, region_code: Any = None, **data: Any) -> Notice:
    """A draft issued under ``region_code`` (default: the actor's area) with ``title``,
    ``body``, ``audience`` and ``targets`` ([{"code", "care_kind"}…])."""
    scope.require(actor, NOTIFY)
    region = _region(actor, region_code)
    unknown = sorted(set(data) - {*FIELDS, "targets"})
    if unknown:
        raise fail({name: _("unknown field") for name in unknown})
    fields, targets = _clean(data, region)
    notice = Notice.objects.create(
        region_code=region,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    _save_targets(notice, targets or [])
    record("epidemic.notice.create", actor=actor, obj=notice, changes=_audit(notice, targets))
    return notice


def _editable(actor: Any, notice_id: Any) -> Notice:
    scope.require(actor, NOTIFY)
    notice = locked(Notice, notice_id)
    scope.require(actor, NOTIFY, notice.region_code)
    return notice


def _draft(notice: Notice) -> None:
    if notice.status != NoticeStatus.DRAFT:
        raise Conflict(_("This notice was already sent; it can no longer be changed."))


@transaction.atomic
def update_notice(
    notice_id: Any, *, actor: Any, expected_version: Any = None, **changes: Any
) -> Notice:
    """Change a draft's title, text, audience or targets (the whole list)."""
    notice = _editable(actor, notice_id)
    check_version(notice, expected_version)
    _draft(notice)
    unknown = sorted(set(changes) - {*FIELDS, "targets"})
    if unknown:
        raise fail({name: _("cannot be changed here") for name in unknown})
    before = _audit(notice)
    fields, targets = _clean(changes, notice.region_code, notice)
    for name, value in fields.items():
        setattr(notice, name, value)
    if targets is not None:
        _save_targets(notice, targets)
    notice.version += 1
    notice.save()
    record("epidemic.notice.update", actor=actor, obj=notice, changes=diff(before, _audit(notice)))
    return notice


# --- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    """What ``inbox.deliver`` needs of a user."""

    pk: int


def _message_ids(notice: Notice, staff: Mapping[int, str]) -> dict[int, int]:
    """Put the notice in every staff recipient's inbox; {user id: message id}."""
    if not staff:
        return {}
    # In the site's language: the message is stored once and read later by anyone.
    with translation.override(settings.LANGUAGE_CODE):
        inbox.deliver(
            [_Recipient(pk) for pk in staff],
            kind=MessageKind.NOTICE,
            subject=_("Notice: %(title)s") % {"title": notice.title},
            body=notice.body,
            link=notice_link(notice.pk),
            topic=topic(notice.pk),
        )
    return dict(
        Message.objects.filter(topic=topic(notice.pk)).values_list("recipient_id", "pk").order_by()
    )


@dataclass(frozen=True)
class _Delivery:
    """One delivery to insert: a staff member's (``user_id``) or a resident's."""

    grid_code: str
    channel: str
    person_id: int | None = None
    user_id: int | None = None
    message_id: int | None = None


COLUMNS = ("notice_id", "grid_code", "person_id", "user_id", "message_id", "channel")


def _deliveries(
    residents: Sequence[tuple[int, str, bool]],
    staff: Mapping[int, str],
    messages: Mapping[int, int],
) -> list[_Delivery]:
    rows = [
        _Delivery(code, DeliveryChannel.INBOX, user_id=pk, message_id=messages.get(pk))
        for pk, code in sorted(staff.items())
    ]
    rows += [
        _Delivery(grid, DeliveryChannel.INBOX if phone else DeliveryChannel.DOOR, person_id=pk)
        for pk, grid, phone in residents
    ]
    return rows


def _insert(notice: Notice, rows: Sequence[_Delivery]) -> None:
    """Insert the deliveries with multi-row INSERTs: a county's 20,000 residents in a few
    statements, without building a model object each (the ORM's cost at that size). Those
    through the inbox or a link are delivered now; door-to-door ones when marked."""
    quote = connection.ops.quote_name
    table = quote(NoticeDelivery._meta.db_table)
    names = ", ".join(quote(c) for c in (*COLUMNS, "delivered_at"))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    width = len(COLUMNS) + 1
    per_chunk = max(1, min(CHUNK, (connection.features.max_query_params or 999) // width))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            values = [
                value
                for row in chunk
                for value in (
                    notice.pk,
                    row.grid_code,
                    row.person_id,
                    row.user_id,
                    row.message_id,
                    row.channel,
                    None if row.channel == DeliveryChannel.DOOR else now,
                )
            ]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {placeholders}", values)  # noqa: S608


def _sent_figures(notice_id: int, rows: Iterable[_Delivery]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        names = tally.figures(
            staff=row.user_id is not None,
            door=row.channel == DeliveryChannel.DOOR,
            reached=False,
        )
        tally.add(counts, row.grid_code, notice_id, names, in_force=True)
    return counts


@transaction.atomic
def send_notice(notice_id: Any, *, actor: Any, expected_version: Any = None) -> Notice:
    """Send a draft to everyone its targets reach now (``queries.notices`` says who)."""
    notice = _editable(actor, notice_id)
    check_version(notice, expected_version)
    _draft(notice)
    targets = _targets(notice)
    if not targets:
        raise _refused({"targets": _("add at least one target before sending")})
    residents = queries.resident_rows(targets) if queries.reaches_residents(notice.audience) else []
    staff = queries.staff_rows(targets) if queries.reaches_staff(notice.audience) else {}
    staff.pop(getattr(actor, "pk", None), None)  # type: ignore[arg-type]
    if not residents and not staff:
        raise _refused({"targets": _("nobody lives or works under these targets")})
    rows = _deliveries(residents, staff, _message_ids(notice, staff))
    _insert(notice, rows)
    rollups.add_current(_sent_figures(notice.pk, rows))
    notice.status = NoticeStatus.SENT
    notice.sent_at = timezone.now()
    notice.version += 1
    notice.save(update_fields=["status", "sent_at", "version"])
    door = sum(1 for _pk, _grid, phone in residents if not phone)
    record(
        "epidemic.notice.send",
        actor=actor,
        obj=notice,
        changes={
            "staff": len(staff),
            "residents": len(residents),
            "door": door,
            "targets": _audit(notice, targets)["targets"],
        },
    )
    return notice


@transaction.atomic
def withdraw_notice(notice_id: Any, *, actor: Any, expected_version: Any = None) -> Notice:
    """Withdraw a sent notice: unread inbox messages are retired, the residents' links say
    it was withdrawn, the door-to-door lists drop it; the figures of the notices in force
    lose it (its own figures stay as the record of what it reached)."""
    notice = _editable(actor, notice_id)
    check_version(notice, expected_version)
    if notice.status != NoticeStatus.SENT:
        raise Conflict(_("Only a sent notice can be withdrawn."))
    retired = inbox.retire(topic(notice.pk))
    rollups.add_current(_leave_aggregates(notice.pk))
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.version += 1
    notice.save(update_fields=["status", "withdrawn_at", "version"])
    record(
        "epidemic.notice.withdraw",
        actor=actor,
        obj=notice,
        changes={
            "status": [NoticeStatus.SENT, NoticeStatus.WITHDRAWN],
            "messages_retired": retired,
        },
    )
    return notice


def _leave_aggregates(notice_id: int) -> dict[str, Counter[str]]:
    """The all-notices figures less this notice's, per grid."""
    own = {tally.measure(notice_id, name): name for name in tally.AGGREGATED}
    deltas: dict[str, Counter[str]] = defaultdict(Counter)
    for grid, name, value in (
        CurrentCount.objects.filter(measure__in=list(own))
        .values_list("grid_code", "measure")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        deltas[grid][tally.ALL + own[name]] -= int(value or 0)
    return deltas


# --- receipts -----------------------------------------------------------------------------


def _reach(rows: Sequence[NoticeDelivery], **values: Any) -> int:
    """Mark locked, unreached deliveries of notices in force reached (``read_at`` and the
    other ``values``) and count them in; how many."""
    if not rows:
        return 0
    NoticeDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(**values)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        names = tally.reach_figures(
            staff=row.user_id is not None, door=row.channel == DeliveryChannel.DOOR
        )
        tally.add(counts, row.grid_code, row.notice_id, names, in_force=True)
    rollups.add_current(counts)
    return len(rows)


def _locked(where: Q) -> list[NoticeDelivery]:
    """The deliveries ``where`` selects, locked, with their notices (``notice``) held
    against withdrawal until the transaction ends: FOR SHARE on PostgreSQL, so readers and
    markers of one notice do not wait for each other while a withdrawal waits for them, and
    they for it — its subtraction of the figures in force never misses a receipt counted
    meanwhile. SQLite runs one writing transaction at a time anyway."""
    notices = sorted(
        NoticeDelivery.objects.filter(where)
        .order_by()
        .values_list("notice_id", flat=True)
        .distinct()
    )
    if notices and connection.vendor == "postgresql":
        table = connection.ops.quote_name(Notice._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) FOR SHARE", [notices])  # noqa: S608
    rows = NoticeDelivery.objects.select_for_update(of=("self",)).filter(where)
    return list(rows.select_related("notice").order_by("pk"))


def _unread(rows: Sequence[NoticeDelivery]) -> list[NoticeDelivery]:
    """Those not reached yet, of notices still in force."""
    return [r for r in rows if r.read_at is None and r.notice.status == NoticeStatus.SENT]


@receiver(inbox.messages_read)
def _inbox_read(
    sender: Any, *, recipient: Any, topics: Sequence[str], read_at: Any, **kw: Any
) -> None:
    """A staff member read notice messages in their inbox: those deliveries are reached."""
    ids = [
        int(t[len(TOPIC) :]) for t in topics if t.startswith(TOPIC) and t[len(TOPIC) :].isdigit()
    ]
    if not ids:
        return
    rows = _unread(
        _locked(Q(notice_id__in=ids, user_id=recipient.pk, message__read_at__isnull=False))
    )
    if _reach(rows, read_at=read_at):
        record(
            "epidemic.notice.read",
            actor=recipient,
            object_type="epidemic.notice",
            object_id=rows[0].notice_id if len(rows) == 1 else "",
            object_repr=_("%(n)d notices") % {"n": len(rows)},
            changes={"channel": "inbox", "notices": sorted(r.notice_id for r in rows)},
        )


@transaction.atomic
def read_notice(notice_id: Any, *, actor: Any) -> bool:
    """A staff recipient opens the notice: their receipt, through their inbox message when
    it is still there. True when this was the first reading."""
    if not getattr(actor, "pk", None):
        return False
    rows = _unread(_locked(Q(notice_id=notice_id, user_id=actor.pk)))
    if not rows:
        return False
    delivery = rows[0]
    if delivery.message_id:
        inbox.mark_read(delivery.message_id, actor=actor)  # the receipt follows (_inbox_read)
        return True
    _reach([delivery], read_at=timezone.now())
    record(
        "epidemic.notice.read",
        actor=actor,
        object_type="epidemic.notice",
        object_id=delivery.notice_id,
        changes={"channel": "page"},
    )
    return True


@transaction.atomic
def read_notice_link(token: Any, *, actor: Any = None) -> NoticeDelivery:
    """A resident opened their notice link: the receipt (once). NotFound for a token that
    was not made here, whatever it looks like."""
    pk = queries.delivery_id_of(token)
    rows = _locked(Q(pk=pk, person__isnull=False)) if pk else []
    if not rows:
        raise NotFound()
    delivery = rows[0]
    if delivery.read_at is None and delivery.notice.status == NoticeStatus.SENT:
        delivery.read_at = timezone.now()
        _reach([delivery], read_at=delivery.read_at)
        record(
            "epidemic.notice.read",
            actor=actor,
            object_type="epidemic.notice",
            object_id=delivery.notice_id,
            object_repr=delivery.notice.title,
            grid_code=delivery.grid_code,
            changes={"channel": "link", "delivery": delivery.pk},
        )
    return delivery


@dataclass(frozen=True)
class Marked:
    marked: int  # newly delivered
    already: int  # reached before (by someone else, or earlier)


def _delivery_ids(values: Any) -> list[int]:
    if not isinstance(values, list | tuple) or not values:
        raise fail({"ids": _("at least one delivery")})
    if len(values) > MAX_MARKS:
        raise fail({"ids": _("at most %(n)d at once") % {"n": MAX_MARKS}})
    try:
        ids = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise fail({"ids": _("delivery ids are whole numbers")}) from None
    if any(not 0 < pk < 2**63 for pk in ids):
        raise fail({"ids": _("delivery ids are whole numbers")})
    return ids


@transaction.atomic
def mark_door_delivered(delivery_ids: Any, *, actor: Any) -> Marked:
    """The grid worker delivered these notices door to door (one, or a building's at once).
    Deliveries outside their grids do not exist for them; one already reached is left as
    it was (two workers marking the same door count it once)."""
    scope.require(actor, queries.DELIVER)
    ids = _delivery_ids(delivery_ids)
    rows = _locked(scope.scope_filter(actor, capability=queries.DELIVER) & Q(pk__in=ids))
    found = {row.pk for row in rows}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise NotFound(details={"ids": missing[:50]})
    not_door = [row.pk for row in rows if row.channel != DeliveryChannel.DOOR]
    if not_door:
        raise InvalidInput(
            _("Only residents without a phone are delivered door to door."),
            fields={"ids": ", ".join(map(str, not_door[:50]))},
        )
    if any(row.notice.status != NoticeStatus.SENT for row in rows):
        raise Conflict(_("The notice was withdrawn; it is no longer delivered."))
    pending = [row for row in rows if row.read_at is None]
    now = timezone.now()
    marked = _reach(
        pending,
        read_at=now,
        delivered_at=now,
        marked_by=actor if getattr(actor, "pk", None) else None,
    )
    if marked:
        notices = sorted({row.notice_id for row in pending})
        grids = sorted({row.grid_code for row in pending})
        record(
            "epidemic.notice.door",
            actor=actor,
            object_type="epidemic.notice",
            object_id=notices[0] if len(notices) == 1 else "",
            object_repr=_("%(n)d door-to-door deliveries") % {"n": marked},
            grid_code=grids[0] if len(grids) == 1 else "",
            changes={"deliveries": [row.pk for row in pending][:200], "notices": notices},
        )
    return Marked(marked=marked, already=len(rows) - marked)


# --- links for the text-message gateway ---------------------------------------------------


@dataclass(frozen=True)
class Link:
    phone: str
    path: str  # /epidemic/n/<token>/ : the gateway puts the site's address before it


@transaction.atomic
def reveal_notice_links(notice_id: Any, *, actor: Any) -> list[Link]:
    """The phone number and link of every resident who has not read a sent notice yet —
    what the city's text-message gateway sends. Full phone numbers: only for those who may
    both send the notice and reveal numbers over its area (the operator, on the command
    line); audited with how many."""
    notice = _editable(actor, notice_id)
    scope.require(actor, REVEAL, notice.region_code)
    if notice.status != NoticeStatus.SENT:
        raise Conflict(_("Only a sent notice has links to send."))
    rows = (
        NoticeDelivery.objects.filter(
            notice_id=notice.pk, person__isnull=False, channel=DeliveryChannel.INBOX
        )
        .filter(read_at__isnull=True)
        .select_related("person")
        .order_by("grid_code", "pk")
    )
    numbers = ((row.pk, privacy.person_numbers(row.person)["phone"]) for row in rows)
    links = [Link(phone, _link_path(pk)) for pk, phone in numbers if phone]
    record("epidemic.notice.links", actor=actor, obj=notice, changes={"links": len(links)})
    return links


def _link_path(delivery_id: int) -> str:
    token = queries.link_token(delivery_id)
    try:
        return reverse("epidemic:notice_public", args=[token])
    except NoReverseMatch:  # pages not mounted
        return f"/epidemic/n/{token}/"

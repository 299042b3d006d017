"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from gridgov.accounts import scope
from gridgov.accounts.queries import as_pk
from gridgov.audit.actions import GENESIS_HASH, event_digest
from gridgov.audit.models import AuditChainHead, AuditEvent
from gridgov.core.errors import NotFound


def visible_events(user: Any) -> QuerySet[AuditEvent]:
    """Events an auditor may read: those in their scope, plus scope-less events
    (logins, system jobs) for operators only."""
    if scope.is_operator(user):
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(scope.scope_filter(user, "grid_code", "audit.view")).exclude(
        grid_code=""
    )


def search_events(
    user: Any,
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    region: str = "",
    since: Any = None,
    until: Any = None,
) -> QuerySet[AuditEvent]:
    lookups = {
        "actor_name__icontains": actor,
        "action__startswith": action,
        "object_type": object_type,
        "grid_code__startswith": region,
        "at__gte": since,
        "at__lt": until,
    }
    # An empty filter is one not applied.
    qs = visible_events(user).filter(
        **{lookup: value for lookup, value in lookups.items() if value}
    )
    if object_id:
        qs = qs.filter(Q(object_id=object_id) | Q(object_repr__icontains=object_id))
    return qs


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""  # English; gettext(reason) translates it


def verify_chain(
    batch_size: int = 5000, progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Walk the chain in order; report the first event whose hash, link or sequence is off.

    A deleted row shows as a gap in ``seq`` (or as a head that does not match the last
    row); an edited row shows as a hash that no longer matches its content.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, expected_seq, gettext_noop("event missing (deleted)")
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False, checked, event.seq, gettext_noop("link to previous event broken")
            )
        if event_digest(event) != event.hash:
            return ChainReport(
                False, checked, event.seq, gettext_noop("content changed after it was written")
            )
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
        if progress and checked % batch_size == 0:
            progress(checked)
    if progress:
        progress(checked)
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainReport(
            False, checked, checked + 1, gettext_noop("latest events missing (deleted)")
        )
    return ChainReport(True, checked)


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def get_event_for(user: Any, seq: Any) -> AuditEvent:
    """One event the user may read, by its sequence number; NotFound otherwise."""
    try:
        return visible_events(user).get(seq=as_pk(seq))
    except AuditEvent.DoesNotExist:
        raise NotFound() from None

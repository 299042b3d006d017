"""Delivering and reading inbox messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.inbox.models import Message, MessageKind

# Sent inside the transaction that marks a user's messages read, with ``recipient`` (the
# reader), ``topics`` (the distinct topics of the messages newly read) and ``read_at``: a
# domain keeping receipts of its own (an epidemic notice's) updates them in that
# transaction. ``retire`` sends nothing: a retired message was not read by anyone.
messages_read = Signal()


def deliver(
    recipients: Iterable[Any],
    *,
    kind: str = MessageKind.TASK,
    subject: str,
    body: str = "",
    link: str = "",
    topic: str = "",
    grid_code: str = "",
) -> int:
    """Put one message in each recipient's inbox (each user once); returns how many.

    Called from inside other actions, so it joins their transaction: a message exists
    exactly when the change it announces was committed. Not audited on its own — the
    change that caused it is.
    """
    unique = {user.pk: user for user in recipients if getattr(user, "pk", None)}
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            recipient_id=pk,
            kind=kind,
            subject=subject[:200],
            body=body,
            link=link,
            topic=topic,
            grid_code=grid_code,
            created_at=now,
        )
        for pk in unique
    )
    return len(unique)


def retire(topic: str) -> int:
    """Mark every unread message of a topic read (its task was done by someone)."""
    return Message.objects.filter(topic=topic, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def mark_read(message_id: int, *, actor: Any) -> Message:
    """A user reads one of their own messages (the read receipt)."""
    message = Message.objects.select_for_update().filter(pk=message_id, recipient=actor).first()
    if message is None:
        raise NotFound()
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
        if message.topic:
            messages_read.send(
                Message, recipient=actor, topics=[message.topic], read_at=message.read_at
            )
    return message


@transaction.atomic
def mark_all_read(*, actor: Any) -> int:
    """A user marks every unread message of theirs read; returns how many were unread."""
    if not getattr(actor, "pk", None):
        raise NotFound()
    unread = Message.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    topics = sorted(unread.exclude(topic="").order_by().values_list("topic", flat=True).distinct())
    now = timezone.now()
    marked = unread.update(read_at=now)
    if topics:
        messages_read.send(Message, recipient=actor, topics=topics, read_at=now)
    return marked

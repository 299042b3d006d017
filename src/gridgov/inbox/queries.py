"""Reads of a user's own inbox (nobody reads another's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gridgov.inbox.models import Message


def messages_for(user: Any) -> QuerySet[Message]:
    if not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    return Message.objects.filter(recipient_id=user.pk)


def unread_count(user: Any) -> int:
    return messages_for(user).filter(read_at__isnull=True).count()

"""Reads of a user's own inbox (nobody reads another's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput, NotFound
from gridgov.inbox.models import Message, MessageKind


def messages_for(user: Any) -> QuerySet[Message]:
    if not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    return Message.objects.filter(recipient_id=user.pk)


def unread_count(user: Any) -> int:
    return messages_for(user).filter(read_at__isnull=True).count()


def search_messages(
    user: Any, *, unread: bool = False, kind: str | None = None
) -> QuerySet[Message]:
    """The user's messages, newest first: only the unread ones, of one kind, when asked."""
    rows = messages_for(user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    if kind:
        if kind not in MessageKind.values:
            reason = _("must be one of: %(choices)s") % {"choices": ", ".join(MessageKind.values)}
            raise InvalidInput(_("kind: %(reason)s") % {"reason": reason}, fields={"kind": reason})
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-id")


def get_message_for(user: Any, message_id: Any) -> Message:
    """One of the user's own messages; anyone else's does not exist for them."""
    try:
        return messages_for(user).get(pk=int(message_id))
    except (Message.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def safe_link(message: Message) -> str:
    """The message's link when it leads inside the product (a path), else ""."""
    link = message.link.strip()
    if link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return ""

"""The web inbox: what each user must know or do next, with read receipts.

Every domain delivers here (a case waiting for you, an overdue case escalated, an
abnormal health declaration, a notice); ``read_at`` is the receipt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    TASK = "task", _("Task")  # something is waiting for you
    ALERT = "alert", _("Alert")  # something went wrong: overdue, abnormal
    NOTICE = "notice", _("Notice")  # information to read


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # Where the message leads (a path inside the product) and what it is about, so a
    # domain can find and retire its own messages (e.g. when the case moved on).
    link = models.CharField(max_length=300, blank=True)
    topic = models.CharField(max_length=60, blank=True, db_index=True)
    grid_code = models.CharField(max_length=15, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="inbox_recipient_unread"),
        ]

    def __str__(self) -> str:
        return self.subject

"""Notices (宣传通知): targeted at territory nodes and person tags, with receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import PATTERN, RegionScoped


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Audience(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENTS = "residents", _("Residents")
    BOTH = "both", _("Staff and residents")


class Notice(RegionScoped):
    """A notice issued under ``region_code`` to the targets listed in ``NoticeTarget``."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["region_code"], name="notice_region", opclasses=[PATTERN])]

    def __str__(self) -> str:
        return self.title


class NoticeTarget(models.Model):
    """One target of a notice: everyone under ``code`` (a territory node inside the
    notice's region), narrowed to people with care tag ``care_kind`` when given. A notice's
    recipients are the union of its targets."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="targets")
    code = models.CharField(_("territory code"), max_length=15)
    care_kind = models.CharField(_("care group"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("notice target")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "code", "care_kind"], name="one_notice_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.code} {self.care_kind}"


class DeliveryChannel(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    DOOR = "door", _("Door to door")


class NoticeDelivery(models.Model):
    """A notice reaching one recipient: a staff user (through the inbox, ``message``) or a
    resident (``person``, read on the public page or delivered door to door by the grid
    worker, who marks it). ``read_at`` is the receipt."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    grid_code = models.CharField(max_length=15)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=DeliveryChannel.choices)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice delivery")
        verbose_name_plural = _("notice deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "person"],
                condition=models.Q(person__isnull=False),
                name="one_delivery_per_person",
            ),
            models.UniqueConstraint(
                fields=["notice", "user"],
                condition=models.Q(user__isnull=False),
                name="one_delivery_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(user__isnull=False),
                name="delivery_has_recipient",
            ),
        ]
        indexes = [
            models.Index(
                fields=["notice", "grid_code"],
                name="delivery_notice_grid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.person_id or self.user_id}"

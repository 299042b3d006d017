"""QuerySet behaviour shared by models of several apps."""

from __future__ import annotations

from typing import Self, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class WithdrawableQuerySet(models.QuerySet[M]):
    """Rows that end by getting a ``withdrawn_at`` and stay as history, never deleted."""

    def active(self) -> Self:
        return self.filter(withdrawn_at__isnull=True)

"""What every epidemic row shares, and the vocabulary used by several concerns."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# PostgreSQL's byte-wise operator class: equality and LIKE 'prefix%' under any collation
# (the same choice as the registry's indexes).
PATTERN = "varchar_pattern_ops"


class GridFact(models.Model):
    """A fact that happened in one unit grid (architecture rule 3): its 15-digit
    ``grid_code`` is the scope key and the roll-up prefix; coordinates when known.

    About a person, the grid is the person's grid *when the fact happened* (a later move
    leaves the history where it was)."""

    grid_code = models.CharField(_("grid code"), max_length=15)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class RegionScoped(models.Model):
    """A row that belongs to a territory node rather than a grid (a risk area declared by a
    county, a campaign or a notice of a township): ``region_code`` is that node's code
    (4–15 digits), the scope key of who may change it."""

    region_code = models.CharField(_("territory code"), max_length=15)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class Colour(models.TextChoices):
    """Health code colours (domain.md §5): green passes; yellow, up to 7 days of isolation;
    red, 14 days."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


# Ordered from least to most severe: a code only ever escalates through a declaration.
COLOUR_RANK = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


class Symptom(models.TextChoices):
    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    SORE_THROAT = "sore_throat", _("Sore throat")
    FATIGUE = "fatigue", _("Fatigue")
    SHORT_BREATH = "short_breath", _("Shortness of breath")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")
    TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
    OTHER = "other", _("Other symptom")


class Health(models.TextChoices):
    """The health answer of a screening record (domain.md §5)."""

    NORMAL = "normal", _("Normal")
    FEVER_OR_COUGH = "fever_or_cough", _("Fever or cough")
    OTHER = "other", _("Other")


class Transport(models.TextChoices):
    TRAIN = "train", _("Train")
    FLIGHT = "flight", _("Flight")
    COACH = "coach", _("Coach")
    CAR = "car", _("Car")
    SHIP = "ship", _("Ship")
    OTHER = "other", _("Other")

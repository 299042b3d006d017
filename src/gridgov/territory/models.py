"""The territory tree: city → county → township → community → unit grid, in one table.

One table with a code per node (DHIS2-style) keeps every roll-up a prefix filter on
``code`` and every scope check an index range scan; ``level`` and ``kind`` say what a
node is. Geometry is GeoJSON (WGS84/CGCS2000) so no spatial database is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.territory import codes

if TYPE_CHECKING:
    from gridgov.accounts.models import User


class RegionQuerySet(models.QuerySet["Region"]):
    def visible_to(self, user: User) -> RegionQuerySet:
        """Regions inside the user's scope (architecture rule 2)."""
        from gridgov.accounts.scope import scope_filter

        return self.filter(scope_filter(user, "code"))

    def within(self, code: str) -> RegionQuerySet:
        """The node and all its descendants: a prefix range on the code."""
        return self.filter(code__startswith=code)

    def grids(self) -> RegionQuerySet:
        return self.filter(level=codes.GRID)


class Region(models.Model):
    class Level(models.IntegerChoices):
        CITY = codes.CITY, _("City")
        COUNTY = codes.COUNTY, _("County / district")
        TOWNSHIP = codes.TOWNSHIP, _("Township / street")
        COMMUNITY = codes.COMMUNITY, _("Community / village")
        GRID = codes.GRID, _("Unit grid")

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=20)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    geometry = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    source = models.CharField(_("data source"), max_length=60, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [
            models.Index(fields=["level", "code"], name="region_level_code"),
            models.Index(fields=["parent", "code"], name="region_parent_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_grid(self) -> bool:
        return self.level == codes.GRID

    @property
    def level_label(self) -> Any:
        return codes.LEVEL_LABELS.get(self.level, "")

    @property
    def kind_label(self) -> Any:
        return codes.KIND_LABELS.get(self.kind, self.kind)

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        if self.min_lon is None:
            return None
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)  # type: ignore[return-value]


# The fields of a region computed from its boundary: area, centroid, bounding box.
BOUNDARY_MEASURES = (
    "area_m2",
    "centroid_lon",
    "centroid_lat",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
)


class TerritoryRevision(models.Model):
    """A counter bumped whenever grid geometry changes, so every process knows when
    its in-memory locate index is stale without reading all grids."""

    revision = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("territory revision")

    def __str__(self) -> str:
        return f"territory revision {self.revision}"

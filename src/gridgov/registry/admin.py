"""Django admin for operators: a read-only window on the registry.

Numbers appear masked only (the encrypted columns and hashes are left out); changes go
through the product's pages, API and CLI, which check scope and write audit events.
"""

from __future__ import annotations

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdmin
from gridgov.registry.models import (
    Building,
    CareTag,
    GridCompleteness,
    Household,
    ImportJob,
    Movement,
    Person,
    PopulationCount,
)

SEALED = ("key_id",)


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ("address", "name", "floors", "grid_code", "updated_at")
    search_fields = ("address", "name", "grid_code")


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("address", "unit", "room", "head", "grid_code", "updated_at")
    search_fields = ("address", "grid_code")
    list_select_related = ("head",)
    raw_id_fields = ("building", "head")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "sex",
        "birth_year",
        "id_number_masked",
        "phone_masked",
        "residence_type",
        "status",
        "grid_code",
    )
    list_filter = ("status", "residence_type", "sex")
    search_fields = ("name", "grid_code", "address")
    exclude = ("id_number_enc", "id_number_hash", "phone_enc", "phone_hash", *SEALED)
    raw_id_fields = ("household",)


@admin.register(CareTag)
class CareTagAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "status", "care_contact_name", "grid_code", "start_date")
    list_filter = ("kind", "status", "proposed_by_system")
    search_fields = ("person__name", "grid_code")
    exclude = ("care_contact_phone_enc", "care_contact_phone_hash", *SEALED)
    list_select_related = ("person",)
    raw_id_fields = ("person", "confirmed_by")


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "date", "from_code", "to_code", "from_grid", "to_grid")
    list_filter = ("kind",)
    search_fields = ("person__name", "grid_code")
    list_select_related = ("person",)
    raw_id_fields = ("person", "recorded_by")


@admin.register(PopulationCount)
class PopulationCountAdmin(ReadOnlyAdmin):
    list_display = ("grid_code", "measure", "value")
    search_fields = ("grid_code", "measure")


@admin.register(GridCompleteness)
class GridCompletenessAdmin(ReadOnlyAdmin):
    list_display = ("grid_code", "score", "gap_total", "checked", "updated_at")
    search_fields = ("grid_code",)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "kind", "state", "processed", "total", "user", "created_at")
    list_filter = ("state", "kind")
    raw_id_fields = ("user",)

"""The population registry: buildings, households, people, special-care tags, movement.

Every row carries the 15-digit ``grid_code`` of where it is, so scope checks and roll-ups
are prefix filters (architecture rule 3). ID and phone numbers are stored only encrypted
(``*_enc``, AES-GCM with the key named by ``key_id``), beside a keyed hash (``*_hash``,
HMAC) for exact look-up and de-duplication and a masked form (``*_masked``) for display
(architecture rule 5); sex, birth year and age band stay in clear for analytics.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# PostgreSQL's byte-wise operator class: equality and LIKE 'prefix%' under any collation.
PATTERN = "varchar_pattern_ops"


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("Registered resident")
    MIGRANT = "migrant", _("Migrant")
    OVERSEAS = "overseas", _("Overseas")


class PersonStatus(models.TextChoices):
    LIVING = "living", _("Living here")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other")


class CareKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    DISABLED = "disabled", _("Disabled")
    DIBAO = "dibao", _("Subsistence allowance (低保)")
    TEKUN = "tekun", _("Extreme poverty (特困)")
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    LEFT_BEHIND_ELDERLY = "left_behind_elderly", _("Left-behind elderly")
    CHRONIC = "chronic", _("Chronic illness")
    PREGNANCY = "pregnancy", _("Pregnancy")
    KEY_CARE = "key_care", _("Key care")


class TagStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    ENDED = "ended", _("Ended")


class MovementKind(models.TextChoices):
    ARRIVAL = "arrival", _("Arrival")
    DEPARTURE = "departure", _("Departure")
    TRANSFER = "transfer", _("Moved between grids")


class Located(models.Model):
    """Where a registry row is: its grid (the scope key) and, when known, coordinates."""

    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Building(Located):
    name = models.CharField(_("building"), max_length=120)
    address = models.CharField(_("address"), max_length=200, db_index=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    class Meta:
        ordering = ["grid_code", "address"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return self.address or self.name


class Household(Located):
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, db_index=True)
    head = models.ForeignKey(
        "Person",
        verbose_name=_("head of household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["grid_code", "address"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.address


class Person(Located):
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(
        _("relation to head"), max_length=20, choices=Relation.choices, blank=True
    )
    # Indexed in Meta.indexes, not with db_index (see there).
    grid_code = models.CharField(_("grid code"), max_length=15)
    name = models.CharField(_("name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    id_number_enc = models.BinaryField(null=True, blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    phone_enc = models.BinaryField(null=True, blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    key_id = models.CharField(max_length=16, blank=True, editable=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    hukou_code = models.CharField(_("household registration place"), max_length=12, blank=True)
    residence_type = models.CharField(
        _("residence type"),
        max_length=12,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
    )
    address = models.CharField(_("actual residence"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PersonStatus.choices, default=PersonStatus.LIVING
    )
    status_date = models.DateField(_("status since"), null=True, blank=True)

    class Meta:
        ordering = ["grid_code", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # One index per way people are looked up, none twice. ``db_index`` would give each
        # text column a second, ``varchar_pattern_ops`` index on PostgreSQL (for LIKE):
        # only grid codes are searched by prefix (scope filters), so only they get the
        # pattern index (LIKE under any collation), beside (grid, status), which serves
        # equality, ordering and the per-grid counts. Keyed hashes are only compared for
        # equality: the byte-wise pattern class serves that too and builds faster than a
        # collation's. ``opclasses`` mean nothing to SQLite: plain indexes there. No index
        # on name alone (names are searched for a part, icontains, which no B-tree serves;
        # lists are ordered by grid and name) nor on key_id (only key rotation asks for it,
        # counting rows under old keys: a scan, a few times per rotation run).
        indexes = [
            models.Index(fields=["grid_code", "status"], name="person_grid_status"),
            models.Index(fields=["grid_code"], name="person_grid_prefix", opclasses=[PATTERN]),
            models.Index(fields=["birth_year"], name="person_birth_year"),
            # SQLite needs this one for look-ups by number: it cannot match them to the
            # partial unique index below (PostgreSQL can).
            models.Index(fields=["id_number_hash"], name="person_id_hash", opclasses=[PATTERN]),
            models.Index(fields=["phone_hash"], name="person_phone_hash", opclasses=[PATTERN]),
        ]
        # One row per resident ID number (rule 7: two concurrent registrations of the same
        # person cannot both win); people without a number have an empty hash.
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="one_person_per_id_number",
                opclasses=[PATTERN],
            )
        ]

    def __str__(self) -> str:
        return self.name


class CareTag(models.Model):
    """Membership of a special-care group, with the group's own attributes (e.g. the
    disability category and certificate level) and a care contact."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_tags")
    grid_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(_("care group"), max_length=24, choices=CareKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=TagStatus.choices, default=TagStatus.CONFIRMED
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    care_contact_name = models.CharField(_("care contact"), max_length=60, blank=True)
    care_contact_phone_enc = models.BinaryField(null=True, blank=True, editable=False)
    care_contact_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    care_contact_phone_masked = models.CharField(_("care contact phone"), max_length=20, blank=True)
    key_id = models.CharField(max_length=16, blank=True, editable=False)
    start_date = models.DateField(_("since"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    proposed_by_system = models.BooleanField(default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grid_code", "kind"]
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=~models.Q(status="ended"),
                name="one_open_tag_per_person_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()}"


class Movement(models.Model):
    """An arrival, departure or move between grids. ``from_code``/``to_code`` are division
    codes anywhere in China (6, 9 or 12 digits); the grids are ours when inside the city."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="movements")
    grid_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=MovementKind.choices)
    date = models.DateField(_("date"), db_index=True)
    from_code = models.CharField(_("from (division code)"), max_length=12, blank=True)
    to_code = models.CharField(_("to (division code)"), max_length=12, blank=True)
    from_grid = models.CharField(_("from grid"), max_length=15, blank=True)
    to_grid = models.CharField(_("to grid"), max_length=15, blank=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    transport = models.CharField(_("transport"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("movement")
        verbose_name_plural = _("movements")
        indexes = [models.Index(fields=["grid_code", "kind", "date"], name="movement_grid_kind")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.date}"


class PopulationCount(models.Model):
    """Roll-up: how many living people of one measure a grid has (architecture rule 4).

    ``measure`` is e.g. ``total``, ``residence:migrant``, ``sex:F``, ``age:60-69``,
    ``tag:disabled``; any level's figure is the sum over a prefix of ``grid_code``.
    Kept in the same transaction as every write that changes it.
    """

    grid_code = models.CharField(max_length=15)
    measure = models.CharField(max_length=40)
    value = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("population count")
        constraints = [
            models.UniqueConstraint(fields=["grid_code", "measure"], name="population_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.measure}={self.value}"


class GridCompleteness(models.Model):
    """Roll-up: the register's gaps in one grid, by kind, and the grid's score (0–100)."""

    grid_code = models.CharField(max_length=15, unique=True)
    checked = models.IntegerField(default=0)
    gaps = models.JSONField(default=dict)
    gap_total = models.IntegerField(default=0)
    score = models.FloatField(default=100.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grid completeness")

    def __str__(self) -> str:
        return f"{self.grid_code} {self.score:.0f}"


class ImportJob(models.Model):
    """A file import run in the background, with its progress and report."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, default="people")
    file_name = models.CharField(max_length=200)
    stored_path = models.CharField(max_length=400)
    options = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.IntegerField(default=0)
    processed = models.IntegerField(default=0)
    report = models.JSONField(default=dict)
    report_path = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import job")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.state})"

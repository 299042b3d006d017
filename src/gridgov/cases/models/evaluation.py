"""Evaluation (domain.md §4): settings, what each case counts for, and the roll-ups.

Dashboards never read cases (architecture rule 4). Every workflow action calls
``gridgov.cases.evaluation.count_transition`` in its transaction, which keeps:

- ``CaseTally`` — one row per case: the per-case facts it was last counted with (grid,
  filing day, department, closed on time, rating …), so that when the case changes only
  the difference is added to the roll-ups;
- ``EvaluationCount`` — counts per (grain, period start, territory code, department);
- ``PersonCount`` — counts per (role, grain, period start, territory code, person) for
  supervisors (grid workers) and dispatchers.

The roll-ups are stored at a few territory levels and time grains only (decision 0008):
a row's ``level`` is the length of its ``code`` (6 county, 9 township, 15 unit grid) and
its ``grain`` says whether it counts one day, a calendar month or a calendar year starting
at ``start``. The queries read the coarsest rows that answer a question exactly.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Grain(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")
    YEAR = "y", _("Year")


class EvaluationSettings(models.Model):
    """The weights, grade boundaries and counting choices in force (one row, pk 1).

    Each score's weights add up to 100; a rate (0–1) times its weight gives points.
    Changed only through ``actions.evaluation.update_evaluation_settings`` (audited).
    Scores are computed when read, so a change applies to every period at once.
    """

    # Departments and regions: on-time disposal ×60 + closure ×30 + (1 − rework) ×10,
    # and satisfaction, which joins the score when given a weight.
    disposal_on_time_weight = models.PositiveSmallIntegerField(
        _("on-time disposal rate"), default=60, validators=[MaxValueValidator(100)]
    )
    closure_weight = models.PositiveSmallIntegerField(
        _("closure rate"), default=30, validators=[MaxValueValidator(100)]
    )
    no_rework_weight = models.PositiveSmallIntegerField(
        _("one minus rework rate"), default=10, validators=[MaxValueValidator(100)]
    )
    satisfaction_weight = models.PositiveSmallIntegerField(
        _("satisfaction rate"), default=0, validators=[MaxValueValidator(100)]
    )
    # Supervisors (grid workers).
    valid_report_weight = models.PositiveSmallIntegerField(
        _("valid report rate"), default=40, validators=[MaxValueValidator(100)]
    )
    missed_report_weight = models.PositiveSmallIntegerField(
        _("missed-report score"), default=20, validators=[MaxValueValidator(100)]
    )
    verify_on_time_weight = models.PositiveSmallIntegerField(
        _("on-time verification rate"), default=20, validators=[MaxValueValidator(100)]
    )
    check_on_time_weight = models.PositiveSmallIntegerField(
        _("on-time check rate"), default=20, validators=[MaxValueValidator(100)]
    )
    # Dispatchers.
    dispatch_on_time_weight = models.PositiveSmallIntegerField(
        _("on-time dispatch rate"), default=50, validators=[MaxValueValidator(100)]
    )
    dispatch_accurate_weight = models.PositiveSmallIntegerField(
        _("accurate dispatch rate"), default=50, validators=[MaxValueValidator(100)]
    )
    # Grades: A at or above grade_a, … E below grade_d.
    grade_a = models.PositiveSmallIntegerField(
        _("grade A from"), default=90, validators=[MaxValueValidator(100)]
    )
    grade_b = models.PositiveSmallIntegerField(
        _("grade B from"), default=75, validators=[MaxValueValidator(100)]
    )
    grade_c = models.PositiveSmallIntegerField(
        _("grade C from"), default=60, validators=[MaxValueValidator(100)]
    )
    grade_d = models.PositiveSmallIntegerField(
        _("grade D from"), default=40, validators=[MaxValueValidator(100)]
    )
    exclude_postponed = models.BooleanField(
        _("postponed cases leave the closure denominators"), default=True
    )
    basic_satisfaction_weight = models.DecimalField(
        _("weight of “basically satisfied”"),
        max_digits=3,
        decimal_places=2,
        default=0.8,
        validators=[MaxValueValidator(1)],
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("evaluation settings")
        verbose_name_plural = _("evaluation settings")

    def __str__(self) -> str:
        return str(_("Evaluation settings"))


class Decision(models.TextChoices):
    """What became of a report: filed (a valid report) or cancelled/merged unfiled."""

    UNDECIDED = "", _("Undecided")
    VALID = "v", _("Valid")
    INVALID = "i", _("Invalid")


class CaseTally(models.Model):
    """The facts one case was last counted with (see ``gridgov.cases.evaluation``).

    Plain integer ids rather than foreign keys: this is counting state, kept apart from
    the case's own record, and never joined on a page.
    """

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="tally"
    )
    grid_code = models.CharField(max_length=15)
    reported_on = models.DateField()
    reporter_id = models.IntegerField(null=True, blank=True)  # a supervisor's own report
    decision = models.CharField(max_length=1, choices=Decision.choices, blank=True)
    missed_by_id = models.IntegerField(null=True, blank=True)  # supervisor charged
    filed_on = models.DateField(null=True, blank=True)  # None: never filed, or voided
    department_id = models.IntegerField(null=True, blank=True)
    dispatched = models.BooleanField(default=False)
    disposed_on_time = models.BooleanField(default=False)
    closed = models.BooleanField(default=False)
    closed_on_time = models.BooleanField(default=False)
    reworked = models.BooleanField(default=False)
    postponed = models.BooleanField(default=False)
    rating = models.CharField(max_length=12, blank=True)
    rated_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"tally of case {self.case_id}"


class EvaluationCount(models.Model):
    """Counts of the cases of a territory node (and of one department there) in a period.

    ``department_id`` 0 holds what belongs to no department (reports, verification,
    dispatch and check steps); outcomes of filed cases (closed, on time, rework,
    postponed, ratings) are counted under the case's department (0 before dispatch).
    """

    grain = models.CharField(max_length=1, choices=Grain.choices)
    start = models.DateField()
    level = models.PositiveSmallIntegerField()  # len(code)
    code = models.CharField(max_length=15)
    department_id = models.IntegerField(default=0)
    # Reports: made on the day; decided valid (filed) or invalid; public reports verified
    # in the grid (missed by its supervisor). Counted on the day of the report.
    reported = models.IntegerField(default=0)
    valid = models.IntegerField(default=0)
    invalid = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)
    # Outcomes of the cases filed on the day (the should-close cohort).
    filed = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    postponed = models.IntegerField(default=0)
    postponed_closed = models.IntegerField(default=0)
    postponed_closed_on_time = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    disposed_on_time = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    # Ratings given on the day.
    rated_satisfied = models.IntegerField(default=0)
    rated_basic = models.IntegerField(default=0)
    rated_unsatisfied = models.IntegerField(default=0)
    # Steps with a clock taken on the day (judged against the stage's deadline), and
    # dispatches of the day later returned as wrongly sent.
    verifications = models.IntegerField(default=0)
    verified_on_time = models.IntegerField(default=0)
    dispatches = models.IntegerField(default=0)
    dispatched_on_time = models.IntegerField(default=0)
    dispatch_returned = models.IntegerField(default=0)
    checks = models.IntegerField(default=0)
    checked_on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("evaluation count")
        verbose_name_plural = _("evaluation counts")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "level", "code", "start", "department_id"],
                name="one_evaluation_count_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.start} {self.code} d{self.department_id}"


class PersonRole(models.TextChoices):
    SUPERVISOR = "s", _("Supervisor")
    DISPATCHER = "d", _("Dispatcher")


class PersonCount(models.Model):
    """Counts of one supervisor's or dispatcher's work in a territory node in a period."""

    role = models.CharField(max_length=1, choices=PersonRole.choices)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    start = models.DateField()
    level = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=15)
    person_id = models.IntegerField()
    # Supervisors: own patrol reports (and what became of them), missed public reports,
    # verifications and checks on site.
    reported = models.IntegerField(default=0)
    valid = models.IntegerField(default=0)
    invalid = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)
    verifications = models.IntegerField(default=0)
    verified_on_time = models.IntegerField(default=0)
    checks = models.IntegerField(default=0)
    checked_on_time = models.IntegerField(default=0)
    # Dispatchers.
    dispatches = models.IntegerField(default=0)
    dispatched_on_time = models.IntegerField(default=0)
    dispatch_returned = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("evaluation count of a person")
        verbose_name_plural = _("evaluation counts of people")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "grain", "level", "code", "start", "person_id"],
                name="one_person_count_per_key",
            ),
        ]
        # A city's or county's ranking reads one period of every supervisor: by period
        # first, it is one short range (by code first, every period of the node's codes).
        indexes = [
            models.Index(
                fields=["role", "grain", "level", "start", "code"], name="person_count_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}{self.person_id} {self.grain} {self.start} {self.code}"

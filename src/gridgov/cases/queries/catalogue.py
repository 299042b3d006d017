"""Reading the catalogue of case classes and the responsibility list (权责清单).

Classes are shared by the whole installation and are no secret: anyone who works with
cases (reports, views, dispatches, keeps components or the catalogue) may read them.
The responsibility list is read by those who keep it or act on it — administrators
(``cases.catalogue``), the command centre (``cases.dispatch``) and the supervision centre
(``cases.supervise``) — and each sees the rows *inside* their area plus the rows of the
areas above it (a county administrator sees the city-wide defaults that apply to the
county, without being able to change them).

``responsible_department`` runs on every filing: one indexed query on the active rows of
the class whose territory code is a prefix of the grid's (the partial unique index
``one_active_responsibility_per_place`` covers it), plus one more only when nothing
matches and the class names a default department.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.accounts.models import Department
from gridgov.cases.models import CaseClass, CaseKind, Responsibility, TimeUnit
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.territory import codes

CATALOGUE = "cases.catalogue"
# Capabilities that need the classes: whoever reports, reads, dispatches or files cases,
# keeps components, or keeps the catalogue.
CLASS_READERS = (
    CATALOGUE,
    "cases.view",
    "cases.report",
    "cases.supervise",
    "cases.dispatch",
    "cases.dispose",
    "components.view",
)
# Capabilities that read the responsibility list (each within its own area).
RESPONSIBILITY_READERS = (CATALOGUE, "cases.dispatch", "cases.supervise")
# Classes apply city-wide, so only administrators bound to a city (or operators) edit them.
CITY_CODE_LENGTH = codes.CODE_LENGTH[codes.CITY]


MAX_PK = 2**63 - 1  # the largest value a bigint key holds


def as_pk(value: Any) -> int | None:
    """A primary key from user input, or None for anything no row can have (so a huge
    number is "not found", not a database error)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_PK else None


def by_pk(rows: QuerySet[Any], value: Any) -> Any:
    """The row of ``rows`` with the primary key ``value`` (user input), or None."""
    pk = as_pk(value)
    return None if pk is None else rows.filter(pk=pk).first()


# --- who may --------------------------------------------------------------------------


def _prefixes(user: Any, capabilities: Iterable[str]) -> list[str]:
    return scope.minimal_prefixes(
        prefix for capability in capabilities for prefix in scope.scope_codes(user, capability)
    )


def may_read_classes(user: Any) -> bool:
    return any(scope.has_capability(user, capability) for capability in CLASS_READERS)


def require_class_reader(user: Any) -> None:
    if not may_read_classes(user):
        raise PermissionDenied()


def may_edit_classes(user: Any) -> bool:
    """City-level administrators and operators: a class changes every county's cases."""
    return any(len(prefix) <= CITY_CODE_LENGTH for prefix in scope.scope_codes(user, CATALOGUE))


def require_class_editor(user: Any) -> None:
    """No catalogue capability → PermissionDenied; a county's administrator → the same,
    saying why."""
    scope.require(user, CATALOGUE)
    if not may_edit_classes(user):
        raise PermissionDenied(
            _("Classes apply to the whole city; only an administrator of the city may change them.")
        )


def may_read_responsibilities(user: Any) -> bool:
    return bool(_prefixes(user, RESPONSIBILITY_READERS))


def require_responsibility_reader(user: Any) -> None:
    if not may_read_responsibilities(user):
        raise PermissionDenied()


def may_edit_responsibility(user: Any, region_code: str) -> bool:
    """Rows inside the administrator's own area; the areas above are read-only to them."""
    return scope.has_capability(user, CATALOGUE, region_code)


# --- classes --------------------------------------------------------------------------


def all_classes() -> QuerySet[CaseClass]:
    return CaseClass.objects.select_related("parent", "default_department")


def visible_classes(user: Any) -> QuerySet[CaseClass]:
    """Every class, majors and minors, active or not, for those who may read them."""
    return all_classes() if may_read_classes(user) else CaseClass.objects.none()


def get_class_for(user: Any, class_id: Any) -> CaseClass:
    found = by_pk(visible_classes(user), class_id)
    if found is None:
        raise NotFound()
    return found


def search_classes(
    user: Any, *, q: str = "", kind: str = "", active: bool | None = None
) -> QuerySet[CaseClass]:
    """Classes matching a name or code search, a kind and an active state, in code order.

    ``active`` True keeps the classes a report may name (a minor is usable only while its
    major is active too); False keeps the others."""
    rows = visible_classes(user)
    if kind:
        rows = rows.filter(kind=kind)
    if q := q.strip():
        rows = rows.filter(_class_search(q))
    if active is not None:
        usable = Q(is_active=True) & (Q(parent__isnull=True) | Q(parent__is_active=True))
        rows = rows.filter(usable) if active else rows.exclude(usable)
    return rows.order_by("kind", "code")


def _class_search(q: str) -> Q:
    """A name containing ``q``; or, for digits (``0102``) or a service code (``C01``), the
    codes starting with them."""
    digits = q[1:] if q[:1] in "CEce" else q
    if not (digits and digits.isascii() and digits.isdigit()):
        return Q(name__icontains=q)
    by_code = Q(code__startswith=digits)
    if digits != q:
        by_code &= Q(kind=CaseKind.COMPONENT if q[0] in "Cc" else CaseKind.EVENT)
    return Q(name__icontains=q) | by_code


def active_minor_classes(kind: str | None = None) -> QuerySet[CaseClass]:
    """Minor classes a case may be filed under: active, under an active major."""
    rows = CaseClass.objects.filter(
        parent__isnull=False, is_active=True, parent__is_active=True
    ).select_related("parent", "default_department")
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("kind", "code")


def parse_service_code(code: str) -> tuple[str, str] | None:
    """``C0101`` → ("component", "0101"), ``E0302`` → ("event", "0302"); None if malformed."""
    code = (code or "").strip().upper()
    kind = {"C": CaseKind.COMPONENT, "E": CaseKind.EVENT}.get(code[:1])
    digits = code[1:]
    if kind is None or len(digits) not in (2, 4) or not (digits.isascii() and digits.isdigit()):
        return None
    return kind.value, digits


def get_class_by_service_code(code: str, *, include_inactive: bool = False) -> CaseClass | None:
    """The minor class an Open311 ``service_code`` (``C0101``/``E0101``) names: one a
    report may use (active, under an active major) unless ``include_inactive``."""
    parsed = parse_service_code(code)
    if parsed is None or len(parsed[1]) != 4:
        return None
    rows = active_minor_classes() if not include_inactive else all_classes()
    return rows.filter(kind=parsed[0], code=parsed[1]).first()


@dataclass
class MajorNode:
    """A major class with its minors, for pickers and the catalogue page."""

    major: CaseClass
    minors: list[CaseClass] = field(default_factory=list)


def class_tree(classes: Iterable[CaseClass]) -> list[MajorNode]:
    """Group classes (in code order) under their majors; a minor whose major is not among
    ``classes`` brings its major along (from ``select_related``) so search results keep
    their place in the tree."""
    nodes: dict[int, MajorNode] = {}
    for cls in classes:
        major = cls if cls.parent_id is None else cls.parent
        assert major is not None
        node = nodes.setdefault(major.pk, MajorNode(major))
        if cls.parent_id is not None:
            node.minors.append(cls)
    return sorted(nodes.values(), key=lambda n: (n.major.kind, n.major.code))


def picker_tree(kind: str | None = None) -> list[MajorNode]:
    """The active minor classes under their majors: what a report may be filed under."""
    return class_tree(active_minor_classes(kind))


def limit_label(value: int | None, unit: str) -> str:
    """A time limit as people read it: "2 紧急小时", "4 working hours"."""
    if not value or unit not in TimeUnit.values:
        return ""
    return f"{value} {TimeUnit(unit).label}"


def time_limit(case_class: CaseClass, answers: dict[str, Any] | None = None) -> tuple[int, str]:
    """The disposal time limit of a case of this class: the limit of the answer the
    report gave to a list attribute whose values carry their own (a missing manhole cover
    2 urgent hours, a rocking one 2 working days), else the class's own."""
    answers = answers or {}
    for attribute in case_class.attributes or []:
        answer = answers.get(attribute.get("code"))
        for value in attribute.get("values") or []:
            if value.get("key") == answer and value.get("limit_value"):
                return int(value["limit_value"]), str(value["limit_unit"])
    return int(case_class.limit_value or 0), case_class.limit_unit


# --- responsibility matching ----------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Who disposes of a class of case at a place, and why.

    ``via`` is "rule" (a row of the list matched: ``rule``), "default" (the class's default
    department serves the place) or "none" (nobody: the command centre's unassigned queue).
    """

    department: Department | None
    via: str
    rule: Responsibility | None = None


NO_MATCH = Match(None, "none")


def territory_prefixes(code: str) -> list[str]:
    """The code and its ancestors' codes (city first): where a rule for it may sit."""
    return [code[:n] for n in codes.CODE_LENGTH.values() if n <= len(code)]


def explain_responsibility(case_class: CaseClass | int | None, grid_code: str) -> Match:
    """The department for a case of ``case_class`` in ``grid_code`` (any territory code
    works: the tester asks for a community too) and the rule that decided it.

    The active row of the class whose territory is the longest prefix of the code wins,
    if its department is active; else the class's default department when it is active
    and serves a territory containing the place; else nobody.
    """
    if case_class is None or not grid_code:
        return NO_MATCH
    class_id = case_class.pk if isinstance(case_class, CaseClass) else int(case_class)
    rules = (
        Responsibility.objects.filter(
            case_class_id=class_id,
            is_active=True,
            region_code__in=territory_prefixes(grid_code),
            department__is_active=True,
        )
        .select_related("department")
        .order_by()
    )  # at most five rows: no sort needed
    best = max(rules, key=lambda rule: len(rule.region_code), default=None)
    if best is not None:
        return Match(best.department, "rule", best)
    default = _default_department(case_class, class_id)
    if default is not None and default.is_active and grid_code.startswith(default.region_code):
        return Match(default, "default")
    return NO_MATCH


def _default_department(case_class: CaseClass | int, class_id: int) -> Department | None:
    if isinstance(case_class, CaseClass):
        if case_class.default_department_id is None:
            return None
        return case_class.default_department
    found = CaseClass.objects.filter(pk=class_id).select_related("default_department").first()
    return found.default_department if found is not None else None


def responsible_department(case_class: CaseClass | int | None, grid_code: str) -> Department | None:
    """The contract's look-up for filing and dispatch: see ``explain_responsibility``."""
    return explain_responsibility(case_class, grid_code).department


def find_class(reference: str) -> CaseClass | None:
    """A class named by its service code (``C0102``) or its id, active or not."""
    reference = (reference or "").strip()
    if reference.isascii() and reference.isdigit():
        return by_pk(all_classes(), reference)
    return get_class_by_service_code(reference, include_inactive=True)


def match_for(user: Any, class_reference: str, code: str) -> tuple[CaseClass, Match]:
    """The tester's question, asked by ``user``: the class (service code or id) and the
    match at ``code``, a territory node inside the user's area (else NotFound)."""
    require_responsibility_reader(user)
    case_class = find_class(class_reference)
    if case_class is None or not case_class.is_minor:
        raise InvalidInput(
            _("Choose a minor class (e.g. C0102 or E0101)."),
            fields={"class": _("no minor class has this code")},
        )
    code = (code or "").strip()
    prefixes = _prefixes(user, RESPONSIBILITY_READERS)
    inside = any(code.startswith(prefix) for prefix in prefixes)
    from gridgov.territory.models import Region

    if not inside or not Region.objects.filter(code=code).exists():
        raise NotFound()
    return case_class, explain_responsibility(case_class, code)


# --- the responsibility list ------------------------------------------------------------


def _ancestors_or_inside(prefixes: list[str]) -> Q:
    """Rows inside any of ``prefixes`` or on a node above one (which applies there too)."""
    q = Q()
    for prefix in prefixes:
        q |= Q(region_code__startswith=prefix)
        above = territory_prefixes(prefix)[:-1] if len(prefix) in codes.LEVEL_BY_LENGTH else []
        if above:
            q |= Q(region_code__in=above)
    return q


# Which rows a list shows: the list in force, the removed rows kept as history, or both.
STATES = ("active", "removed", "all")


def visible_responsibilities(user: Any) -> QuerySet[Responsibility]:
    """Rows (active and removed) the user may read, with what a list shows."""
    prefixes = _prefixes(user, RESPONSIBILITY_READERS)
    rows = Responsibility.objects.select_related("case_class", "case_class__parent", "department")
    if not prefixes:
        return rows.none()
    if "" in prefixes:
        return rows
    return rows.filter(_ancestors_or_inside(prefixes))


def get_responsibility_for(user: Any, responsibility_id: Any) -> Responsibility:
    found = by_pk(visible_responsibilities(user), responsibility_id)
    if found is None:
        raise NotFound()
    return found


def search_responsibilities(
    user: Any,
    *,
    case_class: CaseClass | int | None = None,
    region_code: str = "",
    department: Department | int | None = None,
    kind: str = "",
    state: str = "active",
    q: str = "",
) -> QuerySet[Responsibility]:
    """Filtered rows in class, then territory order.

    ``region_code`` keeps the rows that apply at that node: its own, those inside it, and
    those of the nodes above it (the city-wide defaults a county inherits)."""
    rows = visible_responsibilities(user)
    if case_class is not None:
        rows = rows.filter(case_class=case_class)
    if kind:
        rows = rows.filter(case_class__kind=kind)
    if region_code := region_code.strip():
        rows = rows.filter(_ancestors_or_inside([region_code]))
    if department is not None:
        rows = rows.filter(department=department)
    if state in STATES and state != "all":
        rows = rows.filter(is_active=state == "active")
    if q := q.strip():
        rows = rows.filter(
            Q(case_class__name__icontains=q)
            | Q(department__name__icontains=q)
            | Q(note__icontains=q)
        )
    return rows.order_by("case_class__kind", "case_class__code", "region_code", "-is_active", "pk")


def departments_for_choice(user: Any) -> QuerySet[Department]:
    """Active departments a responsibility or default may name: those serving the user's
    area, the areas inside it or the areas above it (a city department may be named for a
    county)."""
    rows = Department.objects.filter(is_active=True).select_related("region")
    prefixes = scope.scope_codes(user, CATALOGUE)
    if "" in prefixes:
        return rows.order_by("region_code", "name")
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(region_code__startswith=prefix) | Q(region_code__in=territory_prefixes(prefix))
    return rows.filter(q).order_by("region_code", "name")


# --- the list as a spreadsheet ----------------------------------------------------------

# (field, header) of the export, which the import reads back; names are informative only.
RESPONSIBILITY_COLUMNS = (
    ("class", "类别编码"),
    ("class_name", "类别名称"),
    ("region_code", "区域代码"),
    ("region_name", "区域名称"),
    ("department", "责任部门编码"),
    ("department_name", "责任部门名称"),
    ("note", "备注"),
)
REQUIRED_IMPORT_FIELDS = frozenset({"class", "region_code", "department"})


def region_names(region_codes: Iterable[str]) -> dict[str, str]:
    from gridgov.territory.models import Region

    wanted = set(region_codes)
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))


def responsibility_table(rows: Iterable[Responsibility]) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the list as exported: one row per responsibility, in the
    import's columns."""
    rows = list(rows)
    names = region_names(row.region_code for row in rows)
    body = [
        [
            row.case_class.service_code,
            row.case_class.name,
            row.region_code,
            names.get(row.region_code, ""),
            row.department.code,
            row.department.name,
            row.note,
        ]
        for row in rows
    ]
    return [header for _field, header in RESPONSIBILITY_COLUMNS], body


def responsibility_export(rows: Iterable[Responsibility], fmt: str) -> tuple[str, bytes]:
    """(file name, content) of rows as XLSX or CSV in the import's columns."""
    from gridgov.registry import spreadsheets

    spreadsheets.check_format(fmt)
    headers, body = responsibility_table(rows)
    if fmt == "csv":
        content = b"".join(spreadsheets.csv_lines(headers, body))
    else:
        content = spreadsheets.write_xlsx([("权责清单", headers, body)])
    return f"responsibilities.{fmt}", content

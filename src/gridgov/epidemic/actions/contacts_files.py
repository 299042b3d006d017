"""Contact lists as files: the health authority's export, and importing a list of links.

Export (``epidemic.export``): a case's — or every open case's under a territory node —
first- and second-degree contacts as XLSX or CSV, one row per contact. ID and phone
numbers are masked unless the user asks to reveal them and holds ``registry.reveal``
over the node asked for; each revealed row also needs it over the contact's own grid (a
row outside it stays masked). Contacts living outside the user's area are left out and
counted. Every export is audited before a row leaves.

Import (``epidemic.isolate``): a CSV (UTF-8, GBK or GB18030) or XLSX file with the ID
numbers of the source and of the contact on each row (and optionally the setting, the
last contact day and a note), matched through the registry's keyed hashes. Rows are
linked in file order, each as ``link_close_contact`` would (a row whose source becomes a
first-degree contact further down is tried again at the end); a link already listed is
skipped, a row that cannot be linked is rejected with its reason; the valid rows are
written, and the whole import is one audit event.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.core import crypto
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.capabilities import EXPORT, ISOLATE, VIEW
from gridgov.epidemic.models import CaseStatus, CloseContact, ContactSetting, ContactSource
from gridgov.epidemic.queries import contacts as queries
from gridgov.registry import identity, privacy, readers, spreadsheets
from gridgov.registry.models import Person
from gridgov.territory.models import Region

REVEAL = "registry.reveal"
MAX_ROWS = 5000
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")

# --- export -------------------------------------------------------------------------------


def export_headers() -> list[str]:
    return [
        _("Degree"),
        pgettext("person", "Name"),
        _("Sex"),
        _("Birth year"),
        _("ID number"),
        _("Phone"),
        _("Address"),
        _("Grid code"),
        _("Exposed to"),
        _("Index case"),
        _("Case kind"),
        _("Where exposed"),
        _("Last contact"),
        _("Found by"),
        _("Note"),
    ]


def _numbers(person: Person, reveal: bool) -> tuple[str, str]:
    if reveal:
        plain = privacy.person_numbers(person)
        return plain["id_number"], plain["phone"]
    return person.id_number_masked, person.phone_masked


def _row(link: CloseContact, degree: int, source: Person, case: Any, reveal: bool) -> list[Any]:
    person = link.person
    id_number, phone = _numbers(person, reveal)
    return [
        _("First degree") if degree == 1 else _("Second degree"),
        person.name,
        person.get_sex_display(),
        person.birth_year or "",
        id_number,
        phone,
        person.address,
        link.grid_code,
        source.name,
        case.person.name,
        case.get_kind_display(),
        link.get_setting_display() if link.setting else "",
        link.last_contact_date.isoformat() if link.last_contact_date else "",
        link.get_origin_display(),
        link.note,
    ]


@dataclass
class ExportRows:
    rows: list[list[Any]] = field(default_factory=list)
    hidden: int = 0
    revealed: int = 0


def _collect(user: Any, cases: Iterable[Any], reveal: bool) -> ExportRows:
    found = ExportRows()
    for case in cases:
        tree = queries.contact_tree(user, case)
        found.hidden += tree.hidden
        for degree in (1, 2):
            for link in tree.of_degree(degree):
                source = case.person if degree == 1 else link.source
                shown = reveal and scope.has_capability(user, REVEAL, link.grid_code)
                found.revealed += shown
                found.rows.append(_row(link, degree, source, case, shown))
    return found


def _cases(user: Any, case_id: Any, code: str) -> tuple[list[Any], str]:
    """The cases to export and the node the export is about (a case's grid, or ``code``)."""
    if case_id is not None:
        case = queries.get_case_for(user, case_id)
        return [case], case.grid_code
    code = str(code or "").strip()
    if not (code.isascii() and code.isdigit() and 4 <= len(code) <= 15):
        raise NotFound()
    scope.require(user, EXPORT, code)
    if not Region.objects.filter(code=code).exists():
        raise NotFound()
    cases = queries.visible_cases(user).filter(grid_code__startswith=code, status=CaseStatus.OPEN)
    return list(cases.select_related("person").order_by("reported_on", "pk")), code


def export_filename(case_id: Any, code: str, fmt: str) -> str:
    what = f"case-{case_id}" if case_id is not None else code
    return f"contacts-{what}-{rules.today().isoformat()}.{fmt}"


def export_contacts(
    user: Any, *, case_id: Any = None, code: str = "", format: str = "xlsx", reveal: bool = False
) -> bytes | Iterator[bytes]:
    """The contact list of one case (``case_id``) or of the open cases under ``code``:
    XLSX bytes, or CSV (UTF-8 with a BOM) chunks. Audited as "epidemic.contact.export"."""
    fmt = spreadsheets.check_format(format)
    scope.require(user, EXPORT)
    cases, node = _cases(user, case_id, code)
    scope.require(user, EXPORT, node)
    if reveal:
        scope.require(user, REVEAL, node)
    with transaction.atomic():
        found = _collect(user, cases, bool(reveal))
        record(
            "epidemic.contact.export",
            actor=user,
            object_type="epidemic.infectioncase" if case_id is not None else "territory.region",
            object_id=cases[0].pk if case_id is not None else node,
            object_repr=node,
            grid_code=node,
            changes={
                "format": fmt,
                "reveal": bool(reveal),
                "cases": len(cases),
                "rows": len(found.rows),
                "revealed": found.revealed,
                "outside_area": found.hidden,
            },
        )
    headers = export_headers()
    if fmt == "csv":
        return spreadsheets.csv_lines(headers, found.rows)
    return spreadsheets.write_xlsx([(_("Close contacts"), headers, found.rows)])


# --- import -------------------------------------------------------------------------------

# The headers each column is known by (compared without spaces, case-insensitively).
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact": (
        "密接身份证号",
        "密切接触者身份证号",
        "接触者身份证号",
        "contact_id_number",
        "contact",
    ),
    "source": ("来源身份证号", "传染源身份证号", "病例身份证号", "source_id_number", "source"),
    "setting": ("接触场所", "接触方式", "setting", "where"),
    "last_contact_date": ("最后接触日期", "last_contact_date", "last contact"),
    "note": ("备注", "note"),
}
REQUIRED_COLUMNS = ("contact", "source")
TEMPLATE_HEADERS = ("密接身份证号", "来源身份证号", "接触场所", "最后接触日期", "备注")


def _key(header: str) -> str:
    return "".join(str(header).split()).lower()


def _columns(headers: Sequence[str]) -> dict[str, int]:
    """{column: position} of the known columns; InvalidInput naming ``file`` when a required
    one is missing."""
    known = {_key(name): column for column, names in IMPORT_COLUMNS.items() for name in names}
    found: dict[str, int] = {}
    for position, header in enumerate(headers):
        column = known.get(_key(header))
        if column and column not in found:
            found[column] = position
    missing = [IMPORT_COLUMNS[c][0] for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        reason = _("missing columns: %(columns)s") % {"columns": "、".join(missing)}
        raise InvalidInput(_("file: %(reason)s") % {"reason": reason}, fields={"file": reason})
    return found


# Words health authorities' lists use for the settings, beside the settings' own names.
SETTING_WORDS = {
    "household": ("同住", "共同居住", "家庭", "家人", "同户"),
    "work": ("同事", "同学", "工作", "单位", "学校"),
    "transport": ("同乘", "同车", "同航班", "交通工具", "乘车"),
    "gathering": ("聚餐", "聚会", "聚集"),
    "other": ("其他", "其它"),
}


@cache
def _setting_names() -> dict[str, str]:
    """Each setting by its code, its Chinese and English names and ``SETTING_WORDS``."""
    names = {value: value for value in ContactSetting.values}
    names.update({word: value for value, words in SETTING_WORDS.items() for word in words})
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            names.update({_key(str(label)): value for value, label in ContactSetting.choices})
    return names


def _setting(text: str) -> str | None:
    if not text:
        return ""
    return _setting_names().get(_key(text))


def _date(text: str) -> dt.date | bool | None:
    """A day written in one of ``DATE_FORMATS``; None when empty, False when unreadable."""
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return False


@dataclass
class RowOutcome:
    row: int
    outcome: str  # "linked", "skipped" or "rejected"
    reason: str = ""
    degree: int = 0
    contact: str = ""
    source: str = ""
    link_id: int | None = None


@dataclass
class ContactImport:
    file_name: str
    encoding: str
    rows: list[RowOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def linked(self) -> int:
        return self.count("linked")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def rejected(self) -> int:
        return self.count("rejected")


@dataclass
class _Row:
    number: int
    contact_id: str
    source_id: str
    cells: dict[str, str]
    contact: Person | None = None
    source: Person | None = None
    data: actions.LinkInput | None = None


def _read(path: Path, encoding: str) -> tuple[str, list[_Row]]:
    rows: list[_Row] = []
    with readers.open_table(path, encoding=encoding) as table:
        columns = _columns(table.headers)
        for number, cells in table.rows():
            values = {c: (cells[i] if i < len(cells) else "") for c, i in columns.items()}
            rows.append(_Row(number, values["contact"], values["source"], values))
            if len(rows) > MAX_ROWS:
                reason = _("at most %(n)d rows") % {"n": MAX_ROWS}
                raise InvalidInput(
                    _("file: %(reason)s") % {"reason": reason}, fields={"file": reason}
                )
        return table.encoding, rows


def _id_number(text: str) -> str | None:
    try:
        return identity.parse_id_number(text).number
    except InvalidInput:
        return None


def _people(numbers: set[str]) -> dict[str, Person]:
    """{ID number: person} of the registered people among ``numbers``, in one query."""
    by_hash = {h: number for number in numbers for h in crypto.lookup_hashes(number)}
    if not by_hash:
        return {}
    people = Person.objects.filter(id_number_hash__in=list(by_hash))
    return {by_hash[p.id_number_hash]: p for p in people}


def _prepare(row: _Row, people: dict[str, Person], actor: Any) -> str:
    """Match and check a row: "" when it can be linked, else the reason it is rejected."""
    contact_number, source_number = _id_number(row.contact_id), _id_number(row.source_id)
    if contact_number is None:
        return _("the contact's ID number is not valid")
    if source_number is None:
        return _("the source's ID number is not valid")
    row.contact, row.source = people.get(contact_number), people.get(source_number)
    if row.contact is None or not scope.has_capability(actor, ISOLATE, row.contact.grid_code):
        return _("the contact is not registered in your area")
    if row.source is None or not scope.has_capability(actor, VIEW, row.source.grid_code):
        return _("the source is not registered in your area")
    setting = _setting(row.cells.get("setting", ""))
    day = _date(row.cells.get("last_contact_date", ""))
    if setting is None:
        return _("unknown setting: %(value)s") % {"value": row.cells.get("setting", "")}
    if day is False or (isinstance(day, dt.date) and day > rules.today()):
        return _("the last contact day is not a past date (YYYY-MM-DD)")
    try:
        row.data = actions.clean_link(
            {
                "setting": setting,
                "last_contact_date": day,
                "note": row.cells.get("note", ""),
                "origin": ContactSource.IMPORT,
            }
        )
    except InvalidInput as exc:
        return exc.message
    return ""


def _link(row: _Row, actor: Any) -> RowOutcome:
    assert row.contact is not None and row.source is not None and row.data is not None
    link, refusal = actions.create_link(row.contact, row.source, row.data, actor=actor)
    outcome = RowOutcome(row.number, "linked", contact=row.contact.name, source=row.source.name)
    if link is not None:
        outcome.degree, outcome.link_id = link.degree, link.pk
        return outcome
    assert refusal is not None
    outcome.outcome = "skipped" if refusal.duplicate else "rejected"
    outcome.reason = refusal.reason
    return outcome


@transaction.atomic
def import_contacts(
    path: str | os.PathLike[str],
    *,
    actor: Any,
    encoding: str = "auto",
    file_name: str = "",
    isolate: str = "",
) -> ContactImport:
    """Link the contacts listed in a file (see the module's docstring); ``isolate`` ("home"
    or "centralised") also starts the isolation of each contact linked."""
    scope.require(actor, ISOLATE)
    path = Path(path)
    used, rows = _read(path, encoding)
    result = ContactImport(file_name=file_name or path.name, encoding=used)
    people = _people(
        {n for r in rows for n in (_id_number(r.contact_id), _id_number(r.source_id)) if n}
    )
    outcomes: dict[int, RowOutcome] = {}
    waiting: list[_Row] = []
    for row in rows:
        reason = _prepare(row, people, actor)
        if reason:
            outcomes[row.number] = RowOutcome(row.number, "rejected", reason=reason)
            continue
        outcome = _link(row, actor)
        if outcome.outcome == "rejected":
            waiting.append(row)  # its source may be linked further down
        outcomes[row.number] = outcome
    for row in waiting:
        outcomes[row.number] = _link(row, actor)
    result.rows = [outcomes[number] for number in sorted(outcomes)]
    _isolate_linked(actor, rows, result, isolate)
    record(
        "epidemic.contact.import",
        actor=actor,
        object_type="epidemic.closecontact",
        object_repr=result.file_name,
        changes={
            "file": result.file_name,
            "encoding": used,
            "rows": len(result.rows),
            "linked": result.linked,
            "skipped": result.skipped,
            "rejected": result.rejected,
            "isolate": isolate,
            "links": [r.link_id for r in result.rows if r.link_id][:200],
        },
    )
    return result


def _isolate_linked(actor: Any, rows: Sequence[_Row], result: ContactImport, kind: str) -> None:
    if not kind:
        return
    linked_rows = {r.row for r in result.rows if r.outcome == "linked"}
    for row in rows:
        if row.number in linked_rows and row.contact is not None:
            actions.propose_isolation(actor, row.contact, kind)


def template(fmt: str = "xlsx") -> bytes:
    """An empty contact list with the headers the import reads."""
    fmt = spreadsheets.check_format(fmt)
    if fmt == "csv":
        return b"".join(spreadsheets.csv_lines(list(TEMPLATE_HEADERS), []))
    return spreadsheets.write_xlsx([(_("Close contacts"), list(TEMPLATE_HEADERS), [])])

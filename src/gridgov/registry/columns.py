"""The columns of a people file: one table serves import mapping, templates and exports.

Every column has the Chinese header the templates and exports use (what grid offices type
into Excel) and the aliases found in real files, Chinese and English, so most files map
themselves; an explicit ``{file header: field}`` mapping covers the rest. Value labels
(男/女, 户籍/流动/境外 …) are accepted beside the stored codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import InvalidInput


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the Chinese header of templates and exports
    label: Any  # what messages call it (English source, translated)
    aliases: tuple[str, ...] = ()
    example: str = ""
    note: str = ""  # the template's hint row


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", gettext_lazy("name"), ("name", "full_name", "名字"), "张伟", "必填"),
    Column("sex", "性别", gettext_lazy("sex"), ("sex", "gender"), "男", "男/女；有身份证号时可空"),
    Column(
        "birth_date",
        "出生日期",
        gettext_lazy("birth date"),
        ("birth_date", "birthday", "date_of_birth", "出生年月日", "生日"),
        "1985-03-12",
        "YYYY-MM-DD；有身份证号时可空",
    ),
    Column(
        "id_number",
        "公民身份号码",
        gettext_lazy("ID number"),
        (
            "id_number",
            "id_card",
            "idcard",
            "id_no",
            "身份证号",
            "身份证号码",
            "身份证",
            "证件号码",
            "居民身份证号码",
        ),
        "411302198503121234",
        "18位，设置为文本格式",
    ),
    Column(
        "phone",
        "联系电话",
        gettext_lazy("phone"),
        ("phone", "mobile", "telephone", "tel", "电话", "手机", "手机号", "手机号码", "联系方式"),
        "13838001234",
        "手机11位或带区号的固话",
    ),
    Column("ethnicity", "民族", gettext_lazy("ethnicity"), ("ethnicity", "nation"), "汉族"),
    Column(
        "hukou_code",
        "户籍地代码",
        gettext_lazy("household registration place"),
        ("hukou_code", "hukou", "户籍地", "户籍地区划代码", "户籍所在地代码"),
        "411302",
        "6/9/12位区划代码",
    ),
    Column(
        "residence_type",
        "居住类型",
        gettext_lazy("residence type"),
        ("residence_type", "人口类型", "人员类型", "居住性质"),
        "户籍",
        "户籍/流动/境外",
    ),
    Column(
        "status",
        "人员状态",
        gettext_lazy("status"),
        ("status", "状态", "居住状态"),
        "在住",
        "在住/迁出/死亡；空为在住",
    ),
    Column(
        "address",
        "现住址",
        gettext_lazy("actual residence"),
        ("address", "现居住地址", "居住地址", "实际居住地址", "住址", "地址"),
        "宛城区东关街道河街社区建设路12号",
    ),
    Column(
        "grid_code",
        "网格编码",
        gettext_lazy("grid code"),
        ("grid_code", "grid", "网格代码", "网格编号", "所属网格", "网格"),
        "411302001001001",
        "15位；可空，由经纬度定位",
    ),
    Column("lon", "经度", gettext_lazy("longitude"), ("lon", "lng", "longitude", "x"), "112.5431"),
    Column("lat", "纬度", gettext_lazy("latitude"), ("lat", "latitude", "y"), "33.0012"),
    Column(
        "household_no",
        "户号",
        gettext_lazy("household number"),
        ("household_no", "household", "户编号", "家庭编号"),
        "H0001",
        "同一户的成员填相同户号",
    ),
    Column(
        "relation",
        "与户主关系",
        gettext_lazy("relation to head"),
        ("relation", "户主关系", "与户主的关系"),
        "户主",
        "户主/配偶/子女/父母/孙子女/祖父母/兄弟姐妹/儿媳女婿/其他",
    ),
)
BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
FIELDS: tuple[str, ...] = tuple(c.field for c in COLUMNS)

SEX_VALUES = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F", "1": "M"}
SEX_VALUES |= {"2": "F", "男性": "M", "女性": "F"}
SEX_LABELS = {"M": "男", "F": "女"}

RESIDENCE_VALUES = {
    "registered": "registered",
    "migrant": "migrant",
    "overseas": "overseas",
    "户籍": "registered",
    "户籍人口": "registered",
    "常住": "registered",
    "常住人口": "registered",
    "流动": "migrant",
    "流动人口": "migrant",
    "外来": "migrant",
    "境外": "overseas",
    "境外人员": "overseas",
    "境外人口": "overseas",
}
RESIDENCE_LABELS = {"registered": "户籍", "migrant": "流动", "overseas": "境外"}

STATUS_VALUES = {
    "living": "living",
    "moved_out": "moved_out",
    "deceased": "deceased",
    "在住": "living",
    "居住": "living",
    "现住": "living",
    "正常": "living",
    "迁出": "moved_out",
    "外迁": "moved_out",
    "死亡": "deceased",
    "已故": "deceased",
}
STATUS_LABELS = {"living": "在住", "moved_out": "迁出", "deceased": "死亡"}

RELATION_VALUES = {
    "head": "head",
    "户主": "head",
    "本人": "head",
    "spouse": "spouse",
    "配偶": "spouse",
    "妻": "spouse",
    "夫": "spouse",
    "妻子": "spouse",
    "丈夫": "spouse",
    "child": "child",
    "子女": "child",
    "子": "child",
    "女": "child",
    "儿子": "child",
    "女儿": "child",
    "长子": "child",
    "长女": "child",
    "次子": "child",
    "次女": "child",
    "parent": "parent",
    "父母": "parent",
    "父亲": "parent",
    "母亲": "parent",
    "grandchild": "grandchild",
    "孙子女": "grandchild",
    "孙子": "grandchild",
    "孙女": "grandchild",
    "外孙": "grandchild",
    "外孙女": "grandchild",
    "grandparent": "grandparent",
    "祖父母": "grandparent",
    "祖父": "grandparent",
    "祖母": "grandparent",
    "外祖父": "grandparent",
    "外祖母": "grandparent",
    "sibling": "sibling",
    "兄弟姐妹": "sibling",
    "兄": "sibling",
    "弟": "sibling",
    "姐": "sibling",
    "妹": "sibling",
    "child_in_law": "child_in_law",
    "儿媳女婿": "child_in_law",
    "儿媳": "child_in_law",
    "女婿": "child_in_law",
    "other": "other",
    "其他": "other",
}
RELATION_LABELS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "child_in_law": "儿媳女婿",
    "other": "其他",
}

# "姓名*", "出生日期（YYYY-MM-DD）", " Phone Number " → the bare words that are compared.
_HINT = re.compile(r"[（(\[【].*?[）)\]】]")
_NOISE = re.compile(r"[\s*＊:：_\-]+")


def header_key(header: str) -> str:
    text = _HINT.sub("", str(header or "").replace("\ufeff", ""))
    return _NOISE.sub("", text).lower()


_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.field, _column.header, *_column.aliases):
        _ALIASES[header_key(_name)] = _column.field


@dataclass
class ColumnMap:
    """Where each field is in the file's rows, and the file's header for it."""

    index: dict[str, int]  # field → position in the row
    headers: dict[str, str]  # field → the file's own header text (named in the report)
    ignored: list[str] = field(default_factory=list)  # file headers no field uses
    # field → the template's header, for a table other than the people's (ColumnTable).
    template: dict[str, str] = field(default_factory=dict)

    def header(self, field_name: str) -> str:
        """The file's header for a field, or the template's when the file has none."""
        return (
            self.headers.get(field_name)
            or self.template.get(field_name)
            or BY_FIELD[field_name].header
        )

    def has(self, field_name: str) -> bool:
        return field_name in self.index


@dataclass(frozen=True)
class ColumnTable:
    """The columns of another kind of file (components, …), resolved by the same rules as
    the people's: ``required`` names what a file lacks ({template header: reason}),
    ``mismatch`` is the message with ``%(problems)s``."""

    columns: tuple[Column, ...]
    required: Callable[[ColumnMap], dict[str, str]]
    mismatch: Any

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    @cached_property
    def aliases(self) -> dict[str, str]:
        return {
            header_key(name): c.field
            for c in self.columns
            for name in (c.field, c.header, *c.aliases)
        }


def _mapped_field(
    header: str, mapping: Mapping[str, str | None], aliases: Mapping[str, str] = _ALIASES
) -> str | None:
    if header in mapping:
        return mapping[header] or None
    return aliases.get(header_key(header))


def resolve_columns(
    headers: Sequence[str],
    mapping: Mapping[str, str | None] | None = None,
    *,
    table: ColumnTable | None = None,
) -> ColumnMap:
    """Match the file's headers to fields (of the people's columns, or of ``table``);
    InvalidInput before any row is read when a mapping names an unknown header or field,
    or a required column is missing."""
    mapping = dict(mapping or {})
    fields = table.fields if table else FIELDS
    problems: dict[str, str] = {}
    for header, target in mapping.items():
        if header not in headers:
            problems[header] = _("the file has no column %(header)s") % {"header": header}
        elif target and target not in fields:
            problems[header] = _("unknown field %(field)s; expected one of %(fields)s") % {
                "field": target,
                "fields": ", ".join(fields),
            }
    columns = ColumnMap(
        index={}, headers={}, template={c.field: c.header for c in table.columns} if table else {}
    )
    aliases = table.aliases if table else _ALIASES
    for position, header in enumerate(headers):
        target = None if header in problems else _mapped_field(header, mapping, aliases)
        if target is None or target in columns.index:
            if str(header).strip():
                columns.ignored.append(str(header))
            continue
        columns.index[target] = position
        columns.headers[target] = str(header)
    problems |= table.required(columns) if table else _missing_required(columns)
    if problems:
        mismatch = (
            table.mismatch
            if table
            else _("The file's columns do not fit a people import: %(problems)s")
        )
        raise InvalidInput(
            str(mismatch) % {"problems": "; ".join(f"{k}: {v}" for k, v in problems.items())},
            fields=problems,
            details={
                "headers": list(map(str, headers)),
                "expected": [c.header for c in table.columns] if table else template_headers(),
            },
        )
    return columns


def _missing_required(columns: ColumnMap) -> dict[str, str]:
    """Name always; sex or an ID number (which implies it); a grid code or coordinates."""
    missing: dict[str, str] = {}
    if not columns.has("name"):
        missing[BY_FIELD["name"].header] = _("a name column is required")
    if not (columns.has("sex") or columns.has("id_number")):
        missing[BY_FIELD["sex"].header] = _("a sex or an ID number column is required")
    located = columns.has("lon") and columns.has("lat")
    if not (columns.has("grid_code") or located):
        missing[BY_FIELD["grid_code"].header] = _(
            "a grid code column, or longitude and latitude columns, is required"
        )
    return missing


def template_headers() -> list[str]:
    return [c.header for c in COLUMNS]

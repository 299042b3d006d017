"""The demo city's responsibility list (权责清单) for ``gridgov demo``.

``seed_demo_responsibilities(city_code, actor=…)`` makes sure the city has the professional
departments a city's list names (reusing the demo's own departments where they exist, by
the end of their name: 城市管理局, 供电公司…), then adds a city-wide row for almost every
minor class and a few overrides where the demo has county or street departments:
宛城区's urban management, housing, market supervision and transport bureaus take their
classes in their county, 卧龙区's urban management its own, and 东关街道's law-enforcement
squad two street-order classes in its street. Two classes are left for the other paths of
matching: 疫情防控事项 goes to its class's default department (the health commission), and
群租房 to nobody — the command centre's unassigned queue.

Everything goes through the audited actions; running it again adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from gridgov.accounts import actions as accounts
from gridgov.accounts.models import Department
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.models import CaseClass, Responsibility
from gridgov.territory import codes
from gridgov.territory.models import Region

# key: (name after the city's name, what an existing department's name ends with)
CITY_DEPARTMENTS: dict[str, tuple[str, str]] = {
    "urban": ("城市管理局", "城市管理局"),
    "housing": ("住房和城乡建设局", "住房和城乡建设局"),
    "municipal": ("市政公用事业管理处", "市政公用事业管理处"),
    "greening": ("园林绿化处", "园林绿化处"),
    "ecology": ("生态环境局", "生态环境局"),
    "transport": ("交通运输局", "交通运输局"),
    "market": ("市场监督管理局", "市场监督管理局"),
    "power": ("供电公司", "供电公司"),
    "water": ("自来水公司", "供水总公司"),
    "gas": ("燃气公司", "燃气公司"),
    "telecom": ("通信管线管理办公室", "通信管线管理办公室"),
    "traffic_police": ("公安局交通警察支队", "交通警察支队"),
    "police": ("公安局", "公安局"),
    "emergency": ("应急管理局", "应急管理局"),
    "fire": ("消防救援支队", "消防救援支队"),
    "justice": ("司法局", "司法局"),
    "labour": ("人力资源和社会保障局", "人力资源和社会保障局"),
    "health": ("卫生健康委员会", "卫生健康委员会"),
}

# service code → the city department that disposes of it city-wide.
CITY_WIDE: dict[str, str] = {
    **dict.fromkeys(("C0101", "C0109", "E0401"), "water"),
    **dict.fromkeys(
        (
            "C0102",
            "C0103",
            "C0104",
            "C0108",
            "C0110",
            "C0202",
            "C0203",
            "C0204",
            "C0205",
            "C0211",
            "C0212",
            "C0603",
            "E0305",
            "E0402",
            "E0403",
            "E0405",
        ),
        "municipal",
    ),
    **dict.fromkeys(("C0105", "C0111", "C0113", "C0605", "E0406"), "power"),
    **dict.fromkeys(("C0106", "C0112", "C0117"), "telecom"),
    **dict.fromkeys(("C0107", "E0404"), "gas"),
    **dict.fromkeys(
        ("C0114", "C0115", "C0210", "C0501", "C0604", "E0302", "E0304", "E0306"), "urban"
    ),
    **dict.fromkeys(("C0116", "E0609"), "police"),
    **dict.fromkeys(("C0201",), "transport"),
    **dict.fromkeys(("C0206", "C0207", "C0208", "C0209", "E0505"), "traffic_police"),
    **dict.fromkeys((f"C03{n:02d}" for n in range(1, 8)), "urban"),
    **dict.fromkeys((f"C04{n:02d}" for n in range(1, 8)), "greening"),
    **dict.fromkeys(("E0407",), "greening"),
    **dict.fromkeys(("C0502", "C0503", "C0504", "C0602", "E0303", "E0604", "E0606"), "housing"),
    **dict.fromkeys(("C0601",), "emergency"),
    **dict.fromkeys(("E0101", "E0102", "E0103", "E0104", "E0108"), "urban"),
    **dict.fromkeys(("E0105", "E0106", "E0107", "E0301"), "ecology"),
    **dict.fromkeys((f"E02{n:02d}" for n in range(1, 6)), "urban"),
    **dict.fromkeys(("E0501",), "market"),
    **dict.fromkeys(("E0502", "E0503", "E0504", "E0506", "E0507"), "urban"),
    **dict.fromkeys(("E0601", "E0602"), "justice"),
    **dict.fromkeys(("E0603",), "labour"),
    **dict.fromkeys(("E0605",), "fire"),
}
# A class with no row anywhere, answered by its default department instead.
DEFAULTS: dict[str, str] = {"E0607": "health"}
# Overrides where the demo has a department below the city, found by the end of its name.
COUNTY_OVERRIDES: dict[str, tuple[str, ...]] = {
    "城市管理局": (
        "E0101",
        "E0102",
        "E0103",
        "E0104",
        "E0201",
        "E0202",
        "E0203",
        "E0502",
        "E0503",
        "E0504",
        "E0506",
        "C0304",
    ),
    "住房和城乡建设局": ("E0303", "C0602"),
    "市场监督管理局": ("E0501",),
    "交通运输局": ("C0201",),
}
TOWNSHIP_OVERRIDES: dict[str, tuple[str, ...]] = {"综合行政执法中队": ("E0502", "E0504")}


def seed_demo_responsibilities(city_code: str, *, actor: Any) -> int:
    """Departments and responsibility rows of the demo city; returns the rows added."""
    city = Region.objects.get(code=city_code)
    with transaction.atomic():
        departments = {key: _department(city, key, actor) for key in CITY_DEPARTMENTS}
        classes = {c.service_code: c for c in CaseClass.objects.filter(parent__isnull=False)}
        taken = set(
            Responsibility.objects.filter(is_active=True).values_list(
                "case_class_id", "region_code"
            )
        )
        added = 0
        for service_code, place, department in _rows(city, departments):
            case_class = classes.get(service_code)
            if case_class is None or (case_class.pk, place) in taken:
                continue
            actions.add_responsibility(
                actor=actor,
                case_class_id=case_class.pk,
                region_code=place,
                department_id=department.pk,
                note="演示数据",
            )
            taken.add((case_class.pk, place))
            added += 1
        for service_code, key in DEFAULTS.items():
            case_class = classes.get(service_code)
            if case_class is not None and case_class.default_department_id is None:
                actions.set_default_department(
                    case_class.pk,
                    actor=actor,
                    version=case_class.version,
                    department_id=departments[key].pk,
                )
    return added


def _department(city: Region, key: str, actor: Any) -> Department:
    """The city's department for ``key``: one serving the city whose name ends as
    expected, else a new one (``demo-<city>-<key>``)."""
    name, ending = CITY_DEPARTMENTS[key]
    found = (
        Department.objects.filter(region_code=city.code, is_active=True, name__endswith=ending)
        .order_by("pk")
        .first()
    )
    if found is not None:
        return found
    slug = f"demo-{city.code}-{key.replace('_', '-')}"
    existing = Department.objects.filter(code=slug).first()
    if existing is not None:
        return existing
    return accounts.create_department(
        actor=actor, code=slug, name=f"{city.name}{name}", region_code=city.code
    )


def _rows(city: Region, departments: dict[str, Department]) -> list[tuple[str, str, Department]]:
    """(service code, territory code, department) of every row to have: city-wide ones,
    then the overrides of the departments below the city."""
    rows = [(code, city.code, departments[key]) for code, key in CITY_WIDE.items()]
    below = Department.objects.filter(is_active=True, region_code__startswith=city.code).exclude(
        region_code=city.code
    )
    for department in below.order_by("region_code", "pk"):
        level = codes.LEVEL_BY_LENGTH.get(len(department.region_code))
        overrides = COUNTY_OVERRIDES if level == codes.COUNTY else TOWNSHIP_OVERRIDES
        for ending, service_codes in overrides.items():
            if department.name.endswith(ending):
                rows += [(code, department.region_code, department) for code in service_codes]
    return rows

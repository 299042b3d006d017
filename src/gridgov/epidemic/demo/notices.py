"""Demo notices in the detailed streets, sent through the real actions (audited as the demo
logins that would send them):

- 东关街道's staff (``township``) to the elderly living alone of the street, staff and
  residents: first some of the street's residents of 70 and over are tagged as living
  alone (those without a phone first, as is common at that age), then the notice goes
  out; about two thirds of those with a phone have opened their link, the demo grid
  worker has been to part of the doors of their grids and the street's other doors are
  half done;
- 宛城区's command centre (``command``) to every field worker of the district, staff
  only: read by the demo grid worker and community staff, not yet by the street's staff.

Deterministic from ``seed``; adds nothing when the city has notices already.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from django.db import transaction

from gridgov.accounts.models import User
from gridgov.demo.builder import ACTOR
from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.models import DeliveryChannel, Notice, NoticeDelivery
from gridgov.epidemic.queries import notices as queries
from gridgov.inbox import actions as inbox
from gridgov.registry import actions as registry
from gridgov.registry.models import CareKind, CareTag, Person, PersonStatus, TagStatus

ORDER = 50
STREET = "411302001"  # 东关街道, where the demo's township, community and grid users work
DISTRICT = "411302"
ELDERLY_AGE = 70
LONE_SHARE = 0.06  # of the street's residents of 70 and over, living alone
NO_PHONE_SHARE = 0.4  # of them, without a phone of their own (as many as there are)
LINK_READ_SHARE = 0.65
DOOR_DONE_SHARE = 0.5

ELDERLY_NOTICE = (
    "关于做好独居老人疫情防护和生活保障的温馨提示",
    "各位老人家：\n"
    "近期疫情防控形势严峻，请尽量减少外出，不去人员聚集场所；外出务必佩戴口罩，回家先洗手。\n"
    "如出现发热、咳嗽、乏力等症状，请不要自行去药店买药，第一时间拨打社区电话或告知网格员。\n"
    "买菜买药有困难的，社区志愿者可以代购送上门，请联系您的网格员登记。\n"
    "东关街道办事处",
)
STAFF_NOTICE = (
    "关于全区网格员做好今日全员核酸检测组织工作的通知",
    "各街道、社区（村）网格员：\n"
    "1. 今日 8:00 前到岗，按网格分片组织居民有序检测，保持一米间距；\n"
    "2. 行动不便的老人和残疾人由网格员登记，安排上门采样；\n"
    "3. 18:00 前在系统内完成当日网格日报，未检测人员逐一核实原因。\n"
    "宛城区疫情防控指挥部",
)


def _user(username: str) -> Any:
    return User.objects.filter(username=username, is_active=True).first() or ACTOR


def _tag_elderly_alone(rng: random.Random) -> int:
    """Tag some of the street's oldest residents as living alone, those without a phone
    first (as common at that age); how many."""
    born_by = dt.date.today().year - ELDERLY_AGE
    tagged = CareTag.objects.filter(kind=CareKind.ELDERLY_ALONE).exclude(status=TagStatus.ENDED)
    older = (
        Person.objects.filter(
            grid_code__startswith=STREET, status=PersonStatus.LIVING, birth_year__lte=born_by
        )
        .exclude(pk__in=tagged.values("person_id"))
        .order_by("pk")
    )
    no_phone = list(older.filter(phone_hash="").values_list("pk", flat=True))
    phone = list(older.exclude(phone_hash="").values_list("pk", flat=True))
    wanted = math.ceil((len(no_phone) + len(phone)) * LONE_SHARE)
    without = rng.sample(no_phone, min(len(no_phone), round(wanted * NO_PHONE_SHARE)))
    chosen = without + rng.sample(phone, min(len(phone), wanted - len(without)))
    for person_id in sorted(chosen):
        registry.add_care_tag(person_id, actor=ACTOR, kind=CareKind.ELDERLY_ALONE)
    return len(chosen)


def _send(
    actor: Any, region: str, text: tuple[str, str], audience: str, targets: list[dict[str, str]]
) -> Notice:
    title, body = text
    notice = actions.create_notice(
        actor=actor,
        region_code=region,
        title=title,
        body=body,
        audience=audience,
        targets=targets,
    )
    return actions.send_notice(notice.pk, actor=actor)


def _reach_residents(rng: random.Random, notice: Notice, worker: Any) -> None:
    """Some links opened; some doors done by the demo grid worker, others by the street."""
    residents = NoticeDelivery.objects.filter(notice=notice, person__isnull=False).order_by("pk")
    for delivery_id in residents.filter(channel=DeliveryChannel.INBOX).values_list("pk", flat=True):
        if rng.random() < LINK_READ_SHARE:
            actions.read_notice_link(queries.link_token(delivery_id))
    doors = residents.filter(channel=DeliveryChannel.DOOR).values_list("pk", flat=True)
    done = {pk for pk in doors if rng.random() < DOOR_DONE_SHARE}
    mine = queries.door_list(worker, notice_id=notice.pk) if worker is not ACTOR else None
    own = done & set(mine.values_list("pk", flat=True)) if mine is not None else set()
    for marker, ids in ((worker, own), (ACTOR, done - own)):
        if ids:
            actions.mark_door_delivered(sorted(ids), actor=marker)


def _read_in_inbox(notice: Notice, usernames: tuple[str, ...]) -> None:
    for delivery in NoticeDelivery.objects.filter(
        notice=notice, user__username__in=usernames, message__isnull=False
    ).select_related("user"):
        assert delivery.message_id is not None
        inbox.mark_read(delivery.message_id, actor=delivery.user)


@transaction.atomic
def seed(city: str, *, seed: int) -> int:
    """The two demo notices; rows added (tags, notices, deliveries)."""
    if Notice.objects.filter(region_code__startswith=city).exists():
        return 0
    if not Person.objects.filter(grid_code__startswith=STREET).exists():
        return 0  # the street is not detailed in this city
    rng = random.Random(f"{seed}:notices")
    added = _tag_elderly_alone(rng)
    worker = _user("gridworker")
    elderly = _send(
        _user("township"),
        STREET,
        ELDERLY_NOTICE,
        "both",
        [{"code": STREET, "care_kind": CareKind.ELDERLY_ALONE}],
    )
    _reach_residents(rng, elderly, worker)
    _read_in_inbox(elderly, ("gridworker",))
    staff = _send(_user("command"), DISTRICT, STAFF_NOTICE, "staff", [{"code": DISTRICT}])
    _read_in_inbox(staff, ("gridworker", "community"))
    return added + 2 + NoticeDelivery.objects.filter(notice__in=[elderly, staff]).count()

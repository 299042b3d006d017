"""Isolation at /api/v1/epidemic/isolation: episodes (list, one, start, release, change
the planned end) and follow-ups (a day's list — mine by default —, the missed ones, and
recording one). Scoped and refused exactly like the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, attributes, list_endpoint, paged
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.models import EpidemicSettings
from gridgov.epidemic.queries import isolation as queries
from gridgov.registry.shaping import own_grid_codes

router = Router(tags=["epidemic: isolation"])

MAX_PK = 2**63 - 1
ID = Path(..., ge=1, le=MAX_PK)
Kind = Literal["home", "centralised"]
Reason = Literal["risk_arrival", "close_contact", "abnormal", "decision"]
EpisodeStatus = Literal["active", "released"]
FollowUpState = Literal["due", "done", "missed"]
SymptomCode = Literal[
    "fever", "cough", "sore_throat", "fatigue", "short_breath", "diarrhoea", "taste_smell", "other"
]
TERRITORY = Query("", pattern=r"^(\d{4,15})?$", description="Territory code prefix (city to grid)")
VERSION = Field(None, description="The version read; 409 if it changed since")
DAY = Query(None, description="Default today (Asia/Shanghai)")


class EpisodeOut(Schema):
    id: int
    person_id: int
    person_name: str
    grid_code: str
    kind: Kind
    kind_label: str
    reason: Reason
    reason_label: str
    place: str
    start_date: dt.date
    planned_end: dt.date = Field(description="The first day the person may be released")
    status: EpisodeStatus
    day: int = Field(description="Day of isolation today (1 on the start date), or at release")
    assignee_id: int | None = Field(None, description="The grid worker who follows up")
    released_on: dt.date | None = None
    release_mode: str = Field(description='"rule", "decision", or "" while active')
    release_note: str
    note: str
    version: int


class FollowUpOut(Schema):
    id: int
    episode_id: int
    person_id: int
    person_name: str
    address: str
    grid_code: str
    date: dt.date
    day: int = Field(description="Day of isolation (1 on the start date)")
    status: FollowUpState
    temperature: Decimal | None = None
    symptoms: list[str]
    note: str
    abnormal: bool = Field(description="Temperature at or above the fever threshold, or symptoms")
    done_at: dt.datetime | None = None
    assignee_id: int | None = None
    version: int


class EpisodeDetailOut(EpisodeOut):
    ready_for_release: bool = Field(
        description="Planned end reached and the last follow-ups done and normal"
    )
    follow_ups: list[FollowUpOut] = Field(description="Oldest first")


class StartIn(Schema):
    person_id: int = Field(..., ge=1, le=MAX_PK, description="A person of the registry")
    kind: Kind
    reason: Reason
    start_date: dt.date | None = Field(None, description="Default today; at most 14 days back")
    planned_end: dt.date | None = Field(
        None,
        description="Default by the rules: 14 days (close contact, decision, red code), else 7",
    )
    place: str = Field("", max_length=200, description="Required for centralised isolation")
    note: str = Field("", max_length=200)


class ReleaseIn(Schema):
    note: str = Field(..., min_length=1, max_length=200, description="The decision and why")
    version: int | None = VERSION


class ExtendIn(Schema):
    planned_end: dt.date
    note: str = Field(..., min_length=1, max_length=200, description="Why")
    version: int | None = VERSION


class FollowUpIn(Schema):
    temperature: Decimal | None = Field(None, ge=34, le=43, decimal_places=1)
    symptoms: list[SymptomCode] = Field(default_factory=list)
    note: str = Field("", max_length=200)
    version: int | None = VERSION


def episode_out(episode: Any) -> dict[str, Any]:
    return attributes(
        episode,
        EpisodeOut,
        person_name=episode.person.name,
        kind_label=episode.get_kind_display(),
        reason_label=episode.get_reason_display(),
        day=queries.day_number(episode, rules.today()),
    )


def _follow_up_shape(threshold: Decimal) -> Any:
    def shape(follow_up: Any) -> dict[str, Any]:
        return attributes(
            follow_up,
            FollowUpOut,
            person_name=follow_up.person.name,
            address=follow_up.person.address,
            day=queries.day_number(follow_up.episode, follow_up.date),
            abnormal=queries.is_abnormal(follow_up.temperature, follow_up.symptoms, threshold),
        )

    return shape


def _detail(request: HttpRequest, episode_id: int) -> dict[str, Any]:
    episode = queries.get_episode_for(request.user, episode_id)
    threshold = EpidemicSettings.current().fever_threshold
    follow_ups = queries.timeline(episode)
    for follow_up in follow_ups:
        follow_up.episode = episode
        follow_up.person = episode.person
    return {
        **episode_out(episode),
        "ready_for_release": episode.pk in queries.ready_among([episode], rules.today(), threshold),
        "follow_ups": [_follow_up_shape(threshold)(f) for f in follow_ups],
    }


@list_endpoint(
    router,
    "/isolation/episodes",
    EpisodeOut,
    summary="Isolation episodes: by name, kind, status, reason, area, person, due for release",
    url_name="epidemic_isolation_episodes",
)
def list_episodes(
    request: HttpRequest,
    q: str = Query("", max_length=60, description="Part of the person's name"),
    kind: Kind | None = None,
    status: EpisodeStatus | None = None,
    reason: Reason | None = None,
    code: str = TERRITORY,
    person_id: int | None = Query(None, ge=1, le=MAX_PK),
    due: bool = Query(False, description="Active with the planned end today or earlier"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    episodes = queries.search_episodes(
        request.user,
        q=q,
        kind=kind or "",
        status=status or "",
        reason=reason or "",
        code=code,
        person_id=person_id,
        due=due,
    )
    return paged(episodes, page, page_size, episode_out)


@router.post(
    "/isolation/episodes",
    response={201: EpisodeDetailOut, **ERRORS},
    summary="Start an isolation (epidemic.isolate over the person's grid); 409 if one is active",
    url_name="epidemic_isolation_start",
)
def start(request: HttpRequest, payload: StartIn) -> Any:
    data = payload.dict()
    data["start_date"] = data["start_date"] or rules.today()
    episode = actions.start_isolation(actor=request.user, **data)
    return Status(201, _detail(request, episode.pk))


@router.get(
    "/isolation/episodes/{episode_id}",
    response={200: EpisodeDetailOut, **ERRORS},
    summary="One isolation episode with its follow-ups",
    url_name="epidemic_isolation_episode",
)
def get_episode(request: HttpRequest, episode_id: int = ID) -> Any:
    return _detail(request, episode_id)


@router.post(
    "/isolation/episodes/{episode_id}/release",
    response={200: EpisodeDetailOut, **ERRORS},
    summary="Release today by decision (epidemic.isolate), with a note",
    url_name="epidemic_isolation_release",
)
def release(request: HttpRequest, payload: ReleaseIn, episode_id: int = ID) -> Any:
    queries.get_episode_for(request.user, episode_id)  # 404 for an episode one cannot see
    actions.release_isolation(
        episode_id, actor=request.user, note=payload.note, expected_version=payload.version
    )
    return _detail(request, episode_id)


@router.post(
    "/isolation/episodes/{episode_id}/extend",
    response={200: EpisodeDetailOut, **ERRORS},
    summary="Change the planned end (later or earlier), with a note (epidemic.isolate)",
    url_name="epidemic_isolation_extend",
)
def extend(request: HttpRequest, payload: ExtendIn, episode_id: int = ID) -> Any:
    queries.get_episode_for(request.user, episode_id)
    actions.extend_isolation(
        episode_id,
        actor=request.user,
        planned_end=payload.planned_end,
        note=payload.note,
        expected_version=payload.version,
    )
    return _detail(request, episode_id)


@list_endpoint(
    router,
    "/isolation/follow-ups",
    FollowUpOut,
    summary="A day's follow-ups (default today; a grid worker's own unless code is given), "
    "by address",
    url_name="epidemic_isolation_follow_ups",
)
def list_follow_ups(
    request: HttpRequest,
    date: dt.date | None = DAY,
    code: str = TERRITORY,
    mine: bool | None = Query(
        None, description="Only those on my own list (default: yes for a grid worker without code)"
    ),
    status: FollowUpState | None = None,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    day = date or rules.today()
    own = own_grid_codes(request.user)
    if mine is None:
        mine = not code and bool(own)
    actions.ensure_todays_follow_ups(actor=request.user, day=day)
    rows = queries.follow_up_list(
        request.user, day, code=code, mine=mine, own_grids=own, status=status or ""
    )
    threshold = EpidemicSettings.current().fever_threshold
    return paged(rows, page, page_size, _follow_up_shape(threshold))


@list_endpoint(
    router,
    "/isolation/follow-ups/missed",
    FollowUpOut,
    summary="Missed follow-ups between two days, newest first",
    url_name="epidemic_isolation_missed",
)
def list_missed(
    request: HttpRequest,
    code: str = TERRITORY,
    since: dt.date | None = None,
    until: dt.date | None = None,
    q: str = Query("", max_length=60, description="Part of the person's name"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = queries.missed_follow_ups(request.user, code=code, since=since, until=until, q=q)
    threshold = EpidemicSettings.current().fever_threshold
    return paged(rows, page, page_size, _follow_up_shape(threshold))


@router.post(
    "/isolation/follow-ups/{follow_up_id}",
    response={200: FollowUpOut, **ERRORS},
    summary="Record a follow-up (epidemic.follow_up); an empty body means normal",
    url_name="epidemic_isolation_follow_up_record",
)
def record_follow_up(request: HttpRequest, payload: FollowUpIn, follow_up_id: int = ID) -> Any:
    queries.get_follow_up_for(request.user, follow_up_id)  # 404 for one one cannot see
    actions.record_follow_up(
        follow_up_id,
        actor=request.user,
        temperature=payload.temperature,
        symptoms=list(payload.symptoms),
        note=payload.note,
        expected_version=payload.version,
    )
    follow_up = queries.get_follow_up_for(request.user, follow_up_id)
    return _follow_up_shape(EpidemicSettings.current().fever_threshold)(follow_up)

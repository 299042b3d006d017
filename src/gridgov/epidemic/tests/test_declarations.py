"""Recording declarations: idempotent by client key (single and batch), all-or-nothing,
roll-ups that equal a recount, and alerts of abnormal declarations in the inbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rollups, rules
from gridgov.epidemic.actions import declarations as actions
from gridgov.epidemic.models import DeclarationDay, HealthCode, HealthDeclaration
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state, key
from gridgov.inbox.models import Message, MessageKind
from gridgov.registry.tests.core_fixtures import GRID

pytestmark = pytest.mark.django_db


def today_figures() -> dict[str, int]:
    return rollups.day_figures(GRID, rules.today())


def assert_rollups_match_recount() -> None:
    assert rollups.as_plain(rollups.kept_declarations()) == rollups.as_plain(
        rollups.count_declarations()
    )
    assert rollups.as_plain(rollups.kept_codes()) == rollups.as_plain(rollups.count_codes())


def test_a_single_declaration_sent_twice_is_counted_once(epi: Epi) -> None:
    k = key()
    first = actions.record_declaration(
        actor=epi.r.worker, person_id=epi.r.person.pk, client_key=k, temperature="36.6"
    )
    again = actions.record_declaration(
        actor=epi.r.worker, person_id=epi.r.person.pk, client_key=k, temperature="36.6"
    )
    assert first.created and not again.created
    assert again.declaration_id == first.declaration_id
    assert HealthDeclaration.objects.count() == 1
    assert today_figures() == {"declarations": 1, "declared": 1, "by:grid_worker": 1}
    assert_rollups_match_recount()


def test_a_batch_sent_twice_is_counted_once_and_repeats_inside_a_batch_too(epi: Epi) -> None:
    keys = [key() for _ in range(3)]
    rows = [
        {"person_id": epi.r.person.pk, "client_key": keys[0], "temperature": "36.5"},
        {"person_id": epi.spouse.pk, "client_key": keys[1], "temperature": "36.7"},
        {"person_id": epi.r.elder.pk, "client_key": keys[2], "symptoms": []},
        # the same declaration twice in one batch (a client that queued it twice)
        {"person_id": epi.r.elder.pk, "client_key": keys[2], "symptoms": []},
    ]
    first = actions.record_declarations(rows, actor=epi.r.worker)
    assert (first.created, first.duplicates) == (3, 1)
    second = actions.record_declarations(rows, actor=epi.r.worker)
    assert (second.created, second.duplicates) == (0, 4)
    assert [o.declaration_id for o in second.outcomes] == [o.declaration_id for o in first.outcomes]
    assert HealthDeclaration.objects.count() == 3
    figures = today_figures()
    assert figures["declarations"] == 3 and figures["declared"] == 3
    assert_rollups_match_recount()


def test_two_declarations_of_one_person_in_a_day_count_one_person(epi: Epi) -> None:
    for temperature in ("36.5", "36.8"):
        actions.record_declaration(
            actor=epi.r.worker,
            person_id=epi.r.person.pk,
            client_key=key(),
            temperature=temperature,
        )
    day = DeclarationDay.objects.get(person=epi.r.person)
    assert (day.declarations, day.max_temperature) == (2, Decimal("36.8"))
    assert today_figures()["declared"] == 1 and today_figures()["declarations"] == 2
    assert_rollups_match_recount()


def test_one_bad_item_refuses_the_whole_batch_and_names_it(epi: Epi) -> None:
    before = epidemic_state()
    rows = [
        {"person_id": epi.r.person.pk, "client_key": key(), "temperature": "36.5"},
        {"person_id": epi.spouse.pk, "client_key": key(), "temperature": "50"},
        {"person_id": epi.r.elder.pk, "client_key": "short", "symptoms": ["sneezing"]},
    ]
    with pytest.raises(InvalidInput) as caught:
        actions.record_declarations(rows, actor=epi.r.worker)
    items = caught.value.details["items"]
    assert set(items) == {"1", "2"}
    assert set(items["1"]) == {"temperature"}
    assert set(items["2"]) == {"client_key", "symptoms"}
    assert epidemic_state() == before


def test_a_key_reused_for_someone_else_is_refused(epi: Epi) -> None:
    k = key()
    actions.record_declaration(actor=epi.r.worker, person_id=epi.r.person.pk, client_key=k)
    before = epidemic_state()
    with pytest.raises(InvalidInput) as caught:
        actions.record_declaration(actor=epi.r.worker, person_id=epi.spouse.pk, client_key=k)
    assert "client_key" in caught.value.details["fields"]
    assert epidemic_state() == before


def test_people_outside_the_scope_are_not_found_and_nothing_is_written(epi: Epi) -> None:
    before = epidemic_state()
    rows = [
        {"person_id": epi.r.person.pk, "client_key": key()},
        {"person_id": epi.r.sibling_person.pk, "client_key": key()},
    ]
    with pytest.raises(NotFound) as caught:
        actions.record_declarations(rows, actor=epi.r.worker)
    assert caught.value.details["items"] == {"1": {"person_id": "not found"}}
    with pytest.raises(PermissionDenied):  # a leader declares for nobody
        actions.record_declarations(rows[:1], actor=epi.r.leader)
    with pytest.raises(NotFound):
        actions.record_declaration(
            actor=epi.r.neighbour, person_id=epi.r.person.pk, client_key=key()
        )
    assert epidemic_state() == before


def test_an_abnormal_declaration_alerts_the_grid_worker_and_community_staff(epi: Epi) -> None:
    actions.record_declaration(
        actor=epi.r.worker,
        person_id=epi.r.person.pk,
        client_key=key(),
        temperature="38.2",
        symptoms=["cough"],
    )
    alerts = Message.objects.filter(kind=MessageKind.ALERT)
    assert {m.recipient_id for m in alerts} == {epi.r.worker.pk, epi.r.community.pk}
    message = alerts.first()
    assert message is not None
    assert epi.r.person.name in message.subject and "38.2" in message.body
    assert message.link == f"/epidemic/people/{epi.r.person.pk}/"
    assert message.grid_code == GRID
    # The same person's second abnormal declaration that day does not alert again.
    actions.record_declaration(
        actor=epi.r.worker, person_id=epi.r.person.pk, client_key=key(), temperature="38.5"
    )
    assert Message.objects.filter(kind=MessageKind.ALERT).count() == 2
    # Nobody outside the grid hears of it.
    assert not Message.objects.filter(recipient__in=[epi.r.neighbour, epi.r.sibling]).exists()
    figures = today_figures()
    assert figures["abnormal"] == 1 and figures["declarations_abnormal"] == 2
    assert HealthCode.objects.get(person=epi.r.person).colour == "yellow"
    assert_rollups_match_recount()


def test_a_normal_declaration_alerts_nobody_and_writes_no_code(epi: Epi) -> None:
    actions.record_declaration(
        actor=epi.r.worker, person_id=epi.r.person.pk, client_key=key(), temperature="37.2"
    )
    assert not Message.objects.exists()
    assert not HealthCode.objects.exists()


def test_declared_at_outside_the_window_is_refused(epi: Epi) -> None:
    long_ago = dt.datetime.now(rules.site_zone()) - dt.timedelta(days=9)
    with pytest.raises(InvalidInput) as caught:
        actions.record_declaration(
            actor=epi.r.worker, person_id=epi.r.person.pk, client_key=key(), declared_at=long_ago
        )
    assert "declared_at" in caught.value.details["fields"]


def test_roll_ups_equal_a_recount_after_mixed_traffic_and_recount_rebuilds_them(
    epi: Epi,
) -> None:
    people = [epi.r.person, epi.spouse, epi.r.elder, epi.r.migrant]
    rows = []
    for i, person in enumerate(people * 3):
        rows.append(
            {
                "person_id": person.pk,
                "client_key": key(),
                "temperature": "38.0" if i % 5 == 0 else "36.4",
                "contact": i == 7,
                "declared_by": ["self", "household", "grid_worker"][i % 3],
            }
        )
    actions.record_declarations(rows[:6], actor=epi.r.worker)
    actions.record_declarations(rows, actor=epi.r.worker)  # half of it a retry
    assert_rollups_match_recount()
    kept = rollups.as_plain(rollups.kept_declarations())
    rollups.recount()
    assert rollups.as_plain(rollups.kept_declarations()) == kept
    assert_rollups_match_recount()

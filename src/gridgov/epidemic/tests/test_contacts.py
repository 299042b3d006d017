"""Infection cases and close contacts: recording and changing cases (forward-only kinds,
final closing, one open case per person, version checks), contacts with a computed
degree (self, duplicate, loop and third-degree links refused), promotion when a contact
becomes a case, the contact tree in two queries, unlinking, and the roll-ups equal to a
recount after mixed traffic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rollups, rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.models import CloseContact, CommunitySituation, InfectionCase
from gridgov.epidemic.queries import contacts as queries
from gridgov.epidemic.tallies.contacts import TALLY
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID

pytestmark = pytest.mark.django_db


def case(epi: Epi, person: Any, kind: str = "confirmed", **fields: Any) -> InfectionCase:
    return actions.record_infection_case(
        actor=epi.r.community, person_id=person.pk, kind=kind, **fields
    )


def link(epi: Epi, person: Any, source: Any, **fields: Any) -> CloseContact:
    return actions.link_close_contact(
        actor=epi.r.community, person_id=person.pk, source_id=source.pk, **fields
    )


# --- cases --------------------------------------------------------------------------------


def test_a_case_is_counted_audited_and_makes_its_community_a_case_community(epi: Epi) -> None:
    recorded = case(epi, epi.r.person, source_known=False)
    today = rules.today()
    assert (recorded.grid_code, recorded.reported_on, recorded.kind) == (GRID, today, "confirmed")
    assert rollups.day_figures(GRID, today)["cases:confirmed"] == 1
    assert rollups.current_figures(COMMUNITY)["cases_open:confirmed"] == 1
    event = AuditEvent.objects.get(action="epidemic.case.record")
    assert (event.object_id, event.grid_code) == (str(recorded.pk), GRID)
    assert event.changes["kind"] == "confirmed"
    row = CommunitySituation.objects.get(community_code=COMMUNITY, date=today)
    assert (row.situation, row.cases_14d, row.unknown_source_14d) == ("cluster", 1, 1)


def test_one_open_case_per_person_and_the_source_note(epi: Epi) -> None:
    case(epi, epi.r.person, kind="suspected")
    before = epidemic_state()
    with pytest.raises(InvalidInput) as caught:
        case(epi, epi.r.person, kind="confirmed")
    assert set(caught.value.details["fields"]) == {"person_id"}
    with pytest.raises(InvalidInput) as caught:
        case(epi, epi.spouse, kind="flu", reported_on=rules.today() + dt.timedelta(days=1))
    assert set(caught.value.details["fields"]) == {"kind", "reported_on"}
    with pytest.raises(InvalidInput) as caught:  # a known source is said
        case(epi, epi.spouse, source_known=True)
    assert set(caught.value.details["fields"]) == {"source_note"}
    assert epidemic_state() == before


def test_the_source_is_known_by_default_for_someone_listed_as_a_contact(epi: Epi) -> None:
    case(epi, epi.r.person)
    link(epi, epi.spouse, epi.r.person, setting="household")
    assert case(epi, epi.spouse).source_known is True
    assert case(epi, epi.r.elder).source_known is False


def test_who_may_record_a_case(epi: Epi) -> None:
    before = epidemic_state()
    with pytest.raises(PermissionDenied):  # the grid worker has no epidemic.isolate
        actions.record_infection_case(
            actor=epi.r.worker, person_id=epi.r.person.pk, kind="confirmed"
        )
    with pytest.raises(NotFound):  # the sibling township's staff does not see the person
        actions.record_infection_case(
            actor=epi.r.sibling, person_id=epi.r.person.pk, kind="confirmed"
        )
    with pytest.raises(NotFound):
        actions.record_infection_case(actor=epi.r.community, person_id=10**12, kind="confirmed")
    assert epidemic_state() == before
    assert actions.record_infection_case(
        actor=epi.county, person_id=epi.r.person.pk, kind="confirmed"
    ).pk


def test_kinds_move_forward_and_a_new_kind_is_a_new_report(epi: Epi) -> None:
    three_days_ago = rules.today() - dt.timedelta(days=3)
    suspected = case(epi, epi.r.person, kind="suspected", reported_on=three_days_ago)
    assert rollups.day_figures(GRID, three_days_ago)["cases:suspected"] == 1
    confirmed = actions.change_infection_case(
        suspected.pk, actor=epi.r.community, expected_version=1, kind="confirmed"
    )
    assert (confirmed.kind, confirmed.reported_on, confirmed.version) == (
        "confirmed",
        rules.today(),
        2,
    )
    assert rollups.day_figures(GRID, three_days_ago).get("cases:suspected", 0) == 0
    assert rollups.day_figures(GRID, rules.today())["cases:confirmed"] == 1
    event = AuditEvent.objects.get(action="epidemic.case.change")
    assert event.changes["kind"] == ["suspected", "confirmed"]
    before = epidemic_state()
    for changes in ({"kind": "suspected"}, {"kind": "asymptomatic"}, {"status": "excluded"}):
        with pytest.raises(InvalidInput) as caught:
            actions.change_infection_case(suspected.pk, actor=epi.r.community, **changes)
        assert set(caught.value.details["fields"]) == set(changes)
    with pytest.raises(Conflict):
        actions.change_infection_case(
            suspected.pk, actor=epi.r.community, expected_version=1, status="recovered"
        )
    assert epidemic_state() == before


def test_closing_is_final_and_by_kind(epi: Epi) -> None:
    suspected = case(epi, epi.r.person, kind="suspected")
    excluded = actions.change_infection_case(suspected.pk, actor=epi.r.community, status="excluded")
    assert excluded.status == "excluded"
    assert rollups.current_figures(GRID).get("cases_open:suspected", 0) == 0
    with pytest.raises(InvalidInput):
        actions.change_infection_case(suspected.pk, actor=epi.r.community, kind="confirmed")
    with pytest.raises(InvalidInput):
        actions.change_infection_case(suspected.pk, actor=epi.r.community, status="open")
    # A closed case no longer blocks a new one.
    second = case(epi, epi.r.person, kind="asymptomatic")
    recovered = actions.change_infection_case(second.pk, actor=epi.r.community, status="recovered")
    assert recovered.status == "recovered"
    with pytest.raises(InvalidInput):
        actions.change_infection_case(second.pk, actor=epi.r.community, unknown="x")


# --- contacts -----------------------------------------------------------------------------


def test_the_degree_is_computed_from_the_source(epi: Epi) -> None:
    case(epi, epi.r.person)
    first = link(epi, epi.spouse, epi.r.person, setting="household")
    second = link(epi, epi.r.elder, epi.spouse, setting="gathering")
    assert (first.degree, second.degree) == (1, 2)
    event = AuditEvent.objects.filter(action="epidemic.contact.link").latest("seq")
    assert event.changes["degree"] == 2
    before = epidemic_state()
    with pytest.raises(InvalidInput) as caught:  # a third degree is not traced
        link(epi, epi.r.migrant, epi.r.elder)
    assert "neither a case nor a first-degree contact" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        link(epi, epi.r.person, epi.r.person)
    assert "own source" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        link(epi, epi.spouse, epi.r.person)
    assert "already listed" in caught.value.message
    with pytest.raises(InvalidInput) as caught:  # a loop: the case exposed to its contact
        link(epi, epi.r.person, epi.spouse)
    assert "exposed to the contact already" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        link(epi, epi.r.migrant, epi.r.person, setting="party", last_contact_date="2999-01-01")
    assert set(caught.value.details["fields"]) == {"setting", "last_contact_date"}
    with pytest.raises(NotFound):  # the sibling township's person is not the community's
        link(epi, epi.r.sibling_person, epi.r.person)
    assert epidemic_state() == before


def test_a_contact_who_becomes_a_case_makes_their_contacts_first_degree(epi: Epi) -> None:
    case(epi, epi.r.person)
    link(epi, epi.spouse, epi.r.person)
    link(epi, epi.r.elder, epi.spouse)
    current = rollups.current_figures(COMMUNITY)
    assert (current["contacts:1"], current["contacts:2"]) == (1, 1)
    case(epi, epi.spouse, kind="asymptomatic")
    assert CloseContact.objects.get(person=epi.r.elder).degree == 1
    current = rollups.current_figures(COMMUNITY)
    # The spouse is a case now, not a contact; the elder is first degree.
    assert (current.get("contacts:1", 0), current.get("contacts:2", 0)) == (1, 0)
    assert TALLY.matches_recount()


def test_contacts_of_a_closed_case_are_no_longer_counted(epi: Epi) -> None:
    suspected = case(epi, epi.r.person, kind="suspected")
    link(epi, epi.spouse, epi.r.person)
    link(epi, epi.r.elder, epi.spouse)
    actions.change_infection_case(suspected.pk, actor=epi.r.community, status="excluded")
    current = rollups.current_figures(COMMUNITY)
    assert current.get("contacts:1", 0) == current.get("contacts:2", 0) == 0
    assert TALLY.matches_recount()
    with pytest.raises(InvalidInput):  # an excluded case is no source of first degree
        link(epi, epi.r.migrant, epi.r.person)


def test_the_contact_tree_in_two_queries(epi: Epi, django_assert_num_queries: Any) -> None:
    recorded = case(epi, epi.r.person)
    link(epi, epi.spouse, epi.r.person)
    link(epi, epi.r.elder, epi.r.person)
    link(epi, epi.r.migrant, epi.spouse)
    link(epi, epi.r.elder, epi.spouse)  # first degree already: listed once, at degree 1
    scope_user = epi.r.community
    queries.contact_tree(scope_user, recorded)  # the user's roles read once
    with django_assert_num_queries(2):
        tree = queries.contact_tree(scope_user, recorded)
        names = [
            [link.person.name for link in tree.first],
            [link.person.name for link in tree.second],
        ]
        sources = [link.source.name for link in tree.second]
    assert sorted(names[0]) == sorted([epi.spouse.name, epi.r.elder.name])
    assert names[1] == [epi.r.migrant.name]
    assert sources == [epi.spouse.name]
    assert tree.hidden == 0


def test_contacts_outside_the_area_are_counted_not_shown(epi: Epi) -> None:
    recorded = actions.record_infection_case(
        actor=epi.county, person_id=epi.r.person.pk, kind="confirmed"
    )
    actions.link_close_contact(
        actor=epi.county, person_id=epi.r.sibling_person.pk, source_id=epi.r.person.pk
    )
    link(epi, epi.spouse, epi.r.person)
    tree = queries.contact_tree(epi.r.community, recorded)
    assert [link.person_id for link in tree.first] == [epi.spouse.pk]
    assert tree.hidden == 1
    assert len(queries.contact_tree(epi.county, recorded).first) == 2


def test_unlinking_keeps_the_second_degree_honest(epi: Epi) -> None:
    case(epi, epi.r.person)
    first = link(epi, epi.spouse, epi.r.person)
    second = link(epi, epi.r.elder, epi.spouse)
    before = epidemic_state()
    with pytest.raises(InvalidInput) as caught:
        actions.unlink_close_contact(first.pk, actor=epi.r.community)
    assert "second-degree" in caught.value.message
    with pytest.raises(PermissionDenied):
        actions.unlink_close_contact(second.pk, actor=epi.r.worker)
    with pytest.raises(NotFound):
        actions.unlink_close_contact(second.pk, actor=epi.r.sibling)
    assert epidemic_state() == before
    actions.unlink_close_contact(second.pk, actor=epi.r.community, note="误报")
    actions.unlink_close_contact(first.pk, actor=epi.r.community)
    assert not CloseContact.objects.exists()
    assert rollups.current_figures(COMMUNITY).get("contacts:1", 0) == 0
    event = AuditEvent.objects.filter(action="epidemic.contact.unlink").order_by("seq").first()
    assert event is not None and event.changes["reason"] == "误报"


def test_the_roll_ups_equal_a_recount_after_mixed_traffic(epi: Epi) -> None:
    first = case(
        epi, epi.r.person, kind="suspected", reported_on=rules.today() - dt.timedelta(days=2)
    )
    link(epi, epi.spouse, epi.r.person)
    elder = link(epi, epi.r.elder, epi.spouse)
    link(epi, epi.r.migrant, epi.spouse)
    actions.change_infection_case(first.pk, actor=epi.r.community, kind="confirmed")
    second = case(epi, epi.r.migrant, kind="asymptomatic")
    actions.unlink_close_contact(elder.pk, actor=epi.r.community)
    actions.change_infection_case(second.pk, actor=epi.r.community, status="recovered")
    link(epi, epi.r.elder, epi.r.person)
    assert TALLY.matches_recount()
    kept = {k: v for k, v in rollups.current_figures(GRID[:9]).items() if v}
    # The spouse and the elder exposed to the case; the migrant (recovered) to the spouse.
    assert kept == {"cases_open:confirmed": 1, "contacts:1": 2, "contacts:2": 1}
    TALLY.rebuild()
    assert {k: v for k, v in rollups.current_figures(GRID[:9]).items() if v} == kept


def test_isolation_is_started_for_a_new_contact_only_when_asked(epi: Epi) -> None:
    from gridgov.epidemic.models import IsolationEpisode

    case(epi, epi.r.person)
    case(epi, epi.r.elder)
    link(epi, epi.r.migrant, epi.r.person)
    assert not IsolationEpisode.objects.exists()
    link(epi, epi.spouse, epi.r.person, isolate="home")
    episode = IsolationEpisode.objects.get()
    assert (episode.person_id, episode.kind, episode.reason) == (
        epi.spouse.pk,
        "home",
        "close_contact",
    )
    event = AuditEvent.objects.filter(action="epidemic.contact.link").latest("seq")
    assert event.changes["isolation_id"] == episode.pk
    link(epi, epi.spouse, epi.r.elder, isolate="centralised")  # isolated already
    assert IsolationEpisode.objects.count() == 1
    before = epidemic_state()
    with pytest.raises(InvalidInput) as caught:  # a centralised isolation needs its site
        link(epi, epi.r.migrant, epi.r.elder, isolate="centralised")
    assert set(caught.value.details["fields"]) == {"isolation_place"}
    assert epidemic_state() == before
    link(epi, epi.r.migrant, epi.r.elder, isolate="centralised", isolation_place="卧龙宾馆")
    assert IsolationEpisode.objects.get(person=epi.r.migrant).place == "卧龙宾馆"

"""Health codes: the rules on day boundaries in Asia/Shanghai, escalation, the return to
green after consecutive normal days, decisions, and the signed token."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gridgov.core.errors import InvalidInput, PermissionDenied
from gridgov.epidemic import rollups, rules, signing
from gridgov.epidemic.actions import declarations as actions
from gridgov.epidemic.actions import health_code as code_actions
from gridgov.epidemic.models import EpidemicSettings, HealthCode, HealthCodeChange, RiskArea
from gridgov.epidemic.tests.fixtures import Epi, key, local

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def declare(epi: Epi, when: dt.datetime, **fields: object) -> None:
    actions.record_declaration(
        actor=epi.r.worker,
        person_id=epi.r.person.pk,
        client_key=key(),
        declared_at=when,
        **fields,
    )


def code(epi: Epi) -> HealthCode:
    return HealthCode.objects.get(person=epi.r.person)


@pytest.fixture
def three_days(epi: Epi) -> Epi:
    """Yellow returns to green after 3 normal days (the 7-day rule needs 8 days of history,
    more than a declaration may be back-dated)."""
    code_actions.update_settings(actor=epi.command, yellow_normal_days=3, red_normal_days=4)
    return epi


def test_days_are_calendar_days_in_shanghai() -> None:
    # 15:59 and 16:01 UTC are 23:59 and 00:01 in Shanghai: two days.
    assert rules.day_of(dt.datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == dt.date(2026, 3, 1)
    assert rules.day_of(dt.datetime(2026, 3, 1, 16, 1, tzinfo=UTC)) == dt.date(2026, 3, 2)
    # A time without offset (a phone's clock) is local time.
    assert rules.aware(dt.datetime(2026, 3, 1, 23, 59)).utcoffset() == dt.timedelta(hours=8)


def test_declarations_at_2359_and_0001_are_two_consecutive_days(three_days: Epi) -> None:
    epi = three_days
    start = rules.today() - dt.timedelta(days=5)
    declare(epi, local(start, 9), temperature="38.1")
    assert code(epi).colour == "yellow"
    declare(epi, local(start + dt.timedelta(days=1), 23, 59), temperature="36.5")
    declare(epi, local(start + dt.timedelta(days=2), 0, 1), temperature="36.5")  # 2 minutes later
    assert (code(epi).colour, code(epi).normal_days) == ("yellow", 2)
    declare(epi, local(start + dt.timedelta(days=3), 23, 59), temperature="36.4")
    row = code(epi)
    assert (row.colour, row.reason) == ("green", "normal_days")
    changes = list(HealthCodeChange.objects.filter(person=epi.r.person).order_by("at"))
    assert [(c.from_colour, c.to_colour) for c in changes] == [
        ("green", "yellow"),
        ("yellow", "green"),
    ]
    assert changes[0].date == start  # the change is dated by the Shanghai day


def test_0001_and_2359_of_one_day_count_one_day(three_days: Epi) -> None:
    epi = three_days
    start = rules.today() - dt.timedelta(days=5)
    declare(epi, local(start, 9), symptoms=["cough"])
    day1 = start + dt.timedelta(days=1)
    declare(epi, local(day1, 0, 1), temperature="36.5")
    declare(epi, local(day1, 23, 59), temperature="36.6")
    declare(epi, local(day1 + dt.timedelta(days=1), 12), temperature="36.6")
    assert (code(epi).colour, code(epi).normal_days) == ("yellow", 2)


def test_the_declaration_day_itself_does_not_count(three_days: Epi) -> None:
    """A normal declaration later on the day of the fever is not a normal day."""
    epi = three_days
    start = rules.today() - dt.timedelta(days=4)
    declare(epi, local(start, 8), temperature="38.0")
    declare(epi, local(start, 20), temperature="36.5")
    for n in (1, 2):
        declare(epi, local(start + dt.timedelta(days=n), 12), temperature="36.5")
    assert (code(epi).colour, code(epi).normal_days) == ("yellow", 2)


def test_a_missed_day_breaks_the_run_and_an_abnormal_day_restarts_it(three_days: Epi) -> None:
    epi = three_days
    start = rules.today() - dt.timedelta(days=6)
    declare(epi, local(start, 8), temperature="38.0")
    declare(epi, local(start + dt.timedelta(days=1), 8), temperature="36.5")
    declare(epi, local(start + dt.timedelta(days=2), 8), temperature="36.5")
    # day 3 missed
    declare(epi, local(start + dt.timedelta(days=4), 8), temperature="36.5")
    assert (code(epi).colour, code(epi).normal_days) == ("yellow", 2)
    declare(epi, local(start + dt.timedelta(days=5), 8), symptoms=["fatigue"])
    assert (code(epi).colour, code(epi).normal_days) == ("yellow", 0)
    assert code(epi).count_from == start + dt.timedelta(days=5)


def test_contact_turns_red_and_red_needs_its_own_run(three_days: Epi) -> None:
    epi = three_days
    start = rules.today() - dt.timedelta(days=6)
    declare(epi, local(start, 8), contact=True)
    assert (code(epi).colour, code(epi).reason, code(epi).required_days) == ("red", "contact", 4)
    # A fever does not lower red to yellow; it restarts the count.
    declare(epi, local(start + dt.timedelta(days=1), 8), temperature="38.3")
    assert (code(epi).colour, code(epi).count_from) == ("red", start + dt.timedelta(days=1))
    for n in range(2, 5):
        declare(epi, local(start + dt.timedelta(days=n), 8), temperature="36.5")
    assert code(epi).colour == "red"
    declare(epi, local(start + dt.timedelta(days=5), 8), temperature="36.5")
    assert code(epi).colour == "green"
    assert rollups.current_figures(epi.r.person.grid_code) == {"code:red": 0}


def test_late_declarations_give_the_same_code_as_in_order(three_days: Epi) -> None:
    epi = three_days
    start = rules.today() - dt.timedelta(days=5)
    declare(epi, local(start, 8), temperature="38.0")
    # A phone that was offline sends days 3, 1, 2 in that order.
    for n in (3, 1, 2):
        declare(epi, local(start + dt.timedelta(days=n), 8), temperature="36.5")
    assert code(epi).colour == "green"


def test_travel_from_a_high_risk_area_turns_red_and_declaring_it_again_does_not_restart(
    three_days: Epi,
) -> None:
    epi = three_days
    start = rules.today() - dt.timedelta(days=6)
    RiskArea.objects.create(
        region_code="4113", division_code="4201", name="武汉市", level="high", valid_from=start
    )
    declare(epi, local(start, 8), travel_code="420102")
    assert (code(epi).colour, code(epi).reason) == ("red", "risk_travel")
    for n in range(1, 5):
        declare(epi, local(start + dt.timedelta(days=n), 8), travel_code="420102")
    assert code(epi).colour == "green"
    assert code(epi).normal_days == 4


def test_a_decision_with_hold_is_not_lifted_by_normal_days(three_days: Epi) -> None:
    epi = three_days
    code_actions.set_health_code(
        epi.r.person.pk, actor=epi.county, colour="red", note="密接", hold=True
    )
    for n in range(1, 6):
        declare(epi, local(rules.today() - dt.timedelta(days=6 - n), 8), temperature="36.5")
    assert code(epi).colour == "red"
    code_actions.set_health_code(epi.r.person.pk, actor=epi.county, colour="green", note="解除")
    assert code(epi).colour == "green"
    assert rollups.as_plain(rollups.kept_codes()) == rollups.as_plain(rollups.count_codes())


def test_only_managers_over_the_grid_decide_and_the_rules_are_the_citys(epi: Epi) -> None:
    with pytest.raises(PermissionDenied):
        code_actions.set_health_code(epi.r.person.pk, actor=epi.r.worker, colour="red", note="x")
    from gridgov.core.errors import NotFound

    with pytest.raises(NotFound):
        code_actions.set_health_code(
            epi.r.person.pk, actor=epi.other_county, colour="red", note="x"
        )
    with pytest.raises(InvalidInput):
        code_actions.set_health_code(epi.r.person.pk, actor=epi.county, colour="red", note="")
    with pytest.raises(PermissionDenied):  # a county's command centre: not the city's rules
        code_actions.update_settings(actor=epi.county, yellow_normal_days=5)
    with pytest.raises(InvalidInput) as caught:
        code_actions.update_settings(actor=epi.command, fever_threshold="45")
    assert "fever_threshold" in caught.value.details["fields"]
    assert not HealthCode.objects.exists()


def test_the_fever_threshold_is_configurable(epi: Epi) -> None:
    code_actions.update_settings(actor=epi.command, fever_threshold=Decimal("37.0"))
    assert EpidemicSettings.current().fever_threshold == Decimal("37.0")
    declare(epi, dt.datetime.now(UTC), temperature="37.1")
    assert code(epi).colour == "yellow"


# --- the signed token ---------------------------------------------------------------------


def test_a_token_verifies_offline_with_the_public_key_only(epi: Epi) -> None:
    day = rules.today()
    token = signing.sign(epi.r.person.pk, "yellow", day)
    public = signing.load_public_key(signing.public_key_text())
    found = signing.verify(token, public)
    assert (found.valid, found.colour, found.day) == (True, "yellow", day)
    assert found.pseudonym == signing.pseudonym(epi.r.person.pk)
    # The token names nobody: its payload is the pseudonym, the colour, the day, the key.
    fields = signing._unb64(token.split(".")[1]).decode().split("|")
    assert fields[0] == found.pseudonym != str(epi.r.person.pk) and len(fields) == 4
    assert found.is_for(day) and not found.is_for(day + dt.timedelta(days=1))


def test_an_altered_or_foreign_token_is_refused(epi: Epi) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    token = signing.sign(epi.r.person.pk, "red", rules.today())
    prefix, payload, signature = token.split(".")
    green = signing._b64(signing._unb64(payload).replace(b"|red|", b"|green|"))
    assert signing.verify(f"{prefix}.{green}.{signature}").reason == "bad_signature"
    other = Ed25519PrivateKey.generate().public_key()
    assert signing.verify(token, other).reason == "unknown_key"
    assert signing.verify("nonsense").reason == "malformed"
    assert signing.verify("HC1.!!.??").reason == "malformed"

"""ID numbers, phone numbers, masks and ages (registry.identity): pure functions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.core.errors import InvalidInput
from gridgov.registry import identity
from gridgov.registry.tests.core_fixtures import make_id_number

TODAY = dt.date(2026, 6, 1)


def reason(exc: pytest.ExceptionInfo[InvalidInput], field: str) -> str:
    return exc.value.details["fields"][field]


def test_the_standard_example_parses() -> None:
    parsed = identity.parse_id_number("11010519491231002X", today=TODAY)
    assert parsed == identity.IdNumber(
        number="11010519491231002X",
        area_code="110105",
        birth_date=dt.date(1949, 12, 31),
        sex="F",  # 17th digit 2 is even
        legacy=False,
    )


def test_lower_case_x_spaces_and_dashes_are_normalized() -> None:
    assert identity.parse_id_number(" 110105-19491231-002x ").number == "11010519491231002X"


def test_fifteen_digits_become_eighteen_with_the_1900s_and_a_check_character() -> None:
    parsed = identity.parse_id_number("110105491231002")
    assert parsed.number == "11010519491231002X"
    assert parsed.legacy is True
    assert parsed.birth_date == dt.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "empty"),
        ("1101051949123100", "16 characters"),
        ("11010519491231002XX", "19 characters"),
        ("1101051949123100AX", "only digits"),
        ("11010519491231002Y", "digit or X"),
        ("11010519491231002", "17 characters"),
        ("110105194902300024", "not a date"),  # 30 February
        ("110105189912310021", "before 1900"),
        ("110105203001010021", "in the future"),
        ("110105194912310021", "check character"),
        ("11010549123100A", "only digits"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(raw: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        identity.parse_id_number(raw, today=TODAY)
    assert expected in reason(exc, "id_number")


def test_future_birth_date_with_a_correct_check_character_is_still_refused() -> None:
    number = make_id_number(born=dt.date(2026, 6, 2))
    with pytest.raises(InvalidInput) as exc:
        identity.parse_id_number(number, today=TODAY)
    assert "future" in reason(exc, "id_number")


AREAS = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
BIRTHS = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
SEQUENCES = st.integers(min_value=0, max_value=999)


@given(area=AREAS, born=BIRTHS, seq=SEQUENCES)
def test_generated_valid_numbers_parse_to_what_they_encode(
    area: str, born: dt.date, seq: int
) -> None:
    number = make_id_number(area, born, seq)
    parsed = identity.parse_id_number(number, today=TODAY)
    assert parsed.number == number
    assert parsed.area_code == area
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if seq % 2 else "F")


@given(
    area=AREAS,
    born=BIRTHS,
    seq=SEQUENCES,
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_character_is_detected(
    area: str, born: dt.date, seq: int, position: int, shift: int
) -> None:
    number = make_id_number(area, born, seq)
    if position == 17:
        alphabet = identity.CHECK_CHARS
        replacement = alphabet[(alphabet.index(number[17]) + shift) % len(alphabet)]
    else:
        replacement = str((int(number[position]) + shift) % 10)
    mutated = number[:position] + replacement + number[position + 1 :]
    assert mutated != number
    # Every weight is non-zero modulo the prime 11, so one changed digit always changes the
    # check sum (or breaks the birth date first).
    with pytest.raises(InvalidInput):
        identity.parse_id_number(mutated, today=TODAY)


def test_consistency_names_each_contradicted_field() -> None:
    parsed = identity.parse_id_number("11010519491231002X")
    assert identity.check_consistency(parsed, "F", dt.date(1949, 12, 31)) == []
    assert identity.check_consistency(parsed, None, None) == []
    problems = dict(identity.check_consistency(parsed, "M", dt.date(1950, 1, 1)))
    assert set(problems) == {"sex", "birth_date"}
    assert "1949-12-31" in problems["birth_date"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("0371-12345678", "0371-12345678"),
        ("(0371) 1234567", "0371-1234567"),
        ("037112345678", "0371-12345678"),
        ("010-12345678", "010-12345678"),
        ("02187654321", "021-87654321"),
    ],
)
def test_phone_numbers_are_normalized(raw: str, expected: str) -> None:
    assert identity.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "12812345678", "1381234567", "138123456789", "0371-123456", "371-12345678", "abc"],
)
def test_bad_phone_numbers_are_refused_on_the_phone_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        identity.normalize_phone(raw)
    assert reason(exc, "phone")


def test_masks_keep_only_what_identifies_nobody() -> None:
    assert identity.mask_id_number("41130219800517123X") == "4113**********123X"
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_phone("0371-12345678") == "0371-******78"
    assert identity.mask_phone("010-1234567") == "010-*****67"


def test_age_counts_full_years_including_leap_day_birthdays() -> None:
    born = dt.date(2000, 2, 29)
    assert identity.age_on(born, dt.date(2026, 2, 28)) == 25
    assert identity.age_on(born, dt.date(2026, 3, 1)) == 26
    assert identity.age_on(dt.date(1966, 6, 1), TODAY) == 60


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0-6"),
        (6, "0-6"),
        (7, "7-17"),
        (17, "7-17"),
        (18, "18-34"),
        (34, "18-34"),
        (35, "35-59"),
        (59, "35-59"),
        (60, "60-69"),
        (69, "60-69"),
        (70, "70-79"),
        (79, "70-79"),
        (80, "80+"),
        (110, "80+"),
        (None, "unknown"),
    ],
)
def test_age_bands(age: int | None, band: str) -> None:
    assert identity.age_band(age) == band


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("411302", True),
        ("411302001", True),
        ("411302001001", True),
        ("4113", False),
        ("41130200", False),
        ("000000", False),
        ("41130a", False),
    ],
)
def test_division_codes(code: str, valid: bool) -> None:
    assert identity.valid_division_code(code) is valid

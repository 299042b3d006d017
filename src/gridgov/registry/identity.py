"""Resident ID numbers, phone numbers, masking and ages — pure functions, no database.

Resident ID (GB 11643, domain.md §7): 18 characters = 6-digit area code + birth date
YYYYMMDD + 3-digit sequence (odd = male) + check character over the first 17 digits.
The old 15-digit form (6-digit birth date ``YYMMDD`` of the 1900s, no check character) is
accepted and converted to 18 digits.

Age bands (``AGE_BANDS``) follow the groups the work needs: pre-school children (0–6),
school-age minors (7–17), young adults (18–34), middle age (35–59), and the elderly in
decades (60–69, 70–79, 80+), the bands elderly-care subsidies are paid by.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1900, 1, 1)

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-6", 0, 6),
    ("7-17", 7, 17),
    ("18-34", 18, 34),
    ("35-59", 35, 59),
    ("60-69", 60, 69),
    ("70-79", 70, 79),
    ("80+", 80, None),
)
AGE_BAND_NAMES = tuple(name for name, _lo, _hi in AGE_BANDS)
UNKNOWN_AGE_BAND = "unknown"


@dataclass(frozen=True)
class IdNumber:
    number: str  # 18 characters, check character upper-case
    area_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    legacy: bool  # entered in the old 15-digit form


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(reason, fields={field: reason})


def check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    # map() over C functions: this runs for every row of a million-row import.
    return CHECK_CHARS[sum(map(operator.mul, map(int, first17), WEIGHTS)) % 11]


_ID_SEPARATORS = re.compile(r"[\s-]")


def _birth_date(text: str, today: dt.date | None = None) -> dt.date:
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _invalid("id_number", _("the birth date in the ID number is not a date")) from None
    if born < EARLIEST_BIRTH:
        raise _invalid("id_number", _("the birth date in the ID number is before 1900"))
    if born > (today or dt.date.today()):
        raise _invalid("id_number", _("the birth date in the ID number is in the future"))
    return born


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate and normalize a resident ID number; InvalidInput (field ``id_number``)
    says exactly what is wrong."""
    text = str(raw or "")
    if not (len(text) == 18 and text.isalnum()):  # the common case needs no clean-up
        text = _ID_SEPARATORS.sub("", text)
    text = text.upper()
    if not text:
        raise _invalid("id_number", _("the ID number is empty"))
    if len(text) not in (15, 18):
        raise _invalid(
            "id_number",
            _("the ID number has %(n)d characters; expected 18 (or the old 15)") % {"n": len(text)},
        )
    legacy = len(text) == 15
    digits = text if legacy else text[:17]
    if not (digits.isascii() and digits.isdigit()):
        raise _invalid("id_number", _("the ID number may contain only digits (and a final X)"))
    first17 = text[:6] + "19" + text[6:] if legacy else digits
    # The birth date is checked before the check character: its error is the more telling.
    born = _birth_date(first17[6:14], today)
    if legacy:
        number = first17 + check_char(first17)
    else:
        last = text[17]
        if not (last.isdigit() or last == "X"):
            raise _invalid(
                "id_number", _("the last character of the ID number must be a digit or X")
            )
        if check_char(first17) != last:
            raise _invalid("id_number", _("the check character of the ID number is wrong"))
        number = text
    sex = "M" if int(number[16]) % 2 else "F"
    return IdNumber(number=number, area_code=number[:6], birth_date=born, sex=sex, legacy=legacy)


# For ``plain_id_numbers``: check characters as bytes, days per month (index 1–12).
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_WEIGHT_ARRAY = np.array(WEIGHTS, dtype=np.int64)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_YMD = np.array([1000, 100, 10, 1], dtype=np.int64)

# (sex, ISO birth date, birth year) of a plain ID number; None for any other text.
PlainId = tuple[str, str, int] | None


def plain_id_numbers(texts: Sequence[str], today: dt.date) -> list[PlainId]:
    """For each text, (sex, ISO birth date, birth year) when ``parse_id_number`` would
    accept it unchanged — 18 ASCII characters, 17 digits and a digit or upper-case X, the
    right check character, a real birth date from 1900 to ``today`` — else None, and
    ``parse_id_number`` tells what is wrong (or normalizes it). Checked for all texts at
    once (numpy over the digits): an import checks a million."""
    found: list[PlainId] = [None] * len(texts)
    picked = [i for i, text in enumerate(texts) if len(text) == 18 and text.isascii()]
    if not picked:
        return found
    chars = np.frombuffer("".join([texts[i] for i in picked]).encode(), dtype=np.uint8)
    chars = chars.reshape(-1, 18)
    digits = chars[:, :17].astype(np.int64) - ord("0")
    valid = ((digits >= 0) & (digits <= 9)).all(axis=1)
    valid &= _CHECK_BYTES[(digits @ _WEIGHT_ARRAY) % 11] == chars[:, 17]
    year = digits[:, 6:10] @ _YMD
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ymd = year * 10_000 + month * 100 + day
    valid &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    earliest = EARLIEST_BIRTH.year * 10_000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    valid &= (ymd >= earliest) & (ymd <= today.year * 10_000 + today.month * 100 + today.day)
    male = (digits[:, 16] % 2 == 1).tolist()
    for i, ok, is_male, born in zip(picked, valid.tolist(), male, year.tolist(), strict=True):
        if ok:
            text = texts[i]
            found[i] = ("M" if is_male else "F", f"{text[6:10]}-{text[10:12]}-{text[12:14]}", born)
    return found


def check_consistency(
    id_number: IdNumber, sex: str | None, birth_date: dt.date | None
) -> list[tuple[str, str]]:
    """(field, reason) for each entered value that contradicts what the ID number implies."""
    errors: list[tuple[str, str]] = []
    if sex and sex != id_number.sex:
        errors.append(("sex", _("does not match the sex the ID number implies")))
    if birth_date and birth_date != id_number.birth_date:
        errors.append(
            (
                "birth_date",
                _("does not match the birth date in the ID number (%(date)s)")
                % {"date": id_number.birth_date.isoformat()},
            )
        )
    return errors


_MOBILE = re.compile(r"1[3-9]\d{9}")
# 0 + 2–3 digit area code (010, 020–029 are two digits; others three) + 7–8 digit number.
_LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d{2})\d{7,8}")


def normalize_phone(raw: str) -> str:
    """A mobile number as 11 digits, a landline as ``0371-12345678``; InvalidInput
    (field ``phone``) otherwise. Separators and a +86/86/0086 country prefix are dropped."""
    text = re.sub(r"[\s\-()（）.]", "", str(raw or ""))
    if text.startswith("+"):
        text = text[1:]
    if text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) > 11:
        text = text[2:]
    if _MOBILE.fullmatch(text):
        return text
    if _LANDLINE.fullmatch(text):
        area_len = 3 if text[1] in "12" else 4
        return f"{text[:area_len]}-{text[area_len:]}"
    if not text:
        raise _invalid("phone", _("the phone number is empty"))
    raise _invalid(
        "phone",
        _("not a mobile number (11 digits starting 13–19) or a landline with its area code"),
    )


def plain_phones(texts: Sequence[str]) -> list[bool]:
    """For each text, whether ``normalize_phone`` returns it unchanged: a mobile number of
    11 digits with nothing to clean up."""
    return [match is not None for match in map(_MOBILE.fullmatch, texts)]


def mask_id_number(number: str) -> str:
    """``4113**********123X``: the area (first 4) and the last 4 characters."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """Mobile ``138****5678``; landline ``0371-******78`` (area code and last 2)."""
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 2, 0)}{number[-2:]}"
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years of age on ``day``."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def age_band(age: int | None) -> str:
    """The band of ``AGE_BANDS`` an age falls in (``unknown`` for None)."""
    if age is None or age < 0:
        return UNKNOWN_AGE_BAND
    for name, _lo, hi in AGE_BANDS:
        if hi is None or age <= hi:
            return name
    return AGE_BAND_NAMES[-1]


def band_bounds(name: str) -> tuple[int, int | None]:
    """(youngest, oldest or None) of a band name; ValueError for an unknown name."""
    for band, lo, hi in AGE_BANDS:
        if band == name:
            return lo, hi
    raise ValueError(name)


DIVISION_CODE = re.compile(r"\d{6}(?:\d{3}){0,2}")


def valid_division_code(code: str) -> bool:
    """A division code anywhere in China: 6 (county), 9 (township) or 12 (village) digits."""
    return bool(DIVISION_CODE.fullmatch(code)) and code[:2] != "00"

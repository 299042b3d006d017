"""The residents' public pages: identity checked without telling who is registered,
rate limits per address and per ID number, declaring for the household, the code page,
and verifying a code on the page and on the command line."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.test import Client

from gridgov.cli import main as gridgov
from gridgov.epidemic import rules, signing
from gridgov.epidemic.models import DeclarationDay, HealthDeclaration
from gridgov.epidemic.tests.fixtures import SPOUSE_ID, Epi, epidemic_state
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import make_id_number
from gridgov.registry.tests.web_fixtures import ID_NUMBER

pytestmark = pytest.mark.django_db

IDENTIFY = "/epidemic/public/"
HOUSEHOLD = "/epidemic/public/household/"
UNREGISTERED = make_id_number("411302", dt.date(1975, 1, 2), 311)
# Masked CSRF tokens differ in every response (the form's and the htmx header's).
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def attempt(client: Client, name: str, id_number: str, ip: str = "10.0.0.1") -> tuple[int, str]:
    response = client.post(
        IDENTIFY, {"name": name, "id_number": id_number}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en"
    )
    return response.status_code, CSRF.sub("", response.content.decode())


def test_the_right_name_and_number_open_the_household(epi: Epi, client: Client) -> None:
    response = client.post(IDENTIFY, {"name": "王建国", "id_number": ID_NUMBER})
    assert response.status_code == 302 and response["Location"] == HOUSEHOLD
    page = client.get(HOUSEHOLD).content.decode()
    assert "王*国" in page and "张*" in page  # both members, names masked
    assert "王建国" not in page and ID_NUMBER not in page
    assert epi.r.elder.name not in page  # another household


def test_wrong_guesses_get_one_answer_whoever_is_registered(epi: Epi, client: Client) -> None:
    wrong_name = attempt(client, "李四", ID_NUMBER)  # registered number, wrong name
    unknown = attempt(client, "李四", UNREGISTERED)  # nobody has this number
    registry_actions.record_status(
        epi.spouse.pk, actor=epi.r.worker, status="moved_out", date=rules.today()
    )
    moved = attempt(client, "张丽", SPOUSE_ID)  # moved away
    assert wrong_name == unknown
    assert moved[0] == unknown[0]
    assert moved[1].replace("张丽", "李四") == unknown[1]
    assert unknown[0] == 200 and "could not confirm" in unknown[1]
    assert client.get(HOUSEHOLD).status_code == 302  # still not identified


def test_a_number_that_is_no_id_number_is_told_apart(epi: Epi, client: Client) -> None:
    status, body = attempt(client, "王建国", "411302198005171234")
    assert status == 422 and "check character" in body


def test_attempts_are_limited_per_address(epi: Epi, client: Client, settings) -> None:
    settings.GRIDGOV_EPIDEMIC_IDENTIFY_PER_HOUR = 3
    for _ in range(3):
        assert attempt(client, "李四", UNREGISTERED, ip="10.0.0.9")[0] == 200
    # Over the limit even the right answer is refused, and says nothing more.
    refused = attempt(client, "王建国", ID_NUMBER, ip="10.0.0.9")
    assert refused[0] == 429
    assert attempt(client, "李四", UNREGISTERED, ip="10.0.0.9") == refused
    assert attempt(client, "王建国", ID_NUMBER, ip="10.0.0.10")[0] == 302  # another address


def test_attempts_are_limited_per_id_number_from_any_address(
    epi: Epi, client: Client, settings
) -> None:
    settings.GRIDGOV_EPIDEMIC_IDENTIFY_PER_IDENTITY = 2
    for n in range(2):
        attempt(client, "李四", ID_NUMBER, ip=f"10.1.0.{n}")
        attempt(client, "李四", UNREGISTERED, ip=f"10.2.0.{n}")
    registered = attempt(client, "王建国", ID_NUMBER, ip="10.1.0.9")
    unknown = attempt(client, "王建国", UNREGISTERED, ip="10.2.0.9")
    assert registered == unknown and registered[0] == 429


def identified(client: Client) -> Client:
    assert client.post(IDENTIFY, {"name": "王建国", "id_number": ID_NUMBER}).status_code == 302
    return client


def form_data(person_id: int, key: str, **fields: str) -> dict[str, str]:
    data = {f"p{person_id}-person_id": str(person_id), f"p{person_id}-client_key": key}
    data.update({f"p{person_id}-{name}": value for name, value in fields.items()})
    return data


def test_a_resident_declares_for_the_household_once_per_form(epi: Epi, client: Client) -> None:
    identified(client)
    url = f"/epidemic/public/household/{epi.spouse.pk}/declare/"
    data = form_data(epi.spouse.pk, "a" * 32, temperature="36.6", travel_code="4201")
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same form sent again
    declaration = HealthDeclaration.objects.get()
    assert (declaration.person_id, declaration.declared_by, declaration.channel) == (
        epi.spouse.pk,
        "household",
        "public",
    )
    assert declaration.recorded_by is None and declaration.travel_code == "4201"
    assert DeclarationDay.objects.get().declarations == 1
    bad = form_data(epi.spouse.pk, "b" * 32, temperature="60")
    response = client.post(url, bad)
    assert response.status_code == 422 and HealthDeclaration.objects.count() == 1


def test_a_resident_declares_for_nobody_else(epi: Epi, client: Client) -> None:
    identified(client)
    before = epidemic_state()
    url = f"/epidemic/public/household/{epi.r.elder.pk}/declare/"
    assert client.post(url, form_data(epi.r.elder.pk, "c" * 32)).status_code == 404
    assert client.get(f"/epidemic/public/household/{epi.r.elder.pk}/code/").status_code == 404
    assert epidemic_state() == before


def test_without_identification_the_household_pages_send_back(epi: Epi, client: Client) -> None:
    for url in (
        HOUSEHOLD,
        f"/epidemic/public/household/{epi.spouse.pk}/code/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == IDENTIFY
    before = epidemic_state()
    url = f"/epidemic/public/household/{epi.spouse.pk}/declare/"
    assert client.post(url, form_data(epi.spouse.pk, "d" * 32)).status_code == 302
    assert epidemic_state() == before


def test_the_code_page_shows_a_signed_code_a_checkpoint_verifies(epi: Epi, client: Client) -> None:
    identified(client)
    page = client.get(f"/epidemic/public/household/{epi.spouse.pk}/code/").content.decode()
    assert "<svg" in page and "张*" in page and "张丽" not in page
    token = re.search(r"(HC1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)", page)
    assert token is not None
    found = signing.verify(token.group(1))
    assert (found.valid, found.colour, found.day) == (True, "green", rules.today())
    checked = (
        Client(HTTP_ACCEPT_LANGUAGE="en")
        .post("/epidemic/verify/", {"token": token.group(1)})
        .content.decode()
    )
    assert "Valid, issued today." in checked
    forged = token.group(1)[:-4] + ("AAAA" if not token.group(1).endswith("AAAA") else "BBBB")
    refused = Client(HTTP_ACCEPT_LANGUAGE="en").get("/epidemic/verify/", {"token": forged})
    assert "NOT VALID" in refused.content.decode()
    assert gridgov(["--lang", "en", "epidemic", "verify-code", token.group(1)]) == 0
    assert gridgov(["--lang", "en", "epidemic", "verify-code", forged]) == 1
    public_key = signing.public_key_text()
    assert Client().get("/epidemic/verify/public-key.txt").content.decode().strip() == public_key
    command = ["--lang", "en", "epidemic", "verify-code", token.group(1)]
    assert gridgov([*command, f"--public-key={public_key}"]) == 0
    # A key whose text begins with "-" (one in 64) is read too, written as the help says.
    other = base64.urlsafe_b64encode(bytes([0xF8]) + bytes(31)).rstrip(b"=").decode()
    assert other.startswith("-")
    assert gridgov([*command, f"--public-key={other}"]) == 1  # read, then refused: another key


def test_leaving_forgets_the_household(epi: Epi, client: Client) -> None:
    identified(client)
    assert client.post("/epidemic/public/leave/").status_code == 302
    assert client.get(HOUSEHOLD).status_code == 302

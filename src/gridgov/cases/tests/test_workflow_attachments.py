"""Photos and documents: type by content, size limit, metadata stripped, thumbnails, files
of refused actions removed, scoped and public downloads; the reporter's phone at rest."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from gridgov.audit.models import AuditEvent
from gridgov.cases import attachments
from gridgov.cases import privacy as case_privacy
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Attachment, Case, Stage
from gridgov.cases.tests.workflow_fixtures import (
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    photo,
    world,
)
from gridgov.core import crypto
from gridgov.core.errors import Conflict, InvalidInput
from gridgov.core.system import SYSTEM
from gridgov.registry import keys
from gridgov.registry.tests.core_fixtures import keyring

__all__ = ["_english", "_fresh_locate_index", "_media", "keyring", "world"]

pytestmark = pytest.mark.django_db
GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def located_photo(fmt: str = "JPEG", *, rotated: bool = False) -> SimpleUploadedFile:
    """A photo a phone would send: GPS position, camera make, XMP, maybe turned."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (33.0, 5.0, 24.0), 3: "E", 4: (112.0, 24.0, 36.0)}
    if rotated:
        exif[ORIENTATION] = 6
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 200)).save(out, format=fmt, exif=exif, xmp=XMP)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the sample carries GPS"
    return SimpleUploadedFile(f"IMG_0001.{fmt.lower()}", data)


def stored_bytes(attachment: Attachment, *, thumbnail: bool = False) -> bytes:
    handle, _type = attachments.open_stored(attachment, thumbnail=thumbnail)
    with handle:
        return handle.read()


def files_in(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_location_and_every_other_metadata_are_stripped(world: World, fmt: str) -> None:
    case = world.report(photos=[located_photo(fmt)])
    attachment = Attachment.objects.get(case=case)
    for thumbnail in (False, True):
        data = stored_bytes(attachment, thumbnail=thumbnail)
        image = Image.open(io.BytesIO(data))
        assert not image.getexif(), image.getexif()
        assert b"PhoneMaker" not in data and b"xmpmeta" not in data
        assert "exif" not in image.info and "xmp" not in image.info
    assert attachment.content_type == f"image/{fmt.lower()}"
    assert (attachment.width, attachment.height) == (640, 480)
    thumb = Image.open(io.BytesIO(stored_bytes(attachment, thumbnail=True)))
    assert thumb.format == "JPEG" and max(thumb.size) == 320


def test_a_turned_photo_is_stored_upright(world: World) -> None:
    case = world.report(photos=[located_photo(rotated=True)])
    attachment = Attachment.objects.get(case=case)
    assert (attachment.width, attachment.height) == (480, 640)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.jpg", b"just some text pretending", "is not a JPEG, PNG or WebP photo"),
        ("script.png", b"<svg onload=alert(1)>", "is not a JPEG, PNG or WebP photo"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "is damaged"),
    ],
)
def test_files_are_judged_by_their_content_not_their_name(
    world: World, _media: Path, name: str, content: bytes, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.report(photos=[SimpleUploadedFile(name, content, content_type="image/jpeg")])
    assert reason in refused.value.details["fields"]["photos"]
    assert Case.objects.count() == 0 and files_in(_media) == []


def test_too_big_and_too_many_are_refused(world: World, settings: Any, _media: Path) -> None:
    with pytest.raises(InvalidInput) as many:
        world.report(photos=[photo() for _ in range(attachments.MAX_FILES + 1)])
    assert "at most 9" in many.value.details["fields"]["photos"]
    settings.GRIDGOV_ATTACHMENT_MAX_MB = 0.01  # about 10 KB
    big = photo(size=(1200, 1200), quality=100)
    assert big.size > 10 * 1024
    with pytest.raises(InvalidInput) as refused:
        world.report(photos=[big])
    assert "larger than 0.01 MB" in refused.value.details["fields"]["photos"]
    assert Case.objects.count() == 0 and files_in(_media) == []


def test_a_pdf_is_kept_as_sent_without_a_thumbnail(world: World) -> None:
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    case = world.report(photos=[SimpleUploadedFile("scan.pdf", pdf)])
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "application/pdf" and not attachment.thumbnail
    assert stored_bytes(attachment) == pdf


def test_a_refused_move_leaves_no_file_behind(world: World, _media: Path) -> None:
    case = case_at(world, Stage.ACCEPTED)
    with pytest.raises(Conflict):
        actions.dispose_case(
            case.pk, actor=world.handler, version=case.version - 1, result="好", photos=[photo()]
        )
    assert files_in(_media) == [] and not Attachment.objects.exists()
    disposed = actions.dispose_case(
        case.pk, actor=world.handler, version=case.version, result="好", photos=[photo()]
    )
    assert disposed.attachments.get().purpose == "disposal"
    assert len(files_in(_media)) == 2  # the photo and its thumbnail


# --- downloads ----------------------------------------------------------------------------


def get(user: Any, url: str) -> Any:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_a_case_file_is_served_only_to_those_who_see_the_case(world: World) -> None:
    case = world.report(photos=[photo()])
    url = f"/api/v1/cases/attachments/{case.attachments.get().pk}"
    assert get(None, url).status_code == 401
    for outsider in (world.other_supervision, world.other_worker, world.citizen, world.handler):
        response = get(outsider, url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    for insider in (world.supervision, world.worker, world.command):
        response = get(insider, url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
    thumb = get(world.supervision, f"{url}?thumbnail=1")
    assert max(Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size) == 320
    assert get(world.supervision, "/api/v1/cases/attachments/999999").status_code == 404


def test_the_public_sees_only_the_reporters_photos(world: World) -> None:
    case = case_at(world, Stage.ACCEPTED, photos=[located_photo()])
    case = actions.dispose_case(
        case.pk, actor=world.handler, version=case.version, result="好", photos=[photo()]
    )
    report_photo, disposal_photo = case.attachments.order_by("pk")
    base = f"/api/v1/cases/track/{case.public_token}"
    tracked = get(None, base).json()
    assert [p["id"] for p in tracked["photos"]] == [report_photo.pk]
    served = get(None, f"{base}/photos/{report_photo.pk}")
    assert served.status_code == 200
    assert b"PhoneMaker" not in b"".join(served.streaming_content)
    assert get(None, f"{base}/photos/{disposal_photo.pk}").status_code == 404
    other = world.report()
    assert (
        get(None, f"/api/v1/cases/track/{other.public_token}/photos/{report_photo.pk}").status_code
        == 404
    )


# --- the reporter's phone -----------------------------------------------------------------


def test_the_reporters_phone_is_encrypted_at_rest_and_shown_masked(world: World) -> None:
    case = world.report(reporter_phone="138-1234-5678", reporter_name="张三")
    row = Case.objects.values(
        "reporter_phone_enc", "reporter_phone_hash", "reporter_phone_masked", "key_id"
    ).get()
    assert b"13812345678" not in bytes(row["reporter_phone_enc"])
    assert row["reporter_phone_hash"] == crypto.lookup_hash("13812345678")
    assert row["reporter_phone_masked"] == "138****5678" and row["key_id"]
    assert case_privacy.reporter_phone(Case.objects.get()) == "13812345678"
    report = AuditEvent.objects.get(action="cases.report")
    assert "13812345678" not in str(report.changes)
    detail = Client()
    detail.force_login(world.supervision)
    body = detail.get(f"/api/v1/cases/{case.pk}").content.decode()
    assert "138****5678" in body and "13812345678" not in body
    public = Client().get(f"/api/v1/cases/track/{case.public_token}").content.decode()
    assert "5678" not in public and "张三" not in public
    assert world.report(reporter_phone="").key_id == ""


def test_key_rotation_reseals_the_reporters_phone(world: World, keyring: Path) -> None:
    case = world.report(reporter_phone="13912345678")
    old_key = case.key_id
    result = keys.rotate(actor=SYSTEM)
    case.refresh_from_db()
    assert result.per_table["cases.case"] == 1 and case.key_id == result.new_key_id != old_key
    assert case_privacy.reporter_phone(case) == "13912345678"
    assert case.reporter_phone_hash == crypto.lookup_hash("13912345678")

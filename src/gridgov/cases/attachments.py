"""Photos and documents of cases and components.

What is accepted is decided by the file's first bytes, never its name: JPEG, PNG, WebP
and PDF, up to ``GRIDGOV_ATTACHMENT_MAX_MB`` (10 MB by default). Images are decoded and
written again with Pillow — turned upright by their EXIF orientation, then saved without
any metadata (EXIF with its GPS position, XMP, comments, ICC profile), at most
``MAX_SIDE`` pixels on the long side — and get a JPEG thumbnail of ``THUMBNAIL_SIDE``
pixels. A PDF is kept as sent and is never shown to the public.

Files go to Django's default storage: a folder under ``MEDIA_ROOT`` (in GRIDGOV_HOME), or
an S3-compatible bucket when ``GRIDGOV_S3_BUCKET`` is set (settings.py). Their names are
random and nothing serves that folder: files are read back only through scoped views
(``queries.workflow.get_attachment_for`` / ``get_public_photo``).

Files are written inside the action that attaches them; ``discarded_on_error`` deletes
the ones an action wrote when it fails, so a refused action leaves no file behind.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gridgov.cases.models import Attachment, AttachmentPurpose
from gridgov.core.errors import InvalidInput

MAX_FILES = 9  # per action, like a phone's photo picker
MAX_SIDE = 4096
THUMBNAIL_SIDE = 320
MAX_PIXELS = 50_000_000  # a bigger image is refused before it is decoded
JPEG_QUALITY = 85

# (content type, extension, Pillow format or None for a document)
JPEG = ("image/jpeg", "jpg", "JPEG")
PNG = ("image/png", "png", "PNG")
WEBP = ("image/webp", "webp", "WEBP")
PDF = ("application/pdf", "pdf", None)


@dataclass
class Prepared:
    """A checked, cleaned file ready to be stored."""

    content: bytes
    content_type: str
    extension: str
    original_name: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def max_bytes() -> int:
    return int(float(settings.GRIDGOV_ATTACHMENT_MAX_MB) * 1024 * 1024)


def _refuse(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{_('Photos')}: {reason}", fields={field: reason})


def sniff(head: bytes) -> tuple[str, str, str | None] | None:
    """The kind of file its first bytes say it is, None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def _read(file: Any, field: str) -> bytes:
    """The file's bytes, refusing it as soon as it is larger than the limit."""
    limit = max_bytes()
    if getattr(file, "size", None) is not None and file.size > limit:
        raise _too_big(file, field)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise _too_big(file, field)
    return bytes(data)


def _too_big(file: Any, field: str) -> InvalidInput:
    return _refuse(
        field,
        _("%(name)s is larger than %(mb)s MB")
        % {"name": _name(file), "mb": f"{float(settings.GRIDGOV_ATTACHMENT_MAX_MB):g}"},
    )


def _name(file: Any) -> str:
    return str(getattr(file, "name", "") or _("the file")).rsplit("/", 1)[-1][:200]


def _encode(image: Image.Image, fmt: str) -> bytes:
    """The image written afresh in ``fmt``: pixels only, no metadata of any kind."""
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.info = {}
    out = io.BytesIO()
    options: dict[str, Any] = {"exif": b""}
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=JPEG_QUALITY)
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGB") if image.mode != "RGB" else image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return _encode(small, "JPEG")


def _clean_image(data: bytes, fmt: str, file: Any, field: str) -> Prepared:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise _refuse(field, _("%(name)s has too many pixels") % {"name": _name(file)})
                opened.load()
                image = ImageOps.exif_transpose(opened) or opened.copy()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, Warning):
        # Pillow reports a broken or hostile file in many ways; all mean "cannot use it".
        raise _refuse(
            field, _("%(name)s is damaged and cannot be read") % {"name": _name(file)}
        ) from None
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    content_type, extension, _fmt = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}[fmt]
    return Prepared(
        content=_encode(image, fmt),
        content_type=content_type,
        extension=extension,
        original_name=_name(file),
        width=image.width,
        height=image.height,
        thumbnail=_thumbnail(image),
    )


def prepare(file: Any, field: str = "photos") -> Prepared:
    """Check one uploaded file and clean it (InvalidInput naming ``field`` otherwise)."""
    data = _read(file, field)
    kind = sniff(data[:16])
    if kind is None:
        raise _refuse(
            field,
            _("%(name)s is not a JPEG, PNG or WebP photo or a PDF document")
            % {"name": _name(file)},
        )
    content_type, extension, fmt = kind
    if fmt is None:
        return Prepared(data, content_type, extension, _name(file))
    return _clean_image(data, fmt, file, field)


def prepare_all(files: Iterable[Any] | None, field: str = "photos") -> list[Prepared]:
    """``prepare`` for every file of an action (at most ``MAX_FILES``)."""
    files = [f for f in (files or ()) if f]
    if len(files) > MAX_FILES:
        raise _refuse(field, _("at most %(n)d files at a time") % {"n": MAX_FILES})
    return [prepare(f, field) for f in files]


# --- storing ------------------------------------------------------------------------------

_written: ContextVar[list[str] | None] = ContextVar("gridgov_written_files", default=None)


@contextmanager
def discarded_on_error() -> Iterator[None]:
    """Delete the files stored inside the block when the block fails (the outermost
    block of nested ones owns the list)."""
    if _written.get() is not None:
        yield
        return
    token = _written.set([])
    try:
        yield
    except BaseException:
        for name in _written.get() or []:
            # A file left behind is harmless; the action's own error is what matters.
            with suppress(OSError):
                default_storage.delete(name)
        raise
    finally:
        _written.reset(token)


def _save(name: str, content: bytes) -> str:
    stored = default_storage.save(name, ContentFile(content))
    written = _written.get()
    if written is not None:
        written.append(stored)
    return stored


def save(
    prepared: Prepared,
    *,
    case: Any = None,
    component: Any = None,
    purpose: str,
    actor: Any,
) -> Attachment:
    """Store a prepared file and its thumbnail and record the attachment."""
    if purpose not in AttachmentPurpose.values:
        raise ValueError(f"unknown attachment purpose {purpose!r}")
    if case is None and component is None:
        raise ValueError("an attachment belongs to a case or a component")
    now = timezone.now()
    folder = "cases" if case is not None else "components"
    stem = f"{folder}/{now:%Y/%m}/{uuid.uuid4().hex}"
    name = _save(f"{stem}.{prepared.extension}", prepared.content)
    thumbnail = _save(f"{stem}-thumb.jpg", prepared.thumbnail) if prepared.thumbnail else ""
    return Attachment.objects.create(
        case=case,
        component=component,
        purpose=purpose,
        file=name,
        thumbnail=thumbnail,
        original_name=prepared.original_name,
        content_type=prepared.content_type,
        size=len(prepared.content),
        sha256=hashlib.sha256(prepared.content).hexdigest(),
        width=prepared.width,
        height=prepared.height,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        uploaded_at=now,
    )


def store_photo(
    file: Any, *, case: Any = None, component: Any = None, purpose: str, actor: Any
) -> Attachment:
    """Check, clean and store one uploaded file (the contract's one-call form). The
    caller checks that ``actor`` may attach to the case or component."""
    return save(prepare(file), case=case, component=component, purpose=purpose, actor=actor)


def open_stored(attachment: Attachment, *, thumbnail: bool = False) -> tuple[IO[bytes], str]:
    """The stored file (or its thumbnail, when it has one) opened for reading, and its
    content type. Callers have checked the reader may see it."""
    if thumbnail and attachment.thumbnail:
        return attachment.thumbnail.open("rb"), "image/jpeg"
    return attachment.file.open("rb"), attachment.content_type

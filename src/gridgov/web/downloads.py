"""Files to save, answered by pages and API endpoints alike (exports, templates, import
reports): bytes, or an iterator of byte chunks streamed as they are made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from gridgov.core.formats import CSV_TYPE, GEOJSON_TYPE, XLSX_TYPE, content_type

__all__ = ["CSV_TYPE", "GEOJSON_TYPE", "XLSX_TYPE", "file_response", "openapi_file"]


def file_response(content: bytes | Iterable[bytes], filename: str, fmt: str) -> HttpResponseBase:
    """``content`` as an attachment named ``filename`` of format ``fmt``, never cached."""
    kind = content_type(fmt)
    response: HttpResponseBase
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=kind)
    else:
        response = StreamingHttpResponse(content, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def openapi_file(*types: str, description: str = "The file") -> dict[str, Any]:
    """OpenAPI of an endpoint answering a file of one of ``types`` instead of the usual
    JSON: binary, or a JSON document for a JSON type (GeoJSON)."""
    binary = {"type": "string", "format": "binary"}
    content = {
        kind: {"schema": {"type": "object"} if kind.endswith("json") else binary} for kind in types
    }
    return {"responses": {"200": {"description": description, "content": content}}}

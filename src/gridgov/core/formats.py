"""The file formats the product writes, and their media types."""

from __future__ import annotations

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
GEOJSON_TYPE = "application/geo+json"
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE, "geojson": GEOJSON_TYPE}


def content_type(fmt: str) -> str:
    """The media type of a format name (xlsx, csv, geojson); bytes for any other."""
    return CONTENT_TYPES.get(fmt, "application/octet-stream")

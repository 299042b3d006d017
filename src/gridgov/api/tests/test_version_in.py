"""One schema for "the version I read" across the API: every operation that takes only a
version refers to the shared VersionIn in the OpenAPI document."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ONLY_A_VERSION = {
    "/api/v1/cases/{case_id}/accept",
    "/api/v1/cases/classes/{class_id}/deactivate",
    "/api/v1/cases/classes/{class_id}/reactivate",
    "/api/v1/cases/components/{key}/restore",
    "/api/v1/epidemic/notices/{notice_id}/send",
    "/api/v1/epidemic/notices/{notice_id}/withdraw",
    "/api/v1/epidemic/screening/campaigns/{campaign_id}/start",
}


def test_operations_taking_only_a_version_share_one_schema() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "VersionIn" in schemas
    assert set(schemas["VersionIn"]["properties"]) == {"version"}
    for name in ("CaseVersionIn", "ClassVersionIn", "ComponentVersionIn"):
        assert name not in schemas
    assert not {"NoticeVersionIn", "CampaignVersionIn"} & set(schemas)
    for path in ONLY_A_VERSION:
        post = document["paths"][path]["post"]
        body = post["requestBody"]["content"]["application/json"]["schema"]
        # A case's moves document their body inline (JSON or multipart with photos).
        assert body == {"$ref": "#/components/schemas/VersionIn"} or (
            body["title"] == "VersionIn" and set(body["properties"]) == {"version"}
        ), path

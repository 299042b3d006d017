"""The hash chain catches an edited row, a deleted row and a deleted last row, through
the query, the CLI (exit codes) and the operators-only API."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from gridgov import cli
from gridgov.audit.actions import record
from gridgov.audit.models import AuditEvent
from gridgov.audit.queries import verify_chain

TABLE = AuditEvent._meta.db_table


@pytest.fixture
def chain(db) -> list[AuditEvent]:
    """Five events, written as actions write them."""
    with transaction.atomic():
        return [
            record("test.event", actor=None, grid_code="411302001001001", changes={"n": [n, n + 1]})
            for n in range(5)
        ]


def raw_sql(sql: str, *params: object) -> None:
    # Straight to the database, past the model's append-only guard, as an intruder would.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_cli(capsys, language: str = "en") -> tuple[int, str]:
    code = cli.main(["--lang", language, "audit", "verify"])
    return code, capsys.readouterr().out


def test_intact_chain_verifies(chain, capsys):
    assert verify_chain().ok and verify_chain().checked == 5
    code, out = verify_cli(capsys)
    assert code == 0 and "OK" in out and "5" in out


def test_empty_chain_verifies(db, capsys):
    assert verify_chain().ok
    assert verify_cli(capsys)[0] == 0


def test_edited_row_is_reported(chain, capsys):
    raw_sql(f"UPDATE {TABLE} SET actor_name = %s WHERE seq = %s", "someone-else", 3)  # noqa: S608
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 3 and report.checked == 2
    code, out = verify_cli(capsys)
    assert code == 1 and "seq 3" in out


def test_edited_changes_are_reported(chain):
    raw_sql(f"UPDATE {TABLE} SET changes = %s WHERE seq = %s", '{"n": [0, 99]}', 2)  # noqa: S608
    assert verify_chain().first_bad_seq == 2


def test_deleted_row_is_reported(chain, capsys):
    raw_sql(f"DELETE FROM {TABLE} WHERE seq = %s", 2)  # noqa: S608
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 2 and "deleted" in report.reason
    code, out = verify_cli(capsys)
    assert code == 1 and "seq 2" in out and "event missing (deleted)" in out
    code, out = verify_cli(capsys, "zh-hans")
    assert code == 1 and "第 2 条" in out and "事件缺失（已被删除）" in out


def test_deleted_last_row_is_reported(chain, capsys):
    raw_sql(f"DELETE FROM {TABLE} WHERE seq = %s", 5)  # noqa: S608
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 5
    assert verify_cli(capsys)[0] == 1


def test_recomputed_hash_still_breaks_the_link(chain):
    """An intruder who fixes the edited row's own hash breaks the next row's link."""
    from gridgov.audit.actions import event_digest

    event = AuditEvent.objects.get(seq=3)
    event.actor_name = "forged"
    forged_hash = event_digest(event)
    raw_sql(
        f"UPDATE {TABLE} SET actor_name = %s, hash = %s WHERE seq = %s",  # noqa: S608
        "forged",
        forged_hash,
        3,
    )
    assert verify_chain().first_bad_seq == 4


def test_small_batches_walk_the_whole_chain(chain, capsys):
    assert verify_chain(batch_size=2).checked == 5
    assert cli.main(["audit", "verify", "--batch-size", "2"]) == 0


def test_orm_refuses_to_edit_or_delete(chain):
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=1).delete()
    event = chain[0]
    event.action = "x"
    with pytest.raises(TypeError):
        event.save()


def test_verify_api_is_for_operators_only(client, chain, operator, county_admin):
    assert client.get("/api/v1/audit/verify").status_code == 401
    client.force_login(county_admin)
    refused = client.get("/api/v1/audit/verify")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    client.force_login(operator)
    assert client.get("/api/v1/audit/verify").json() == {
        "ok": True,
        "checked": 5,
        "first_bad_seq": None,
        "reason": "",
    }
    raw_sql(f"DELETE FROM {TABLE} WHERE seq = %s", 4)  # noqa: S608
    body = client.get("/api/v1/audit/verify").json()
    assert body["ok"] is False and body["first_bad_seq"] == 4

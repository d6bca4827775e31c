"""Key rotation: ``guanxi keys rotate`` in this process, against a key file of
the test's own (the real code path of the embedded default), on SQLite and
PostgreSQL."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation
from tests.keyfiles import BLIND, K1

from guanxi.access.models import KeyRotation
from guanxi.audit.models import AuditEvent
from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_search

pytestmark = pytest.mark.django_db


def _raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM customers_customer WHERE id = %s", [pk])
        value: str = cursor.fetchone()[0] or ""
        return value


def _rotate(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("keys", "rotate", "--json", "--no-progress", *args, stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_rotate_reencrypts_every_value_and_prints_the_summary(
    keyfile: Path, make_customer: Any
) -> None:
    people = [
        make_customer(name=f"客户{i}", email=f"c{i}@example.com", address="上海")
        for i in range(3)
    ]
    assert _raw("name", people[0].pk).startswith("v1:k1:")

    out = StringIO()
    call_command("keys", "rotate", "--json", "--no-progress", stdout=out)

    # name, phone, email, address of three customers.
    assert json.loads(out.getvalue()) == {"key_id": "k2", "reencrypted": 12}
    data = json.loads(keyfile.read_text())
    assert data["encryption_key_id"] == "k2"
    assert data["encryption_keys"].startswith("k2=")
    assert "k1=" in data["encryption_keys"]  # the old key stays for backups
    for person in people:
        for column in ("name", "phone", "email", "address"):
            assert _raw(column, person.pk).startswith("v1:k2:")
        again = Customer.objects.get(pk=person.pk)
        assert again.name == person.name and again.email == person.email
    event = AuditEvent.objects.get(action="key.rotated")
    assert event.details == {"key_id": "k2", "reencrypted": 12, "via": "cli"}
    assert K1 not in json.dumps(event.details)
    assert KeyRotation.objects.get().finished_at is not None


def test_rotation_stopped_after_a_batch_resumes_and_rows_stay_readable(
    keyfile: Path, make_customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.access import keyrotation

    monkeypatch.setattr(keyrotation, "BATCH_ROWS", 2)
    people = [make_customer(name=f"客户{i}") for i in range(5)]

    first = _rotate("--max-batches", "1")

    assert first == {"key_id": "k2", "reencrypted": 4, "finished": False}
    heads = sorted(_raw("name", p.pk)[:6] for p in people)
    assert heads == ["v1:k1:"] * 3 + ["v1:k2:"] * 2
    # Every row reads, under either key, while the rotation is unfinished.
    assert [c.name for c in Customer.objects.order_by("pk")] == [p.name for p in people]
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("keys", "rotate", "--blind-index", "--no-progress")
    assert str(refused.value) == (
        "a rotation of the Encryption key is unfinished: run "
        "'guanxi keys rotate' to finish it first"
    )

    second = _rotate()

    assert second == {"key_id": "k2", "reencrypted": 10}
    assert all(_raw("name", p.pk).startswith("v1:k2:") for p in people)
    assert AuditEvent.objects.filter(action="key.rotated").count() == 1


def test_unknown_key_id_is_refused_and_changes_nothing(
    keyfile: Path, make_customer: Any
) -> None:
    person = make_customer(name="王芳")
    before = keyfile.read_text()
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("keys", "rotate", "--key-id", "k9", "--no-progress")
    assert str(refused.value) == "unknown key id k9 (configured: k1)"
    assert keyfile.read_text() == before
    assert _raw("name", person.pk).startswith("v1:k1:")
    assert not KeyRotation.objects.exists()


@contextlib.contextmanager
def _another_rotation() -> Iterator[None]:
    """The rotation lock held as another process would hold it: another
    database session on PostgreSQL, another open file on SQLite."""
    from guanxi.access.keyrotation import _PG_LOCK, _rotation_lock

    if connection.vendor != "postgresql":
        with _rotation_lock():
            yield
        return
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_PG_LOCK])
        yield
    finally:
        other.close()  # the session ends: its lock goes


def test_a_second_rotation_while_one_runs_is_refused(
    keyfile: Path, make_customer: Any
) -> None:
    from guanxi.access.keyrotation import RotationBusy, key_rotate

    make_customer(name="王芳")
    with (
        _another_rotation(),
        translation.override("en"),
        pytest.raises(RotationBusy) as refused,
    ):
        key_rotate()
    assert refused.value.message == (
        "another key rotation is running: wait for it to finish"
    )
    assert json.loads(keyfile.read_text())["encryption_key_id"] == "k1"
    assert not KeyRotation.objects.exists()
    # Once it is over, a rotation runs.
    assert key_rotate().finished


def test_blind_index_rotation_rebuilds_search_keys_and_lookups_work(
    keyfile: Path, make_customer: Any, users: dict[str, Any]
) -> None:
    from guanxi.messaging.models import SuppressedAddress

    person = make_customer(name="张伟", phone="+8613812345678", email="zw@example.com")
    old_index = person.phone_index
    SuppressedAddress.objects.create(channel="sms", address_index=old_index)
    admin = users["admin"]
    assert list(
        customer_search(Customer.objects.all(), "13812345678", actor=admin)
    ) == [person]

    result = _rotate("--blind-index")

    assert result == {"key": "blind_index", "rebuilt": 1}
    assert json.loads(keyfile.read_text())["blind_index_key"] != BLIND
    fresh = Customer.objects.get(pk=person.pk)
    assert fresh.phone_index != old_index
    assert list(
        customer_search(Customer.objects.all(), "13812345678", actor=admin)
    ) == [person]
    assert list(
        customer_search(Customer.objects.all(), "zw@example.com", actor=admin)
    ) == [person]
    assert list(customer_search(Customer.objects.all(), "张伟", actor=admin)) == [
        person
    ]
    assert list(customer_search(Customer.objects.all(), "zhangwei", actor=admin)) == [
        person
    ]
    assert SuppressedAddress.objects.get().address_index == fresh.phone_index


def test_pseudonym_rotation_rebuilds_the_stored_pseudonyms(
    keyfile: Path, make_customer: Any
) -> None:
    person = make_customer(name="张伟")
    old = Customer.objects.get(pk=person.pk).pseudonym
    assert old == pseudonym(person.pk)

    result = _rotate("--pseudonym")

    assert result == {"key": "pseudonym", "rebuilt": 1}
    new = Customer.objects.get(pk=person.pk).pseudonym
    assert new != old and new == pseudonym(person.pk)


def test_status_counts_values_by_key(keyfile: Path, make_customer: Any) -> None:
    make_customer(name="张伟", email="zw@example.com")
    out = StringIO()
    call_command("keys", "status", "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["primary"] == "k1"
    assert status["configured"] == ["k1"]
    assert status["values_by_key"]["k1"] >= 3
    assert status["unfinished"] is None
    assert status["key_file"] == str(keyfile)


def test_rotate_and_status_speak_both_languages(
    keyfile: Path, make_customer: Any
) -> None:
    make_customer(name="张伟")
    out = StringIO()
    with translation.override("en"):
        call_command("keys", "rotate", "--no-progress", stdout=out)
    assert out.getvalue() == "Key k2 is primary; 2 values re-encrypted under it.\n"
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("keys", "status", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["主加密密钥：k2", "已配置的加密密钥：k1, k2"]
    assert "  k2: 2" in lines
    assert lines[-3].startswith("加密密钥上次轮换：")
    assert lines[-2:] == ["盲索引密钥上次轮换：从未", "假名密钥上次轮换：从未"]

"""Erasure: orders kept and pseudonymised, everything else of the person gone,
no marker left anywhere in the database, and the person kept out."""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from guanxi.privacy.tests.conftest import CANARIES, make_canary

TEXT_CANARIES = [v for k, v in CANARIES.items() if k != "phone"]


def _tables_holding(marker: str) -> list[str]:
    """``table.column`` of every column in the database whose text holds ``marker``."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT 1 FROM {connection.ops.quote_name(table)} "
                    f"WHERE CAST({name} AS TEXT) LIKE %s LIMIT 1",
                    [f"%{marker}%"],
                )
                if cursor.fetchone():
                    hits.append(f"{table}.{column.name}")
    return hits


def _order_figures() -> tuple[int, Decimal, list[tuple[str, Decimal]]]:
    from guanxi.commerce.models import Order

    rows = list(
        Order.objects.order_by("external_id").values_list("external_id", "amount")
    )
    return len(rows), sum((a for _e, a in rows), Decimal(0)), rows


def test_erasure_keeps_orders_and_removes_every_marker(canary: Any) -> None:
    from guanxi.audit.models import AuditEvent
    from guanxi.commerce.models import Order, OrderLine
    from guanxi.customers.models import Customer, Tag
    from guanxi.messaging.models import ConsentRecord, Message
    from guanxi.privacy.models import ErasedContact, Erasure
    from guanxi.privacy.services import customer_erase

    cid = canary.customer.pk
    before = _order_figures()
    lines_before = OrderLine.objects.count()
    # The scan can find a marker (personal fields and notes are encrypted, so
    # the proof is a tag's name, which is stored in the clear), and no
    # personal marker is in the clear even before the erasure.
    Tag.objects.create(name="Canaryprobe")
    assert _tables_holding("Canaryprobe") == ["customers_tag.name"]
    for marker in TEXT_CANARIES:
        assert _tables_holding(marker) == [], marker

    result = customer_erase(customer_id=cid, actor=None, via="cli")

    assert result.as_dict() == {
        "customer": cid,
        "orders_pseudonymised": 2,
        "erased": True,
    }
    assert _order_figures() == before
    assert OrderLine.objects.count() == lines_before
    assert not Customer.objects.filter(pk=cid).exists()
    tombstone = Customer.objects.get(pk=result.tombstone)
    assert (tombstone.name, tombstone.phone, tombstone.email, tombstone.address) == (
        None,
        None,
        None,
        None,
    ) or not any((tombstone.name, tombstone.phone, tombstone.email, tombstone.address))
    assert tombstone.birthday is None and tombstone.city == ""
    assert (tombstone.purchase_total, tombstone.purchase_count) == (
        Decimal("300.50"),
        2,
    )
    assert set(Order.objects.values_list("customer_id", flat=True)) == {tombstone.pk}
    assert not ConsentRecord.objects.filter(customer_id=cid).exists()
    assert not Message.objects.exists()
    assert Tag.objects.get(name="金丝雀标签").customer_count == 0
    assert ErasedContact.objects.count() == 2
    assert Erasure.objects.get().orders_pseudonymised == 2
    event = AuditEvent.objects.get(action="privacy.erased")
    assert (event.customer_id, event.details["count"]) == (cid, 2)
    for marker in TEXT_CANARIES:
        assert _tables_holding(marker) == [], marker


def _database_bytes(target: Path) -> bytes:
    """The whole database as bytes: on SQLite a copy of its file after a
    checkpoint (``VACUUM INTO``: the live pages, no free ones); on PostgreSQL
    a ``pg_dump`` of it."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("VACUUM INTO %s", [str(target)])
        return target.read_bytes()
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = [
        "pg_dump",
        "--host",
        str(db.get("HOST") or "127.0.0.1"),
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        str(db.get("USER") or "postgres"),
        "--data-only",
        str(db["NAME"]),
    ]
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout


@pytest.mark.django_db(transaction=True)
def test_no_marker_in_the_database_after_erasure(tmp_path: Path) -> None:
    from guanxi.customers.models import Tag
    from guanxi.privacy.services import customer_erase

    canary = make_canary()
    Tag.objects.create(name="Canaryprobe")  # stored in the clear
    before = _database_bytes(tmp_path / "before.sqlite3")
    assert b"Canaryprobe" in before  # the scan can see a marker
    customer_erase(customer_id=canary.customer.pk, actor=None, via="cli")
    after = _database_bytes(tmp_path / "after.sqlite3")
    for marker in TEXT_CANARIES:
        assert marker.encode() not in after, marker


def test_an_erased_person_cannot_be_created_again(canary: Any) -> None:
    from django.contrib.auth import get_user_model

    from guanxi.access.choices import Role
    from guanxi.access.services import staff_role_set
    from guanxi.core.errors import ValidationFailed
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_create
    from guanxi.privacy.services import customer_erase

    admin = get_user_model().objects.create_user(username="boss")
    staff_role_set(user=admin, role=Role.ADMIN)
    customer_erase(customer_id=canary.customer.pk, actor=None, via="cli")
    count = Customer.objects.count()
    attempts: list[dict[str, Any]] = [
        {"name": "Someone", "phone": "139 1234 5678"},
        {"name": "Someone", "email": "Canary.Person@example.org"},
    ]
    for values in attempts:
        with pytest.raises(ValidationFailed) as caught:
            customer_create(actor=admin, **values)
        assert caught.value.message == (
            "this person's data was erased at their request: "
            "they may not be added again"
        )
    assert Customer.objects.count() == count
    # Someone else is welcome.
    customer_create(actor=admin, name="Other", phone="13912345670")


def test_the_api_refuses_an_erased_person(
    world: Any, canary: Any, client_for: Any
) -> None:
    from guanxi.access.tests.factories import api_token_for
    from guanxi.customers.models import Customer
    from guanxi.privacy.services import customer_erase

    customer_erase(customer_id=canary.customer.pk, actor=None, via="cli")
    count = Customer.objects.count()
    token = api_token_for(world.users["admin"])
    client = client_for("anonymous")
    response = client.post(
        "/api/v1/customers/",
        data=json.dumps({"name": "Again", "phone": "+86 139 1234 5678"}),
        content_type="application/json",
        headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
    )
    assert response.status_code == 400, response.content
    assert "this person's data was erased at their request" in response.content.decode()
    assert Customer.objects.count() == count


def test_a_reimport_of_the_erased_person_is_rejected(
    canary: Any, run_command: Any, tmp_path: Path
) -> None:
    from guanxi.customers.models import Customer
    from guanxi.privacy.services import customer_erase

    customer_erase(customer_id=canary.customer.pk, actor=None, via="cli")
    count = Customer.objects.count()
    path = tmp_path / "again.csv"
    path.write_text(
        "手机号,姓名,邮箱\n"
        "13912345678,又来了,\n"
        ",又来了,canary.person@example.org\n"
        "13800000001,新客户,\n",
        encoding="utf-8",
    )
    result = run_command("import", "customers", path, "--json")
    # The command imports a file whole or not at all: the two rows of the
    # erased person are rejected, counted and named; nothing is written.
    assert result.code == 1
    assert (result.json["created"], result.json["rejected_rows"]) == (0, 2)
    messages = {(e["line"], e["message"]) for e in result.json["errors"]}
    erased = (
        "this person's data was erased at their request: they may not be added again"
    )
    assert messages == {(2, erased), (3, erased)}
    assert CANARIES["email"] not in result.stdout
    assert Customer.objects.count() == count


def test_an_order_import_for_the_erased_person_is_rejected(
    canary: Any, run_command: Any, tmp_path: Path
) -> None:
    from guanxi.customers.models import Customer
    from guanxi.privacy.services import customer_erase

    customer_erase(customer_id=canary.customer.pk, actor=None, via="cli")
    count = Customer.objects.count()
    path = tmp_path / "orders.csv"
    path.write_text(
        "订单号,手机号,下单时间,金额\nN-1,13912345678,2026-10-05 10:00,88.00\n",
        encoding="utf-8",
    )
    result = run_command("import", "orders", path, "--json")
    assert result.json["rejected_rows"] == 1
    assert Customer.objects.count() == count

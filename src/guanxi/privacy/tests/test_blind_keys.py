"""Erased people stay out after the blind-index key is rotated: their keyed
hashes are kept under the key of the day of the erasure, and that key is kept,
retired, as long as a hash needs it (``guanxi keys rotate --blind-index``,
``status``, ``prune``), against a key file of the test's own."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.keyfiles import BLIND, K1

pytestmark = pytest.mark.django_db

ERASED = "this person's data was erased at their request: they may not be added again"
PHONE, EMAIL = "+8613912345678", "erased.person@example.org"


@pytest.fixture
def erased(keyfile: Path, make_customer: Any) -> int:
    """A person erased under key b1, then two blind-index rotations."""
    from guanxi.privacy.services import customer_erase

    person = make_customer(name="要删除", phone=PHONE, email=EMAIL)
    make_customer(name="留下", phone="+8613800000002")
    customer_erase(customer_id=person.pk, actor=None, via="cli")
    for _ in range(2):
        assert _json("keys", "rotate", "--blind-index", "--no-progress")["key"] == (
            "blind_index"
        )
    return int(person.pk)


def _json(*args: str) -> dict[str, Any]:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(*args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def _customers() -> list[tuple[int, str | None]]:
    from guanxi.customers.models import Customer

    return list(Customer.objects.order_by("pk").values_list("pk", "phone_index"))


def test_the_key_file_keeps_the_retired_keys_and_stays_private(
    erased: int, keyfile: Path
) -> None:
    from guanxi.privacy.models import ErasedContact

    data = json.loads(keyfile.read_text())
    assert data["blind_index_key_id"] == "b3"
    retired = data["blind_index_keys_retired"]
    assert [entry["id"] for entry in retired] == ["b1", "b2"]
    assert retired[0]["key"] == BLIND
    assert len({data["blind_index_key"], *(e["key"] for e in retired)}) == 3
    assert all(len(entry["retired_on"]) == 10 for entry in retired)
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert sorted(ErasedContact.objects.values_list("kind", "key_id")) == [
        ("email", "b1"),
        ("phone", "b1"),
    ]


def test_a_reimport_after_two_rotations_is_rejected_and_writes_nothing(
    erased: int, run_command: Any, tmp_path: Path
) -> None:
    before = _customers()
    path = tmp_path / "again.csv"
    path.write_text(
        "手机号,姓名,邮箱\n"
        "13912345678,又来了,\n"
        ",又来了,Erased.Person@example.org\n"
        "13800000001,新客户,\n",
        encoding="utf-8",
    )
    result = run_command("import", "customers", path, "--json")
    assert result.code == 1
    assert (result.json["created"], result.json["rejected_rows"]) == (0, 2)
    assert {(e["line"], e["message"]) for e in result.json["errors"]} == {
        (2, ERASED),
        (3, ERASED),
    }
    assert EMAIL not in result.stdout and "13912345678" not in result.stdout
    assert _customers() == before


def test_an_order_import_naming_the_erased_person_is_rejected(
    erased: int, run_command: Any, tmp_path: Path
) -> None:
    from guanxi.commerce.models import Order

    before, orders = _customers(), Order.objects.count()
    path = tmp_path / "orders.csv"
    path.write_text(
        "订单号,手机号,邮箱,下单时间,金额\n"
        "N-1,,erased.person@example.org,2026-10-05 10:00,88.00\n"
        "N-2,13800000003,,2026-10-05 11:00,18.00\n",
        encoding="utf-8",
    )
    result = run_command("import", "orders", path, "--json")
    assert result.code == 1
    assert result.json["rejected_rows"] == 1
    assert [(e["line"], e["message"]) for e in result.json["errors"]] == [(2, ERASED)]
    assert _customers() == before
    assert Order.objects.count() == orders


def test_someone_else_still_imports_after_the_rotations(
    erased: int, run_command: Any, tmp_path: Path
) -> None:
    from guanxi.customers.models import Customer

    path = tmp_path / "new.csv"
    path.write_text(
        "手机号,姓名,邮箱\n13800000001,新客户,new.person@example.org\n",
        encoding="utf-8",
    )
    result = run_command("import", "customers", path, "--json")
    assert (result.code, result.json["created"]) == (0, 1)
    assert Customer.objects.filter(phone_index__isnull=False).count() == 2


def test_the_api_refuses_the_erased_person_after_the_rotations(
    erased: int, users: dict[str, Any]
) -> None:
    from guanxi.access.tests.factories import api_token_for

    token = api_token_for(users["admin"])
    client = Client()
    before = _customers()
    for body in ({"name": "Again", "phone": "+86 139 1234 5678"}, {"email": EMAIL}):
        response = client.post(
            "/api/v1/customers/",
            data=json.dumps({"name": "Again", **body}),
            content_type="application/json",
            headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
        )
        assert response.status_code == 400, response.content
        field = "phone" if "phone" in body else "email"
        assert response.json()[field] == [ERASED]
    assert _customers() == before
    response = client.post(
        "/api/v1/customers/",
        data=json.dumps({"name": "Other", "phone": "13912345670"}),
        content_type="application/json",
        headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
    )
    assert response.status_code == 201, response.content


def test_status_counts_what_each_key_guards_and_prune_drops_the_unused(
    erased: int, make_customer: Any, keyfile: Path, run_command: Any
) -> None:
    from guanxi.audit.models import AuditEvent
    from guanxi.privacy.services import customer_erase

    # Erased under the current key b3 as well.
    later = make_customer(name="后删除", phone="+8613700000001")
    customer_erase(customer_id=later.pk, actor=None, via="cli")
    assert _json("keys", "status")["blind_index_keys"] == [
        {"key_id": "b3", "state": "current", "retired_on": None, "erased_contacts": 1},
        {
            "key_id": "b1",
            "state": "retired",
            "retired_on": json.loads(keyfile.read_text())["blind_index_keys_retired"][
                0
            ]["retired_on"],
            "erased_contacts": 2,
        },
        {
            "key_id": "b2",
            "state": "retired",
            "retired_on": json.loads(keyfile.read_text())["blind_index_keys_retired"][
                1
            ]["retired_on"],
            "erased_contacts": 0,
        },
    ]
    text = run_command("keys", "status").stdout.splitlines()
    at = text.index("Blind-index keys (erased contacts each guards):")
    assert text[at + 1] == "  b3: current, 1 erased contacts"
    assert text[at + 2].startswith("  b1: retired 20") and text[at + 2].endswith(
        ", 2 erased contacts"
    )

    assert _json("keys", "prune") == {
        "dropped": ["b2"],
        "removable": [],
        "kept": ["b1"],
    }

    data = json.loads(keyfile.read_text())
    assert [e["id"] for e in data["blind_index_keys_retired"]] == ["b1"]
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    event = AuditEvent.objects.get(action="key.pruned")
    assert event.details == {
        "key_id": ["b2"],
        "count": 1,
        "status": "removed",
        "via": "cli",
    }
    assert BLIND not in json.dumps(event.details) + event.object_id
    rotated = AuditEvent.objects.filter(action="key.rotated").order_by("pk")
    assert [e.object_id for e in rotated] == ["b2", "b3"]
    # Nothing more to drop; the erased person is still kept out.
    assert run_command("keys", "prune").stdout == (
        "No retired blind-index key to drop.\nKept (erased contacts need them): b1.\n"
    )
    assert AuditEvent.objects.filter(action="key.pruned").count() == 1


def test_keys_from_the_environment_without_the_old_key_are_refused(
    settings: Any, keyfile: Path, make_customer: Any, run_command: Any
) -> None:
    from guanxi.access.models import KeyRotation
    from guanxi.privacy.services import customer_erase

    person = make_customer(name="要删除", phone=PHONE)
    customer_erase(customer_id=person.pk, actor=None, via="cli")
    settings.GUANXI_KEY_FILE = None
    # The operator put a new key in but kept its id.
    settings.GUANXI_BLIND_INDEX_KEY = base64.urlsafe_b64encode(b"c" * 32)
    result = run_command("keys", "rotate", "--blind-index", "--no-progress")
    assert (result.code, result.stderr) == (
        1,
        "the blind-index key id is still b1: give the new key a new id "
        "(GUANXI_BLIND_INDEX_KEY_ID), put the old one in "
        "GUANXI_BLIND_INDEX_KEYS_RETIRED, restart the Guanxi processes, then run "
        "this again",
    )
    # A new id, but the old key left out.
    settings.GUANXI_BLIND_INDEX_KEY_ID = "b2"
    result = run_command("keys", "rotate", "--blind-index", "--no-progress")
    assert (result.code, result.stderr) == (
        1,
        "erased contacts are hashed under blind-index key b1, which is not "
        "configured: put it in GUANXI_BLIND_INDEX_KEYS_RETIRED, restart the "
        "Guanxi processes, then run this again",
    )
    assert not KeyRotation.objects.exists()
    # Done right: the erased phone stays out.
    settings.GUANXI_BLIND_INDEX_KEYS_RETIRED = {"b1": BLIND.encode()}
    assert run_command("keys", "rotate", "--blind-index", "--no-progress").code == 0
    from guanxi.privacy.selectors import contact_erased

    assert contact_erased(phone=PHONE, email=None) == {"phone"}
    assert _json("keys", "prune") == {"dropped": [], "removable": [], "kept": ["b1"]}


def test_the_retired_keys_variable_is_read_and_checked() -> None:
    from guanxi.core.crypto import blind_index_keys

    env = {
        "GUANXI_BLIND_INDEX_KEY_ID": "b3",
        "GUANXI_BLIND_INDEX_KEYS_RETIRED": f"b1={BLIND}@2026-01-02, b2={K1}",
    }
    assert blind_index_keys({}, env) == (
        "b3",
        {"b1": BLIND.encode(), "b2": K1.encode()},
        {"b1": "2026-01-02", "b2": ""},
    )
    with pytest.raises(ValueError) as caught:
        blind_index_keys({}, {"GUANXI_BLIND_INDEX_KEYS_RETIRED": f"b1{BLIND}"})
    assert str(caught.value) == (
        "retired blind-index key entry 1 is not ID=KEY or ID=KEY@YYYY-MM-DD "
        "(e.g. b1=…@2026-12-06)"
    )
    assert BLIND not in str(caught.value)
    with pytest.raises(ValueError) as caught:
        blind_index_keys({}, {"GUANXI_BLIND_INDEX_KEYS_RETIRED": f"b1={BLIND}"})
    assert str(caught.value) == (
        "blind-index key b1 is both the current and a retired key"
    )

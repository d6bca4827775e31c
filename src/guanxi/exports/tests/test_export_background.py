"""Exports from the browser: asked for on a list, built by the task, opened and
checked; scope, the owner-only download, bad input, the cap, one at a time."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from guanxi.commerce.models import Order
from guanxi.customers.models import Tag
from guanxi.exports.background import exports_folder, exports_purge
from guanxi.exports.models import ExportRecord

pytestmark = pytest.mark.django_db

SEEN = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC)  # 16:30 in Shanghai


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    manager = users["account_manager"]
    manager.first_name, manager.last_name = "芳", "王"
    manager.save()
    own = make_customer(
        name="张伟",
        phone="+8613800138000",
        email="zhang.wei@example.com",
        birthday=dt.date(1990, 5, 1),
        city="上海",
        gender="female",
        preferred_channel="wecom",
        assigned_manager=manager,
        first_seen_at=SEEN,
    )
    own.tags.set([Tag.objects.create(name="VIP")])
    other = make_customer(
        name="=1+1",
        phone="+8613900139000",
        city="北京",
        gender="male",
        assigned_manager=users["other_manager"],
        first_seen_at=SEEN,
    )
    for customer, number, amount in ((own, "A-1", "268.00"), (other, "B-2", "1288.5")):
        Order.objects.create(
            source="pos",
            external_id=number,
            customer=customer,
            ordered_at=SEEN,
            amount=Decimal(amount),
            store="徐汇店",
            channel="store",
        )
    return {"own": own, "other": other, **users}


def client_for(user: Any, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def ask(
    client: Client,
    capture: Any,
    *,
    kind: str = "customers",
    fmt: str = "xlsx",
    query: str = "",
) -> Any:
    with capture(execute=True):
        return client.post(
            "/exports/new/", {"kind": kind, "format": fmt, "query": query}
        )


def download(client: Client, record: ExportRecord) -> bytes:
    response = client.get(f"/exports/{record.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_customers_xlsx_in_chinese_typed_cells(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "zh-hans")
    response = ask(client, django_capture_on_commit_callbacks, query="city=上海")
    record = ExportRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{record.pk}/"
    assert (record.status, record.rows, record.total) == ("done", 1, 1)
    assert (record.kind, record.format, record.query) == (
        "customers",
        "xlsx",
        "city=上海",
    )
    assert (record.role, record.language, record.for_people) == (
        "admin",
        "zh-hans",
        True,
    )
    path = exports_folder() / record.file_name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sheet = load_workbook(io.BytesIO(download(client, record))).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "客户编号", "姓名", "电话", "电子邮件", "生日", "性别", "城市", "地址",
        "首选渠道", "客户经理", "标签", "首次出现",
    ]  # fmt: skip
    cells = {h.value: c for h, c in zip(rows[0], rows[1], strict=True)}
    assert cells["电话"].value == "+8613800138000"
    assert cells["电话"].data_type == "s"
    assert cells["生日"].value == dt.datetime(1990, 5, 1)
    assert cells["生日"].is_date
    assert cells["首次出现"].value == dt.datetime(2025, 3, 1, 16, 30)
    assert cells["性别"].value == "女"
    assert cells["首选渠道"].value == "企业微信"
    assert cells["客户经理"].value == "芳 王"
    assert cells["标签"].value == "VIP"
    assert len(rows) == 2


def test_orders_xlsx_in_english_amount_is_a_number(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    ask(client, django_capture_on_commit_callbacks, kind="orders")
    record = ExportRecord.objects.get()
    sheet = load_workbook(io.BytesIO(download(client, record))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "Order no.", "Source", "Customer", "Customer's phone", "Ordered at",
        "Amount", "Currency", "Store", "Channel", "Status",
    ]  # fmt: skip
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["B-2"][1] == "POS"
    assert by_number["B-2"][5] == 1288.5
    assert by_number["B-2"][8] == "In store"
    assert by_number["B-2"][9] == "Paid"
    assert by_number["B-2"][4] == dt.datetime(2025, 3, 1, 16, 30)


def test_csv_keeps_its_formula_guard(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    ask(client, django_capture_on_commit_callbacks, fmt="csv", query="city=北京")
    record = ExportRecord.objects.get()
    text = download(client, record).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Customer no.", "Name", "Phone"]
    assert rows[1][1:3] == ["'=1+1", "'+8613900139000"]
    assert rows[1][5] == "Male"
    assert rows[1][11] == "2025-03-01 16:30:00"


def test_account_manager_exports_only_their_customers_and_only_they_download(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["account_manager"], "en")
    ask(client, django_capture_on_commit_callbacks, fmt="csv")
    record = ExportRecord.objects.get()
    rows = list(csv.reader(io.StringIO(download(client, record).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(world["own"].pk)]
    for other in ("other_manager", "admin"):
        response = client_for(world[other], "en").get(f"/exports/{record.pk}/download/")
        assert response.status_code == 404
        page = client_for(world[other], "en").get(f"/exports/{record.pk}/")
        assert page.status_code == 404


def test_operations_sees_masks_and_analyst_pseudonyms(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ops = client_for(world["operations"], "en")
    ask(ops, django_capture_on_commit_callbacks, fmt="csv", query="city=上海")
    rows = list(
        csv.reader(
            io.StringIO(download(ops, ExportRecord.objects.get()).decode("utf-8-sig"))
        )
    )
    assert rows[1][2] == "138****8000"  # masked, as on screen
    analyst = client_for(world["analyst"], "en")
    ask(analyst, django_capture_on_commit_callbacks, fmt="csv", query="city=上海")
    record = ExportRecord.objects.filter(actor=world["analyst"]).get()
    rows = list(csv.reader(io.StringIO(download(analyst, record).decode("utf-8-sig"))))
    assert rows[0] == [
        "Customer no.", "Birth year", "Gender", "City", "Preferred channel",
        "Tags", "First seen",
    ]  # fmt: skip
    assert rows[1][0] != str(world["own"].pk)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": "people", "format": "csv", "query": ""},
            'unknown export "people": choose customers or orders',
        ),
        (
            {"kind": "customers", "format": "json", "query": ""},
            'unknown format "json": choose csv or xlsx',
        ),
        (
            {"kind": "customers", "format": "csv", "query": "birth_year=0.5"},
            "Birth year: enter a year from 1900 to 2999",
        ),
        (
            {"kind": "orders", "format": "xlsx", "query": "ordered_to=9999-12-31"},
            "Ordered until: ",
        ),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(
    world: dict[str, Any],
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
    data: dict[str, str],
    message: str,
) -> None:
    client = client_for(world["admin"], "en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/new/", data)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert ExportRecord.objects.count() == 0
    assert list(exports_folder().iterdir()) == []


def test_the_cap_refuses_with_a_message(
    world: dict[str, Any],
    settings: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.GUANXI_EXPORT_MAX_ROWS = 1
    response = ask(client_for(world["admin"], "en"), django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert (
        "an export holds at most 1 rows: narrow the list with its filters"
        in response.content.decode()
    )
    assert ExportRecord.objects.count() == 0


def test_one_export_at_a_time(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    # Without the immediate queue the first export stays queued.
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post("/exports/new/", {"kind": "customers", "format": "csv"})
    assert first.status_code == 302
    second = client.post("/exports/new/", {"kind": "orders", "format": "csv"})
    assert second.status_code == 409
    assert (
        "you already have an export being made: wait until it is done, then ask "
        "for the next one" in second.content.decode()
    )
    assert ExportRecord.objects.count() == 1


def test_service_role_cannot_export(world: dict[str, Any]) -> None:
    response = client_for(world["service"], "en").post(
        "/exports/new/", {"kind": "customers", "format": "csv"}
    )
    assert response.status_code == 404
    assert ExportRecord.objects.count() == 0


def test_progress_page_then_download_link_and_my_exports(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    ask(client, django_capture_on_commit_callbacks)
    record = ExportRecord.objects.get()
    page = client.get(f"/exports/{record.pk}/").content.decode()
    assert 'data-status="done"' in page
    assert f'href="/exports/{record.pk}/download/"' in page
    assert 'hx-trigger="every 1s"' not in page  # done: no more polling
    mine = client.get("/exports/").content.decode()
    assert f"/exports/{record.pk}/download/" in mine


def test_purge_deletes_old_files(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    ask(client, django_capture_on_commit_callbacks)
    record = ExportRecord.objects.get()
    path = exports_folder() / record.file_name
    assert record.finished_at is not None
    assert exports_purge(now=record.finished_at + dt.timedelta(days=6)) == 0
    assert path.exists()
    assert exports_purge(now=record.finished_at + dt.timedelta(days=8)) == 1
    assert not path.exists()
    record.refresh_from_db()
    assert record.file_name == ""
    assert client.get(f"/exports/{record.pk}/download/").status_code == 404


def test_a_stale_export_is_failed_by_the_purge(world: dict[str, Any]) -> None:
    record = ExportRecord.objects.create(
        actor=world["admin"], actor_label="admin", role="admin", kind="customers",
        format="csv", destination="browser", status="queued", for_people=True,
    )  # fmt: skip
    exports_purge(now=record.started_at + dt.timedelta(hours=3))
    record.refresh_from_db()
    assert record.status == "failed"
    assert os.listdir(exports_folder()) == []


def test_account_manager_cannot_export_another_managers_customers_orders(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["account_manager"], "en")
    query = f"customer={world['other'].pk}"
    ask(
        client,
        django_capture_on_commit_callbacks,
        kind="orders",
        fmt="csv",
        query=query,
    )
    record = ExportRecord.objects.get()
    assert (record.status, record.rows, record.query) == ("done", 0, query)
    text = download(client, record).decode("utf-8-sig")
    assert text.splitlines()[1:] == []
    ExportRecord.objects.all().delete()
    ask(client, django_capture_on_commit_callbacks, kind="orders", fmt="csv")
    rows = list(
        csv.reader(
            io.StringIO(
                download(client, ExportRecord.objects.get()).decode("utf-8-sig")
            )
        )
    )
    assert [row[0] for row in rows[1:]] == ["A-1"]


def _queued(world: dict[str, Any], **values: Any) -> ExportRecord:
    defaults: dict[str, Any] = {
        "actor": world["admin"], "actor_label": "admin", "role": "admin",
        "kind": "customers", "format": "csv", "destination": "browser",
        "status": "queued", "for_people": True, "total": 4000, "language": "en",
    }  # fmt: skip
    defaults.update(values)
    return ExportRecord.objects.create(**defaults)


def test_the_progress_part_polls_while_the_export_runs(world: dict[str, Any]) -> None:
    record = _queued(world, status="running")
    (exports_folder() / f"export-{record.pk}.progress").write_text("1000")
    client = client_for(world["admin"], "en")
    part = client.get(f"/exports/{record.pk}/", headers={"HX-Request": "true"})
    text = part.content.decode()
    assert text.startswith('<div class="card" id="export-progress"')
    assert 'hx-trigger="every 1s"' in text
    assert 'value="25"' in text
    assert "1000 of 4000 rows" in text
    assert "export-download" not in text


def test_the_build_runs_once_and_fails_in_words(world: dict[str, Any]) -> None:
    from guanxi.exports.background import export_build

    world["admin"].is_active = False
    world["admin"].save()
    record = _queued(world, language="zh-hans")
    export_build(record_id=record.pk)
    record.refresh_from_db()
    assert (record.status, record.message, record.file_name) == (
        "failed",
        "发起导出的用户已停用",
        "",
    )
    export_build(record_id=record.pk)  # a second run of the task: nothing
    record.refresh_from_db()
    assert record.status == "failed"
    assert os.listdir(exports_folder()) == []


def test_a_filter_too_long_is_refused(world: dict[str, Any]) -> None:
    client = client_for(world["admin"], "en")
    response = client.post(
        "/exports/new/",
        {"kind": "customers", "format": "csv", "query": "q=" + "x" * 26_000},
    )
    assert response.status_code == 400
    assert (
        "the filter is too long (at most 26,000 characters)"
        in response.content.decode()
    )
    assert ExportRecord.objects.count() == 0


def _bulk_export(client: Client, capture: Any, **fields: Any) -> Any:
    """The customer list's bulk bar: its own fields (the action's ``kind``)
    and the export button's ``export=customers``."""
    with capture(execute=True):
        return client.post(
            "/exports/new/",
            {"kind": "tag", "format": "xlsx", "export": "customers", **fields},
        )


def _ids_in(client: Client, record: ExportRecord) -> list[Any]:
    sheet = load_workbook(io.BytesIO(download(client, record))).active
    assert sheet is not None
    return [int(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_ticked_customers_only(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    response = _bulk_export(
        client,
        django_capture_on_commit_callbacks,
        scope="selected",
        ids=[str(world["other"].pk)],
        query="city=北京",
    )
    assert response.status_code == 302
    record = ExportRecord.objects.get()
    assert (record.kind, record.total) == ("customers", 1)
    assert f"ids={world['other'].pk}" in record.query
    assert _ids_in(client, record) == [world["other"].pk]


def test_every_customer_matching_from_the_bulk_bar(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["admin"], "en")
    _bulk_export(
        client,
        django_capture_on_commit_callbacks,
        scope="all",
        ids=[str(world["own"].pk)],  # ticked, but "every customer matching"
        query="",
    )
    record = ExportRecord.objects.get()
    assert "ids" not in record.query
    assert sorted(_ids_in(client, record)) == sorted(
        [world["own"].pk, world["other"].pk]
    )


def test_an_account_managers_selection_keeps_to_their_customers(
    world: dict[str, Any], huey_immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["account_manager"], "en")
    _bulk_export(
        client,
        django_capture_on_commit_callbacks,
        scope="selected",
        ids=[str(world["own"].pk), str(world["other"].pk)],
    )
    record = ExportRecord.objects.get()
    assert record.total == 1
    assert _ids_in(client, record) == [world["own"].pk]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (
            [],
            "Tick at least one customer, or choose every customer matching the filters.",
        ),
        (
            ["7", "x"],
            "Customers: enter up to 1,000 ids (whole numbers) separated by commas",
        ),
        (
            [",".join(str(n) for n in range(1, 1002))],  # one field, 1,001 ids
            "Customers: enter up to 1,000 ids (whole numbers) separated by commas",
        ),
    ],
)
def test_a_bad_selection_is_refused_and_nothing_is_written(
    world: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    ids: list[str],
    message: str,
) -> None:
    client = client_for(world["admin"], "en")
    response = _bulk_export(
        client, django_capture_on_commit_callbacks, scope="selected", ids=ids
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ExportRecord.objects.count() == 0


def test_roles_that_know_customers_by_pseudonym_cannot_pick_by_number(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(world["analyst"], "en")
    response = _bulk_export(
        client,
        django_capture_on_commit_callbacks,
        scope="selected",
        ids=[str(world["own"].pk)],
    )
    assert response.status_code == 400
    assert (
        "Customers: your role knows customers by pseudonym, not number"
        in response.content.decode()
    )
    assert ExportRecord.objects.count() == 0

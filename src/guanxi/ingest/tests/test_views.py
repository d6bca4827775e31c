"""The import wizard through Django's test client: upload → mapping → preview →
confirm, problems on the preview, the Huey job, and who may use it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.models import ImportJob, ImportPreset
from guanxi.ingest.tests.conftest import customers_by_phone

GOOD = "订单号,下单时间,金额,手机号,称呼\nA-1,2024-01-05,88,13800138000,张伟\nA-2,2024-01-06,¥120,13900139000,李娜\n"
BAD = (
    "订单号,下单时间,金额,手机号\nA-1,2024-01-05,-1,13800138000\nA-2,2024-02-30,5,12\n"
)


@pytest.fixture
def client(client: Any) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def admin_client(client: Any, make_user: Any) -> Any:
    client.force_login(make_user(Role.OPERATIONS))
    return client


def _upload(
    client: Any, text: str, name: str = "orders.csv", encoding: str = "utf-8"
) -> Any:
    return client.post(
        reverse("ingest:upload"),
        {
            "kind": "orders",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile(name, text.encode(encoding), "text/csv"),
        },
    )


def _mapping_post(response: Any, **changes: str) -> dict[str, str]:
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("language", "about", "valid"),
    [
        (
            "en",
            "about 1 row",
            "The 1 row is valid: 1 will be created, 0 updated, 0 are unchanged.",
        ),
        ("zh-hans", "约 1 行", "全部 1 行有效：将新建 1，更新 0，0 未变。"),
    ],
)
def test_wizard_names_one_row_in_the_singular(
    admin_client: Any, counts: Any, language: str, about: str, valid: str
) -> None:
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    one = "订单号,下单时间,金额,手机号\nA-1,2024-01-05,88,13800138000\n"
    response = _upload(admin_client, one)
    mapping = admin_client.get(response["Location"])
    page = mapping.content.decode()
    assert about in page
    assert "1 rows" not in page
    posted = admin_client.post(response["Location"], _mapping_post(mapping))
    before = counts()
    preview = admin_client.get(posted["Location"]).content.decode()
    assert valid in preview
    assert "All 1 rows" not in preview
    assert counts() == before


def test_wizard_upload_mapping_preview_confirm(
    admin_client: Any,
    counts: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = _upload(admin_client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ingest:job-mapping", args=[job.pk])
    assert job.headers == ["订单号", "下单时间", "金额", "手机号", "称呼"]
    assert job.total_rows == 2

    mapping = admin_client.get(response["Location"])
    assert mapping.status_code == 200
    form = mapping.context["form"]
    assert form["map_order_id"].value() == "订单号"
    assert form["map_customer_phone"].value() == "手机号"
    assert form["map_customer_name"].value() == ""  # 称呼 is not a known header

    posted = admin_client.post(
        response["Location"],
        _mapping_post(mapping, map_customer_name="称呼", save_as="我的门店"),
    )
    assert posted.status_code == 302
    job.refresh_from_db()
    assert job.mapping == {"customer_name": "称呼"}
    assert ImportPreset.objects.get(name="我的门店").mapping["customer_name"] == [
        "称呼"
    ]

    before = counts()
    preview = admin_client.get(posted["Location"])
    assert preview.status_code == 200
    assert preview.context["report"].ok
    assert "All 2 rows are valid: 2 will be created, 0 updated, 0 are unchanged." in (
        preview.content.decode()
    )
    assert counts() == before

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin_client.post(reverse("ingest:job-confirm", args=[job.pk]))
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.report["created"] == 2
    assert job.report["customers_created"] == 2
    assert not job.file  # the uploaded copy of personal data is gone
    assert {p: c.name for p, c in customers_by_phone().items()} == {
        "+8613800138000": "张伟",
        "+8613900139000": "李娜",
    }
    page = admin_client.get(reverse("ingest:job-detail", args=[job.pk]))
    html = page.content.decode()
    assert "Imported: 2 created, 0 updated, 0 unchanged." in html
    assert 'hx-trigger="every 1s"' not in html
    # what was imported is one click away: the orders, not the customers
    assert (
        f'<a href="{reverse("commerce:order-list")}" id="imported-list">Orders</a>'
        in html
    )

    # Confirming again (a double click, a retried task) imports nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("ingest:job-confirm", args=[job.pk]))
    from guanxi.ingest.services import import_job_run

    import_job_run(job_id=job.pk)
    assert counts()["Order"] == 2


def test_preview_lists_every_problem_and_writes_nothing(
    admin_client: Any, counts: Any
) -> None:
    before = counts()
    response = _upload(admin_client, BAD)
    job = ImportJob.objects.get()
    preview = admin_client.get(reverse("ingest:job-preview", args=[job.pk]))
    assert preview.status_code == 200
    assert [e.as_dict() for e in preview.context["errors"]] == [
        {
            "line": 2,
            "column": "金额",
            "value": "-1",
            "message": "amount must not be negative",
        },
        {
            "line": 3,
            "column": "下单时间",
            "value": "2024-02-30",
            "message": "impossible date",
        },
        {
            "line": 3,
            "column": "手机号",
            "value": "**",
            "message": "not a valid phone number",
        },
    ]
    html = preview.content.decode()
    assert (
        "2 lines have problems. Nothing will be imported until the file is fixed."
        in html
    )
    assert "amount must not be negative" in html
    assert 'id="confirm-import"' not in html
    assert response.status_code == 302
    assert counts() == before


def test_a_customers_import_links_to_the_customers(admin_client: Any) -> None:
    response = admin_client.post(
        reverse("ingest:upload"),
        {
            "kind": "customers",
            "preset": "generic",
            "file": SimpleUploadedFile("c.csv", "手机号\n13800138000\n".encode()),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    html = admin_client.get(
        reverse("ingest:job-detail", args=[job.pk])
    ).content.decode()
    link = reverse("customers:customer-list")
    assert f'<a href="{link}" id="imported-list">Customers</a>' in html


def test_unreadable_upload_is_refused_with_the_reason(admin_client: Any) -> None:
    response = admin_client.post(
        reverse("ingest:upload"),
        {
            "kind": "customers",
            "preset": "generic",
            "file": SimpleUploadedFile("c.csv", "phone\n1\nJosé\n".encode("latin-1")),
        },
    )
    assert response.status_code == 400
    assert [e.message for e in response.context["problems"]] == [
        "cannot read the file as UTF-8 or GB18030 (line 3)"
    ]
    assert ImportJob.objects.count() == 0


def test_mapping_without_a_required_column_is_refused(admin_client: Any) -> None:
    response = _upload(admin_client, GOOD)
    mapping = admin_client.get(response["Location"])
    refused = admin_client.post(
        response["Location"], _mapping_post(mapping, map_amount="")
    )
    assert refused.status_code == 400
    assert [e.message for e in refused.context["problems"]] == [
        "no column for amount (expected a header like 金额, amount, 实付金额)"
    ]


def test_running_job_polls_for_progress(admin_client: Any) -> None:
    _upload(admin_client, GOOD)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    partial = admin_client.get(reverse("ingest:job-progress", args=[job.pk]))
    html = partial.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert reverse("ingest:job-progress", args=[job.pk]) in html
    assert "<html" not in html


@pytest.mark.parametrize("role", [Role.SERVICE, Role.ACCOUNT_MANAGER, Role.ANALYST])
def test_roles_that_may_not_import_get_404(
    role: Any, client: Any, make_user: Any, counts: Any
) -> None:
    client.force_login(make_user(role))
    assert client.get(reverse("ingest:upload")).status_code == 404
    assert _upload(client, GOOD).status_code == 404
    assert ImportJob.objects.count() == 0
    assert counts()["Order"] == 0


def test_logged_out_visitors_are_sent_to_login(client: Any) -> None:
    response = client.get(reverse("ingest:upload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_wizard_speaks_chinese_when_the_browser_does(admin_client: Any) -> None:
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    _upload(admin_client, BAD)
    job = ImportJob.objects.get()
    html = admin_client.get(
        reverse("ingest:job-preview", args=[job.pk])
    ).content.decode()
    assert "2 行有问题。文件修正之前不会导入任何数据。" in html
    assert "修改列对应" in html


def test_a_job_the_database_refuses_is_rejected_with_the_reason(
    admin_client: Any,
    counts: Any,
    huey_immediate: Any,
    make_customer: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from guanxi.customers.matching import CustomerMatcher

    make_customer(name="张伟", phone="+8613800138000")
    _upload(admin_client, GOOD)
    job = ImportJob.objects.get()
    before = counts()
    # Another writer records a customer of the file after the import's look.
    monkeypatch.setattr(CustomerMatcher, "prefetch", lambda self, keys: None)
    monkeypatch.setattr(CustomerMatcher, "may_know_more", lambda self: False)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    assert job.report["errors"] == [
        {
            "line": 0,
            "column": "",
            "value": "",
            "message": "a customer with a phone number or email address of this "
            "file was recorded by someone else while the import ran; nothing was "
            "written: please import the file again",
        }
    ]
    assert counts() == before
    html = admin_client.get(reverse("ingest:job-detail", args=[job.pk])).content
    assert "please import the file again" in html.decode()

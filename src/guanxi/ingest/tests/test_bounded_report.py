"""A file of very many bad rows gives a bounded list of problems (issue 8,
item 1): the first ``GUANXI_IMPORT_MAX_ERRORS`` (default 50) in line order,
every one counted, "and N more" on the terminal, in ``--json``, on the
wizard's pages and in the job record — in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.ingest.choices import JobStatus
from guanxi.ingest.models import ImportJob

NOT_SHOWN = (
    "and {n} more (the first {limit} are listed; an admin can raise this with "
    "GUANXI_IMPORT_MAX_ERRORS)"
)


def _bad_orders(rows: int) -> str:
    """``rows`` orders, each with two bad cells (amount and time)."""
    return "order_id,ordered_at,amount,phone\n" + "".join(
        f"A-{i},soon,free,13800138000\n" for i in range(rows)
    )


def test_a_file_of_200000_bad_rows_keeps_the_first_problems_and_counts_all(
    tmp_path: Path, db: Any, counts: Any
) -> None:
    from guanxi.ingest.readers import open_table
    from guanxi.ingest.services import import_run

    path = tmp_path / "bad.csv"
    path.write_text(_bad_orders(200_000), encoding="utf-8")
    before = counts()
    table = open_table(path)
    try:
        report = import_run(kind="orders", table=table)
    finally:
        table.close()
    assert len(report.errors) == 50
    assert [(e.line, e.column) for e in report.errors[:4]] == [
        (2, "ordered_at"),
        (2, "amount"),
        (3, "ordered_at"),
        (3, "amount"),
    ]
    assert [e.line for e in report.errors] == [n // 2 + 2 for n in range(50)]
    assert (report.errors_total, report.errors_not_shown) == (400_000, 399_950)
    assert report.rejected_rows == 200_000
    assert report.as_dict()["errors_total"] == 400_000
    assert counts() == before


@pytest.fixture
def limit_3(settings: Any) -> None:
    settings.GUANXI_IMPORT_LIMITS = {"max_errors": 3}


def test_the_command_lists_the_first_problems_and_says_how_many_more(
    limit_3: None, write_file: Callable[..., Path], run_import: Any
) -> None:
    path = write_file("o.csv", _bad_orders(10))
    result = run_import("orders", path)
    assert result.code == 1
    assert result.stderr.splitlines() == [
        'line 2, column "ordered_at", value "soon": not a date (expected e.g. '
        "2024-01-05, 2024/1/5 or 2024年1月5日)",
        'line 2, column "amount", value "free": not an amount',
        'line 3, column "ordered_at", value "soon": not a date (expected e.g. '
        "2024-01-05, 2024/1/5 or 2024年1月5日)",
        NOT_SHOWN.format(n=17, limit=3),
        "CommandError: import rejected: 10 rows with problems, nothing was written",
    ]
    as_json = run_import("orders", path, "--json")
    assert as_json.json == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected_rows": 10,
        "errors": [
            {
                "line": 2,
                "column": "ordered_at",
                "value": "soon",
                "message": "not a date (expected e.g. 2024-01-05, 2024/1/5 or "
                "2024年1月5日)",
            },
            {
                "line": 2,
                "column": "amount",
                "value": "free",
                "message": "not an amount",
            },
            {
                "line": 3,
                "column": "ordered_at",
                "value": "soon",
                "message": "not a date (expected e.g. 2024-01-05, 2024/1/5 or "
                "2024年1月5日)",
            },
        ],
        "errors_total": 20,
        "errors_not_shown": 17,
    }


def test_the_count_of_the_rest_is_in_chinese_too(
    limit_3: None,
    write_file: Callable[..., Path],
    run_import: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    result = run_import("orders", write_file("o.csv", _bad_orders(2_000)))
    assert result.stderr.splitlines()[-2:] == [
        "另有 3,997 个问题未列出（按行号列出前 3 个；管理员可用 "
        "GUANXI_IMPORT_MAX_ERRORS 调高）",
        "CommandError: 导入被拒绝：2000 行有问题，未写入任何数据",
    ]


def test_a_refused_file_says_so_in_chinese(
    write_file: Callable[..., Path], run_import: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    result = run_import("customers", write_file("e.csv", ""))
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == "CommandError: 文件被拒绝，未写入任何数据"


def test_problems_found_at_different_stages_are_listed_in_line_order(
    settings: Any,
    write_file: Callable[..., Path],
    run_import: Any,
    make_customer: Any,
) -> None:
    """Within a batch a row's cells are parsed before customers are matched:
    line 3's bad phone is found before line 2's conflict, yet line 2 is the
    first problem of the file and the one listed."""
    make_customer(phone="+8613800138000", email="a@example.com")
    make_customer(phone="+8613900139000", email="b@example.com")
    settings.GUANXI_IMPORT_LIMITS = {"max_errors": 1}
    text = "phone,email\n13800138000,b@example.com\n12,\n"
    result = run_import("customers", write_file("c.csv", text), "--json")
    assert result.json["errors"] == [
        {
            "line": 2,
            "column": "email",
            "value": "b***@example.com",
            "message": "belongs to another customer than the phone number of this row",
        }
    ]
    assert (result.json["errors_total"], result.json["rejected_rows"]) == (2, 2)


def test_notices_are_bounded_too(
    limit_3: None,
    write_file: Callable[..., Path],
    run_import: Any,
    make_customer: Any,
) -> None:
    for i in range(5):
        make_customer(name="张伟", phone=f"+861380013800{i}")
    text = "phone,name\n" + "".join(f"1380013800{i},张三\n" for i in range(5))
    result = run_import("customers", write_file("c.csv", text))
    assert result.code == 0
    kept = "differs from the value already recorded; the recorded value was kept"
    assert result.stderr.splitlines() == [
        *(f'notice: line {line}, column "name": {kept}' for line in (2, 3, 4)),
        "notice: " + NOT_SHOWN.format(n=2, limit=3),
    ]


@pytest.fixture
def importer(client: Any, make_user: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "uploads")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.OPERATIONS))
    return client


def test_the_wizard_lists_the_first_problems_and_says_how_many_more(
    limit_3: None,
    importer: Any,
    counts: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = counts()
    upload = importer.post(
        reverse("ingest:upload"),
        {
            "kind": "orders",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile("o.csv", _bad_orders(1_500).encode()),
        },
    )
    assert upload.status_code == 302
    job = ImportJob.objects.get()
    preview = importer.get(reverse("ingest:job-preview", args=[job.pk]))
    html = preview.content.decode()
    assert [(e.line, e.column) for e in preview.context["errors"]] == [
        (2, "ordered_at"),
        (2, "amount"),
        (3, "ordered_at"),
    ]
    assert "1,500 lines have problems." in html
    assert "3,000 problems" in html
    assert html.count('class="problem"') == 3
    more = (
        "… and 2,997 more (the first ones in line order are listed; an admin can "
        "raise how many with GUANXI_IMPORT_MAX_ERRORS)."
    )
    assert more in html
    job.refresh_from_db()
    assert len(job.report["errors"]) == 3  # the job record is bounded too
    assert (job.report["errors_total"], job.report["errors_not_shown"]) == (3000, 2997)

    with django_capture_on_commit_callbacks(execute=True):
        importer.post(reverse("ingest:job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    assert len(job.report["errors"]) == 3
    page = importer.get(reverse("ingest:job-detail", args=[job.pk])).content.decode()
    assert "3,000 problems" in page
    assert more in page
    assert counts() == before


def test_the_wizard_does_not_show_personal_values(importer: Any, counts: Any) -> None:
    text = "手机号,姓名,生日\n1380013800x,张\x02三,1990-02-30\n"
    importer.post(
        reverse("ingest:upload"),
        {
            "kind": "customers",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile("c.csv", text.encode()),
        },
    )
    job = ImportJob.objects.get()
    preview = importer.get(reverse("ingest:job-preview", args=[job.pk]))
    html = preview.content.decode()
    assert [e.as_dict() for e in preview.context["errors"]] == [
        {
            "line": 2,
            "column": "姓名",
            "value": None,
            "message": "control character U+0002 at position 2 is not allowed",
        },
        {
            "line": 2,
            "column": "手机号",
            "value": "138****800x",
            "message": "not a valid phone number",
        },
        {"line": 2, "column": "生日", "value": None, "message": "impossible date"},
    ]
    assert "1380013800x" not in html and "1990-02-30" not in html
    assert html.count("(not shown)") == 2
    job.refresh_from_db()
    assert "1380013800x" not in str(job.report)

"""The admins' audit page: search by person, customer, action and days,
keyset pages, exact messages for a search that is wrong, and the CSV export
(itself recorded). Other roles are refused (see access_cases.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent
from guanxi.audit.services import record

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _make(moment: dt.datetime, action: str, actor: Any, **values: Any) -> AuditEvent:
    # Events at chosen moments: written directly (record() stamps now).
    return AuditEvent.objects.create(
        at=moment,
        action=action,
        actor=actor,
        actor_label=actor.get_username(),
        role=actor.staff_profile.role,
        **values,
    )


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def log(users: dict[str, Any]) -> dict[str, AuditEvent]:
    """Four events on three days (Shanghai time) by two people."""
    service, manager = users["service"], users["account_manager"]
    return {
        "view": _make(
            _at(1, 0), "customer.viewed", service, customer_id=41,
            object_type="customer", object_id="41", details={"via": "web"},
        ),
        "export": _make(
            _at(1, 23), "export", manager, object_type="export", object_id="9",
            details={"kind": "customers", "format": "csv", "rows": 12,
                     "role_applied": "account_manager", "filters": ["city"]},
        ),
        "view2": _make(
            _at(2, 9), "customer.viewed", manager, customer_id=41,
            details={"via": "api"},
        ),
        "late": _make(
            _at(3, 0), "customer.viewed", service, customer_id=42,
            details={"via": "web"},
        ),
    }  # fmt: skip


def _shown(html: str, log: dict[str, AuditEvent]) -> list[str]:
    """The fixture's events on the page, in the page's order."""
    found = []
    for name, event in log.items():
        marker = f'data-event="{event.pk}"'
        if marker in html:
            found.append((html.index(marker), name))
    return [name for _, name in sorted(found)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["late", "view2", "export", "view"]),
        ("person=SERVICE", ["late", "view"]),
        ("customer=41", ["view2", "view"]),
        ("action=export", ["export"]),
        ("date_from=2026-11-01&date_to=2026-11-01", ["export", "view"]),
        ("date_from=2026-11-02", ["late", "view2"]),
        ("date_to=2026-11-02&customer=41&person=account_manager", ["view2"]),
    ],
)
def test_the_search_finds_by_person_customer_action_and_local_days(
    users: dict[str, Any], log: dict[str, AuditEvent], query: str, expected: list[str]
) -> None:
    answer = _client(users["admin"]).get(f"/audit/?{query}")
    assert answer.status_code == 200
    assert _shown(answer.content.decode(), log) == expected


def test_the_page_reads_in_words(
    users: dict[str, Any], log: dict[str, AuditEvent]
) -> None:
    html = _client(users["admin"]).get("/audit/?action=export").content.decode()
    assert "Exported data" in html
    assert 'account_manager <span class="muted">(Account manager)</span>' in html
    assert "rows: 12" in html
    assert "role applied: Account manager" in html
    assert "filters: city" in html
    zh = _client(users["admin"], "zh-hans").get("/audit/?action=export")
    assert "导出了数据" in zh.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "The start date is not a date (e.g. 2026-12-05)."),
        ("date_to=yesterday", "The end date is not a date (e.g. 2026-12-05)."),
        (
            "date_from=2026-11-03&date_to=2026-11-01",
            "The start date is after the end date.",
        ),
        ("action=customer.peeked", "Unknown action: 'customer.peeked'."),
        ("customer=abc", "The customer number is a whole number."),
        ("customer=-4", "The customer number is a whole number."),
        ("person=nobody-here", "Nobody on the team has the username 'nobody-here'."),
    ],
)
def test_a_wrong_search_says_exactly_what_is_wrong(
    users: dict[str, Any], log: dict[str, AuditEvent], query: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    answer = _client(users["admin"]).get(f"/audit/?{query}")
    assert answer.status_code == 400
    html = answer.content.decode()
    shown = escape(message)
    assert f'<p class="message error" role="alert" id="audit-error">{shown}</p>' in html
    assert _shown(html, log) == []
    assert AuditEvent.objects.count() == before
    export = _client(users["admin"]).get(f"/audit/export.csv?{query}")
    assert export.status_code == 400
    assert f'<p class="message error">{shown}</p>' in export.content.decode()
    assert AuditEvent.objects.count() == before


def test_a_wrong_search_in_chinese(
    users: dict[str, Any], log: dict[str, AuditEvent]
) -> None:
    answer = _client(users["admin"], "zh-hans").get("/audit/?date_from=2026-02-30")
    assert answer.status_code == 400
    assert "开始日期不是日期（例如 2026-12-05）。" in answer.content.decode()


def test_pages_follow_keys_not_offsets(users: dict[str, Any]) -> None:
    for i in range(120):
        _make(_at(1, 0) + dt.timedelta(minutes=i), "export", users["service"])
    client = _client(users["admin"])
    first = client.get("/audit/")
    html = first.content.decode()
    assert html.count("data-event=") == 50
    assert "120 results" in html
    seen = []
    url = "/audit/"
    while url:
        page = client.get(url).content.decode()
        seen += [int(x.split('"')[1]) for x in page.split("data-event=")[1:]]
        marker = 'rel="next" href="'
        url = (
            page.split(marker)[1].split('"')[0].replace("&amp;", "&")
            if marker in page
            else ""
        )
    newest_first = list(
        AuditEvent.objects.order_by("-at", "-id").values_list("id", flat=True)
    )
    assert seen == newest_first


def test_the_csv_export_holds_the_search_and_is_recorded(
    users: dict[str, Any], log: dict[str, AuditEvent]
) -> None:
    answer = _client(users["admin"]).get("/audit/export.csv?customer=41")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "at", "actor", "role", "action", "customer", "object_type", "object_id",
        "details",
    ]  # fmt: skip
    assert rows[1:] == [
        ["2026-11-02T09:00:00+08:00", "account_manager", "account_manager",
         "customer.viewed", "41", "", "", '{"via": "api"}'],
        ["2026-11-01T00:00:00+08:00", "service", "service", "customer.viewed",
         "41", "customer", "41", '{"via": "web"}'],
    ]  # fmt: skip
    recorded = AuditEvent.objects.order_by("-id").first()
    assert recorded is not None
    assert (recorded.action, recorded.actor_label, recorded.details) == (
        "export",
        "admin",
        {"kind": "audit", "format": "csv", "rows": 2, "status": "done",
         "role_applied": "admin", "filters": ["customer"], "for_people": False},
    )  # fmt: skip


def test_the_export_guards_cells_against_formulas(users: dict[str, Any]) -> None:
    from guanxi.access.choices import Role
    from guanxi.access.services import staff_user_create

    odd = staff_user_create(username="=cmd", password=None, role=Role.SERVICE)
    record(action=AuditAction.EXPORTED, actor=odd)
    answer = _client(users["admin"]).get("/audit/export.csv?person=%3Dcmd")
    body = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    assert list(csv.reader(io.StringIO(body)))[1][1] == "'=cmd"


@pytest.mark.parametrize(
    "role", ["operations", "service", "account_manager", "analyst"]
)
def test_other_roles_are_refused_and_nothing_is_recorded(
    users: dict[str, Any], log: dict[str, AuditEvent], role: str
) -> None:
    before = AuditEvent.objects.count()
    client = _client(users[role])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert AuditEvent.objects.count() == before


def test_a_wrong_search_from_the_form_swaps_in_its_message(
    users: dict[str, Any], log: dict[str, AuditEvent]
) -> None:
    answer = _client(users["admin"]).get("/audit/?customer=x", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200  # htmx swaps only 2xx answers
    html = answer.content.decode()
    assert html.strip().startswith('<p class="message error" role="alert"')
    assert "The customer number is a whole number." in html
    assert "<html" not in html

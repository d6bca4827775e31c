"""The inbox page and closing a task from it (htmx and plain posts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.care.choices import TaskStatus
from guanxi.care.models import CareTask, ChurnWarning
from guanxi.customers.models import Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(make_customer: Any, users: dict[str, Any]) -> CareTask:
    customer = make_customer(name="李娜", assigned_manager=users["account_manager"])
    today = timezone.localdate()
    warning = ChurnWarning.objects.create(
        customer=customer,
        signals={
            "complaints": {"as_of": "2026-11-20", "count": 4, "month": "2026-11"},
            "no_purchase": {"as_of": "2026-11-20", "days": 30},
        },
        opened_as_of=today,
        as_of=today,
    )
    return CareTask.objects.create(
        warning=warning,
        customer=customer,
        owner=users["account_manager"],
        due_on=today - dt.timedelta(days=1),
        priority=2,
        remedy="free_upgrade",
    )


def _client(user: Any, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_inbox_in_english(task: CareTask, users: dict[str, Any]) -> None:
    page = _client(users["account_manager"], "en").get(reverse("care:inbox"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "李娜" in text
    assert "4 complaints in 2026-11." in text
    assert "No purchase for 30 days." in text
    assert "Hello, we are very sorry for the trouble" in text  # complaints first
    assert "Free upgrade" in text
    assert "Overdue since" in text


def test_inbox_in_chinese(task: CareTask, users: dict[str, Any]) -> None:
    text = (
        _client(users["account_manager"], "zh-hans")
        .get(reverse("care:inbox"))
        .content.decode()
    )
    assert "非常抱歉最近给您带来了不好的体验" in text
    assert "今日待办" in text


def test_another_manager_sees_nothing(task: CareTask, users: dict[str, Any]) -> None:
    client = _client(users["other_manager"], "en")
    assert "李娜" not in client.get(reverse("care:inbox")).content.decode()
    assert client.get(reverse("care:inbox-count")).content.decode().strip() == ""
    close = client.post(
        reverse("care:task-close", args=[task.pk]), {"outcome": "reached"}
    )
    assert close.status_code == 404
    assert CareTask.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_the_header_count(task: CareTask, users: dict[str, Any]) -> None:
    client = _client(users["account_manager"], "en")
    assert 'id="care-count"' in client.get(reverse("care:inbox-count")).content.decode()
    assert (
        reverse("care:inbox-count")
        in client.get(reverse("care:inbox")).content.decode()
    )


def test_close_with_htmx(task: CareTask, users: dict[str, Any]) -> None:
    client = _client(users["account_manager"], "en")
    answer = client.post(
        reverse("care:task-close", args=[task.pk]),
        {
            "outcome": "not_reached",
            "leave_reason": "",
            "remedy_offered": "",
            "note": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    assert "Task closed: Not reached." in answer.content.decode()
    assert CareTask.objects.get(pk=task.pk).status == TaskStatus.DONE
    assert (
        Interaction.objects.filter(customer=task.customer, source="care").count() == 1
    )


def test_close_without_outcome_is_refused(
    task: CareTask, users: dict[str, Any]
) -> None:
    client = _client(users["account_manager"], "en")
    answer = client.post(
        reverse("care:task-close", args=[task.pk]),
        {"outcome": "", "note": "called twice"},
        HTTP_HX_REQUEST="true",
    )
    text = answer.content.decode()
    assert answer.status_code == 200
    assert "Choose an outcome: reached or not reached." in text
    assert "called twice" in text  # what was typed is kept
    plain = client.post(
        reverse("care:task-close", args=[task.pk]),
        {"outcome": "reached", "leave_reason": "x"},
    )
    assert plain.status_code == 400
    assert (
        "Unknown reason for leaving: choose price, service, product, competitor, moved or other."
        in plain.content.decode()
    )
    stored = CareTask.objects.get(pk=task.pk)
    assert stored.status == TaskStatus.OPEN and stored.outcome == ""
    assert not Interaction.objects.filter(source="care").exists()


def test_the_team_view_names_the_owner(task: CareTask, users: dict[str, Any]) -> None:
    client = _client(users["service"], "en")
    mine = client.get(reverse("care:inbox")).content.decode()
    team = client.get(reverse("care:inbox") + "?team=1").content.decode()
    assert "李娜" not in mine
    assert "Owner: account_manager" in team
    manager = _client(users["account_manager"], "en")
    assert (
        "Owner:" not in manager.get(reverse("care:inbox") + "?team=1").content.decode()
    )

"""The seed checklist as recurring tasks: made once per person, item and
period for the roles it names, shown in their inbox, ticked off by their
owner only; operations and analysts see their checklist, never a customer's
care task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from guanxi.care.checklist import period_start
from guanxi.care.choices import ChecklistStatus, Period
from guanxi.care.models import CareTask, ChecklistTask, ChurnWarning
from guanxi.care.services import checklist_close, checklist_create
from guanxi.core.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db

# A Thursday in the middle of the fourth quarter.
DAY = dt.date(2026, 11, 19)


def _items() -> dict[str, set[tuple[str, dt.date]]]:
    found: dict[str, set[tuple[str, dt.date]]] = {}
    for username, item, start in ChecklistTask.objects.values_list(
        "owner__username", "item", "period_start"
    ):
        found.setdefault(username, set()).add((item, start))
    return found


def test_period_starts() -> None:
    assert period_start(Period.DAY, DAY) == DAY
    assert period_start(Period.WEEK, DAY) == dt.date(2026, 11, 16)
    assert period_start(Period.MONTH, DAY) == dt.date(2026, 11, 1)
    assert period_start(Period.QUARTER, DAY) == dt.date(2026, 10, 1)
    assert period_start(Period.QUARTER, dt.date(2026, 3, 31)) == dt.date(2026, 1, 1)


def test_each_role_gets_its_items_once_per_period(users: dict[str, Any]) -> None:
    assert checklist_create(today=DAY) == 6
    assert _items() == {
        "service": {("review_warnings", DAY)},
        "account_manager": {("review_warnings", DAY)},
        "other_manager": {("review_warnings", DAY)},
        "operations": {
            ("care_messages", dt.date(2026, 11, 16)),
            ("customer_event", dt.date(2026, 10, 1)),
        },
        "analyst": {("review_metrics", dt.date(2026, 11, 1))},
    }
    # Idempotent: the same day (every hour) adds nothing.
    assert checklist_create(today=DAY) == 0
    assert ChecklistTask.objects.count() == 6
    # The next day: only the daily items are new; yesterday's open ones missed.
    assert checklist_create(today=DAY + dt.timedelta(days=1)) == 3
    missed = ChecklistTask.objects.filter(status=ChecklistStatus.MISSED)
    assert set(missed.values_list("item", "period_start")) == {("review_warnings", DAY)}
    assert missed.count() == 3
    assert ChecklistTask.objects.filter(status=ChecklistStatus.OPEN).count() == 6


def test_inactive_users_get_nothing(users: dict[str, Any]) -> None:
    users["analyst"].is_active = False
    users["analyst"].save()
    checklist_create(today=DAY)
    assert "analyst" not in _items()


def test_only_the_owner_ticks_it_off(users: dict[str, Any]) -> None:
    checklist_create(today=DAY)
    task = ChecklistTask.objects.get(owner=users["analyst"])
    for other in ("admin", "operations", "service"):
        with pytest.raises(NotFound):
            checklist_close(actor=users[other], pk=task.pk)
    assert ChecklistTask.objects.get(pk=task.pk).status == ChecklistStatus.OPEN
    checklist_close(actor=users["analyst"], pk=task.pk)
    assert ChecklistTask.objects.get(pk=task.pk).status == ChecklistStatus.DONE
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        checklist_close(actor=users["analyst"], pk=task.pk)
    assert caught.value.message == "This checklist task is already closed."


def _client(user: Any, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_analysts_see_their_checklist_but_no_care_task(
    users: dict[str, Any], make_customer: Any
) -> None:
    customer = make_customer(name="李娜")
    warning = ChurnWarning.objects.create(
        customer=customer, signals={}, opened_as_of=DAY, as_of=DAY
    )
    CareTask.objects.create(
        warning=warning,
        customer=customer,
        owner=users["service"],
        due_on=DAY,
        remedy="coupon",
    )
    checklist_create(today=DAY)
    for role, label, language in (
        ("analyst", "Analyse repurchase, churn and LTV", "en"),
        ("operations", "发送个性化关怀", "zh-hans"),
    ):
        client = _client(users[role], language)
        page = client.get(reverse("care:inbox"))
        text = page.content.decode()
        assert page.status_code == 200
        assert label in text
        assert "李娜" not in text and "task-close" not in text
        team = client.get(reverse("care:inbox") + "?team=1").content.decode()
        assert "李娜" not in team
        badge = client.get(reverse("care:inbox-count")).content.decode()
        expected = "2" if role == "operations" else "1"
        assert f">{expected}</span>" in badge


def test_ticking_off_in_the_inbox(users: dict[str, Any]) -> None:
    checklist_create(today=DAY)
    task = ChecklistTask.objects.get(owner=users["service"])
    client = _client(users["service"], "en")
    assert (
        f'id="checklist-{task.pk}"'
        in client.get(reverse("care:inbox")).content.decode()
    )
    answer = client.post(
        reverse("care:checklist-close", args=[task.pk]), HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200
    assert "Done: Review the early warnings in the CRM" in answer.content.decode()
    assert ChecklistTask.objects.get(pk=task.pk).status == ChecklistStatus.DONE
    # Another person's: as if it did not exist, and unchanged.
    theirs = ChecklistTask.objects.get(owner=users["account_manager"])
    refused = client.post(reverse("care:checklist-close", args=[theirs.pk]))
    assert refused.status_code == 404
    assert ChecklistTask.objects.get(pk=theirs.pk).status == ChecklistStatus.OPEN


def test_the_periodic_task_makes_them(users: dict[str, Any]) -> None:
    from guanxi.care.tasks import checklist_periodic_task

    checklist_periodic_task.call_local()
    checklist_periodic_task.call_local()
    assert ChecklistTask.objects.filter(owner=users["service"]).count() == 1

"""Closing a care task: validated, scoped, recorded on the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.care.choices import TaskStatus
from guanxi.care.models import CareTask
from guanxi.care.selectors import care_script, task_inbox, task_inbox_count
from guanxi.care.services import task_close, warnings_evaluate
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def task(make_customer: Any, users: dict[str, Any]) -> CareTask:
    customer = make_customer(assigned_manager=users["account_manager"])
    make_snapshot(customer, DAY, days_since_last_purchase=30)
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    return CareTask.objects.get()


def _unchanged(task: CareTask) -> None:
    stored = CareTask.objects.get(pk=task.pk)
    assert stored.status == TaskStatus.OPEN
    assert (stored.outcome, stored.leave_reason, stored.note) == ("", "", "")
    assert not Interaction.objects.filter(source="care").exists()


def test_close_records_the_outcome_on_the_timeline(
    task: CareTask, users: dict[str, Any]
) -> None:
    with translation.override("en"):
        closed = task_close(
            actor=users["account_manager"],
            task_id=task.pk,
            outcome="reached",
            leave_reason="price",
            remedy_offered="coupon",
            note="Will come back next week.",
        )
    assert closed.status == TaskStatus.DONE
    assert (closed.outcome, closed.leave_reason, closed.remedy_offered) == (
        "reached",
        "price",
        "coupon",
    )
    assert closed.closed_by == users["account_manager"]
    entry = Interaction.objects.get(source="care")
    assert entry.customer_id == task.customer_id
    assert entry.kind == "note"
    assert entry.note == (
        "Care task closed: Reached.\nReason for leaving: Price.\n"
        "Remedy offered: Coupon.\nWill come back next week."
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"outcome": ""}, "Choose an outcome: reached or not reached."),
        ({"outcome": "maybe"}, "Choose an outcome: reached or not reached."),
        (
            {"outcome": "reached", "leave_reason": "weather"},
            "Unknown reason for leaving: choose price, service, product, "
            "competitor, moved or other.",
        ),
        (
            {"outcome": "reached", "remedy_offered": "cash"},
            "Unknown remedy: choose coupon, free upgrade, a call from the account "
            "manager or none.",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    task: CareTask, users: dict[str, Any], values: dict[str, str], message: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        task_close(actor=users["account_manager"], task_id=task.pk, **values)
    assert caught.value.message == message
    _unchanged(task)


def test_a_closed_task_cannot_be_closed_again(
    task: CareTask, users: dict[str, Any]
) -> None:
    task_close(actor=users["account_manager"], task_id=task.pk, outcome="not_reached")
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        task_close(actor=users["account_manager"], task_id=task.pk, outcome="reached")
    assert caught.value.message == "This task is already closed."
    assert CareTask.objects.get(pk=task.pk).outcome == "not_reached"


def test_scope_another_manager_and_other_roles(
    task: CareTask, users: dict[str, Any]
) -> None:
    with pytest.raises(NotFound):
        task_close(actor=users["other_manager"], task_id=task.pk, outcome="reached")
    for role in ("operations", "analyst"):
        with pytest.raises(PermissionDenied):
            task_close(actor=users[role], task_id=task.pk, outcome="reached")
    _unchanged(task)
    # Service and admins work the team's tasks.
    task_close(actor=users["service"], task_id=task.pk, outcome="reached")


def test_inbox_mine_and_the_team(task: CareTask, users: dict[str, Any]) -> None:
    today = DAY + dt.timedelta(days=1)
    manager = users["account_manager"]
    assert list(task_inbox(actor=manager, today=today)) == [task]
    assert task_inbox_count(actor=manager, today=today) == 1
    # Not yet due the day before.
    assert task_inbox_count(actor=manager, today=DAY) == 0
    assert list(task_inbox(actor=users["other_manager"], today=today, team=True)) == []
    assert list(task_inbox(actor=users["service"], today=today)) == []
    assert list(task_inbox(actor=users["service"], today=today, team=True)) == [task]
    assert task_inbox_count(actor=users["analyst"], today=today) == 0


def test_scripts_in_both_languages_and_editable() -> None:
    from guanxi.care.models import CareScript

    assert care_script(signal="no_purchase", language="zh-hans") == (
        "您好,最近没看到您来购物,是产品哪里不满意吗?我们想听听您的意见。"
    )
    assert care_script(signal="no_purchase", language="en").startswith(
        "Hello, we haven't seen you"
    )
    CareScript.objects.filter(signal="no_purchase").update(text_en="Hi there.")
    assert care_script(signal="no_purchase", language="en") == "Hi there."


def test_each_later_step_has_its_words_or_the_step_before() -> None:
    from guanxi.care.models import CareSettings
    from guanxi.care.selectors import care_follow_up

    # Shipped: step 2 makes the offer, step 3 invites back; 4 and 5 say 3's.
    offer = care_follow_up(language="zh-hans", step=2)
    assert offer.startswith("您好,上次和您聊过之后")
    back = care_follow_up(language="zh-hans", step=3)
    assert "回归专享礼包" in back
    assert care_follow_up(language="zh-hans", step=4) == back
    assert care_follow_up(language="en", step=5).startswith("Hello, thank you for")
    CareSettings.objects.update_or_create(
        pk=1, defaults={"step4_en": "Step four.", "step3_en": ""}
    )
    assert care_follow_up(language="en", step=3).startswith("Hello, since we last")
    assert care_follow_up(language="en", step=4) == "Step four."
    assert care_follow_up(language="en", step=5) == "Step four."
    assert care_follow_up(language="zh-hans", step=3) == back  # Chinese unchanged


def test_the_inbox_shows_the_words_of_the_tasks_step(
    task: CareTask, users: dict[str, Any]
) -> None:
    from guanxi.access.policies import policy_for
    from guanxi.care.models import CareSettings
    from guanxi.care.presenters import task_row

    CareSettings.objects.update_or_create(
        pk=1, defaults={"step3_en": "Come back to us.", "follow_up_en": "An offer."}
    )
    policy = policy_for(users["admin"])
    scripts: dict[tuple[str, str], str] = {}
    words = []
    with translation.override("en"):
        for step in (1, 2, 3):
            CareTask.objects.filter(pk=task.pk).update(step=step)
            row = task_row(
                CareTask.objects.get(pk=task.pk),
                policy=policy,
                today=DAY,
                scripts=scripts,
            )
            words.append(row["script"])
    assert words[0].startswith("Hello, we haven't seen you")
    assert words[1:] == ["An offer.", "Come back to us."]

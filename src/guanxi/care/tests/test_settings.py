"""The care settings page: global and per-quadrant thresholds and the plan,
for admins; exact messages and nothing saved on bad input; changes recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.audit.models import AuditEvent
from guanxi.care.models import CareSettings, CareSettingsChange, QuadrantThresholds
from guanxi.care.services import care_settings_save
from guanxi.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db

VALID = {
    "no_purchase_days": "30",
    "rhythm_factor": "3",
    "p_alive_below": "0.3",
    "quiet_days": "7",
    "active_window_days": "30",
    "drop_ratio": "0.5",
    "complaints_per_month_above": "3",
    "negative_from": "0.6",
    "churn_risk_from": "0.7",
    "task_due_days": "1",
    "check_back_days": "7",
    "plan_steps": "2",
    "follow_up_zh": "您好,我们为您准备了一份专属优惠。",
    "follow_up_en": "Hello, we have an offer for you.",
    # As the page shows them: step 3's shipped words, steps 4 and 5 blank.
    "step3_zh": CareSettings().step3_zh,
    "step3_en": CareSettings().step3_en,
    "step4_zh": "",
    "step4_en": "",
    "step5_zh": "",
    "step5_en": "",
}


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _state() -> tuple[Any, ...]:
    config = CareSettings.objects.filter(pk=1).values().first()
    rows = list(QuadrantThresholds.objects.values())
    return config, rows, CareSettingsChange.objects.count()


def test_the_page_shows_the_defaults_in_both_languages(users: dict[str, Any]) -> None:
    page = _client(users["admin"]).get(reverse("care:settings"))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="no_purchase_days" value="30"' in text
    assert 'name="star-no_purchase_days" value=""' in text
    assert 'placeholder="30"' in text
    assert "Star customers: their own thresholds" in text
    assert "No changes yet" in text
    chinese = _client(users["admin"], "zh-hans").get(reverse("care:settings"))
    assert "关怀设置" in chinese.content.decode()
    assert "明星客户" in chinese.content.decode()


def test_saving_global_and_quadrant_values_records_the_change(
    users: dict[str, Any],
) -> None:
    data = {
        **VALID,
        "no_purchase_days": "20",
        "star-no_purchase_days": "14",
        "basic-no_purchase_days": "60",
        "star-drop_ratio": "0.8",
        "plan_steps": "3",
    }
    response = _client(users["admin"]).post(reverse("care:settings"), data)
    assert response.status_code == 302
    config = CareSettings.objects.get(pk=1)
    assert (config.no_purchase_days, config.plan_steps) == (20, 3)
    star = QuadrantThresholds.objects.get(quadrant="star")
    assert (star.no_purchase_days, star.drop_ratio, star.quiet_days) == (14, 0.8, None)
    assert QuadrantThresholds.objects.get(quadrant="basic").no_purchase_days == 60
    assert not QuadrantThresholds.objects.filter(quadrant="potential").exists()
    change = CareSettingsChange.objects.get()
    assert change.changed_by == users["admin"]
    assert change.changes == {
        "no_purchase_days": [30, 20],
        "plan_steps": [2, 3],
        "follow_up_zh": [CareSettings().follow_up_zh, VALID["follow_up_zh"]],
        "follow_up_en": [CareSettings().follow_up_en, VALID["follow_up_en"]],
        "star.no_purchase_days": [None, 14],
        "star.drop_ratio": [None, 0.8],
        "basic.no_purchase_days": [None, 60],
    }
    page = _client(users["admin"]).get(reverse("care:settings")).content.decode()
    assert "admin" in page and "Star · No purchase for (days) — → 14" in page
    # Saving the same again records nothing; blanking a quadrant removes it.
    _client(users["admin"]).post(reverse("care:settings"), data)
    assert CareSettingsChange.objects.count() == 1
    del data["basic-no_purchase_days"]
    _client(users["admin"]).post(reverse("care:settings"), data)
    assert not QuadrantThresholds.objects.filter(quadrant="basic").exists()
    assert CareSettingsChange.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("no_purchase_days", "-1", "No purchase for (days): enter a whole number from 1 to 3650."),
        ("no_purchase_days", "", "No purchase for (days): enter a whole number from 1 to 3650."),
        ("quiet_days", "2.5", "No interaction for (days): enter a whole number from 1 to 365."),
        ("p_alive_below", "1.5", "P(alive) below: enter a probability from 0 to 1."),
        ("negative_from", "-0.1", "Negative feedback: probability from: enter a probability from 0 to 1."),
        ("drop_ratio", "0", "Interactions this week below this share of the week before: enter a ratio above 0 and at most 1."),
        ("drop_ratio", "-0.5", "Interactions this week below this share of the week before: enter a ratio above 0 and at most 1."),
        ("rhythm_factor", "nan", "Days since last purchase above this many usual gaps: enter a number above 0 and at most 100."),
        ("plan_steps", "0", "Steps of the plan: enter a whole number from 1 to 5."),
        ("star-no_purchase_days", "-14", "Star · No purchase for (days): enter a whole number from 1 to 3650."),
        ("basic-churn_risk_from", "2", "Basic · Churn risk from: enter a probability from 0 to 1."),
        ("follow_up_en", "  ", "Script of step 2 (English): enter the words, at most 2000 characters."),
        ("step4_zh", "话" * 2001, "Script of step 4 (Chinese): enter the words, at most 2000 characters."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_its_message_and_nothing_changes(
    users: dict[str, Any], field: str, value: str, message: str
) -> None:
    _client(users["admin"]).post(
        reverse("care:settings"), {**VALID, "star-quiet_days": "3"}
    )
    before = _state()
    data = {**VALID, "star-quiet_days": "3", "no_purchase_days": "25", field: value}
    response = _client(users["admin"]).post(reverse("care:settings"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert "Nothing was saved." in text
    assert _state() == before


def test_every_wrong_field_is_named_at_once(users: dict[str, Any]) -> None:
    data = {**VALID, "quiet_days": "-7", "star-p_alive_below": "3"}
    text = _client(users["admin"]).post(reverse("care:settings"), data).content.decode()
    assert "No interaction for (days): enter a whole number from 1 to 365." in text
    assert "Star · P(alive) below: enter a probability from 0 to 1." in text
    assert CareSettings.objects.filter(pk=1).first() is None


def test_chinese_message(users: dict[str, Any]) -> None:
    data = {**VALID, "drop_ratio": "0"}
    response = _client(users["admin"], "zh-hans").post(reverse("care:settings"), data)
    assert response.status_code == 400
    assert "请输入大于 0 且不超过 1 的比例" in response.content.decode()


def test_a_save_is_in_the_audit_log_by_the_names_of_the_settings(
    users: dict[str, Any],
) -> None:
    care_settings_save(actor=users["admin"], values={**VALID, "no_purchase_days": "45"})
    care_settings_save(actor=users["admin"], values={**VALID, "no_purchase_days": "45"})
    events = list(AuditEvent.objects.filter(action="settings.changed"))
    assert [(e.actor_id, e.details) for e in events] == [
        (
            users["admin"].pk,
            {
                "settings": "care",
                # VALID's later-step scripts are not the defaults either.
                "fields": ["follow_up_en", "follow_up_zh", "no_purchase_days"],
                "via": "web",
            },
        )
    ]


def test_only_admins_save(users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        care_settings_save(actor=users["service"], values=VALID)
    assert CareSettings.objects.filter(pk=1).first() is None

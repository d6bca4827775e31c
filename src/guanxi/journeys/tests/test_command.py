"""``guanxi journeys run|list|enable|disable``."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from guanxi.journeys.models import Journey

pytestmark = pytest.mark.django_db

DEFINITION = {
    "trigger": {"type": "date", "field": "birthday"},
    "steps": [{"id": "tag", "type": "add_tag", "tag": "生日月"}],
}


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command("journeys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_run_prints_exactly_one_object_and_a_second_run_adds_nothing(
    make_customer: Any, make_journey: Any
) -> None:
    make_journey(DEFINITION, holdout_percent=0)
    born = [
        make_customer(birthday=dt.date(1990, 3, 14)),
        make_customer(birthday=dt.date(1985, 3, 2)),
    ]
    make_customer(birthday=dt.date(1990, 4, 14))
    first = json.loads(_call("run", "--as-of", "2027-03-01", "--json"))
    assert list(first) == ["evaluated", "enrolled", "advanced", "queued", "seconds"]
    assert {k: first[k] for k in ("evaluated", "enrolled", "advanced", "queued")} == {
        "evaluated": 1,
        "enrolled": 2,
        "advanced": 2,
        "queued": 0,
    }
    assert isinstance(first["seconds"], float)
    second = json.loads(_call("run", "--as-of", "2027-03-01", "--json"))
    assert (second["enrolled"], second["advanced"], second["queued"]) == (0, 0, 0)
    # Once per year by default: later in March nobody enters again.
    assert json.loads(_call("run", "--as-of", "2027-03-20", "--json"))["enrolled"] == 0
    for customer in born:
        assert list(customer.tags.values_list("name", flat=True)) == ["生日月"]


def test_list_enable_and_disable(make_journey: Any) -> None:
    make_journey(DEFINITION, on=False, slug="birthday")
    listed = json.loads(_call("list", "--json"))["journeys"]
    assert [j["slug"] for j in listed] == ["birthday"]
    assert listed[:1] == [
        {
            "slug": "birthday",
            "state": "off",
            "name_zh": "测试",
            "name_en": "Test",
            "version": 1,
            "active": 0,
        }
    ]
    assert _call("enable", "birthday") == "birthday is on.\n"
    journey = Journey.objects.get(slug="birthday")
    assert journey.state == "on" and journey.enabled_at is not None
    assert _call("disable", "birthday") == "birthday is off.\n"
    assert Journey.objects.get(slug="birthday").state == "off"


def test_an_unknown_slug_is_refused_and_changes_nothing(make_journey: Any) -> None:
    make_journey(DEFINITION, on=False, slug="birthday")
    with pytest.raises(CommandError) as error:
        _call("enable", "birthdy")
    assert (str(error.value), error.value.returncode) == (
        "No journey has the slug birthdy.",
        2,
    )
    assert set(Journey.objects.values_list("state", flat=True)) == {"off"}


def test_the_shipped_playbooks_are_added_once() -> None:
    assert _call("playbooks") == (
        "Playbooks added (off): welcome, first-purchase-checkin, onboarding-camp, "
        "birthday, repurchase-reminder, recommendation, vip-care, win-back.\n"
    )
    assert _call("playbooks") == "The shipped playbooks are there already.\n"
    assert sorted(Journey.objects.values_list("slug", "state")) == [
        ("birthday", "off"),
        ("first-purchase-checkin", "off"),
        ("onboarding-camp", "off"),
        ("recommendation", "off"),
        ("repurchase-reminder", "off"),
        ("vip-care", "off"),
        ("welcome", "off"),
        ("win-back", "off"),
    ]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            'Step "gift": the coupon "journey-birthday" is switched off or has '
            "expired: switch it on first.",
        ),
        ("zh-hans", "步骤“gift”：优惠券“journey-birthday”已关闭或已过期，请先启用。"),
    ],
)
def test_a_playbook_whose_coupon_is_off_is_refused_without_a_traceback(
    language: str, message: str
) -> None:
    """The shipped playbooks come with their coupons off: switching one on is
    a clear refusal (exit code 1), not a traceback, and changes nothing."""
    _call("playbooks")
    with translation.override(language), pytest.raises(CommandError) as error:
        _call("enable", "birthday")
    assert (str(error.value), error.value.returncode) == (message, 1)
    assert Journey.objects.get(slug="birthday").state == "off"


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "birthday\tOff\tv1\t0 in the journey"),
        ("zh-hans", "birthday\t已停用\tv1\t旅程中 0 人"),
    ],
)
def test_the_list_names_the_state_in_words(
    make_journey: Any, language: str, line: str
) -> None:
    make_journey(DEFINITION, on=False, slug="birthday")
    with translation.override(language):
        assert _call("list") == line + "\n"

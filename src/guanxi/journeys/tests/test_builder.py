"""The builder: a journey made from form fields, refusals shown next to the
step they name (nothing stored), editing writes a new version, the list
edits (add, remove, move) store nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from guanxi.journeys.models import Journey, JourneyVersion

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _post(**steps: Any) -> dict[str, str]:
    base = {
        "slug": "hello",
        "name_zh": "问候",
        "name_en": "Hello",
        "holdout_percent": "20",
        "entry_rule": "once",
        "entry_period": "year",
        "exit_on_purchase": "on",
        "t-type": "event",
        "t-event": "customer_created",
        "s-0-id": "wait",
        "s-0-type": "wait",
        "s-0-days": "1",
        "s-0-next": "",
        "s-1-id": "vip",
        "s-1-type": "condition",
        "s-1-field": "purchase_total",
        "s-1-op": "gte",
        "s-1-value": "800",
        "s-1-then": "",
        "s-1-else": "-end-",
        "s-2-id": "hi",
        "s-2-type": "send_message",
        "s-2-template": "checkin",
        "s-2-next": "",
        "steps": "3",
        "action": "save",
    }
    base.update(
        {
            k.replace("_", "-", 2) if k.startswith("s_") else k: v
            for k, v in steps.items()
        }
    )
    return base


EXPECTED = {
    "trigger": {"type": "event", "event": "customer_created"},
    "steps": [
        {"id": "wait", "type": "wait", "duration": {"days": 1}, "next": "vip"},
        {
            "id": "vip",
            "type": "condition",
            "field": "purchase_total",
            "op": "gte",
            "value": 800,
            "then": "hi",
            "else": "",
        },
        {"id": "hi", "type": "send_message", "template": "checkin", "next": ""},
    ],
}


def test_an_admin_builds_a_journey_without_json(
    client: Any, users: dict[str, Any], template: Any
) -> None:
    client.force_login(users["admin"])
    assert client.get("/journeys/new/").status_code == 200
    response = client.post("/journeys/new/", _post(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == "/journeys/hello/"
    journey = Journey.objects.get(slug="hello")
    assert (journey.name_zh, journey.holdout_percent, journey.exit_on_purchase) == (
        "问候",
        20,
        True,
    )
    assert journey.state == "off"
    assert journey.current_version is not None
    assert journey.current_version.definition == EXPECTED


def test_the_edit_form_shows_the_stored_journey_and_saves_a_new_version(
    client: Any, users: dict[str, Any], template: Any
) -> None:
    client.force_login(users["admin"])
    client.post("/journeys/new/", _post())
    page = _text(client.get("/journeys/hello/edit/", HTTP_ACCEPT_LANGUAGE="en"))
    assert 'name="s-1-value" id="s-1-value" value="800"' in page
    assert '<option value="-end-" selected>end</option>' in page  # vip's no
    assert 'id="builder-preview"' in page
    same = client.post("/journeys/hello/edit/", _post(slug="ignored"))
    assert same.status_code == 302
    assert JourneyVersion.objects.filter(journey__slug="hello").count() == 1
    changed = _post(**{"s-0-days": "2", "holdout_percent": "5"})
    assert client.post("/journeys/hello/edit/", changed).status_code == 302
    journey = Journey.objects.get(slug="hello")
    assert journey.holdout_percent == 5
    assert journey.current_version is not None
    assert journey.current_version.number == 2
    assert journey.current_version.definition["steps"][0]["duration"] == {"days": 2}
    assert JourneyVersion.objects.get(journey=journey, number=1).definition == EXPECTED


@pytest.mark.parametrize(
    ("change", "row", "message"),
    [
        (
            {"s-0-days": ""},
            0,
            'Step "wait": a wait needs a duration (days, hours or minutes; at most a year).',
        ),
        (
            {"s-0-days": "abc"},
            0,
            'Step "wait": a wait needs a duration (days, hours or minutes; at most a year).',
        ),
        ({"s-1-field": "shoe_size"}, 1, 'Step "vip": unknown field "shoe_size".'),
        ({"s-2-next": "wait"}, 0, 'Step "wait": the steps loop back to it.'),
        (
            {"s-2-template": "nope"},
            2,
            'Step "hi": no stored template is named "nope".',
        ),
        (
            {"s-2-id": "Hi There"},
            2,
            "Step 3: an id is 1 to 40 lower-case letters, digits, - or _.",
        ),
    ],
)
def test_a_bad_step_is_refused_next_to_it_and_nothing_is_stored(
    client: Any,
    users: dict[str, Any],
    template: Any,
    change: dict[str, str],
    row: int,
    message: str,
) -> None:
    client.force_login(users["admin"])
    response = client.post("/journeys/new/", _post(**change), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="field-error" id="s-{row}-error" role="alert">' in html
    error = re.search(rf'id="s-{row}-error" role="alert">(.*?)</p>', html)
    assert error is not None
    assert error.group(1).replace("&quot;", '"') == message
    assert not Journey.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"slug": "Bad Slug"},
            "slug",
            "A slug is 1 to 64 lower-case letters, digits and -, starting with a letter or digit.",
        ),
        ({"slug": "new"}, "slug", "The slug new is reserved."),
        (
            {"holdout_percent": "60"},
            "holdout_percent",
            "The holdout is 0 to 50 percent.",
        ),
        (
            {"name_en": " "},
            "name_en",
            "A journey needs a name in Chinese and in English (at most 100 characters each).",
        ),
    ],
)
def test_bad_settings_are_refused_next_to_the_field(
    client: Any,
    users: dict[str, Any],
    template: Any,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    client.force_login(users["admin"])
    response = client.post("/journeys/new/", _post(**change), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f'id="error-{field}">{message}</span>' in response.content.decode()
    assert not Journey.objects.exists()


def test_a_trigger_refusal_is_shown_above_the_form(
    client: Any, users: dict[str, Any], template: Any
) -> None:
    client.force_login(users["admin"])
    response = client.post(
        "/journeys/new/",
        _post(
            **{"t-type": "date", "t-field": "days_after_last_purchase", "t-days": "0"}
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert (
        'id="builder-error">Trigger: the days after the last purchase are a number '
        "from 1 to 3650.</p>"
    ) in response.content.decode()
    assert not Journey.objects.exists()


def test_adding_moving_and_removing_steps_stores_nothing(
    client: Any, users: dict[str, Any], template: Any
) -> None:
    client.force_login(users["admin"])
    added = _text(client.post("/journeys/new/", _post(action="add")))
    assert 'name="steps" value="4"' in added
    assert 'id="s-3-id" value="step4"' in added
    moved = _text(client.post("/journeys/new/", _post(action="down:0")))
    assert 'id="s-0-id" value="vip"' in moved
    assert 'id="s-1-id" value="wait"' in moved
    removed = _text(client.post("/journeys/new/", _post(action="remove:1")))
    assert 'name="steps" value="2"' in removed
    assert 'id="s-1-id" value="hi"' in removed
    checked = _text(
        client.post("/journeys/new/", _post(action="check"), HTTP_ACCEPT_LANGUAGE="en")
    )
    assert 'id="builder-preview"' in checked
    assert "yes → hi" in checked and "no → end" in checked
    assert not Journey.objects.exists()


def test_only_admins_build(client: Any, users: dict[str, Any], template: Any) -> None:
    client.force_login(users["operations"])
    assert client.get("/journeys/new/").status_code == 403
    assert client.post("/journeys/new/", _post()).status_code == 403
    assert not Journey.objects.exists()


def test_every_shipped_playbook_goes_through_the_builder_unchanged(
    client: Any, users: dict[str, Any]
) -> None:
    """Opening a playbook in the builder and saving it loses nothing: every
    step type, way on and trigger the playbooks use has its field."""
    from guanxi.journeys.builder import form_from_journey
    from guanxi.journeys.services import journey_playbooks_ensure

    journey_playbooks_ensure(actor=None)
    journeys = list(Journey.objects.select_related("current_version"))
    assert len(journeys) == 8
    types = set()
    for journey in journeys:
        assert journey.current_version is not None
        stored = journey.current_version.definition
        rebuilt = form_from_journey(journey).definition()
        assert rebuilt == stored, journey.slug
        types |= {step["type"] for step in stored["steps"]}
    # The new step types are among those checked.
    assert {"issue_coupon", "recommend", "send_survey"} <= types
    # And the edit page saves a playbook with no new version (nothing changed).
    client.force_login(users["admin"])
    win_back = Journey.objects.get(slug="win-back")
    page = client.get(f"/journeys/{win_back.slug}/edit/")
    assert page.status_code == 200
    assert 'name="s-0-type"' in page.content.decode()

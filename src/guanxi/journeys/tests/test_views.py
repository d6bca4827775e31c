"""The journeys pages: the list, the flow with its branches and counts, the
dry run over the reader's scope, and switching (admins only)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from guanxi.journeys.engine import run_moment
from guanxi.journeys.models import Journey
from guanxi.journeys.services import journeys_run

pytestmark = pytest.mark.django_db

BRANCHING = {
    "trigger": {"type": "event", "event": "customer_created"},
    "steps": [
        {
            "id": "city",
            "type": "condition",
            "field": "city",
            "op": "eq",
            "value": "上海",
            "then": "sh",
            "else": "wait",
        },
        {"id": "sh", "type": "add_tag", "tag": "上海"},
        {"id": "wait", "type": "wait", "duration": {"days": 2}, "next": "bye"},
        {"id": "bye", "type": "exit"},
    ],
}


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def running(make_journey: Any, make_customer: Any) -> Journey:
    journey: Journey = make_journey(BRANCHING, holdout_percent=0, slug="branching")
    today = timezone.localdate()
    Journey.objects.filter(pk=journey.pk).update(
        enabled_at=run_moment(today - dt.timedelta(days=1))
    )
    make_customer(city="上海")
    make_customer(city="北京")
    make_customer(city="北京")
    journeys_run(as_of=today)
    return journey


def test_the_list_shows_state_and_counts(
    client: Any, users: dict[str, Any], running: Journey
) -> None:
    client.force_login(users["operations"])
    page = _text(client.get("/journeys/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<a href="/journeys/branching/">Test</a>' in page
    assert '<span class="state-on">On</span>' in page
    assert '<td class="num">2</td> <td class="num hide-narrow">1</td>' in page


def test_the_flow_shows_both_branches_and_who_is_where(
    client: Any, users: dict[str, Any], running: Journey
) -> None:
    client.force_login(users["operations"])
    page = _text(client.get("/journeys/branching/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "When: Customer created" in page
    assert '<span class="flow-way yes">yes → sh</span>' in page
    assert '<span class="flow-way no">no → wait</span>' in page
    assert "Wait 2 d" in page
    assert "2 at this step" in page  # the two in Beijing wait
    assert "Condition met: 1" in page and "Condition not met: 2" in page
    assert "Completed: 1" in page
    assert 'id="switch"' not in page  # operations do not switch


def test_the_dry_run_counts_without_writing(
    client: Any, users: dict[str, Any], running: Journey, make_customer: Any
) -> None:
    newcomer = make_customer(city="杭州")
    client.force_login(users["admin"])
    before = running.enrolments.count()
    page = _text(client.get("/journeys/branching/dry-run/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<div class="value" id="dry-picked">4</div>' in page
    assert '<div class="value" id="dry-already">3</div>' in page
    assert '<div class="value" id="dry-enter">1</div>' in page
    assert f'href="/customers/{newcomer.pk}/">#{newcomer.pk}</a>' in page
    assert running.enrolments.count() == before


def test_admins_switch_a_journey_and_operations_may_not(
    client: Any, users: dict[str, Any], running: Journey
) -> None:
    client.force_login(users["operations"])
    refused = client.post("/journeys/branching/state/", {"state": "off"})
    assert refused.status_code == 403
    assert Journey.objects.get(slug="branching").state == "on"
    client.force_login(users["admin"])
    done = client.post("/journeys/branching/state/", {"state": "off"})
    assert (done.status_code, done["Location"]) == (302, "/journeys/branching/")
    assert Journey.objects.get(slug="branching").state == "off"


def test_the_pages_in_chinese(
    client: Any, users: dict[str, Any], running: Journey
) -> None:
    from django.utils import translation

    client.force_login(users["admin"])
    with translation.override("zh-hans"):
        page = _text(client.get("/journeys/branching/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "测试" in page
    assert "触发：新建客户" in page
    assert "是 → sh" in page

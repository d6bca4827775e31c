"""The scoring pages: administrators only, the button, the progress, the settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guanxi.insights.models import InsightSettings, ScoreRun, ScoreSnapshot
from guanxi.insights.selectors import insight_settings
from guanxi.insights.tests.conftest import AS_OF

pytestmark = pytest.mark.usefixtures("fixed_today")


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["operations", "service", "account_manager", "analyst"]
)
def test_only_administrators_reach_the_scoring_pages(
    users: dict[str, Any], role: str
) -> None:
    client = _client(users[role])
    assert client.get("/insights/runs/").status_code == 404
    assert client.get("/insights/settings/").status_code == 404
    assert (
        client.post("/insights/runs/start/", {"as_of": "2026-11-30"}).status_code == 404
    )
    assert client.post("/insights/settings/", {"new_days": 5}).status_code == 404
    assert not ScoreRun.objects.exists() and not InsightSettings.objects.exists()


@pytest.mark.django_db
def test_the_runs_page_before_any_run(users: dict[str, Any]) -> None:
    page = _client(users["admin"]).get("/insights/runs/")
    assert page.status_code == 200
    assert "No scoring run yet." in page.content.decode()
    chinese = _client(users["admin"], "zh-hans").get("/insights/runs/").content.decode()
    assert "评分" in chinese


def test_the_button_runs_a_scoring_and_the_page_shows_it(
    demo_data: dict[str, Any], huey_immediate: Any
) -> None:
    client = _client(demo_data["users"]["admin"])
    answer = client.post(
        "/insights/runs/start/", {"as_of": AS_OF.isoformat()}, follow=True
    )
    page = answer.content.decode()
    assert "Scoring as of 2026-11-30 has started" in page
    run = ScoreRun.objects.get(as_of=AS_OF)
    assert run.status == "done" and run.started_by == demo_data["users"]["admin"]
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == 300
    assert f'id="run-{run.pk}"' in page and "2026-11-30" in page
    row = client.get(f"/insights/runs/{run.pk}/progress/").content.decode()
    assert 'data-status="done"' in row and "hx-get" not in row  # no more polling


@pytest.mark.django_db
def test_a_running_run_is_polled_with_its_progress(users: dict[str, Any]) -> None:
    run = ScoreRun.objects.create(as_of=AS_OF, progress=37, step="features")
    row = (
        _client(users["admin"])
        .get(f"/insights/runs/{run.pk}/progress/")
        .content.decode()
    )
    assert 'value="37"' in row and "hx-get" in row and "features" in row


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (
            "2026-12-24",
            "as of 2026-12-24 is after today (2026-12-01): scores are of the past",
        ),
        ("24/12/2026", "&#x27;24/12/2026&#x27; is not a date (YYYY-MM-DD)"),
        ("", "&#x27;&#x27; is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_date_on_the_button_says_why_and_starts_nothing(
    users: dict[str, Any], huey_immediate: Any, as_of: str, message: str
) -> None:
    page = _client(users["admin"]).post(
        "/insights/runs/start/", {"as_of": as_of}, follow=True
    )
    assert message in page.content.decode()
    assert not ScoreRun.objects.exists()


def _settings_data(**changes: Any) -> dict[str, Any]:
    from django.forms.models import model_to_dict

    data = model_to_dict(InsightSettings(pk=1))
    data.pop("id", None)
    data.update(changes)
    return data


@pytest.mark.django_db
def test_settings_are_saved_and_used(users: dict[str, Any]) -> None:
    client = _client(users["admin"])
    answer = client.post(
        "/insights/settings/", _settings_data(new_days=14, cv_top_percent=15)
    )
    assert answer.status_code == 302
    saved = insight_settings()
    assert (saved.new_days, saved.cv_top_percent) == (14, 15.0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cv_top_percent": 0}, "Enter a share above 0 and below 100."),
        ({"pv_top_percent": 100}, "Enter a share above 0 and below 100."),
        ({"at_risk_p_alive": 1.5}, "Enter a number from 0 to 1."),
        (
            {"new_days": 90, "mature_days": 60},
            "A customer becomes mature later than they stop being new: enter more days than for new.",
        ),
        (
            {"weight_spend": 0, "weight_frequency": 0, "weight_repurchase": 0},
            "The weights of the value score must not all be 0.",
        ),
        (
            {"fan_points": 0, "drifting_points": 1},
            "Fans need more points than drifting customers have.",
        ),
        (
            {"lapsed_gap_factor": 1.5, "at_risk_gap_factor": 2},
            "Lapsed comes after at risk: enter at least the at-risk factor.",
        ),
        (
            {"cv_cut_amount": "99999999999"},
            "Ensure that there are no more than 10 digits before the decimal point.",
        ),
        ({"cv_cut_amount": "-1"}, "Enter an amount from 0 to 9,999,999,999.99."),
        ({"cv_window_days": 3}, "Enter a number from 7 to 1825."),
        ({"points_visit": "lots"}, "Enter a number."),
    ],
)
def test_bad_settings_are_refused_with_the_reason_and_nothing_changes(
    users: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    answer = _client(users["admin"]).post(
        "/insights/settings/", _settings_data(**changes)
    )
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not InsightSettings.objects.exists()

"""The journey report page: the figures and the verdicts in words, the
charts' data, a bad period refused with a clear message."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from guanxi.journeys.models import Enrolment
from guanxi.journeys.tests.test_report import CHECKIN, _group

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_report_shows_the_lift_and_the_steps(
    client: Any,
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
) -> None:
    journey = make_journey(CHECKIN, on=False)
    _group(users, make_customer, journey, n=40, buyers=12, holdout=False)
    _group(users, make_customer, journey, n=30, buyers=3, holdout=True)
    client.force_login(users["operations"])
    response = client.get(
        "/journeys/test/report/?start=2026-11-01&end=2026-11-30&days=30",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    page = _text(response)
    assert 'id="stat-entered">70<' in page
    assert 'id="stat-converted">15<' in page
    assert (
        '<tr id="lift-conversion"><th scope="row">Conversion rate</th>'
        "<td>30.0 %</td><td>10.0 %</td><td>+20.0 %</td><td>2.2 % … 37.8 %</td></tr>"
    ) in page
    assert ("<td>30.00</td><td>10.00</td><td>+20.00</td><td>1.61 … 38.39</td>") in page
    assert "Conversion: Higher than the holdout group." in page
    data = json.loads(
        re.search(
            r'<script id="journey-report-data" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        ).group(1)  # type: ignore[union-attr]
    )
    assert data["steps"]["labels"] == ["wait", "checkin"]
    assert data["series"] == {
        "labels": ["2026-11-02"],
        "treated": [30.0],
        "holdout": [10.0],
    }
    assert "Content-Security-Policy" in response.headers
    assert "<script>" not in response.content.decode()


def test_a_small_holdout_is_too_small_to_tell(
    client: Any,
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
) -> None:
    journey = make_journey(CHECKIN, on=False)
    _group(users, make_customer, journey, n=31, buyers=12, holdout=False)
    _group(users, make_customer, journey, n=4, buyers=0, holdout=True)
    client.force_login(users["admin"])
    page = _text(
        client.get(
            "/journeys/test/report/?start=2026-11-01&end=2026-11-30",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )
    assert (
        "Conversion: Too small to tell: each group needs at least 30 entries "
        "(the smaller has 4)."
    ) in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01", "Enter dates as YYYY-MM-DD."),
        ("start=2026-12-02&end=2026-12-01", "The start date is after the end date."),
        ("start=2020-01-01&end=2026-12-01", "A report covers at most 731 days."),
        ("days=0", "Converted within: a number of days from 1 to 365."),
        ("days=abc", "Converted within: a number of days from 1 to 365."),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(
    client: Any,
    users: dict[str, Any],
    make_journey: Any,
    template: Any,
    query: str,
    message: str,
) -> None:
    make_journey(CHECKIN, on=False)
    client.force_login(users["operations"])
    response = client.get(f"/journeys/test/report/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f'id="report-error">{message}</p>' in response.content.decode()
    assert not Enrolment.objects.exists()

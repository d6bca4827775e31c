"""The win-back report: counts by signal, reason, remedy, quadrant and person,
the median time to first contact, the date range and its bad input, and the
scope (an account manager counts only their own customers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.care.choices import TaskStatus, WarningStatus
from guanxi.care.models import CareTask, ChurnWarning
from guanxi.care.report import ReportFilter, report_filter, winback_report
from guanxi.core.errors import ValidationFailed
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
RANGE = ReportFilter(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30), within=30)


def _at(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _warning(
    customer: Any,
    owner: Any,
    *,
    signals: tuple[str, ...] = ("no_purchase",),
    opened: dt.date = DAY,
    contacted_after_hours: int | None = None,
    reason: str = "",
    remedy: str = "",
    outcome: str = "reached",
    won_after_days: int | None = None,
    lapsed: bool = False,
) -> ChurnWarning:
    warning = ChurnWarning.objects.create(
        customer=customer,
        signals={s: {"as_of": opened.isoformat()} for s in signals},
        opened_as_of=opened,
        as_of=opened,
    )
    ChurnWarning.objects.filter(pk=warning.pk).update(opened_at=_at(opened))
    task = CareTask.objects.create(
        warning=warning,
        customer=customer,
        owner=owner,
        due_on=opened + dt.timedelta(days=1),
        remedy="coupon",
    )
    if contacted_after_hours is not None:
        CareTask.objects.filter(pk=task.pk).update(
            status=TaskStatus.DONE,
            outcome=outcome,
            leave_reason=reason,
            remedy_offered=remedy,
            closed_at=_at(opened) + dt.timedelta(hours=contacted_after_hours),
        )
    if won_after_days is not None:
        ChurnWarning.objects.filter(pk=warning.pk).update(
            status=WarningStatus.WON_BACK,
            closed_at=_at(opened + dt.timedelta(days=won_after_days), 12),
        )
    elif lapsed:
        ChurnWarning.objects.filter(pk=warning.pk).update(status=WarningStatus.LAPSED)
    return warning


@pytest.fixture
def world(make_customer: Any, users: dict[str, Any]) -> dict[str, Any]:
    am, om, svc = users["account_manager"], users["other_manager"], users["service"]
    mine = [make_customer(assigned_manager=am) for _ in range(3)]
    theirs = make_customer(assigned_manager=om)
    loose = make_customer()
    make_snapshot(mine[0], DAY, quadrant="star")
    make_snapshot(mine[1], DAY, quadrant="basic")
    make_run(DAY)
    _warning(
        mine[0],
        am,
        signals=("complaints", "no_purchase"),
        contacted_after_hours=4,
        reason="price",
        remedy="coupon",
        won_after_days=5,
    )
    _warning(mine[1], am, contacted_after_hours=30, reason="service", lapsed=True)
    _warning(mine[2], am)  # not contacted yet
    _warning(
        theirs,
        om,
        contacted_after_hours=10,
        reason="price",
        outcome="not_reached",
        won_after_days=40,  # came back, but not within 30 days
    )
    _warning(loose, svc, signals=("quiet",), contacted_after_hours=2, won_after_days=3)
    # Outside the range: not counted.
    _warning(make_customer(), svc, opened=dt.date(2026, 10, 31), won_after_days=1)
    return {"mine": mine}


def _rows(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int, int]]:
    return {r["label"]: (r["n"], r["contacted"], r["won"]) for r in rows}


def test_the_figures_for_the_whole_team(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    with translation.override("en"):
        report = winback_report(actor=users["admin"], flt=RANGE)
    assert (report.opened, report.contacted, report.reached) == (5, 4, 3)
    assert (report.won_back, report.lapsed) == (2, 1)
    # First contacts after 2, 4, 10 and 30 hours: the median is 7 hours.
    assert report.median_hours == 7.0
    assert _rows(report.by_signal) == {
        "Many complaints this month": (1, 1, 1),
        "No purchase for a while": (4, 3, 1),
        "Interactions dropped": (1, 1, 1),
    }
    assert _rows(report.by_quadrant) == {
        "Star": (1, 1, 1),
        "Basic": (1, 1, 0),
        "Not scored": (3, 2, 1),
    }
    assert _rows(report.by_reason) == {
        "Price": (2, 2, 1),
        "Service": (1, 1, 0),
        "Not given": (1, 1, 1),
    }
    assert _rows(report.by_remedy) == {"Coupon": (1, 1, 1), "Not given": (3, 3, 1)}
    people = {
        r["label"]: (r["n"], r["contacted"], r["reached"], r["won"])
        for r in report.by_person
    }
    assert people == {
        "account_manager": (3, 2, 2, 1),
        "other_manager": (1, 1, 0, 0),
        "service": (1, 1, 1, 1),
    }


def test_within_more_days_counts_the_late_comeback(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    flt = ReportFilter(start=RANGE.start, end=RANGE.end, within=40)
    assert winback_report(actor=users["admin"], flt=flt).won_back == 3
    flt = ReportFilter(start=RANGE.start, end=RANGE.end, within=4)
    assert winback_report(actor=users["admin"], flt=flt).won_back == 1


def test_a_manager_counts_only_their_own_customers(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    report = winback_report(actor=users["account_manager"], flt=RANGE)
    assert (report.opened, report.contacted, report.won_back) == (3, 2, 1)
    assert [r["label"] for r in report.by_person] == ["account_manager"]
    assert report.median_hours == 17.0
    other = winback_report(actor=users["other_manager"], flt=RANGE)
    assert (other.opened, other.won_back) == (1, 0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, "Enter dates as YYYY-MM-DD."),
        ({"end": "yesterday"}, "Enter dates as YYYY-MM-DD."),
        (
            {"start": "2026-11-30", "end": "2026-11-01"},
            "The start date is after the end date.",
        ),
        ({"within": "0"}, "Won back within: a number of days from 1 to 365."),
        ({"within": "ten"}, "Won back within: a number of days from 1 to 365."),
    ],
)
def test_bad_filters_get_a_clear_message(
    params: dict[str, str], message: str, users: dict[str, Any]
) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        report_filter(params, today=DAY)
    assert caught.value.message == message
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["admin"])
    page = client.get(reverse("care:report"), params)
    assert page.status_code == 400
    assert message in page.content.decode()


def test_the_default_range_is_the_last_30_days() -> None:
    flt = report_filter({}, today=DAY)
    assert (flt.start, flt.end, flt.within) == (dt.date(2026, 10, 12), DAY, 30)


def test_the_page_in_both_languages(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    for language, words in (
        ("en", ("Win-back report", "Median time to first contact", "7.0 h")),
        ("zh-hans", ("挽回报表", "首次联系时间中位数", "7.0 小时")),
    ):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(users["admin"])
        page = client.get(
            reverse("care:report"), {"start": "2026-11-01", "end": "2026-11-30"}
        )
        text = page.content.decode()
        assert page.status_code == 200
        for word in words:
            assert word in text
        assert 'id="report-chart-data"' in text
        assert "echarts.min.js" in text


def _segments() -> dict[str, Any]:
    from guanxi.segments.models import Segment

    Segment.objects.all().delete()  # the shipped ones: their members vary
    stars = Segment.objects.create(
        name="stars",
        rules={"all": [{"field": "quadrant", "op": "eq", "value": "star"}]},
    )
    scored = Segment.objects.create(
        name="scored",
        rules={
            "any": [
                {"field": "quadrant", "op": "eq", "value": "star"},
                {"field": "quadrant", "op": "eq", "value": "basic"},
            ]
        },
    )
    return {"stars": stars, "scored": scored}


def test_by_segment_and_narrowed_to_one(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    found = _segments()
    report = winback_report(actor=users["admin"], flt=RANGE)
    # The star (won back) and the basic customer (lapsed) of the last run.
    assert _rows(report.by_segment) == {"scored": (2, 2, 1), "stars": (1, 1, 1)}
    narrowed = ReportFilter(
        start=RANGE.start, end=RANGE.end, within=30, segment=found["scored"]
    )
    only = winback_report(actor=users["admin"], flt=narrowed)
    assert (only.opened, only.contacted, only.won_back, only.lapsed) == (2, 2, 1, 1)
    assert [r["label"] for r in only.by_person] == ["account_manager"]
    # Scope still holds inside a segment: the other manager has none of them.
    other = winback_report(actor=users["other_manager"], flt=narrowed)
    assert (other.opened, other.by_segment) == (0, [])


@pytest.mark.parametrize("value", ["999999", "stars", "-1", "1 OR 1=1", "٣"])
def test_an_unknown_segment_gets_a_clear_message(
    value: str, users: dict[str, Any], world: dict[str, Any]
) -> None:
    _segments()
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        report_filter({"segment": value}, today=DAY)
    assert caught.value.message == "Choose a segment from the list."
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["admin"])
    page = client.get(reverse("care:report"), {"segment": value})
    assert page.status_code == 400
    assert "Choose a segment from the list." in page.content.decode()


def test_the_page_narrowed_to_a_segment(
    world: dict[str, Any], users: dict[str, Any]
) -> None:
    found = _segments()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(users["admin"])
    page = client.get(
        reverse("care:report"),
        {"start": "2026-11-01", "end": "2026-11-30", "segment": found["stars"].pk},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert f'<option value="{found["stars"].pk}" selected>stars</option>' in text
    assert 'id="stat-opened">1<' in text
    assert "按分群" in text and 'id="table-segment"' in text

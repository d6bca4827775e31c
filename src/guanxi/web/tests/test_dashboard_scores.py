"""The dashboard's score charts: read from the run's figures for the
viewer's scope (an account manager counts only their customers), labels in
both languages, and what it says before the first run."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re
from collections import Counter
from typing import Any

import pytest
from tests.access import World

from guanxi.insights.figures import run_figures_write
from guanxi.insights.models import ScoreSnapshot
from guanxi.insights.tests.factories import (
    make_run,
    make_snapshot,
    record_stage_changes,
)

FIRST = dt.date(2026, 10, 31)
SECOND = dt.date(2026, 11, 30)


def charts(html: str) -> dict[str, Any] | None:
    found = re.search(
        r'id="dashboard-scores-data" type="application/json">(.*?)</script>', html
    )
    return json.loads(found.group(1)) if found else None


def stat(html: str, name: str) -> str:
    found = re.search(rf'id="stat-{name}">([^<]*)<', html)
    assert found is not None, name
    return found.group(1)


@pytest.fixture
def scored(crowded_world: World) -> World:
    """Two runs over the crowded world's 12 customers."""
    from guanxi.customers.models import Customer

    quadrants = ("star", "basic", "potential", "cash_cow", "star")
    stages = ("mature", "at_risk", "growing")
    for day in (FIRST, SECOND):
        run = make_run(day)
        for i, customer in enumerate(Customer.objects.order_by("pk")):
            shift = 1 if day == SECOND else 0
            make_snapshot(
                customer,
                day,
                quadrant=quadrants[(i + shift) % 5],
                stage=stages[(i + shift) % 3],
                r_score=1 + i % 5,
                f_score=1 + (i * 2) % 5,
                potential_value=150.0 * (i + 1),
            )
        if day == SECOND:
            record_stage_changes(SECOND, FIRST)
        run_figures_write(run=run)
    return crowded_world


def direct(manager: Any | None, field: str) -> dict[str, int]:
    rows = ScoreSnapshot.objects.filter(as_of=SECOND)
    if manager is not None:
        rows = rows.filter(customer__assigned_manager=manager)
    return dict(Counter(rows.values_list(field, flat=True)))


def test_before_the_first_run_the_dashboard_says_what_comes(
    client_for: Any, world: World
) -> None:
    html = client_for("account_manager").get("/").content.decode()
    assert charts(html) is None
    assert re.search(r'id="scores-pending">([^<]*)<', html).group(1) == (  # type: ignore[union-attr]
        "Value quadrants, lifecycle stages, RFM and CLV appear here after the first "
        "scoring run."
    )
    # What it can show, it shows: the order figures.
    assert 'hx-get="/dashboard/orders/"' in html
    assert "Start a scoring run" not in html
    admin = client_for("admin").get("/").content.decode()
    assert (
        '<a class="button secondary" href="/insights/runs/">Start a scoring run</a>'
        in admin
    )
    chinese = client_for("account_manager", "zh-hans").get("/").content.decode()
    assert "首次评分运行后，这里会显示价值象限、生命周期阶段、RFM 和 CLV。" in chinese


def test_a_run_without_figures_says_they_are_not_ready(
    client_for: Any, world: World
) -> None:
    make_run(SECOND)
    html = htmllib.unescape(client_for("admin").get("/").content.decode())
    assert (
        "The figures of the scoring run of 2026-11-30 are not ready: they are "
        "written at the end of each scoring run." in html
    )


@pytest.mark.parametrize("role", ["account_manager", "other_manager"])
def test_an_account_managers_figures_are_their_customers_only(
    client_for: Any, scored: World, role: str
) -> None:
    manager = scored.other_manager if role == "other_manager" else scored.users[role]
    html = client_for(role).get("/").content.decode()
    data = charts(html)
    assert data is not None
    quadrants = {q["key"]: q["value"] for q in data["quadrants"] if q["value"]}
    stages = {s["key"]: s["value"] for s in data["stages"] if s["value"]}
    assert quadrants == direct(manager, "quadrant")
    assert stages == direct(manager, "stage")
    assert sum(quadrants.values()) == 6
    assert stat(html, "scored") == "6"
    assert stat(html, "high-value") == str(direct(manager, "quadrant").get("star", 0))
    assert sum(c[2] for c in data["rfm"]["cells"]) == 6
    assert sum(data["pv"]["counts"]) == 6
    assert sum(link["value"] for link in data["flow"]["links"]) == 6
    assert data["share"]["dates"] == ["2026-10-31", "2026-11-30"]


@pytest.mark.parametrize("role", ["admin", "operations", "service", "analyst"])
def test_other_roles_see_everyone(client_for: Any, scored: World, role: str) -> None:
    data = charts(client_for(role).get("/").content.decode())
    assert data is not None
    quadrants = {q["key"]: q["value"] for q in data["quadrants"] if q["value"]}
    assert quadrants == direct(None, "quadrant")
    assert sum(quadrants.values()) == 12


def test_charts_speak_both_languages(client_for: Any, scored: World) -> None:
    english = charts(client_for("admin").get("/").content.decode())
    chinese = charts(client_for("admin", "zh-hans").get("/").content.decode())
    assert english is not None and chinese is not None
    assert english["titles"]["rfm"] == "RFM grid: recency × frequency"
    assert chinese["titles"]["rfm"] == "RFM 网格：最近购买 × 购买频次"
    assert [q["name"] for q in english["quadrants"]] == [
        "Star",
        "Cash cow",
        "Potential",
        "Basic",
    ]
    assert [q["name"] for q in chinese["quadrants"]] == [
        "明星客户",
        "金牛客户",
        "潜力客户",
        "基础客户",
    ]
    assert english["pv"]["bins"][:2] == ["¥0–100", "¥100–200"]
    assert english["pv"]["bins"][-1] == "¥50,000+"
    labels = {n["label"] for n in chinese["flow"]["nodes"]}
    assert labels <= {
        "潜在客户",
        "新客户",
        "成长期",
        "成熟期",
        "流失风险",
        "已流失",
        "此前未评分",
    }


@pytest.mark.parametrize("role", ["admin", "account_manager"])
def test_dashboard_with_scores_query_count(
    role: str, scored: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    # session, user, role + latest run, the run's figures row(s), the series
    # of runs (the order figures are a fragment of their own)
    with django_assert_num_queries(6):
        client.get("/")

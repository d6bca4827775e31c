"""Scoring runs on demo data: what is written, once, and what is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from guanxi.commerce.models import Order
from guanxi.core.errors import ValidationFailed
from guanxi.customers.models import Customer
from guanxi.insights.choices import Quadrant, RunStatus, Stage
from guanxi.insights.models import ScoreRun, ScoreSnapshot, StageChange
from guanxi.insights.runs import RunBusy
from guanxi.insights.selectors import snapshot_scope
from guanxi.insights.services import run_finished, score_run
from guanxi.insights.tests.conftest import AS_OF

pytestmark = pytest.mark.usefixtures("fixed_today", "english")


@pytest.fixture
def english() -> Any:
    """Messages in English (the project's default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _rows(as_of: dt.date) -> list[tuple[Any, ...]]:
    fields = [
        f.attname for f in ScoreSnapshot._meta.concrete_fields if f.name not in {"id"}
    ]
    return list(
        ScoreSnapshot.objects.filter(as_of=as_of)
        .order_by("customer_id")
        .values_list(*fields)
    )


def test_a_run_scores_every_customer_once(demo_data: dict[str, Any]) -> None:
    seen: list[tuple[str, float]] = []
    run = score_run(as_of=AS_OF, progress=lambda step, done: seen.append((step, done)))
    customers = Customer.objects.count()
    assert run.status == RunStatus.DONE and run.progress == 100
    assert run.customers == customers == 300
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == customers
    summary = run.summary
    assert sum(summary["quadrants"].values()) == customers
    assert sum(summary["stages"].values()) == customers
    assert set(summary["quadrants"]) == {q.value for q in Quadrant}
    assert set(summary["stages"]) == {s.value for s in Stage}
    # Every customer without a purchase is a basic prospect, and only they.
    buyers = set(
        Order.objects.filter(status__in=["paid", "partially_refunded"]).values_list(
            "customer_id", flat=True
        )
    )
    prospects = ScoreSnapshot.objects.filter(as_of=AS_OF, stage=Stage.PROSPECT)
    assert set(prospects.values_list("customer_id", flat=True)) == (
        set(Customer.objects.values_list("id", flat=True)) - buyers
    )
    assert not prospects.exclude(quadrant=Quadrant.BASIC).exists()
    # Progress: the steps in order, ending at 1.
    steps = [step for step, _done in seen]
    assert steps[0] == "purchase days" and steps[-1] == "finishing"
    assert seen[-1][1] == pytest.approx(1.0)
    assert [d for _s, d in seen] == sorted(d for _s, d in seen)


def test_snapshot_figures_match_the_orders(demo_data: dict[str, Any]) -> None:
    score_run(as_of=AS_OF)
    snapshot = (
        ScoreSnapshot.objects.filter(as_of=AS_OF, orders__gt=2)
        .order_by("customer_id")
        .first()
    )
    assert snapshot is not None
    orders = Order.objects.filter(
        customer_id=snapshot.customer_id, status__in=["paid", "partially_refunded"]
    )
    assert snapshot.orders == orders.count()
    assert snapshot.total_spend == pytest.approx(
        float(sum(o.amount for o in orders)), abs=0.01
    )
    assert snapshot.r_score in range(1, 6) and snapshot.rfm_segment
    assert snapshot.p_alive is not None and 0 <= snapshot.p_alive <= 1
    assert snapshot.churn_risk is not None and 0 <= snapshot.churn_risk <= 1


def test_the_same_date_twice_gives_the_same_rows(demo_data: dict[str, Any]) -> None:
    score_run(as_of=AS_OF)
    first = _rows(AS_OF)
    score_run(as_of=AS_OF)
    assert _rows(AS_OF) == first
    assert ScoreRun.objects.filter(as_of=AS_OF).count() == 1
    duplicates = (
        ScoreSnapshot.objects.values("customer_id", "as_of")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()


def test_history_is_kept_and_stage_changes_are_recorded_once(
    demo_data: dict[str, Any],
) -> None:
    earlier = AS_OF - dt.timedelta(days=60)
    score_run(as_of=earlier)
    assert not StageChange.objects.exists()  # the first run has nothing to compare
    score_run(as_of=AS_OF)
    assert ScoreSnapshot.objects.filter(as_of=earlier).count() == 300
    changes = list(
        StageChange.objects.filter(as_of=AS_OF).values_list(
            "customer_id", "from_stage", "to_stage"
        )
    )
    assert changes, "60 days apart some stage must change"
    before = dict(
        ScoreSnapshot.objects.filter(as_of=earlier).values_list("customer_id", "stage")
    )
    after = dict(
        ScoreSnapshot.objects.filter(as_of=AS_OF).values_list("customer_id", "stage")
    )
    expected = {
        (c, before.get(c, ""), s) for c, s in after.items() if before.get(c) != s
    }
    assert set(changes) == expected
    score_run(as_of=AS_OF)  # again: the same changes, not twice
    assert StageChange.objects.filter(as_of=AS_OF).count() == len(changes)


def test_a_run_of_the_future_or_without_orders_changes_nothing(
    demo_data: dict[str, Any], fixed_today: dt.date
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        score_run(as_of=fixed_today + dt.timedelta(days=1))
    assert refused.value.message == (
        "as of 2026-12-02 is after today (2026-12-01): scores are of the past"
    )
    with pytest.raises(ValidationFailed) as refused:
        score_run(as_of=dt.date(2001, 1, 1))
    assert refused.value.message == (
        "There are no orders on or before 2001-01-01 to score: import orders first."
    )
    assert not ScoreRun.objects.exists() and not ScoreSnapshot.objects.exists()


def test_a_second_run_of_a_date_is_refused_while_the_first_is_alive(
    demo_data: dict[str, Any],
) -> None:
    from django.utils import timezone

    ScoreRun.objects.create(
        as_of=AS_OF, status=RunStatus.RUNNING, progress=40, heartbeat_at=timezone.now()
    )
    with pytest.raises(RunBusy) as busy:
        score_run(as_of=AS_OF)
    assert (
        busy.value.message == "A scoring run as of 2026-11-30 is already running (40%)."
    )
    assert not ScoreSnapshot.objects.exists()


def test_a_dead_run_is_resumed_after_its_checkpoint(demo_data: dict[str, Any]) -> None:
    """A run that died after writing some chunks: the next run of the date
    keeps those rows and writes the rest, one row per customer."""
    from django.utils import timezone

    score_run(as_of=AS_OF)
    complete = _rows(AS_OF)
    ids = sorted(
        ScoreSnapshot.objects.filter(as_of=AS_OF).values_list("customer_id", flat=True)
    )
    checkpoint = ids[len(ids) // 2]
    kept = dict(
        ScoreSnapshot.objects.filter(
            as_of=AS_OF, customer_id__lte=checkpoint
        ).values_list("customer_id", "id")
    )
    # As a killed run leaves it: half written, a stale heartbeat.
    ScoreSnapshot.objects.filter(as_of=AS_OF, customer_id__gt=checkpoint).delete()
    ScoreRun.objects.filter(as_of=AS_OF).update(
        status=RunStatus.RUNNING,
        written_through=checkpoint,
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
    )
    run = score_run(as_of=AS_OF)
    assert run.status == RunStatus.DONE
    assert _rows(AS_OF) == complete
    # The rows before the checkpoint were not written again.
    assert (
        dict(
            ScoreSnapshot.objects.filter(
                as_of=AS_OF, customer_id__lte=checkpoint
            ).values_list("customer_id", "id")
        )
        == kept
    )


def test_receivers_hear_of_the_finished_run_and_a_failing_one_is_named(
    demo_data: dict[str, Any],
) -> None:
    heard: list[Any] = []

    def listener(sender: Any, run: ScoreRun, **kwargs: Any) -> None:
        heard.append(
            (
                run.as_of,
                run.status,
                ScoreSnapshot.objects.filter(as_of=run.as_of).count(),
                kwargs["queue"],
            )
        )

    def broken(sender: Any, run: ScoreRun, **kwargs: Any) -> None:
        raise RuntimeError("receiver failed")

    run_finished.connect(listener)
    run_finished.connect(broken)
    try:
        run = score_run(as_of=AS_OF)
    finally:
        run_finished.disconnect(listener)
        run_finished.disconnect(broken)
    assert heard == [(AS_OF, RunStatus.DONE, 300, True)]
    assert run.status == RunStatus.DONE
    assert "failed" in run.message and "broken" in run.message
    # Follow-up work that can wait is run before returning when asked to.
    run_finished.connect(listener)
    try:
        score_run(as_of=AS_OF, queue_followups=False)
    finally:
        run_finished.disconnect(listener)
    assert heard[-1] == (AS_OF, RunStatus.DONE, 300, False)


def test_an_account_manager_sees_only_the_scores_of_their_customers(
    demo_data: dict[str, Any],
) -> None:
    users = demo_data["users"]
    score_run(as_of=AS_OF)
    manager = users["account_manager"]
    own = set(
        Customer.objects.filter(assigned_manager=manager).values_list("id", flat=True)
    )
    assert own
    seen = set(snapshot_scope(actor=manager).values_list("customer_id", flat=True))
    assert seen == own
    assert snapshot_scope(actor=users["admin"]).count() == 300


def test_the_score_command_prints_one_json_object(
    demo_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    call_command("score", "--as-of", AS_OF.isoformat(), "--json", "--no-progress")
    out = capsys.readouterr().out
    printed = json.loads(out)
    assert set(printed) == {
        "as_of",
        "customers",
        "segments",
        "quadrants",
        "stages",
        "seconds",
    }
    assert printed["as_of"] == "2026-11-30" and printed["customers"] == 300
    assert sum(printed["quadrants"].values()) == 300 == sum(printed["stages"].values())
    assert out.count("{") == out.count("}") and out.strip().startswith("{")


def test_the_score_command_computes_the_pairs_only_when_asked(
    demo_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from guanxi.coupons.models import PairsComputation

    day = AS_OF.isoformat()
    # By default the pairs are queued after commit (this test's transaction
    # never commits): not computed before the command returns.
    call_command("score", "--as-of", day, "--json", "--no-progress")
    assert not PairsComputation.objects.exists()
    call_command("score", "--as-of", day, "--json", "--no-progress", "--with-followups")
    assert PairsComputation.objects.exists()


def test_every_risky_customer_gets_reasons(demo_data: dict[str, Any]) -> None:
    """No cap: reasons down to the least risky customers at the threshold
    (the run once gave reasons to the riskiest 20,000 only). A risky customer
    has none only when none of the reason features raises their risk."""
    score_run(as_of=AS_OF)
    risky = list(
        ScoreSnapshot.objects.filter(as_of=AS_OF, churn_risk__gte=0.5).order_by(
            "churn_risk", "customer_id"
        )
    )
    assert len(risky) > 100
    with_reasons = [s for s in risky if s.churn_reasons]
    assert len(with_reasons) > 0.8 * len(risky)
    # Reasons reach the least risky tenth (with a cap they would stop above).
    tenth = risky[: len(risky) // 10]
    assert any(s.churn_reasons for s in tenth)
    assert all(r["effect"] > 0 for s in with_reasons for r in s.churn_reasons)
    calm = ScoreSnapshot.objects.filter(as_of=AS_OF, churn_risk__lt=0.5)
    assert calm.exists()
    assert [s.customer_id for s in calm if s.churn_reasons] == []


def test_a_failing_churn_fit_fails_the_run_and_writes_nothing(
    demo_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The churn model learns in a thread beside the feature reads: its error
    still ends the run, named as before, with no snapshot of the date."""
    from guanxi.analytics.churn import ChurnClassifier

    def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise FloatingPointError("the fit diverged")

    with (
        monkeypatch.context() as patched,
        pytest.raises(FloatingPointError, match="the fit diverged"),
    ):
        patched.setattr(ChurnClassifier, "fit_labelled", failing)
        score_run(as_of=AS_OF)
    run = ScoreRun.objects.get(as_of=AS_OF)
    assert (run.status, run.message, run.written_through) == (
        RunStatus.FAILED,
        "FloatingPointError",
        0,
    )
    assert not ScoreSnapshot.objects.exists() and not StageChange.objects.exists()
    # Nothing was left behind that stops the next run of the date.
    assert score_run(as_of=AS_OF).status == RunStatus.DONE
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == 300

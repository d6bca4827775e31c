"""A run's follow-up chain (tags → segment counts → warnings): queued for the
task worker by default, inline when asked, one writer per run, failures
recorded on the run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.care.models import ChurnWarning, WarningRun
from guanxi.customers.models import CustomerTag
from guanxi.insights.choices import FollowupStatus, RunStatus
from guanxi.insights.followups import STALE_SECONDS, followups_run
from guanxi.insights.models import ScoreRun
from guanxi.insights.services import run_followups, score_run
from guanxi.insights.tasks import run_followups_task
from guanxi.insights.tests.conftest import AS_OF
from guanxi.segments.models import Segment, SegmentCount

CHAIN = ["tags", "segments", "warnings"]
STARS = {"field": "quadrant", "op": "eq", "value": "star"}


def _written(as_of: dt.date) -> dict[str, Any]:
    """What the chain writes for ``as_of``: automatic tags, segment counts,
    warnings."""
    return {
        "tags": set(
            CustomerTag.objects.filter(source="automatic").values_list(
                "customer_id", "tag_id"
            )
        ),
        "counts": set(
            SegmentCount.objects.filter(as_of=as_of).values_list(
                "segment_id", "members", "customers"
            )
        ),
        "warnings": {
            (customer, status, tuple(sorted(signals)))
            for customer, status, signals in ChurnWarning.objects.values_list(
                "customer_id", "status", "signals"
            )
        },
        "evaluated": WarningRun.objects.filter(as_of=as_of).exists(),
    }


def _chain(run: ScoreRun) -> list[str]:
    return [p["step"] for p in run.summary["phases"] if p.get("followup")]


def test_the_chain_is_queued_and_the_worker_runs_it_in_order(
    demo_data: dict[str, Any], huey_immediate: Any
) -> None:
    # A segment to count (the shipped ones may be gone: transactional tests
    # empty the tables their migrations filled).
    Segment.objects.get_or_create(name="stars", defaults={"rules": {"all": [STARS]}})
    huey_immediate.immediate = False
    run = score_run(as_of=AS_OF)
    # The command returns with the scores written and the chain queued: no
    # automatic tag, segment count or warning evaluation yet.
    assert run.status == RunStatus.DONE and run.followups == FollowupStatus.QUEUED
    before = _written(AS_OF)
    assert before["tags"] == set() and before["counts"] == set()
    assert not before["evaluated"]
    seen: list[tuple[str, bool, bool, bool]] = []

    def watch(name: str) -> Any:
        def receiver(sender: Any, run: ScoreRun, **kwargs: Any) -> None:
            now = _written(run.as_of)
            seen.append(
                (name, bool(now["tags"]), bool(now["counts"]), now["evaluated"])
            )

        return receiver

    between = [watch("after tags"), watch("after counts")]
    run_followups.connect_step(between[0], order=15, step="a", dispatch_uid="t15")
    run_followups.connect_step(between[1], order=25, step="b", dispatch_uid="t25")
    huey_immediate.immediate = True
    try:
        run_followups_task(run.pk)  # Huey runs it at once, as the worker would
    finally:
        run_followups.disconnect(dispatch_uid="t15")
        run_followups.disconnect(dispatch_uid="t25")
    assert seen == [
        ("after tags", True, False, False),
        ("after counts", True, True, False),
    ]
    run.refresh_from_db()
    assert run.followups == FollowupStatus.DONE and run.message == ""
    assert _chain(run) == ["tags", "a", "segments", "b", "warnings"]
    queued = _written(AS_OF)
    assert queued["tags"] and queued["counts"] and queued["evaluated"]
    # A second task for the same run finds the chain done and writes nothing.
    summary = run.summary
    assert followups_run(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.summary == summary
    # Inline (``guanxi score --with-followups``): the same tags, counts and
    # warnings before it returns.
    inline = score_run(as_of=AS_OF, queue_followups=False)
    assert inline.followups == FollowupStatus.DONE and _chain(inline) == CHAIN
    assert _written(AS_OF) == queued


def test_one_chain_per_run_writes(demo_data: dict[str, Any]) -> None:
    run = score_run(as_of=AS_OF)
    # Another chain holds the run (its sign of life is fresh): nothing done.
    ScoreRun.objects.filter(pk=run.pk).update(
        followups=FollowupStatus.RUNNING, followups_at=timezone.now()
    )
    assert followups_run(run_id=run.pk) is False
    assert not _written(AS_OF)["evaluated"]
    # Its worker died: the next task takes over.
    old = timezone.now() - dt.timedelta(seconds=STALE_SECONDS + 1)
    ScoreRun.objects.filter(pk=run.pk).update(followups_at=old)
    assert followups_run(run_id=run.pk) is True
    assert _written(AS_OF)["evaluated"]
    # A run being redone (status running) has no chain to run.
    ScoreRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, followups=FollowupStatus.QUEUED
    )
    assert followups_run(run_id=run.pk) is False


def test_a_failing_follow_up_is_recorded_and_the_rest_still_run(
    demo_data: dict[str, Any],
) -> None:
    def broken(sender: Any, run: ScoreRun, **kwargs: Any) -> None:
        raise RuntimeError("step failed")

    run_followups.connect_step(broken, order=15, step="broken", dispatch_uid="t-b")
    try:
        with translation.override("en"):
            run = score_run(as_of=AS_OF, queue_followups=False)
    finally:
        run_followups.disconnect(dispatch_uid="t-b")
    assert run.status == RunStatus.DONE and run.followups == FollowupStatus.FAILED
    assert run.message == "Scores were written; these follow-up steps failed: broken"
    assert _chain(run) == ["tags", "broken", "segments", "warnings"]
    assert _written(AS_OF)["evaluated"]


def test_the_runs_page_shows_the_follow_ups(
    demo_data: dict[str, Any], huey_immediate: Any
) -> None:
    huey_immediate.immediate = False
    run = score_run(as_of=AS_OF)
    client = Client()
    client.force_login(demo_data["users"]["admin"])
    url = reverse("insights:runs")
    row = reverse("insights:run-progress", args=[run.pk])

    def page(language: str) -> str:
        with translation.override(language):
            return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    queued = page("en")
    assert (
        "Follow-ups (tags, segment counts, warnings) are queued for the task worker."
        in queued
    )
    assert f'hx-get="{row}"' in queued  # the row keeps polling
    assert "后续步骤(标签、分群人数、预警)已交给后台任务进程排队。" in page("zh-hans")
    # Segments say that their tag conditions still read the run before's tags.
    segments = client.get(
        reverse("segments:segment-list"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert (
        "The automatic tags are still being updated after the scoring run as of "
        "2026-11-30: until they are, conditions on automatic tags use the tags of "
        "the run before, beside the new scores." in segments
    )
    ScoreRun.objects.filter(pk=run.pk).update(
        followups=FollowupStatus.RUNNING, step="segments"
    )
    assert "Follow-ups are running: segments." in page("en")
    assert "后续步骤进行中:分群。" in page("zh-hans")
    ScoreRun.objects.filter(pk=run.pk).update(followups=FollowupStatus.QUEUED)
    followups_run(run_id=run.pk)
    done = page("en")
    assert "Follow-ups: Done" in done and f'hx-get="{row}"' not in done
    assert 'data-followup="1">follow-up: tags ' in done
    assert 'data-followup="1">后续: 标签 ' in page("zh-hans")
    segments = client.get(
        reverse("segments:segment-list"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="tags-behind"' not in segments

"""Scoring runs and the business's settings: pages for administrators.

Everyone else gets 404, as if the pages did not exist.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import DomainError
from guanxi.insights.choices import FollowupStatus, Quadrant, RunStatus, Stage
from guanxi.insights.forms import InsightSettingsForm
from guanxi.insights.models import ScoreRun
from guanxi.insights.selectors import insight_settings, run_list
from guanxi.insights.services import insight_settings_save, score_run_enqueue

View = Callable[..., HttpResponse]


def admins_only(view: View) -> View:
    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policy_for(request.user).may_administer:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _run_rows(run: ScoreRun) -> dict[str, Any]:
    summary = run.summary or {}
    # Scores written, their follow-up chain (tags → segment counts →
    # warnings) still queued or running in the task worker.
    pending = run.status == RunStatus.DONE and run.followups in (
        FollowupStatus.QUEUED,
        FollowupStatus.RUNNING,
    )
    return {
        "run": run,
        "quadrants": [
            (Quadrant(k).label, v) for k, v in summary.get("quadrants", {}).items()
        ],
        "stages": [(Stage(k).label, v) for k, v in summary.get("stages", {}).items()],
        "running": run.status == RunStatus.RUNNING,
        "pending": pending,
        "phases": [
            {
                "step": str(p.get("step", "")),
                "wall": p.get("wall_seconds"),
                "cpu": p.get("cpu_seconds"),
                "followup": bool(p.get("followup")),
            }
            for p in summary.get("phases", [])
        ],
    }


#: Where the runs page remembers a run it queued until the task worker claims it.
QUEUED_KEY = "insights_run_queued"
#: How long the page waits for the task worker before saying it has not come.
WORKER_WAIT_SECONDS = 60


def _queued(request: HttpRequest) -> dict[str, Any] | None:
    """The run this user queued that the task worker has not claimed yet:
    ``{"as_of", "late"}`` (late: no worker came within a minute), or None.

    The button only queues a task; the run's row changes when the worker
    claims it (its heartbeat moves past the moment it was queued)."""
    queued = request.session.get(QUEUED_KEY)
    if not isinstance(queued, dict):
        return None
    try:
        as_of = dt.date.fromisoformat(str(queued["as_of"]))
        at = dt.datetime.fromtimestamp(float(queued["at"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError):
        del request.session[QUEUED_KEY]
        return None
    run = ScoreRun.objects.filter(as_of=as_of).only("heartbeat_at").first()
    if run is not None and run.heartbeat_at is not None and run.heartbeat_at >= at:
        del request.session[QUEUED_KEY]
        return None
    late = (timezone.now() - at).total_seconds() > WORKER_WAIT_SECONDS
    return {"as_of": as_of.isoformat(), "late": late}


@admins_only
def runs(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [_run_rows(run) for run in run_list()[:30]]
    return render(
        request,
        "insights/runs.html",
        {"rows": rows, "today": today.isoformat(), "queued": _queued(request)},
    )


@admins_only
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("as_of", "").strip()
    try:
        as_of = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        as_of = None
    if as_of is None:
        messages.error(
            request, _("'%(text)s' is not a date (YYYY-MM-DD)") % {"text": text[:40]}
        )
        return redirect("insights:runs")
    try:
        score_run_enqueue(actor=request.user, as_of=as_of)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        request.session[QUEUED_KEY] = {
            "as_of": as_of.isoformat(),
            "at": timezone.now().timestamp(),
        }
        messages.success(
            request,
            _("Scoring as of %(date)s has started; this page shows its progress.")
            % {"date": as_of.isoformat()},
        )
    return redirect("insights:runs")


@admins_only
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """One run's row alone, polled by htmx while it runs."""
    run = get_object_or_404(ScoreRun, pk=pk)
    return render(request, "insights/partials/run_row.html", _run_rows(run))


@admins_only
def settings_page(request: HttpRequest) -> HttpResponse:
    current = insight_settings()
    form = InsightSettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            try:
                insight_settings_save(actor=request.user, values=form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Saved. The next scoring run uses these settings.")
                )
                return redirect("insights:settings")
        status = 400
    else:
        status = 200
    return render(request, "insights/settings.html", {"form": form}, status=status)

"""The care inbox ("today"): one's due and overdue tasks by priority, the
team's for roles that work them, and closing a task in place (htmx) or by a
plain form post."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import Policy, policy_for
from guanxi.care.choices import (
    CHECKLIST_PERIOD,
    ChecklistItem,
    LeaveReason,
    Outcome,
    Period,
    Remedy,
)
from guanxi.care.configuration import (
    FIELDS,
    GLOBAL_FIELDS,
    SCRIPT_FIELDS,
    STEP_SCRIPT_FIELDS,
    SettingsRejected,
    field_label,
    input_name,
)
from guanxi.care.digest import digest_choose, digest_wanted
from guanxi.care.models import THRESHOLD_FIELDS
from guanxi.care.presenters import task_row
from guanxi.care.report import report_filter, winback_report
from guanxi.care.selectors import (
    care_settings_changes,
    care_settings_current,
    checklist_inbox,
    task_get,
    task_inbox,
    task_inbox_count,
)
from guanxi.care.services import care_settings_save, checklist_close, task_close
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.views import HtmxHttpRequest, domain_errors
from guanxi.insights.choices import Quadrant
from guanxi.segments.selectors import segment_list

__all__ = [
    "checklist_close_view",
    "digest_view",
    "inbox",
    "inbox_count",
    "report",
    "settings_page",
    "task_close_view",
]

#: The inbox shows at most this many tasks (bounded work per request).
INBOX_LIMIT = 200
#: And at most this many checklist tasks (a person has a handful).
CHECKLIST_LIMIT = 20


def _uses_inbox(policy: Policy) -> bool:
    """Roles that work care tasks, and roles given checklist items."""
    return policy.may_work_care_tasks or bool(policy.care_checklist)


def _choices() -> dict[str, Any]:
    return {
        "outcomes": Outcome.choices,
        "reasons": LeaveReason.choices,
        "remedies": Remedy.choices,
    }


def _inbox_context(
    request: HtmxHttpRequest, *, error: str = "", failed: int | None = None
) -> dict[str, Any]:
    policy = policy_for(request.user)
    if not _uses_inbox(policy):
        raise PermissionDenied(_("Your role does not work care tasks."))
    today = timezone.localdate()
    team = request.GET.get("team") == "1" and policy.works_team_care_tasks
    tasks = list(
        task_inbox(actor=request.user, today=today, team=team)[: INBOX_LIMIT + 1]
    )
    checklist = [
        {
            "pk": c.pk,
            "label": ChecklistItem(c.item).label,
            "period": Period(CHECKLIST_PERIOD[c.item]).label,
            "period_start": c.period_start,
        }
        for c in checklist_inbox(actor=request.user)[:CHECKLIST_LIMIT]
    ]
    scripts: dict[tuple[str, str], str] = {}
    rows = [
        task_row(t, policy=policy, today=today, scripts=scripts)
        for t in tasks[:INBOX_LIMIT]
    ]
    return {
        "checklist": checklist,
        "works_tasks": policy.may_work_care_tasks,
        # The close form's choices, rendered once for every row not sent back
        # with an error (most of a long inbox's rendering time otherwise).
        "blank_choices": render_to_string(
            "care/partials/task_choices.html", {"values": {}, **_choices()}
        )
        if rows
        else "",
        "rows": rows,
        "more": len(tasks) > INBOX_LIMIT,
        "team": team,
        "may_see_team": policy.works_team_care_tasks,
        # The digest goes to people with an e-mail address: they may turn it off.
        "digest": digest_wanted(user=request.user)
        if getattr(request.user, "email", "")
        else None,
        "today": today,
        "error": error,
        "failed": failed,
        **_choices(),
    }


@login_required
@require_GET
@domain_errors
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "care/inbox.html", _inbox_context(request))


@login_required
@require_GET
def inbox_count(request: HtmxHttpRequest) -> HttpResponse:
    """The header's badge: how many of one's tasks are due (nothing when none,
    or for roles that do not work tasks)."""
    today = timezone.localdate()
    count = task_inbox_count(actor=request.user, today=today)
    count += checklist_inbox(actor=request.user).filter(period_start__lte=today).count()
    return render(request, "care/partials/inbox_count.html", {"count": count})


@login_required
@require_POST
@vary_on_headers("HX-Request")
@domain_errors
def task_close_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Close a task with ``outcome``, ``leave_reason``, ``remedy_offered`` and
    ``note``; htmx gets the task's row back (closed, or with the message)."""
    try:
        task = task_close(
            actor=request.user,
            task_id=pk,
            outcome=request.POST.get("outcome", ""),
            leave_reason=request.POST.get("leave_reason", ""),
            remedy_offered=request.POST.get("remedy_offered", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationFailed as exc:
        if request.htmx:
            policy = policy_for(request.user)
            today = timezone.localdate()
            row = task_row(
                task_get(actor=request.user, pk=pk), policy=policy, today=today
            )
            context = {
                "row": row,
                "error": exc.message,
                "values": request.POST,
                **_choices(),
            }
            return render(request, "care/partials/task.html", context)
        context = _inbox_context(request, error=exc.message, failed=pk)
        return render(request, "care/inbox.html", context, status=400)
    if request.htmx:
        return render(request, "care/partials/task_closed.html", {"task": task})
    return redirect(reverse("care:inbox"))


@login_required
@require_POST
@vary_on_headers("HX-Request")
@domain_errors
def checklist_close_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Tick off one's own checklist task; htmx gets its row back."""
    try:
        task = checklist_close(actor=request.user, pk=pk)
    except ValidationFailed as exc:
        if request.htmx:
            return render(
                request,
                "care/partials/checklist_done.html",
                {"pk": pk, "message": exc.message},
            )
        context = _inbox_context(request, error=exc.message)
        return render(request, "care/inbox.html", context, status=400)
    if request.htmx:
        label = ChecklistItem(task.item).label
        message = _("Done: %(item)s") % {"item": label}
        return render(
            request,
            "care/partials/checklist_done.html",
            {"pk": task.pk, "message": message},
        )
    return redirect(reverse("care:inbox"))


def _chart(report: Any) -> dict[str, Any]:
    """The figures the report's charts draw (json_script)."""

    def series(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "labels": [r["label"] for r in rows],
            "n": [r["n"] for r in rows],
            "contacted": [r["contacted"] for r in rows],
            "won": [r["won"] for r in rows],
        }

    return {
        "names": {
            "n": pgettext("warnings", "Opened"),
            "contacted": _("Contacted"),
            "won": _("Won back"),
            "tasks": _("Tasks"),
        },
        "signal": series(report.by_signal),
        "reason": series(report.by_reason),
        "person": series(report.by_person),
    }


@login_required
@require_GET
@domain_errors
def report(request: HtmxHttpRequest) -> HttpResponse:
    """The win-back report for a date range, over the customers in scope."""
    if not policy_for(request.user).active:
        raise PermissionDenied(_("Your account has no role yet."))
    today = timezone.localdate()
    context: dict[str, Any] = {"values": request.GET}
    context["segments"] = list(segment_list().values("pk", "name"))
    try:
        flt = report_filter(request.GET, today=today)
        found = winback_report(actor=request.user, flt=flt)
    except ValidationFailed as exc:
        context["error"] = exc.message
        return render(request, "care/report.html", context, status=400)
    context.update(
        report=found,
        flt=flt,
        chart=_chart(found),
        rates={
            "contacted": found.rate(found.contacted),
            "won": found.rate(found.won_back),
        },
    )
    return render(request, "care/report.html", context)


def _settings_context(
    posted: Any = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """The settings page: the global fields, each quadrant's, the changes."""
    config, quadrants = care_settings_current()
    errors = errors or {}

    def field(name: str, quadrant: str = "") -> dict[str, Any]:
        key = input_name(name, quadrant)
        if posted is not None:
            value = posted.get(key, "")
        else:
            stored = (
                (
                    getattr(quadrants[quadrant], name, None)
                    if quadrant in quadrants
                    else None
                )
                if quadrant
                else getattr(config, name)
            )
            value = "" if stored is None else stored
        return {
            "name": key,
            "label": field_label(name),
            "value": value,
            "placeholder": getattr(config, name) if quadrant else "",
            "error": errors.get(key, ""),
            "step": "1" if FIELDS[name].kind == "int" else "any",
            "text": name in SCRIPT_FIELDS,
        }

    return {
        "signals": [field(n) for n in THRESHOLD_FIELDS],
        "plan": [field(n) for n in GLOBAL_FIELDS],
        "scripts": [
            {
                "name": n,
                "label": field_label(n),
                "value": posted.get(n, "")
                if posted is not None
                else getattr(config, n),
                "error": errors.get(n, ""),
            }
            for n in SCRIPT_FIELDS + STEP_SCRIPT_FIELDS
        ],
        "quadrants": [
            {
                "key": q.value,
                "label": q.label,
                "fields": [field(n, q.value) for n in THRESHOLD_FIELDS],
                "open": q.value in quadrants
                or any(k.startswith(f"{q.value}-") for k in errors),
            }
            for q in Quadrant
        ],
        "changes": care_settings_changes(limit=10),
        "errors": list(errors.values()),
    }


@login_required
@domain_errors
def settings_page(request: HttpRequest) -> HttpResponse:
    """The thresholds (global and per value quadrant) and the plan (admins)."""
    if not policy_for(request.user).may_administer:
        raise Http404
    if request.method == "POST":
        try:
            care_settings_save(actor=request.user, values=request.POST)
        except SettingsRejected as exc:
            return render(
                request,
                "care/settings.html",
                _settings_context(request.POST, exc.errors),
                status=400,
            )
        messages.success(request, _("Saved. The next evaluation uses these settings."))
        return redirect(reverse("care:settings"))
    return render(request, "care/settings.html", _settings_context())


@login_required
@require_POST
@domain_errors
def digest_view(request: HtmxHttpRequest) -> HttpResponse:
    """Turn one's own daily digest e-mail ``on`` or ``off`` (``choice``)."""
    if not _uses_inbox(policy_for(request.user)):
        raise PermissionDenied(_("Your role does not work care tasks."))
    try:
        on = digest_choose(actor=request.user, choice=request.POST.get("choice", ""))
    except ValidationFailed as exc:
        context = _inbox_context(request, error=exc.message)
        return render(request, "care/inbox.html", context, status=400)
    if on:
        messages.success(request, _("The daily e-mail is on."))
    else:
        messages.success(request, _("The daily e-mail is off."))
    return redirect(reverse("care:inbox") + "#digest")

"""The surveys' staff pages (``surveys/``): the report with the surveys,
editing a survey's texts (admins), inviting a segment (dry run first) and
the answers (scoped like customers; analysts see free text masked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.views import domain_errors
from guanxi.segments.selectors import segment_list
from guanxi.surveys.defaults import KEYS
from guanxi.surveys.presenters import answer_row
from guanxi.surveys.report import report_chart, survey_report
from guanxi.surveys.selectors import answer_scope, survey_get, survey_list
from guanxi.surveys.services import invitations_to_segment, survey_texts_save

ANSWERS_PER_PAGE = 50
MONTHS = 12


def _active(request: HttpRequest) -> None:
    if not policy_for(request.user).active:
        raise PermissionDenied(_("your role may not see surveys"))


@login_required
@require_http_methods(["GET"])
@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    _active(request)
    end = timezone.now()
    start = end - dt.timedelta(days=31 * MONTHS)
    report = survey_report(actor=request.user, start=start, end=end)
    return render(
        request,
        "surveys/home.html",
        {
            "surveys": survey_list(),
            "report": report,
            "chart": report_chart(report),
            "policy": policy_for(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def edit(request: HttpRequest, kind: str) -> HttpResponse:
    if not policy_for(request.user).may_administer:
        raise PermissionDenied(_("Only administrators may do this."))
    survey = survey_get(kind=kind)
    error = ""
    status = 200
    if request.method == "POST":
        values = {
            f"{lang}.{key}": request.POST.get(f"{lang}.{key}", "")
            for lang in ("zh-hans", "en")
            for key in KEYS
        }
        try:
            survey_texts_save(
                actor=request.user,
                kind=kind,
                values=values,
                active=request.POST.get("active") == "on",
            )
        except ValidationFailed as exc:
            error, status = exc.message, 400
        else:
            return redirect("surveys:home")
    fields = [
        {
            "key": key,
            "zh": survey.texts.get("zh-hans", {}).get(key, ""),
            "en": survey.texts.get("en", {}).get(key, ""),
        }
        for key in KEYS
    ]
    return render(
        request,
        "surveys/edit.html",
        {"survey": survey, "fields": fields, "error": error},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def send(request: HttpRequest, kind: str) -> HttpResponse:
    if not policy_for(request.user).may_send_broadcasts:
        raise PermissionDenied(_("your role may not send to a segment"))
    survey = survey_get(kind=kind)
    context: dict[str, Any] = {"survey": survey, "segments": segment_list()}
    status = 200
    if request.method == "POST":
        segment = request.POST.get("segment", "")
        context["chosen"] = segment
        dry = request.POST.get("action") != "send"
        try:
            count = invitations_to_segment(
                actor=request.user, kind=kind, segment=segment, dry_run=dry
            )
        except ValidationFailed as exc:
            context["error"], status = exc.message, 400
        else:
            context["count"] = count
            context["dry"] = dry
    return render(request, "surveys/send.html", context, status=status)


@login_required
@require_http_methods(["GET"])
@domain_errors
def answers(request: HttpRequest) -> HttpResponse:
    _active(request)
    policy = policy_for(request.user)
    rows = list(
        answer_scope(actor=request.user)
        .select_related("customer")
        .order_by("-answered_at", "-id")[:ANSWERS_PER_PAGE]
    )
    shown = [
        answer_row(a, policy=policy, name=str(a.customer.name or "")) for a in rows
    ]
    return render(request, "surveys/answers.html", {"answers": shown})

"""The journey builder (admins): create a journey or edit one without
writing JSON. Adding, removing and moving steps re-renders the form;
"Check" shows the flow or the validator's refusal next to the step it
names; "Save" stores it (editing writes a new version, customers in flight
stay on theirs)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.views import domain_errors
from guanxi.coupons.selectors import coupon_definition_list
from guanxi.insights.choices import Stage
from guanxi.journeys.builder import (
    BUILDER_TYPES,
    END,
    FOLLOWING,
    BuilderForm,
    blank_step,
    form_from_journey,
    form_from_post,
)
from guanxi.journeys.choices import EntryRule, Period, TriggerDate, TriggerEvent
from guanxi.journeys.definition import CONDITION_FIELDS, StepRefused
from guanxi.journeys.presenters import WEEKDAYS, flow
from guanxi.journeys.selectors import journey_get
from guanxi.journeys.services import (
    journey_create,
    journey_definition_check,
    journey_edit,
)
from guanxi.messaging.selectors import template_names
from guanxi.segments.selectors import segment_list
from guanxi.surveys.choices import SurveyKind

__all__ = ["journey_edit_view", "journey_new_view"]

STEP_TYPE_LABELS = {
    "wait": gettext_lazy("Wait"),
    "wait_until": gettext_lazy("Wait until a weekday and time"),
    "wait_event": gettext_lazy("Wait for a purchase"),
    "condition": gettext_lazy("Condition (branch)"),
    "send_message": gettext_lazy("Send a message"),
    "create_task": gettext_lazy("Create a care task"),
    "add_tag": gettext_lazy("Add a tag"),
    "remove_tag": gettext_lazy("Remove a tag"),
    "issue_coupon": gettext_lazy("Issue a coupon"),
    "recommend": gettext_lazy("Pick a product to recommend"),
    "send_survey": gettext_lazy("Send a survey"),
    "exit": gettext_lazy("Leave the journey"),
}
OPS = [
    ("eq", "="),
    ("ne", "≠"),
    ("gt", ">"),
    ("gte", "≥"),
    ("lt", "<"),
    ("lte", "≤"),
    ("is", pgettext_lazy("condition", "is")),
    ("has", pgettext_lazy("condition", "has")),
    ("has_not", pgettext_lazy("condition", "has not")),
]


def _admin(request: HttpRequest) -> None:
    if not policy_for(request.user).may_administer:
        raise PermissionDenied(_("only admins build journeys"))


def _choices(request: HttpRequest) -> dict[str, Any]:
    return {
        "types": [(t, STEP_TYPE_LABELS[t]) for t in BUILDER_TYPES],
        "events": TriggerEvent.choices,
        "dates": TriggerDate.choices,
        "stages": Stage.choices,
        "segments": list(segment_list().order_by("name").values_list("pk", "name")),
        "every": [
            ("day", pgettext("every", "day")),
            ("week", pgettext("every", "week")),
            ("month", pgettext("every", "month")),
        ],
        "entry_rules": EntryRule.choices,
        "periods": Period.choices,
        "fields": list(CONDITION_FIELDS),
        "ops": OPS,
        "weekdays": [(str(i), _(name)) for i, name in enumerate(WEEKDAYS)],
        "templates": template_names(actor=request.user),
        "coupons": list(
            coupon_definition_list().order_by("slug").values_list("slug", flat=True)
        ),
        "surveys": SurveyKind.choices,
        "following": FOLLOWING,
        "end": END,
    }


def _render(
    request: HttpRequest,
    form: BuilderForm,
    *,
    journey: Any = None,
    error: ValidationFailed | None = None,
    preview: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    step_errors: dict[int, str] = {}
    field_errors: dict[str, str] = {}
    general = ""
    if isinstance(error, StepRefused):
        ids = [row["id"].strip() for row in form.steps]
        at = (
            ids.index(error.step)
            if error.step in ids
            else (error.position - 1 if error.position else -1)
        )
        if 0 <= at < len(form.steps):
            step_errors[at] = error.message
        else:
            general = error.message
    elif error is not None:
        if error.field and error.field != "definition":
            field_errors[error.field] = error.message
        else:
            general = error.message
    rows = [
        {
            "n": i,
            "v": row,
            "error": step_errors.get(i, ""),
            "others": [r["id"] for j, r in enumerate(form.steps) if j != i and r["id"]],
        }
        for i, row in enumerate(form.steps)
    ]
    return render(
        request,
        "journeys/journey_builder.html",
        {
            "journey": journey,
            "form": form,
            "rows": rows,
            "count": len(rows),
            "errors": field_errors,
            "general": general,
            "preview": preview,
            **_choices(request),
        },
        status=status,
    )


def _saved(request: HttpRequest, form: BuilderForm, journey: Any) -> Any:
    """Save the form: a new journey, or the journey's new settings and
    version. ``ValidationFailed`` as the services refuse."""
    if journey is None:
        return journey_create(
            actor=request.user,
            slug=form.slug,
            name_zh=form.name_zh,
            name_en=form.name_en,
            definition=form.definition(),
            holdout_percent=form.holdout(),
            entry_rule=form.entry_rule,
            entry_period=form.entry_period,
            exit_on_purchase=form.exit_on_purchase,
        )
    return journey_edit(
        actor=request.user,
        journey=journey,
        name_zh=form.name_zh,
        name_en=form.name_en,
        definition=form.definition(),
        holdout_percent=form.holdout(),
        entry_rule=form.entry_rule,
        entry_period=form.entry_period,
        exit_on_purchase=form.exit_on_purchase,
    )


def _build(request: HttpRequest, journey: Any) -> HttpResponse:
    if request.method != "POST":
        form = form_from_journey(journey) if journey is not None else BuilderForm()
        if not form.steps:
            form.steps.append(blank_step(1))
        preview = None
        if journey is not None and journey.current_version is not None:
            try:
                checked = journey_definition_check(journey.current_version.definition)
                preview = flow(checked.steps, {})
            except ValidationFailed:
                preview = None  # a template it names was deleted since
        return _render(request, form, journey=journey, preview=preview)
    form, verb = form_from_post(request.POST)
    if journey is not None:
        form.slug = journey.slug
    if verb not in ("save", "check"):
        return _render(request, form, journey=journey)
    try:
        checked = journey_definition_check(form.definition())
        if verb == "check":
            return _render(
                request, form, journey=journey, preview=flow(checked.steps, {})
            )
        saved = _saved(request, form, journey)
    except ValidationFailed as exc:
        return _render(request, form, journey=journey, error=exc, status=400)
    messages.success(
        request,
        _("%(slug)s is saved (version %(n)d).")
        % {
            "slug": saved.slug,
            "n": saved.current_version.number if saved.current_version else 0,
        },
    )
    return redirect("journeys:detail", slug=saved.slug)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def journey_new_view(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return _build(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def journey_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    _admin(request)
    return _build(request, journey_get(slug=slug))

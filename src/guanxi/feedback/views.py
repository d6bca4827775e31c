"""Feedback pages: the ticket inbox, a ticket with its clock and thread,
opening a ticket, the clock settings (mounted at ``feedback/``); and the
customer's public pages (mounted at ``f/``): the feedback form of a signed
link and a ticket's page, both without login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.access.policies import policy_for
from guanxi.access.selectors import staff_list
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.views import domain_errors, int_or_none
from guanxi.feedback.choices import (
    TRANSITIONS,
    Category,
    Channel,
    HoursMode,
    Priority,
    Status,
)
from guanxi.feedback.files import attachment_limits, too_large_message
from guanxi.feedback.links import form_read, ticket_read, ticket_token
from guanxi.feedback.models import MAX_TEXT
from guanxi.feedback.presenters import (
    attachment_rows,
    customer_attachment_rows,
    entry_row,
    ticket_row,
)
from guanxi.feedback.report import ReportRow, report_range, ticket_report
from guanxi.feedback.selectors import (
    closing_days,
    customer_attachments,
    feedback_settings_current,
    sla_rules,
    ticket_attachments,
    ticket_by_link,
    ticket_entries,
    ticket_get,
    ticket_list,
)
from guanxi.feedback.services import (
    closing_day_add,
    closing_day_remove,
    feedback_settings_save,
    public_ticket_answer,
    public_ticket_file,
    sla_rule_save,
    ticket_open,
    ticket_reply,
    ticket_transition,
)
from guanxi.feedback.words import REPLY_TEMPLATES

#: Rows a page of the inbox shows (bounded work per request).
PAGE_SIZE = 50
#: The public form refuses a body larger than this (bytes) before parsing.
MAX_BODY = 32 * 1024
WEEKDAYS = range(7)


def _active(request: HttpRequest) -> Any:
    policy = policy_for(request.user)
    if not policy.active:
        raise PermissionDenied(_("Your role may not see tickets."))
    return policy


@login_required
@require_GET
@domain_errors
def inbox(request: HttpRequest) -> HttpResponse:
    policy = _active(request)
    status = request.GET.get("status", "open")
    if status not in ("", "open", *Status.values):
        status = "open"
    category = request.GET.get("category", "")
    if category not in Category.values:
        category = ""
    owner = request.GET.get("owner", "")
    owner_id = request.user.pk if owner == "me" else int_or_none(owner)
    overdue = request.GET.get("overdue") == "1"
    page = max(1, int_or_none(request.GET.get("page")) or 1)
    now = timezone.now()
    qs = ticket_list(
        actor=request.user,
        status=status,
        category=category,
        owner_id=owner_id,
        overdue=overdue,
        now=now,
    )
    start = (page - 1) * PAGE_SIZE
    found = list(qs[start : start + PAGE_SIZE + 1])
    rows = [ticket_row(t, policy=policy, now=now) for t in found[:PAGE_SIZE]]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "feedback/inbox.html",
        {
            "rows": rows,
            "page": page,
            "more": len(found) > PAGE_SIZE,
            "query": params.urlencode(),
            "params": {
                "status": status,
                "category": category,
                "owner": owner,
                "overdue": overdue,
            },
            "statuses": Status.choices,
            "categories": Category.choices,
            "may_work": policy.may_work_care_tasks,
            "may_triage": policy.may_work_care_tasks and not policy.own_customers_only,
            "may_administer": policy.may_administer,
        },
    )


def _ticket_page(
    request: HttpRequest, pk: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    policy = _active(request)
    ticket = ticket_get(actor=request.user, pk=pk)
    entries = [
        entry_row(e, customer=ticket.customer, policy=policy)
        for e in ticket_entries(ticket=ticket)[:500]
    ]
    moves = [
        (s, Status(s).label) for s in Status.values if s in TRANSITIONS[ticket.status]
    ]
    language = (request.LANGUAGE_CODE or "zh-hans")[:2]
    return render(
        request,
        "feedback/ticket.html",
        {
            "row": ticket_row(ticket, policy=policy),
            "entries": entries,
            "moves": moves,
            "may_work": policy.may_work_care_tasks,
            "templates": [
                {
                    "key": t.key,
                    "label": t.label,
                    "text": t.en if language == "en" else t.zh,
                }
                for t in REPLY_TEMPLATES
            ],
            "public_link": (
                request.build_absolute_uri(
                    reverse(
                        "feedback-public:ticket",
                        args=[ticket_token(ticket_id=ticket.pk)],
                    )
                )
                if policy.sees_contact_data
                else ""
            ),
            "error": error,
            "max_text": MAX_TEXT,
            "attachments": attachment_rows(
                list(ticket_attachments(ticket=ticket)[:100]),
                ticket=ticket,
                policy=policy,
            ),
            "may_attach": policy.may_work_care_tasks,
            "limits": attachment_limits(),
        },
        status=status,
    )


@login_required
@require_GET
@domain_errors
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _ticket_page(request, pk)


@login_required
@require_POST
@domain_errors
def ticket_reply_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ticket_reply(
            actor=request.user,
            ticket_id=pk,
            text=request.POST.get("text", ""),
            internal=request.POST.get("internal") == "1",
        )
    except ValidationFailed as error:
        return _ticket_page(request, pk, error=error.message, status=400)
    return redirect("feedback:ticket", pk=pk)


@login_required
@require_POST
@domain_errors
def ticket_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ticket_transition(
            actor=request.user,
            ticket_id=pk,
            to=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationFailed as error:
        return _ticket_page(request, pk, error=error.message, status=400)
    return redirect("feedback:ticket", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def ticket_new(request: HttpRequest) -> HttpResponse:
    policy = _active(request)
    if not policy.may_work_care_tasks:
        raise PermissionDenied(_("Your role may not work tickets."))
    error = ""
    values: dict[str, str] = {"customer": request.GET.get("customer", "")}
    if request.method == "POST":
        values = {
            k: str(request.POST.get(k, ""))
            for k in ("customer", "category", "channel", "priority", "text")
        }
        try:
            ticket = ticket_open(
                actor=request.user,
                customer_id=values["customer"],
                category=values["category"],
                channel=values["channel"] or Channel.PHONE,
                priority=values["priority"] or Priority.NORMAL,
                text=values["text"],
            )
        except NotFound:
            error = _("No customer of yours has this number.")
        except ValidationFailed as exc:
            error = exc.message
        else:
            return redirect("feedback:ticket", pk=ticket.pk)
    return render(
        request,
        "feedback/new.html",
        {
            "error": error,
            "values": values,
            "categories": Category.choices,
            "channels": [
                c for c in Channel.choices if c[0] not in ("web", "api", "import")
            ],
            "priorities": Priority.choices,
            "max_text": MAX_TEXT,
        },
        status=400 if error else 200,
    )


def _settings_context(error: str = "") -> dict[str, Any]:
    current = feedback_settings_current()
    opening = current.opening_hours or {}
    days = []
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    for day in WEEKDAYS:
        start, end = (opening.get(str(day)) or ["", ""])[:2]
        days.append({"key": str(day), "name": names[day], "start": start, "end": end})
    return {
        "current": current,
        "days": days,
        "modes": HoursMode.choices,
        "rules": sla_rules(),
        "closing": closing_days()[:400],
        "categories": Category.choices,
        "priorities": Priority.choices,
        "staff": list(staff_list().filter(is_active=True)[:500]),
        "error": error,
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def settings_page(request: HttpRequest) -> HttpResponse:
    if not policy_for(request.user).may_administer:
        raise PermissionDenied(_("Only an admin may change the feedback settings."))
    if request.method == "GET":
        return render(request, "feedback/settings.html", _settings_context())
    action = request.POST.get("action", "")
    post = request.POST
    try:
        if action == "clock":
            feedback_settings_save(
                actor=request.user,
                hours_mode=post.get("hours_mode", ""),
                opening_hours={
                    str(d): (
                        post.get(f"open_{d}", "").strip(),
                        post.get(f"close_{d}", "").strip(),
                    )
                    for d in WEEKDAYS
                },
                china_holidays=post.get("china_holidays") == "1",
                warn_before_hours=post.get("warn_before_hours", ""),
                lead_id=post.get("lead", ""),
            )
        elif action == "rule":
            sla_rule_save(
                actor=request.user,
                category=post.get("category", ""),
                priority=post.get("priority", ""),
                first_reply_hours=post.get("first_reply_hours", ""),
                solve_hours=post.get("solve_hours", ""),
            )
        elif action == "closing-add":
            closing_day_add(
                actor=request.user, day=post.get("day", ""), note=post.get("note", "")
            )
        elif action == "closing-remove":
            closing_day_remove(actor=request.user, pk=int_or_none(post.get("pk")))
        else:
            raise ValidationFailed(_("Unknown action."))
    except ValidationFailed as error:
        return render(
            request,
            "feedback/settings.html",
            _settings_context(error.message),
            status=400,
        )
    return redirect("feedback:settings")


def _series(rows: list[ReportRow]) -> dict[str, Any]:
    keys = ("opened", "replied_in_time", "solved_in_time", "breached")
    return {
        "labels": [r.label for r in rows],
        **{k: [getattr(r, k) for r in rows] for k in keys},
    }


@login_required
@require_GET
@domain_errors
def report(request: HttpRequest) -> HttpResponse:
    """The ticket report for a date range, over the customers in scope."""
    _active(request)
    try:
        start, end = report_range(request.GET, today=timezone.localdate())
    except ValidationFailed as error:
        return render(
            request, "feedback/report.html", {"error": error.message}, status=400
        )
    found = ticket_report(actor=request.user, start=start, end=end)
    chart = {
        "names": {
            "opened": pgettext("ticket", "Opened"),
            "replied_in_time": _("First reply in time"),
            "solved_in_time": _("Solved in time"),
            "breached": _("Breached"),
        },
        "category": _series(found.by_category),
        "person": _series(found.by_person),
    }
    parts = [
        {
            "key": "category",
            "title": _("By category"),
            "head": pgettext("ticket", "Category"),
            "rows": found.by_category,
        },
        {
            "key": "person",
            "title": _("By person"),
            "head": _("Owner"),
            "rows": found.by_person,
        },
    ]
    return render(
        request,
        "feedback/report.html",
        {"report": found, "start": start, "end": end, "chart": chart, "parts": parts},
    )


# -- public pages (no login) -----------------------------------------------


def _too_big(request: HttpRequest, *, files: bool = False) -> bool:
    """The body is larger than the page takes (``files``: with the largest
    upload the form allows), read no further."""
    limit = MAX_BODY + (attachment_limits().max_request_bytes if files else 0)
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return True


@csrf_exempt
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, token: str) -> HttpResponse:
    """A customer's own feedback form (the signed link names them)."""
    if form_read(token) is None:
        raise Http404
    context: dict[str, Any] = {
        "token": token,
        "categories": Category.choices,
        "max_text": MAX_TEXT,
        "values": {"category": Category.COMPLAINT, "text": ""},
        "limits": attachment_limits(),
    }
    if request.method == "GET":
        return render(request, "feedback/public_form.html", context)
    if _too_big(request, files=True):
        context["error"] = too_large_message()
        return render(request, "feedback/public_form.html", context, status=413)
    values = {
        "category": str(request.POST.get("category", "")),
        "text": str(request.POST.get("text", "")),
    }
    try:
        ticket = public_ticket_file(
            token=token,
            category=values["category"],
            text=values["text"],
            files=[(f, f.name) for f in request.FILES.getlist("files")],
        )
    except NotFound:
        raise Http404 from None
    except ValidationFailed as error:
        context.update(
            error=error.message, values={**values, "text": values["text"][:MAX_TEXT]}
        )
        return render(request, "feedback/public_form.html", context, status=400)
    return redirect("feedback-public:ticket", token=ticket_token(ticket_id=ticket.pk))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def public_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page of one ticket: its status, the replies and the
    files they sent; confirm a solved ticket, say it is not solved, or add
    words."""
    ticket_id = ticket_read(token)
    if ticket_id is None:
        raise Http404
    error = ""
    status_code = 200
    if request.method == "POST":
        if _too_big(request):
            error = _("The text is longer than %(n)d characters.") % {"n": MAX_TEXT}
            status_code = 413
        else:
            try:
                public_ticket_answer(
                    token=token,
                    solved=request.POST.get("answer") == "confirm",
                    text=request.POST.get("text", ""),
                )
            except NotFound:
                raise Http404 from None
            except ValidationFailed as exc:
                error, status_code = exc.message, 400
            else:
                return redirect("feedback-public:ticket", token=token)
    ticket = ticket_by_link(ticket_id=ticket_id)
    if ticket is None:
        raise Http404
    entries = [
        {
            "kind": e.kind,
            "text": e.text,
            "to_status": Status(e.to_status).label if e.to_status else "",
            "at": timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"),
        }
        for e in ticket_entries(ticket=ticket, public=True)[:200]
    ]
    return render(
        request,
        "feedback/public_ticket.html",
        {
            "token": token,
            "ticket": ticket,
            "status": Status(ticket.status).label,
            "category": Category(ticket.category).label,
            "entries": entries,
            "files": customer_attachment_rows(
                list(customer_attachments(ticket=ticket)), token=token
            ),
            "solved": ticket.status == Status.SOLVED,
            "ended": ticket.status in (Status.CONFIRMED, Status.CLOSED_UNSOLVED),
            "error": error,
            "max_text": MAX_TEXT,
        },
        status=status_code,
    )

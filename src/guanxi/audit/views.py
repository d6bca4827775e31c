"""The audit log's pages (admins only): the search, and its CSV export.

A search the admin got wrong (a date that is not one, an unknown action) comes
back as the page with its message (status 400) and no events.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from guanxi.access.choices import Role
from guanxi.access.policies import role_of
from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent
from guanxi.audit.presenters import audit_row
from guanxi.audit.selectors import (
    SEARCH_FIELDS,
    AuditSearch,
    audit_event_list,
    audit_read_check,
    audit_search_parse,
)
from guanxi.audit.services import export_finished
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.core.views import (
    HtmxHttpRequest,
    domain_errors,
    filter_values,
    page_or_fragment,
    query_without_cursor,
)
from guanxi.exports.services import spreadsheet_safe

__all__ = ["event_export", "event_list"]

EVENTS_PER_PAGE = 50
#: The most events one CSV export holds (a bounded request); a larger one is
#: refused with a message to narrow the search.
EXPORT_MAX_EVENTS = 100_000
CSV_HEADERS = (
    "at",
    "actor",
    "role",
    "action",
    "customer",
    "object_type",
    "object_id",
    "details",
)


def _search(request: HtmxHttpRequest) -> tuple[AuditSearch | None, str]:
    try:
        return audit_search_parse(request.GET), ""
    except ValidationFailed as exc:
        return None, exc.message


@login_required
@require_GET
@vary_on_headers("HX-Request")
@domain_errors
def event_list(request: HtmxHttpRequest) -> HttpResponse:
    """Search the log by person, customer, action and days; newest first."""
    audit_read_check(request.user)
    search, error = _search(request)
    page = None
    rows: list[dict[str, Any]] = []
    if search is not None:
        page = keyset_page(
            audit_event_list(actor=request.user, search=search),
            keys=("at", "id"),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            per_page=EVENTS_PER_PAGE,
        )
        rows = [audit_row(event) for event in page.items]
    context = {
        "rows": rows,
        "page": page,
        "error": error,
        "query": query_without_cursor(request),
        "params": filter_values(request, SEARCH_FIELDS),
        "actions": AuditAction.choices,
    }
    template = page_or_fragment(
        request, page="audit/event_list.html", fragment="audit/partials/events.html"
    )
    # htmx swaps only 2xx answers: a fragment carries its message with a 200,
    # the whole page with a 400 (as care's inbox does).
    failed = bool(error) and template == "audit/event_list.html"
    return render(request, template, context, status=400 if failed else 200)


def _csv_lines(events: Iterator[AuditEvent]) -> Iterator[str]:
    class Line:
        def write(self, text: str) -> str:
            return text

    writer = csv.writer(Line())
    yield writer.writerow(CSV_HEADERS)
    for event in events:
        yield writer.writerow(
            [
                event.at.astimezone(timezone.get_current_timezone()).isoformat(),
                spreadsheet_safe(event.actor_label),
                event.role,
                event.action,
                event.customer_id or "",
                event.object_type,
                spreadsheet_safe(event.object_id),
                json.dumps(event.details, ensure_ascii=False, sort_keys=True),
            ]
        )


@login_required
@require_GET
def event_export(request: HtmxHttpRequest) -> HttpResponseBase:
    """The events of the search as CSV (at most ``EXPORT_MAX_EVENTS``); the
    export is itself an event of the log. A refusal is a page with its
    message, as ``domain_errors`` answers (the file is streamed)."""
    try:
        return _export(request)
    except DomainError as exc:
        return render(
            request,
            "web/error.html",
            {"message": exc.message, "status": exc.status_code},
            status=exc.status_code,
        )


def _export(request: HtmxHttpRequest) -> HttpResponseBase:
    audit_read_check(request.user)
    search = audit_search_parse(request.GET)
    events = audit_event_list(actor=request.user, search=search)
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    # The export holds the events up to now, not the one recording it.
    events = events.filter(id__lte=newest or 0)
    count = events.order_by()[: EXPORT_MAX_EVENTS + 1].count()
    if count > EXPORT_MAX_EVENTS:
        raise ValidationFailed(
            _(
                "An export of the audit log holds at most %(max)s events: "
                "narrow the search."
            )
            % {"max": f"{EXPORT_MAX_EVENTS:,}"}
        )
    role = role_of(request.user) or Role.ADMIN
    export_finished(
        actor=request.user,
        export_id=None,
        kind="audit",
        fmt="csv",
        rows=count,
        role_applied=role.value,
        query=query_without_cursor(request),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(events.iterator(chunk_size=2000)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response

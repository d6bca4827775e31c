"""The data-subject requests' page: the requests by due date, a form to open
one, and per open request its export (JSON, ZIP of CSVs) and its closing
(an erasure request closed as done erases the customer)."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import parse_id
from guanxi.core.views import domain_errors
from guanxi.privacy.choices import RequestKind, RequestStatus
from guanxi.privacy.models import DataRequest
from guanxi.privacy.selectors import request_get
from guanxi.privacy.selectors import request_list as requests_all
from guanxi.privacy.services import (
    dsar_check,
    dsar_export,
    dsar_export_json,
    dsar_export_zip_file,
    request_complete,
    request_open,
)

__all__ = [
    "request_complete_view",
    "request_export_json",
    "request_export_zip",
    "request_list",
]

#: The page shows at most this many requests (open ones first, by due date).
REQUESTS_SHOWN = 200


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    rows = list(requests_all()[:REQUESTS_SHOWN])
    today = timezone.localdate()
    return render(
        request,
        "privacy/request_list.html",
        {
            "rows": rows,
            "today": today,
            "kinds": RequestKind.choices,
            "error": error,
            "form": request.POST if request.method == "POST" else {},
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests, and (POST) a new one: what was asked, for which customer."""
    dsar_check(request.user)
    if request.method == "POST":
        customer_id = parse_id(request.POST.get("customer", ""))
        if customer_id is None:
            return _page(
                request,
                error=_("Enter the customer's number, like 42."),
                status=400,
            )
        try:
            request_open(
                actor=request.user,
                kind=request.POST.get("kind", ""),
                customer_id=customer_id,
            )
        except ValidationFailed as exc:
            return _page(request, error=exc.message, status=400)
        return redirect("privacy:request-list")
    return _page(request)


def _open_request(request: HttpRequest, pk: int) -> DataRequest:
    dsar_check(request.user)
    found = request_get(pk=pk)
    if found is None:
        raise Http404(_("There is no such request."))
    return found


@login_required
@require_POST
@domain_errors
def request_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a request: done (an erasure request erases) or refused."""
    found = _open_request(request, pk)
    status = request.POST.get("status", "")
    if (
        status == RequestStatus.DONE
        and found.kind == RequestKind.ERASURE
        and request.POST.get("confirm") != "yes"
    ):
        return _page(
            request,
            error=_("Tick the box to confirm the erasure: it cannot be undone."),
            status=400,
        )
    try:
        request_complete(actor=request.user, request=found, status=status)
    except ValidationFailed as exc:
        return _page(request, error=exc.message, status=400)
    return redirect("privacy:request-list")


def _export(request: HttpRequest, pk: int) -> tuple[int, dict[str, object]]:
    found = _open_request(request, pk)
    customer_id = int(found.customer_id)
    return customer_id, dsar_export(
        customer_id=customer_id, actor=request.user, via="web"
    )


@login_required
@require_GET
@domain_errors
def request_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    customer_id, data = _export(request, pk)
    response = HttpResponse(
        dsar_export_json(data), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="customer-{customer_id}-data.json"'
    )
    return response


@login_required
@require_GET
@domain_errors
def request_export_zip(request: HttpRequest, pk: int) -> HttpResponse:
    customer_id, data = _export(request, pk)
    # Streamed from a temporary file (closed, and so gone, with the response).
    response = FileResponse(
        dsar_export_zip_file(data),
        as_attachment=True,
        filename=f"customer-{customer_id}-data.zip",
        content_type="application/zip",
    )
    # A streamed file: the edge helpers are typed for plain responses.
    return cast(HttpResponse, response)

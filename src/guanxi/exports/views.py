"""Export pages: ask for an export of a list, watch it being made, download it,
and the list of one's own exports.

Only roles whose policy may export reach them (404 for the others, as if
exports did not exist); an export and its file belong to the person who asked
for it (404 to anyone else, administrators included).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.filters import MAX_IDS
from guanxi.core.views import HtmxHttpRequest, domain_errors, page_or_fragment
from guanxi.exports.background import (
    export_file,
    export_get,
    export_list,
    export_progress,
    export_request,
)
from guanxi.exports.models import ExportRecord

__all__ = ["export_create", "export_detail", "export_download", "exports_mine"]

#: The exports "my exports" shows (the newest).
MY_EXPORTS_SHOWN = 50


def _exporter(request: HtmxHttpRequest) -> None:
    if not policy_for(request.user).may_export:
        raise Http404


@login_required
@require_POST
@domain_errors
def export_create(request: HtmxHttpRequest) -> HttpResponse:
    """An export of a list: its filter (``query``), or from the customer
    list's bulk bar (``export=customers``) the customers ticked there
    (``scope=selected``, ``ids``) or every customer matching (``scope=all``)."""
    _exporter(request)
    query = request.POST.get("query", "")
    kind = request.POST.get("kind", "")
    if "export" in request.POST:  # the bulk bar's button: its kind is the action's
        kind = request.POST.get("export", "")
        if request.POST.get("scope") == "selected":
            query = _selection(query, request.POST.getlist("ids"))
    record = export_request(
        actor=request.user,
        kind=kind,
        fmt=request.POST.get("format", ""),
        query=query,
        language=get_language() or "",
    )
    return redirect("exports:export-detail", pk=record.pk)


def _selection(query: str, ids: list[str]) -> str:
    """The list's query narrowed to the ticked customers (``ids=…``; the
    customer filter checks them: numbers, at most 1,000, the role may)."""
    if not ids:
        raise ValidationFailed(
            _(
                "Tick at least one customer, or choose every customer matching the filters."
            )
        )
    narrowed = QueryDict(query, mutable=True)
    narrowed["ids"] = ",".join(i.strip() for i in ids[: MAX_IDS + 1])
    return narrowed.urlencode()


@login_required
@domain_errors
def exports_mine(request: HtmxHttpRequest) -> HttpResponse:
    _exporter(request)
    records = list(export_list(actor=request.user)[:MY_EXPORTS_SHOWN])
    return render(request, "exports/export_list.html", {"records": records})


@login_required
@vary_on_headers("HX-Request")
@domain_errors
def export_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The export with its progress; htmx polls the progress part until it ends."""
    _exporter(request)
    record = export_get(actor=request.user, pk=pk)
    done = export_progress(record)
    total = record.total or 0
    finished = record.status in (ExportRecord.Status.DONE, ExportRecord.Status.FAILED)
    if record.status == ExportRecord.Status.DONE:
        percent = 100
    else:
        percent = min(99, int(100 * done / total)) if total else 0
    context = {
        "record": record,
        "done": done,
        "percent": percent,
        "finished": finished,
        "keep_days": int(settings.GUANXI_EXPORT_KEEP_DAYS),
    }
    template = page_or_fragment(
        request,
        page="exports/export_detail.html",
        fragment="exports/partials/progress.html",
    )
    return render(request, template, context)


@login_required
def export_download(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """The file, streamed (it may be large); 404 unless it is the asker's own."""
    _exporter(request)
    try:
        path, name = export_file(actor=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)

"""Ticket attachments on the staff pages: adding files to a ticket (htmx:
the list is swapped in place) and the one view that gives a file out, as a
download or, for images, inline on the ticket page; and on the customer's
ticket page (``f/``), the download of a file they sent.

An upload's size is checked on its ``Content-Length`` before anything reads
the body (the CSRF check reads it, so it runs after, in the view), so a
request far beyond the limits is refused unread.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.views import domain_errors
from guanxi.feedback.files import attachment_limits, too_large_message
from guanxi.feedback.links import ticket_read
from guanxi.feedback.models import Attachment
from guanxi.feedback.presenters import attachment_rows
from guanxi.feedback.selectors import ticket_attachments, ticket_get
from guanxi.feedback.services import (
    attachment_download,
    attachment_download_by_link,
    attachments_add,
)
from guanxi.feedback.views import _ticket_page

__all__ = [
    "attachment_file",
    "body_too_large",
    "public_attachment_file",
    "ticket_attachments_add",
]

#: The policy a file is served under: nothing in it runs, nothing loads.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
#: Types shown inline (thumbnails on the ticket page); the rest download.
INLINE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def body_too_large(request: HttpRequest) -> bool:
    """The request's body would be larger than an upload may be (or does not
    say how large it is)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > attachment_limits().max_request_bytes


def _list(
    request: HttpRequest, pk: int, *, error: str = "", note: str = "", status: int
) -> HttpResponse:
    policy = policy_for(request.user)
    ticket = ticket_get(actor=request.user, pk=pk)
    return render(
        request,
        "feedback/_attachments.html",
        {
            "row": {"pk": ticket.pk},
            "attachments": attachment_rows(
                list(ticket_attachments(ticket=ticket)), ticket=ticket, policy=policy
            ),
            "may_attach": policy.may_work_care_tasks,
            "limits": attachment_limits(),
            "attach_error": error,
            "attach_note": note,
        },
        status=status,
    )


@csrf_exempt
@login_required
@require_POST
def ticket_attachments_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add files to a ticket (``files``, up to the per-upload number)."""
    if body_too_large(request):
        if getattr(request, "htmx", False):
            return _list_checked(request, pk, error=too_large_message())
        return HttpResponse(too_large_message(), status=413, content_type="text/plain")
    return _add(request, pk)


@domain_errors
def _list_checked(request: HttpRequest, pk: int, *, error: str) -> HttpResponse:
    # htmx swaps only a 2xx answer: the message comes back in the list.
    return _list(request, pk, error=error, status=200)


@csrf_protect
@domain_errors
def _add(request: HttpRequest, pk: int) -> HttpResponse:
    uploads = [(f, f.name) for f in request.FILES.getlist("files")]
    try:
        result = attachments_add(actor=request.user, ticket_id=pk, files=uploads)
    except ValidationFailed as error:
        if getattr(request, "htmx", False):
            return _list(request, pk, error=error.message, status=200)
        return _ticket_page(request, pk, error=error.message, status=400)
    note = (
        _("%(n)d of the files was already on this ticket.") % {"n": result.duplicates}
        if result.duplicates
        else ""
    )
    if getattr(request, "htmx", False):
        return _list(request, pk, note=note, status=200)
    return redirect("feedback:ticket", pk=pk)


@login_required
@require_GET
@domain_errors
def attachment_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    """One attachment's bytes, as the type its content is, never run by the
    browser: a download, or an image inline (``?inline=1``)."""
    inline = request.GET.get("inline") == "1"
    found, data = attachment_download(
        actor=request.user, ticket_id=pk, pk=file_pk, via="web"
    )
    return _file_response(found, data, inline=inline)


@require_GET
def public_attachment_file(
    request: HttpRequest, token: str, file_pk: int
) -> HttpResponse:
    """A file the customer sent, from their ticket's page: the same signed
    link is the key; a wrong link, a staff file or another ticket's file is
    missing (404, as the page answers a wrong link). Always a download."""
    ticket_id = ticket_read(token)
    if ticket_id is None:
        raise Http404
    try:
        found, data = attachment_download_by_link(ticket_id=ticket_id, pk=file_pk)
    except NotFound:
        raise Http404 from None
    return _file_response(found, data, inline=False)


def _file_response(found: Attachment, data: bytes, *, inline: bool) -> HttpResponse:
    shown_inline = inline and found.content_type in INLINE
    response = HttpResponse(data, content_type=_served_type(found.content_type, data))
    response.headers["Content-Disposition"] = (
        content_disposition_header(not shown_inline, found.name) or "attachment"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _served_type(content_type: str, data: bytes) -> str:
    if content_type != "text/plain":
        return content_type
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "text/plain; charset=gb18030"
    return "text/plain; charset=utf-8"

"""Inbound e-mail: the mail provider's webhook for the feedback address
(:mod:`guanxi.feedback.mail`; no login, the signature is the authority,
answers are JSON for the provider), and the staff's triage of messages from
unknown senders."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from guanxi.core.errors import ValidationFailed
from guanxi.core.views import domain_errors, int_or_none
from guanxi.feedback.mail import (
    MAX_MAIL_BYTES,
    MailRefused,
    mail_parse,
    mail_signature_ok,
)
from guanxi.feedback.selectors import inbound_triage
from guanxi.feedback.services import inbound_mail_receive

__all__ = ["inbound_mail", "triage"]

#: Triage page size.
PAGE_SIZE = 50

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def inbound_mail(request: HttpRequest) -> JsonResponse:
    """One raw e-mail, signed. Without ``GUANXI_INBOUND_MAIL_SECRET`` there is
    no such page. Refused requests change nothing; the sender's address is
    never logged."""
    secret = str(getattr(settings, "GUANXI_INBOUND_MAIL_SECRET", "") or "")
    if not secret:
        raise Http404
    length = str(request.headers.get("Content-Length") or "0")
    if not length.isdigit() or int(length) > MAX_MAIL_BYTES:
        log.warning("inbound mail refused: too large")
        return JsonResponse(
            {"error": f"The e-mail is larger than {MAX_MAIL_BYTES} bytes."},
            status=413,
        )
    body = request.body
    if not mail_signature_ok(
        secret=secret,
        timestamp=str(request.headers.get("X-Guanxi-Timestamp", "")),
        signature=str(request.headers.get("X-Guanxi-Signature", "")),
        body=body,
        now=time.time(),
    ):
        log.warning("inbound mail refused: bad signature")
        return JsonResponse({"error": "bad signature"}, status=403)
    try:
        mail = mail_parse(body)
    except MailRefused as error:
        log.warning("inbound mail refused: %s", error.message)
        return JsonResponse({"error": error.message}, status=error.status)
    if mail.automatic:
        # An auto-reply (out of office, a bounce): answering it with a ticket
        # and a reply could loop between two robots.
        return JsonResponse({"result": "ignored"})
    try:
        row = inbound_mail_receive(mail=mail)
    except ValidationFailed as error:
        return JsonResponse({"error": error.message}, status=400)
    log.info("inbound mail %s: %s", row.pk, row.outcome)
    return JsonResponse({"result": row.outcome, "ticket": row.ticket_id})


@login_required
@require_GET
@domain_errors
def triage(request: HttpRequest) -> HttpResponse:
    """Messages from senders who are no customer, newest first (read-only:
    staff answer them by e-mail or add the customer and open a ticket)."""
    qs = inbound_triage(actor=request.user)
    page = max(1, int_or_none(request.GET.get("page")) or 1)
    start = (page - 1) * PAGE_SIZE
    found = list(qs[start : start + PAGE_SIZE + 1])
    return render(
        request,
        "feedback/inbound_triage.html",
        {"rows": found[:PAGE_SIZE], "page": page, "more": len(found) > PAGE_SIZE},
    )

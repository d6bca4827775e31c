"""Messaging's public endpoints: the unsubscribe link and SMS delivery
receipts.

The unsubscribe link of a marketing message: no login, a signed token.

GET shows a page with one button (mail scanners open links: a GET never
unsubscribes); POST unsubscribes at once, whether from that button or from the
mail program's one-click ``List-Unsubscribe-Post`` (RFC 8058), which carries no
CSRF token, so the view is exempt: the signed token is the proof.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.receipts import (
    ACKS,
    ReceiptRefused,
    receipt_token_ok,
    receipts_parse,
)
from guanxi.messaging.services import consent_unsubscribe, sms_receipts_record

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    done = request.method == "POST"
    channel = consent_unsubscribe(token=token, confirm=done)
    if channel is None:
        raise Http404
    return render(
        request,
        "messaging/unsubscribe.html",
        {"done": done, "channel": channel, "token": token},
    )


@csrf_exempt
@require_POST
def sms_receipts(request: HttpRequest) -> HttpResponse:
    """The SMS provider's delivery reports (:mod:`guanxi.messaging.receipts`).
    Without ``GUANXI_SMS_RECEIPT_TOKEN``, or with another ``?token=``, there
    is no such page."""
    provider = channel_setting("GUANXI_SMS_PROVIDER")
    token = str(request.GET.get("token", ""))
    if not receipt_token_ok(token) or provider not in ACKS:
        raise Http404
    try:
        reports = receipts_parse(
            provider=provider,
            body=request.body,
            headers=request.headers,
            now=timezone.now(),
        )
    except ReceiptRefused as error:
        logger.warning("sms receipts refused: %s", error)
        return JsonResponse({"error": str(error)}, status=400)
    counts = sms_receipts_record(reports=reports)
    logger.info("sms receipts: %s", counts)
    return JsonResponse(ACKS[provider], json_dumps_params={"ensure_ascii": False})

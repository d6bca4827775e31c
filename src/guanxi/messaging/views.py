"""Messaging's public endpoints: the unsubscribe link, SMS delivery
receipts, e-mail tracking (:mod:`guanxi.messaging.tracking`) and the mail
provider's bounces and complaints (:mod:`guanxi.messaging.mail_events`).

The unsubscribe link of a marketing message: no login, a signed token.

GET shows a page with one button (mail scanners open links: a GET never
unsubscribes); POST unsubscribes at once, whether from that button or from the
mail program's one-click ``List-Unsubscribe-Post`` (RFC 8058), which carries no
CSRF token, so the view is exempt: the signed token is the proof. The page
is in the customer's language, like their preference page, unless they
switch with ``?lang=``.
"""

from __future__ import annotations

import logging

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.links import preferences_path, unsubscribe_read
from guanxi.messaging.mail_events import (
    MailEventsRefused,
    mail_events_parse,
    mail_events_token_ok,
)
from guanxi.messaging.preference_views import page_language
from guanxi.messaging.preferences import customer_language_of
from guanxi.messaging.receipts import (
    ACKS,
    ReceiptRefused,
    receipt_token_ok,
    receipts_parse,
)
from guanxi.messaging.services import (
    click_follow,
    consent_unsubscribe,
    mail_events_record,
    open_record,
    sms_receipts_record,
)
from guanxi.messaging.tracking import PIXEL_GIF

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    done = request.method == "POST"
    channel = consent_unsubscribe(token=token, confirm=done)
    data = unsubscribe_read(token)
    if channel is None or data is None:
        raise Http404
    # The way back in, and to the other channels: the customer's own
    # preference page (a fresh link), in the same language.
    language = page_language(request, customer_language_of(data["c"]))
    preferences = preferences_path(customer_id=data["c"])
    if request.GET.get("lang") == language:  # switched here: keep it there
        preferences += f"?lang={language}"
    with translation.override(language):
        response = render(
            request,
            "messaging/unsubscribe.html",
            {
                "done": done,
                "channel": channel,
                "token": token,
                "preferences": preferences,
                "language": language,
            },
        )
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    return response


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


def _no_cache(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0"
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response


@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: the same transparent GIF whatever the token (a forged
    one learns nothing); a good one records the message's first open."""
    open_record(token=token, now=timezone.now())
    return _no_cache(HttpResponse(PIXEL_GIF, content_type="image/gif"))


@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    """A click link: a redirect to the URL the token names (kept by Guanxi,
    never taken from the request); not found for any other token."""
    url = click_follow(token=token, now=timezone.now())
    if url is None:
        raise Http404
    response = _no_cache(HttpResponseRedirect(url))
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_POST
def email_events(request: HttpRequest) -> HttpResponse:
    """The mail provider's bounces and complaints
    (:mod:`guanxi.messaging.mail_events`). Without
    ``GUANXI_EMAIL_EVENTS_TOKEN``, or with another ``?token=``, there is no
    such page."""
    if not mail_events_token_ok(str(request.GET.get("token", ""))):
        raise Http404
    now = timezone.now()
    try:
        events = mail_events_parse(body=request.body, now=now)
    except MailEventsRefused as error:
        logger.warning("e-mail events refused: %s", error)
        return JsonResponse({"error": str(error)}, status=400)
    counts = mail_events_record(events=events, now=now)
    logger.info("e-mail events: %s", counts)
    return JsonResponse(counts)

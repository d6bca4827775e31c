"""The unsubscribe link of a marketing message: no login, a signed token.

GET shows a page with one button (mail scanners open links: a GET never
unsubscribes); POST unsubscribes at once, whether from that button or from the
mail program's one-click ``List-Unsubscribe-Post`` (RFC 8058), which carries no
CSRF token, so the view is exempt: the signed token is the proof.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from guanxi.messaging.services import consent_unsubscribe


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

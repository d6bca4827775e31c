"""The customer's preference page (:mod:`guanxi.messaging.preferences`): no
login, a sealed link, a single column that fits a phone, in the customer's
language unless they switch with ``?lang=``.

A link that is not ours (damaged, forged, of an erased customer) is a 404 and
an expired one a 410, each with a page that says so in both languages (the
customer is not known, so neither is their language). Each link may load or
post ``RATE_LIMIT`` times in ``RATE_WINDOW`` seconds (429); a body over
``BODY_MAX`` bytes is refused before it is read (413).

Unlike the one-click unsubscribe (which a mail program posts with no page
and no cookie), this is a form a person fills in, so Django's CSRF check
stays on: the GET sets the CSRF cookie and the form carries the token. The
page is sent with ``Referrer-Policy: same-origin`` (the site's default), not
``no-referrer``: with no referrer, browsers send ``Origin: null`` with the
POST and Django's origin check refuses it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.core.errors import ValidationFailed
from guanxi.core.ratelimit import rate_limit_take
from guanxi.messaging.links import LinkState
from guanxi.messaging.preferences import (
    NO,
    YES,
    LinkRefused,
    Preferences,
    preferences_for_link,
    preferences_save,
)

BODY_MAX = 4_000
RATE_LIMIT = 30
RATE_WINDOW = 600
LANGUAGES = ("zh-hans", "en")


def page_language(request: HttpRequest, default: str) -> str:
    """The language a customer's page is shown in: ``?lang=`` when it names
    one, else the customer's (``default``), else Chinese."""
    wanted = str(request.GET.get("lang") or "")
    if wanted in LANGUAGES:
        return wanted
    return default if default in LANGUAGES else "zh-hans"


def _both(message: Any) -> list[tuple[str, str]]:
    """(language, text) of ``message`` (a function giving the text in the
    active language) in Chinese and in English."""
    texts = []
    for language in LANGUAGES:
        with translation.override(language):
            texts.append((language, str(message())))
    return texts


def _refused(request: HttpRequest, status: int, message: Any) -> HttpResponse:
    response = render(
        request,
        "messaging/preferences.html",
        {"language": "zh-hans", "refused": _both(message)},
        status=status,
    )
    response["Content-Language"] = "zh-hans"
    response["Cache-Control"] = "no-store"
    return response


def _invalid() -> str:
    return _("This link is not valid. Please use the link in our latest message.")


def _expired() -> str:
    return _(
        "This link has expired. Please use the link in our latest message; "
        "the unsubscribe link in any of our e-mails still works."
    )


def _too_many() -> str:
    return _("Too many attempts: please try again in a few minutes.")


def _too_long() -> str:
    return _("The form is too long.")


def _page(
    request: HttpRequest,
    *,
    prefs: Preferences,
    language: str,
    token: str,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            "messaging/preferences.html",
            {
                "language": language,
                "prefs": prefs,
                "token": token,
                "yes": YES,
                "no": NO,
                **context,
            },
            status=status,
        )
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    who = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]
    if not rate_limit_take(
        scope="preferences", who=who, limit=RATE_LIMIT, window_seconds=RATE_WINDOW
    ):
        return _refused(request, 429, _too_many)
    if int(request.META.get("CONTENT_LENGTH") or 0) > BODY_MAX:
        return _refused(request, 413, _too_long)
    try:
        prefs = preferences_for_link(token)
    except LinkRefused as refused:
        if refused.state is LinkState.EXPIRED:
            return _refused(request, 410, _expired)
        return _refused(request, 404, _invalid)
    language = page_language(request, prefs.language)
    if request.method != "POST":
        return _page(request, prefs=prefs, language=language, token=token)
    try:
        with translation.override(language):
            prefs, changed = preferences_save(token=token, form=request.POST)
    except ValidationFailed as error:
        return _page(
            request,
            prefs=prefs,
            language=language,
            token=token,
            status=400,
            error=str(error.message),
        )
    except LinkRefused:  # the customer went away meanwhile
        return _refused(request, 404, _invalid)
    return _page(
        request,
        prefs=prefs,
        language=language,
        token=token,
        saved=True,
        changed=bool(changed),
    )

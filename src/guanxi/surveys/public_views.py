"""The public answer page: no login, a signed link, mobile-first, in the
customer's language (the invitation's) unless they switch with ``?lang=``.

A link answered already, made for another customer or expired shows its
message (status 410 / 403 / 410); a token that is not ours is a 404. A body
over ``BODY_MAX`` bytes is refused before it is read (413). Each address
may load or post ``RATE_LIMIT`` times in ``RATE_WINDOW`` seconds (429).
Texts are stored as typed and shown escaped.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.ratelimit import rate_limit_take
from guanxi.surveys.choices import ChurnReason
from guanxi.surveys.services import LinkRefused, answer_submit, invitation_for_link

BODY_MAX = 16_000
RATE_LIMIT = 30
RATE_WINDOW = 600
LANGUAGES = ("zh-hans", "en")


def _language(request: HttpRequest, default: str) -> str:
    wanted = str(request.GET.get("lang") or request.POST.get("lang") or "")
    return (
        wanted
        if wanted in LANGUAGES
        else (default if default in LANGUAGES else "zh-hans")
    )


def _page(
    request: HttpRequest, *, language: str, status: int = 200, **context: Any
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            "surveys/answer.html",
            {"language": language, "reasons": ChurnReason.choices, **context},
            status=status,
        )
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# The signed token is the proof (as for the unsubscribe link): the page is
# reached from a mail program, with no session to hold a CSRF cookie.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    language = _language(request, "zh-hans")
    who = str(request.META.get("REMOTE_ADDR", ""))
    if not rate_limit_take(
        scope="survey-answer", who=who, limit=RATE_LIMIT, window_seconds=RATE_WINDOW
    ):
        with translation.override(language):
            message = _("Too many attempts: please try again in a few minutes.")
        return _page(request, language=language, status=429, refused=message)
    if int(request.META.get("CONTENT_LENGTH") or 0) > BODY_MAX:
        with translation.override(language):
            message = _("The answer is too long.")
        return _page(request, language=language, status=413, refused=message)
    try:
        with translation.override(language):
            invitation = invitation_for_link(token)
    except NotFound:
        raise Http404 from None
    except LinkRefused as refused:
        return _page(
            request, language=language, status=refused.status, refused=refused.message
        )
    language = _language(request, invitation.language)
    survey = invitation.survey
    texts = survey.texts.get(language) or survey.texts.get("zh-hans") or {}
    context: dict[str, Any] = {
        "survey": survey,
        "texts": texts,
        "token": token,
        "scores": list(range(0, 11) if survey.kind == "nps" else range(1, 6)),
    }
    if request.method == "POST":
        data: dict[str, Any] = {
            "score": request.POST.get("score", ""),
            "reasons": request.POST.getlist("reasons"),
            "text": request.POST.get("text", ""),
            "scenario": request.POST.get("scenario", ""),
            "pain_points": request.POST.get("pain_points", ""),
            "interests": request.POST.get("interests", ""),
        }
        try:
            with translation.override(language):
                answer_submit(token=token, data=data, language=language)
        except ValidationFailed as error:
            with translation.override(language):
                return _page(
                    request, language=language, status=400, error=str(error.message),
                    values=data, **context,
                )  # fmt: skip
        except LinkRefused as refused:
            return _page(
                request,
                language=language,
                status=refused.status,
                refused=refused.message,
            )
        return _page(request, language=language, done=True, **context)
    return _page(request, language=language, values={}, **context)

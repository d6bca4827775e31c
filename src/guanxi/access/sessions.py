"""How long a login lasts, and what ends it early.

A session ends after ``GUANXI_SESSION_IDLE_MINUTES`` without a request (idle),
``GUANXI_SESSION_MAX_HOURS`` after the login whatever happens (absolute), and
at its next request when the user was deactivated or their role changed (the
role the session was opened with is kept in it). A session that carries none
of these marks (made before they existed) ends too.

The marks are written when Django logs someone in (``login()``, whichever
page or test client called it: its one hook is the ``user_logged_in`` signal,
connected in ``apps.py``). The last request's time is not written to the
session (a write per request, and on SQLite one that waits behind a long
import's write and then fails the request) but to a signed cookie of its own,
bound to the session, renewed at most once a minute; the session's login time
counts when that cookie is missing or belongs to another session.

Changing one's password, a colleague's role or e-mail, or the two-step login
asks for the password again when it was last given more than
``GUANXI_REAUTH_MINUTES`` ago (:func:`recent_password_required`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import role_of

__all__ = [
    "SessionGuardMiddleware",
    "password_recently_given",
    "recent_password_required",
    "session_end_reason",
    "session_mark_login",
    "session_mark_password",
]

STARTED = "guanxi.session.started"
SEEN = "guanxi.session.seen"
ROLE = "guanxi.session.role"
PASSWORD_GIVEN = "guanxi.session.password_given"
#: The cookie with the last request's time, renewed when older than this (s).
SEEN_COOKIE = "guanxi_seen"
SEEN_SALT = "guanxi.access.sessions.seen"
SEEN_RESOLUTION = 60

View = Callable[..., HttpResponse]


def _now() -> float:
    return timezone.now().timestamp()


def _role_mark(user: Any) -> str:
    role = role_of(user)
    return role.value if role is not None else ""


def session_mark_login(request: HttpRequest, user: Any) -> None:
    """Note in a new session when it started, with which role, and that the
    password was just given."""
    now = _now()
    request.session[STARTED] = now
    request.session[SEEN] = now
    request.session[PASSWORD_GIVEN] = now
    request.session[ROLE] = _role_mark(user)


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The ``user_logged_in`` receiver (Django's one hook into ``login()``)."""
    if request is not None and hasattr(request, "session"):
        session_mark_login(request, user)


def session_mark_password(request: HttpRequest) -> None:
    """The password was given again just now."""
    request.session[PASSWORD_GIVEN] = _now()


def password_recently_given(request: HttpRequest) -> bool:
    given = request.session.get(PASSWORD_GIVEN)
    if not isinstance(given, (int, float)):
        return False
    return _now() - given <= settings.GUANXI_REAUTH_MINUTES * 60


def _session_tag(request: HttpRequest) -> str:
    key = request.session.session_key or ""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:16]


def _cookie_seen(request: HttpRequest) -> float | None:
    """The last request's time from the cookie, if it is this session's."""
    try:
        tag, seen = signing.loads(request.COOKIES.get(SEEN_COOKIE, ""), salt=SEEN_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if tag != _session_tag(request) or not isinstance(seen, (int, float)):
        return None
    return float(seen)


def _last_seen(request: HttpRequest) -> float | None:
    at_login = request.session.get(SEEN)
    if not isinstance(at_login, (int, float)):
        return None
    return max(float(at_login), _cookie_seen(request) or 0.0)


def session_end_reason(request: HttpRequest) -> str | None:
    """Why the session of ``request``'s user must end now, or None."""
    session = request.session
    started, seen = session.get(STARTED), _last_seen(request)
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        return _("Your session has ended. Log in again.")
    now = _now()
    if now - started > settings.GUANXI_SESSION_MAX_HOURS * 3600:
        return _(
            "You were logged out: a login lasts at most %(hours)d hours. Log in again."
        ) % {"hours": settings.GUANXI_SESSION_MAX_HOURS}
    if now - seen > settings.GUANXI_SESSION_IDLE_MINUTES * 60:
        return _(
            "You were logged out after %(minutes)d minutes without activity. "
            "Log in again."
        ) % {"minutes": settings.GUANXI_SESSION_IDLE_MINUTES}
    if session.get(ROLE) != _role_mark(request.user):
        return _("Your account was changed by an administrator. Log in again.")
    return None


class SessionGuardMiddleware:
    """Ends the sessions :func:`session_end_reason` names (the request goes on
    as anonymous: pages send it to the login page, the API answers 401/403),
    and notes the time of the others' requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return self.get_response(request)
        if not request.user.is_authenticated:
            # A deactivated user's session: ended for good, so that it does
            # not come back to life if they are reactivated.
            session.flush()
        else:
            reason = session_end_reason(request)
            if reason is not None:
                logout(request)
                messages.info(request, reason)
            else:
                response = self.get_response(request)
                seen = _last_seen(request) or 0.0
                if _now() - seen >= SEEN_RESOLUTION and request.user.is_authenticated:
                    _seen_cookie_set(request, response)
                return response
        return self.get_response(request)


def _seen_cookie_set(request: HttpRequest, response: HttpResponse) -> None:
    response.set_cookie(
        SEEN_COOKIE,
        signing.dumps([_session_tag(request), _now()], salt=SEEN_SALT),
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def recent_password_required(back: str | None = None) -> Callable[[View], View]:
    """Views that change a password, an e-mail address or a role: when the
    password was last given more than ``GUANXI_REAUTH_MINUTES`` ago, the
    person is sent to confirm it, then back to the page (``back``, a URL name
    taking the view's arguments; by default the request's own path, for views
    that show the form they take)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if password_recently_given(request):
                return view(request, *args, **kwargs)
            target = reverse(back, args=args, kwargs=kwargs) if back else request.path
            if request.method == "POST":
                messages.info(
                    request,
                    _("Confirm your password, then make the change again."),
                )
            query = urlencode({"next": target})
            return redirect(f"{reverse('access:confirm-password')}?{query}")

        return wrapped

    return decorate

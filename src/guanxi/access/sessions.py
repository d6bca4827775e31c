"""How long a login lasts, and what ends it early.

A session ends after ``GUANXI_SESSION_IDLE_MINUTES`` without a request (idle),
``GUANXI_SESSION_MAX_HOURS`` after the login whatever happens (absolute), and
at its next request when the user was deactivated or their role changed (the
role the session was opened with is kept in it). A session that carries none
of these marks (made before they existed) ends too.

The marks are written when Django logs someone in (``login()``, whichever
page or test client called it: its one hook is the ``user_logged_in`` signal,
connected in ``apps.py``). The last request's time is written at most once a
minute, so most requests write nothing.

Changing one's password, a colleague's role or e-mail, or the two-step login
asks for the password again when it was last given more than
``GUANXI_REAUTH_MINUTES`` ago (:func:`recent_password_required`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
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
#: The last request's time is written when it is older than this (seconds).
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


def session_end_reason(request: HttpRequest) -> str | None:
    """Why the session of ``request``'s user must end now, or None."""
    session = request.session
    started, seen = session.get(STARTED), session.get(SEEN)
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
            elif _now() - request.session[SEEN] >= SEEN_RESOLUTION:
                request.session[SEEN] = _now()
        return self.get_response(request)


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

"""Two-step login pages: the code after the password (``login/code/``), one's
own authenticator app on the account page (set up, confirm, new recovery
codes, turn off), an admin's reset of a colleague's, and the rule that admins
must use one.

Each view parses the form, calls one function of ``twofactor`` and renders; a
wrong code comes back as the page with its message (status 400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.access.choices import Role
from guanxi.access.policies import policy_for, role_of
from guanxi.access.selectors import staff_get, staff_language
from guanxi.access.sessions import recent_password_required
from guanxi.access.twofactor import (
    SESSION_TOTP,
    admins_require_totp,
    login_pending_clear,
    login_pending_user,
    login_settings_save,
    recovery_codes_left,
    recovery_codes_renew,
    totp_disable,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_enrolled,
    totp_login_check,
    totp_pending_device,
    totp_qr_svg,
    totp_reset,
    totp_uri,
)
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.i18n import language_cookie_set
from guanxi.core.views import domain_errors

__all__ = [
    "login_code",
    "login_rule",
    "member_two_factor_reset",
    "two_factor",
    "two_factor_codes",
    "two_factor_confirm",
    "two_factor_off",
    "two_factor_start",
]

#: The session key that carries new recovery codes to the one page that shows them.
NEW_CODES = "guanxi.access.new_recovery_codes"


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the app (or a recovery code) of the
    person whose password was just right."""
    pending = login_pending_user(request)
    if pending is None:
        messages.info(request, _("Log in again: the code was not given in time."))
        return redirect(reverse("web:login"))
    user, backend, target = pending
    if request.method != "POST":
        return render(request, "access/login_code.html", {})
    if not totp_login_check(
        request=request, user=user, code=request.POST.get("code", "")
    ):
        context = {
            "form_error": _(
                "That code is not right: type the 6 digits your app shows now, "
                "or one of your recovery codes."
            )
        }
        return render(request, "access/login_code.html", context, status=400)
    login_pending_clear(request)
    login(request, user, backend=backend or None)
    request.session[SESSION_TOTP] = True
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:dashboard")
    response = redirect(target or reverse("web:dashboard"))
    language = staff_language(user=user)
    if language:
        language_cookie_set(response, language)
    return response


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    device = totp_pending_device(user)
    enrolled = totp_enrolled(user)
    context: dict[str, Any] = {
        "enrolled": enrolled,
        "setting_up": device is not None,
        "required": role_of(user) is Role.ADMIN and admins_require_totp(),
        "codes_left": recovery_codes_left(user) if enrolled else 0,
        "new_codes": request.session.pop(NEW_CODES, None),
        "form_error": error,
    }
    if device is not None:
        uri = totp_uri(device.secret, user.get_username())
        context["qr"] = mark_safe(totp_qr_svg(uri))  # drawn here by segno: no user text
        context["secret"] = " ".join(
            device.secret[i : i + 4] for i in range(0, len(device.secret), 4)
        )
    return render(request, "access/two_factor.html", context, status=status)


@login_required
@require_http_methods(["GET"])
@domain_errors
def two_factor(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
@recent_password_required("access:two-factor")
@domain_errors
def two_factor_start(request: HttpRequest) -> HttpResponse:
    totp_enrol_start(user=request.user)
    return redirect(reverse("access:two-factor"))


@login_required
@require_POST
@domain_errors
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    try:
        codes = totp_enrol_confirm(user=request.user, code=request.POST.get("code", ""))
    except ValidationFailed as exc:
        return _page(request, error=exc.message, status=400)
    request.session[SESSION_TOTP] = True
    request.session[NEW_CODES] = codes
    messages.success(request, _("Two-step login is on."))
    return redirect(reverse("access:two-factor"))


@login_required
@require_POST
@recent_password_required("access:two-factor")
@domain_errors
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    request.session[NEW_CODES] = recovery_codes_renew(user=request.user)
    return redirect(reverse("access:two-factor"))


@login_required
@require_POST
@recent_password_required("access:two-factor")
@domain_errors
def two_factor_off(request: HttpRequest) -> HttpResponse:
    try:
        totp_disable(user=request.user)
    except ValidationFailed as exc:
        return _page(request, error=exc.message, status=400)
    request.session[SESSION_TOTP] = False
    messages.success(request, _("Two-step login is off."))
    return redirect(reverse("access:two-factor"))


@login_required
@require_POST
@recent_password_required("access:member")
@domain_errors
def member_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a colleague's authenticator app and recovery codes."""
    if not policy_for(request.user).may_manage_team:
        raise PermissionDenied(_("your role may not manage the team"))
    user = staff_get(pk=pk)
    if totp_reset(actor=request.user, user=user):
        text = _(
            "%(name)s's two-step login was reset: they log in with their "
            "password and set up their app again."
        )
    else:
        text = _("%(name)s does not use two-step login.")
    messages.success(request, text % {"name": user.username})
    return redirect(reverse("access:member", args=[user.pk]))


@login_required
@require_POST
@recent_password_required("access:team")
@domain_errors
def login_rule(request: HttpRequest) -> HttpResponse:
    """Whether admins must use two-step login."""
    required = request.POST.get("admins_require_totp") == "on"
    login_settings_save(actor=request.user, admins_require_totp=required)
    messages.success(request, _("The login rule was saved."))
    return redirect(reverse("access:team") + "#login-rule")

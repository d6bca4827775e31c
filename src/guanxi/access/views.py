"""Team and account pages: the team settings (admins add colleagues, set their
role, deactivate them, hand out one-time password links), each person's own
account (password, language, REST API token) and the page a one-time link
opens.

Each view parses the form, calls one service and renders; a rule the input
breaks comes back as the page with its message (status 400), nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.access.choices import Language, Role
from guanxi.access.links import PASSWORD_LINK_DAYS
from guanxi.access.policies import policy_for, role_policy
from guanxi.access.selectors import (
    api_token_info,
    staff_get,
    staff_language,
    staff_list,
    totp_enrolled,
)
from guanxi.access.services import (
    api_token_issue,
    api_token_revoke,
    login_unlock,
    password_change,
    password_link_make,
    password_link_user,
    password_set_by_link,
    staff_language_set,
    staff_member_add,
    staff_member_deactivate,
    staff_member_reactivate,
    staff_member_update,
)
from guanxi.access.sessions import recent_password_required, session_mark_password
from guanxi.access.twofactor import admins_require_totp
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.i18n import language_cookie_set
from guanxi.core.views import domain_errors

__all__ = [
    "account",
    "account_language",
    "account_password",
    "account_token",
    "account_token_revoke",
    "confirm_password",
    "member",
    "member_deactivate",
    "member_link",
    "member_reactivate",
    "member_unlock",
    "password_link",
    "team",
    "team_add",
]

#: The session key that carries a new token's key to the one page that shows it.
NEW_TOKEN = "guanxi.access.new_token"


def _manage_check(request: HttpRequest) -> None:
    if not policy_for(request.user).may_manage_team:
        raise PermissionDenied(_("your role may not manage the team"))


def _member_row(user: Any) -> dict[str, Any]:
    """A colleague with the role they hold (kept while deactivated) and the
    scope it gives."""
    role = Role.ADMIN if user.is_superuser else _stored_role(user)
    if role is None:
        scope = _("No customers (no role)")
    elif role_policy(role).own_customers_only:
        scope = _("Own customers only")
    else:
        scope = _("All customers")
    return {"member": user, "member_role": role, "scope": scope}


def _stored_role(user: Any) -> Role | None:
    profile = getattr(user, "staff_profile", None)
    try:
        return Role(profile.role) if profile is not None else None
    except ValueError:
        return None


def _team_page(
    request: HttpRequest, *, error: str = "", values: Any = None, status: int = 200
) -> HttpResponse:
    context = {
        "members": [_member_row(user) for user in staff_list()],
        "roles": Role.choices,
        "form_error": error,
        "values": values or {},
        "link_days": PASSWORD_LINK_DAYS,
        "admins_require_totp": admins_require_totp(),
    }
    return render(request, "access/team.html", context, status=status)


def _link_page(request: HttpRequest, user: Any) -> HttpResponse:
    uidb64, token = password_link_make(actor=request.user, user=user)
    url = request.build_absolute_uri(
        reverse("access:password-link", args=[uidb64, token])
    )
    context = {"member": user, "link": url, "link_days": PASSWORD_LINK_DAYS}
    return render(request, "access/member_link.html", context)


@login_required
@require_http_methods(["GET"])
@recent_password_required()
@domain_errors
def team(request: HttpRequest) -> HttpResponse:
    _manage_check(request)
    return _team_page(request)


@login_required
@require_POST
@recent_password_required("access:team")
@domain_errors
def team_add(request: HttpRequest) -> HttpResponse:
    _manage_check(request)
    data = request.POST
    with_link = data.get("how") != "password"
    try:
        user = staff_member_add(
            actor=request.user,
            username=data.get("username", ""),
            role=data.get("role", ""),
            first_name=data.get("first_name", ""),
            email=data.get("email", ""),
            password=None if with_link else data.get("password", ""),
            password_again=None if with_link else data.get("password_again", ""),
        )
    except ValidationFailed as exc:
        values = {
            k: data.get(k, "")
            for k in ("username", "role", "first_name", "email", "how")
        }
        return _team_page(request, error=exc.message, values=values, status=400)
    if with_link:
        return _link_page(request, user)
    messages.success(
        request, _("%(name)s was added and can log in now.") % {"name": user.username}
    )
    return redirect(reverse("access:team"))


def _member_page(
    request: HttpRequest, user: Any, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        **_member_row(user),
        "roles": Role.choices,
        "form_error": error,
        "is_self": user.pk == request.user.pk,
        "member_two_factor": totp_enrolled(user),
    }
    return render(request, "access/member.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@recent_password_required()
@domain_errors
def member(request: HttpRequest, pk: int) -> HttpResponse:
    _manage_check(request)
    user = staff_get(pk=pk)
    if request.method != "POST":
        return _member_page(request, user)
    try:
        staff_member_update(
            actor=request.user,
            user=user,
            role=request.POST.get("role", ""),
            first_name=request.POST.get("first_name", ""),
            email=request.POST.get("email", ""),
        )
    except ValidationFailed as exc:
        return _member_page(request, staff_get(pk=pk), error=exc.message, status=400)
    messages.success(request, _("%(name)s saved.") % {"name": user.username})
    return redirect(reverse("access:team"))


@login_required
@require_POST
@domain_errors
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _manage_check(request)
    user = staff_get(pk=pk)
    try:
        staff_member_deactivate(actor=request.user, user=user)
    except ValidationFailed as exc:
        return _member_page(request, staff_get(pk=pk), error=exc.message, status=400)
    messages.success(
        request,
        _("%(name)s was deactivated: they can no longer log in or use the API.")
        % {"name": user.username},
    )
    return redirect(reverse("access:team"))


@login_required
@require_POST
@domain_errors
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _manage_check(request)
    user = staff_member_reactivate(actor=request.user, user=staff_get(pk=pk))
    messages.success(request, _("%(name)s was reactivated.") % {"name": user.username})
    return redirect(reverse("access:team"))


@login_required
@require_POST
@recent_password_required("access:member")
@domain_errors
def member_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A new one-time link for a colleague (who forgot their password, or
    whose first link expired)."""
    _manage_check(request)
    user = staff_get(pk=pk)
    try:
        return _link_page(request, user)
    except ValidationFailed as exc:
        return _member_page(request, user, error=exc.message, status=400)


@login_required
@require_POST
@domain_errors
def member_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a colleague's login lockout (too many wrong passwords)."""
    _manage_check(request)
    user = staff_get(pk=pk)
    login_unlock(actor=request.user, user=user)
    messages.success(
        request,
        _("%(name)s may log in again: their failed logins were forgotten.")
        % {"name": user.username},
    )
    return redirect(reverse("access:member", args=[user.pk]))


# --- one's own account --------------------------------------------------------


def _account_page(
    request: HttpRequest, *, error: str = "", form: str = "", status: int = 200
) -> HttpResponse:
    policy = policy_for(request.user)
    context = {
        "language_choices": Language.choices,
        "language": staff_language(user=request.user),
        "may_hold_token": policy.may_hold_api_token,
        "has_role": policy.active,
        "token": api_token_info(user=request.user),
        "two_factor": totp_enrolled(request.user),
        "new_token": request.session.pop(NEW_TOKEN, None),
        "form_error": error,
        "error_form": form,
    }
    return render(request, "access/account.html", context, status=status)


@login_required
@require_http_methods(["GET"])
@domain_errors
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
@domain_errors
def account_password(request: HttpRequest) -> HttpResponse:
    try:
        user = password_change(
            user=request.user,
            current=request.POST.get("current", ""),
            password=request.POST.get("password", ""),
            password_again=request.POST.get("password_again", ""),
        )
    except ValidationFailed as exc:
        return _account_page(request, error=exc.message, form="password", status=400)
    update_session_auth_hash(request, user)
    session_mark_password(request)
    messages.success(request, _("Your password was changed."))
    return redirect(reverse("access:account"))


@login_required
@require_POST
@domain_errors
def account_language(request: HttpRequest) -> HttpResponse:
    try:
        language = staff_language_set(
            user=request.user, language=request.POST.get("language", "")
        )
    except ValidationFailed as exc:
        return _account_page(request, error=exc.message, form="language", status=400)
    translation.activate(language)
    messages.success(request, _("Your language was saved."))
    response = redirect(reverse("access:account"))
    language_cookie_set(response, language)
    return response


@login_required
@require_POST
@domain_errors
def account_token(request: HttpRequest) -> HttpResponse:
    """Create a token, or replace the one there is (rotate)."""
    request.session[NEW_TOKEN] = api_token_issue(user=request.user)
    return redirect(reverse("access:account") + "#api-token")


@login_required
@require_POST
@domain_errors
def account_token_revoke(request: HttpRequest) -> HttpResponse:
    if api_token_revoke(user=request.user):
        messages.success(request, _("Your API token was revoked."))
    return redirect(reverse("access:account") + "#api-token")


@login_required
@require_http_methods(["GET", "POST"])
def confirm_password(request: HttpRequest) -> HttpResponse:
    """Give the password again before a change that needs it (a colleague's
    role or e-mail, a password, the two-step login): good for
    ``GUANXI_REAUTH_MINUTES``. Wrong passwords count towards the login
    lockout like the login page's."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("access:account")
    context: dict[str, Any] = {
        "next": target,
        "reauth_minutes": settings.GUANXI_REAUTH_MINUTES,
    }
    if request.method == "POST":
        user = authenticate(
            request,
            username=request.user.get_username(),
            password=request.POST.get("password", ""),
        )
        if user is not None and user.pk == request.user.pk:
            session_mark_password(request)
            return redirect(target)
        context["form_error"] = _("your password is not correct")
        return render(request, "access/confirm_password.html", context, status=400)
    return render(request, "access/confirm_password.html", context)


@require_http_methods(["GET", "POST"])
@domain_errors
def password_link(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Where a one-time link leads: set a password, then log in."""
    page = "access/password_link.html"
    context: dict[str, Any]
    if request.method != "POST":
        try:
            user = password_link_user(uidb64=uidb64, token=token)
        except ValidationFailed as exc:
            return render(request, page, {"link_error": exc.message}, status=400)
        return render(request, page, {"member": user})
    try:
        password_set_by_link(
            uidb64=uidb64,
            token=token,
            password=request.POST.get("password", ""),
            password_again=request.POST.get("password_again", ""),
        )
    except ValidationFailed as exc:
        try:
            member_user = password_link_user(uidb64=uidb64, token=token)
        except ValidationFailed:
            context = {"link_error": exc.message}
        else:
            context = {"member": member_user, "form_error": exc.message}
        return render(request, page, context, status=400)
    messages.success(request, _("Your password is set. Log in with it now."))
    return redirect(reverse("web:login"))

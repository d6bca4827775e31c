"""The second step of the login: an authenticator app (TOTP, RFC 6238,
computed by django-otp's ``oath.TOTP``) or a one-time recovery code, and the
rule that admins must use one.

The secret is encrypted at rest like the customers' fields (and re-encrypted
by ``guanxi keys rotate``); recovery codes are kept as digests only. A code is
accepted one time step either side of now (clocks drift) and only once: the
last step used is stored, and a code of that step or an earlier one is
refused. Wrong codes count towards the login lockout like wrong passwords.

The person's password opens no session by itself when they use an app: the
login page keeps who they are, for ``PENDING_SECONDS``, in the anonymous
session, and ``login()`` is called only after the code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP

from guanxi.access.choices import Role
from guanxi.access.models import LoginSettings, RecoveryCode, TotpDevice
from guanxi.access.policies import policy_for, role_of
from guanxi.audit.services import (
    AuditAction,
    record,
    settings_changed,
)
from guanxi.core.errors import PermissionDenied, ValidationFailed

__all__ = [
    "TwoFactorRequiredMiddleware",
    "admins_require_totp",
    "login_pending_clear",
    "login_pending_set",
    "login_pending_user",
    "login_settings_save",
    "on_user_logged_in",
    "recovery_codes_left",
    "recovery_codes_renew",
    "totp_code",
    "totp_disable",
    "totp_enrol_confirm",
    "totp_enrol_start",
    "totp_enrolled",
    "totp_login_check",
    "totp_pending_device",
    "totp_qr_svg",
    "totp_reset",
    "totp_uri",
]

STEP = 30
DIGITS = 6
#: Time steps accepted either side of now.
TOLERANCE = 1
ISSUER = "Guanxi"
RECOVERY_CODES = 10
#: How long the code page waits after a right password.
PENDING_SECONDS = 300
PENDING = "guanxi.login.pending"
#: In a session: its user had a confirmed app when logging in (or enrolled).
SESSION_TOTP = "guanxi.session.totp"
CACHE_KEY = "guanxi:access:admins_require_totp"
_RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# --- codes -------------------------------------------------------------------


def _secret_new() -> str:
    """160 random bits in base32 (what authenticator apps take)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _totp(secret: str, at: float) -> TOTP:
    otp = TOTP(base64.b32decode(secret), step=STEP, digits=DIGITS)
    otp.time = at
    return otp


def totp_code(secret: str, at: float) -> str:
    """The code an app shows at ``at`` (a POSIX timestamp)."""
    return f"{_totp(secret, at).token():0{DIGITS}d}"


def _totp_match(device: TotpDevice, code: str, at: float) -> int | None:
    """The time step ``code`` belongs to, if it is right and not used yet."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    otp = _totp(device.secret, at)
    if otp.verify(int(code), tolerance=TOLERANCE, min_t=device.last_step + 1):
        return int(otp.t())
    return None


def totp_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` address an app reads from the QR code."""
    label = quote(f"{ISSUER}:{username}")
    query = urlencode(
        {"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": STEP}
    )
    return f"otpauth://totp/{label}?{query}"


def totp_qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element, drawn here (the secret
    goes to no other service)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2))


def _recovery_normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(_recovery_normal(code).encode("ascii")).hexdigest()


def _recovery_new() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


# --- reads -------------------------------------------------------------------


def totp_enrolled(user: Any) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def totp_pending_device(user: Any) -> TotpDevice | None:
    """The app being set up (not confirmed yet), if any."""
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def admins_require_totp() -> bool:
    """The setting, from the cache (every process sees a change at once when
    the cache is Redis; the setting's save writes it there)."""
    value = cache.get(CACHE_KEY)
    if value is None:
        value = LoginSettings.objects.filter(pk=1, admins_require_totp=True).exists()
        cache.set(CACHE_KEY, value, None)
    return bool(value)


# --- enrolment -----------------------------------------------------------------


@transaction.atomic
def totp_enrol_start(*, user: Any) -> TotpDevice:
    """A new secret for ``user`` to add to their app (replacing one being set
    up); it counts only once confirmed with a code."""
    if totp_enrolled(user):
        raise ValidationFailed(_("Two-step login is already on."))
    TotpDevice.objects.filter(user=user).delete()
    return TotpDevice.objects.create(user=user, secret=_secret_new())


def _recovery_codes_make(user: Any) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_recovery_new() for _i in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(code)) for code in codes
    )
    return codes


@transaction.atomic
def totp_enrol_confirm(*, user: Any, code: str, at: float | None = None) -> list[str]:
    """Turn two-step login on with a first code from the app; returns the
    recovery codes (shown once)."""
    device = (
        TotpDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=True)
        .first()
    )
    if device is None:
        raise ValidationFailed(_("Start the set-up again: scan the new QR code."))
    step = _totp_match(device, "".join(code.split()), at or timezone.now().timestamp())
    if step is None:
        raise ValidationFailed(
            _("That code is not right: type the 6 digits your app shows now.")
        )
    device.confirmed_at = timezone.now()
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    codes = _recovery_codes_make(user)
    record(
        action=AuditAction.TOTP_ENABLED,
        actor=user,
        object_type="user",
        object_id=user.pk,
    )
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: Any) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not totp_enrolled(user):
        raise ValidationFailed(_("Two-step login is off."))
    return _recovery_codes_make(user)


def _remove(user: Any) -> bool:
    deleted, _n = TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return deleted > 0


@transaction.atomic
def totp_disable(*, user: Any) -> None:
    """``user`` turns two-step login off (not an admin while admins must use it)."""
    if role_of(user) is Role.ADMIN and admins_require_totp():
        raise ValidationFailed(
            _("Admins must use two-step login: it cannot be turned off.")
        )
    if _remove(user):
        record(
            action=AuditAction.TOTP_DISABLED,
            actor=user,
            object_type="user",
            object_id=user.pk,
        )


@transaction.atomic
def totp_reset(*, actor: Any, user: Any) -> bool:
    """An admin removes a colleague's app and recovery codes (a lost phone):
    they log in with their password alone, and set up a new app (admins, at
    their next login when admins must use one). False: there was none."""
    if not policy_for(actor).may_manage_team:
        raise PermissionDenied(_("your role may not manage the team"))
    removed = _remove(user)
    if removed:
        record(
            action=AuditAction.TOTP_RESET,
            actor=actor,
            object_type="user",
            object_id=user.pk,
        )
    return removed


def login_settings_save(*, actor: Any, admins_require_totp: bool) -> LoginSettings:
    """Save the login rules (admins only); audited by the setting's name."""
    if not policy_for(actor).may_manage_team:
        raise PermissionDenied(_("your role may not manage the team"))
    with transaction.atomic():
        saved = LoginSettings.objects.filter(pk=1).first() or LoginSettings(pk=1)
        changed = saved.admins_require_totp != admins_require_totp
        saved.admins_require_totp = admins_require_totp
        saved.save()
        if changed:
            settings_changed(
                actor=actor, settings="login", fields=["admins_require_totp"]
            )
    cache.set(CACHE_KEY, admins_require_totp, None)
    return saved


# --- the login's second step ----------------------------------------------------


def login_pending_set(request: HttpRequest, user: Any, *, next_url: str) -> None:
    """The password was right and ``user`` has an app: remember them (not
    logged in) for the code page."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "at": timezone.now().timestamp(),
        "next": next_url,
    }


def login_pending_user(request: HttpRequest) -> tuple[Any, str, str] | None:
    """(user, backend, next) of a login waiting for its code, or None (none,
    or older than ``PENDING_SECONDS``)."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if timezone.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        login_pending_clear(request)
        return None
    user = get_user_model().objects.filter(
        pk=int(pending.get("user") or 0), is_active=True
    )
    found = user.first()
    if found is None:
        return None
    return found, str(pending.get("backend", "")), str(pending.get("next", ""))


def login_pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def totp_login_check(
    *, request: HttpRequest, user: Any, code: str, at: float | None = None
) -> bool:
    """Is ``code`` (from the app, or a recovery code) right for ``user``? A
    right one is used up; a wrong one counts as a failed login (lockout)."""
    text = "".join(code.split())
    credentials = {"username": user.get_username()}
    if settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials):
        # Locked out (by wrong passwords or codes): no code is looked at, and
        # the lockout page answers (axes' middleware, as on the login page).
        request.axes_locked_out = True  # type: ignore[attr-defined]
        request.axes_credentials = credentials  # type: ignore[attr-defined]
        return False
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        step = (
            _totp_match(device, text, at or timezone.now().timestamp())
            if device is not None
            else None
        )
        if step is not None and device is not None:
            device.last_step = step
            device.save(update_fields=["last_step"])
            return True
        if device is not None and len(_recovery_normal(text)) == 16:
            used = RecoveryCode.objects.filter(
                user=user, digest=_recovery_digest(text), used_at__isnull=True
            ).update(used_at=timezone.now())
            if used:
                return True
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return False


# --- admins must use it ----------------------------------------------------------

#: The pages an admin without an app may still open.
ALLOWED_VIEWS = frozenset(
    {
        "access:two-factor",
        "access:two-factor-start",
        "access:two-factor-confirm",
        "access:confirm-password",
        "web:logout",
        "set_language",
    }
)


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """At login, read the admins' rule into the cache (so that the middleware
    reads no table on an admin's requests)."""
    if role_of(user) is Role.ADMIN:
        admins_require_totp()


class TwoFactorRequiredMiddleware:
    """When admins must use two-step login, an admin without an app is sent to
    set one up before any other page. Costs nothing for everyone else: the
    session notes at login whether its user has an app, and the setting is
    read from the cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return None
        if session.get(SESSION_TOTP) is True or role_of(user) is not Role.ADMIN:
            return None
        if not admins_require_totp():
            return None
        if totp_enrolled(user):
            session[SESSION_TOTP] = True
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_VIEWS:
            return None
        return redirect(reverse("access:two-factor"))

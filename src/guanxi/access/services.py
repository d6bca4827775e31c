"""Writes for staff users: their roles, the team settings (add, change,
deactivate, a one-time password link), each person's own password and
language, and REST API tokens.

Every rule a form could break raises a domain error with a message for people
(``ValidationFailed``, ``PermissionDenied``) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.access.choices import Language, Role
from guanxi.access.links import link_parts, link_user_id, link_valid
from guanxi.access.models import ApiToken, StaffProfile
from guanxi.access.policies import policy_for, role_of
from guanxi.access.tokens import token_digest, token_new_key, token_prefix
from guanxi.access.twofactor import login_pending_set
from guanxi.audit.services import (
    AuditAction,
    login_unlocked,
    record,
    staff_changed,
)
from guanxi.core.errors import PermissionDenied, ValidationFailed

__all__ = [
    "api_token_issue",
    "api_token_revoke",
    "login_pending_set",
    "login_unlock",
    "password_change",
    "password_link_make",
    "password_link_user",
    "password_set_by_link",
    "staff_language_set",
    "staff_member_add",
    "staff_member_deactivate",
    "staff_member_reactivate",
    "staff_member_update",
    "staff_role_set",
    "staff_user_create",
]


@transaction.atomic
def staff_user_create(
    *,
    username: str,
    password: str | None,
    role: Role,
    email: str = "",
    first_name: str = "",
) -> Any:
    """A user with ``role``; ``password=None`` leaves them without a usable
    password (until they set one through a link)."""
    User = get_user_model()
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        is_staff=role == Role.ADMIN,
        is_superuser=False,
    )
    StaffProfile.objects.create(user=user, role=role)
    return user


@transaction.atomic
def staff_role_set(*, user: Any, role: Role) -> StaffProfile:
    profile, _ = StaffProfile.objects.update_or_create(
        user=user, defaults={"role": role}
    )
    user.staff_profile = profile  # role_of(user) reads the new role from now on
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    return profile


# --- the team settings (admins) ---------------------------------------------


def _manage_check(actor: Any) -> None:
    if not policy_for(actor).may_manage_team:
        raise PermissionDenied(_("your role may not manage the team"))


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(_("choose a role"), field="role") from None


def _email(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationFailed(
                _("enter a valid e-mail address"), field="email"
            ) from None
    return value


def _password_check(password: str, again: str, user: Any) -> None:
    if password != again:
        raise ValidationFailed(_("the two passwords do not match"), field="password")
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(_password_problems(exc), field="password") from None


def _password_problems(exc: ValidationError) -> str:
    """The validators' messages in the reader's language. Django 5.2 looks up
    its too-short message under a msgid its catalogues do not have (``%d``,
    translated as ``%(min_length)d``), so in Chinese it stayed English; that
    one is said here."""
    problems = []
    for error in exc.error_list:
        if error.code == "password_too_short" and error.params:
            n = int(error.params["min_length"])
            problems.append(
                ngettext(
                    "This password is too short. It must contain at least "
                    "%(n)d character.",
                    "This password is too short. It must contain at least "
                    "%(n)d characters.",
                    n,
                )
                % {"n": n}
            )
        else:
            problems.extend(error.messages)
    return " ".join(problems)


def _admins_other_than(user: Any) -> int:
    """Active admins besides ``user``, their rows locked until the transaction
    ends (two admins demoting each other at once cannot both succeed). Only
    the users' rows: PostgreSQL locks no row of an outer join's nullable side."""
    admins = (
        get_user_model()
        .objects.select_for_update(of=("self",))
        .filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(staff_profile__role=Role.ADMIN))
        .exclude(pk=user.pk)
    )
    return len(list(admins.values_list("pk", flat=True)))


@transaction.atomic
def staff_member_add(
    *,
    actor: Any,
    username: str,
    role: str,
    first_name: str = "",
    email: str = "",
    password: str | None = None,
    password_again: str | None = None,
) -> Any:
    """Add a colleague: with an initial ``password``, or (None) without one,
    to set through a one-time link (:func:`password_link_make`)."""
    _manage_check(actor)
    username = username.strip()
    if not username:
        raise ValidationFailed(_("enter a username"), field="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationFailed(
            _("a username may contain only letters, digits and @ . + - _"),
            field="username",
        ) from None
    if len(username) > 150:
        raise ValidationFailed(_("a username has at most 150 characters"))
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(_("this username is already taken"), field="username")
    chosen = _role(role)
    email = _email(email)
    first_name = first_name.strip()[:150]
    if password is not None:
        candidate = User(username=username, email=email, first_name=first_name)
        _password_check(password, password_again or "", candidate)
    user = staff_user_create(
        username=username,
        password=password,
        role=chosen,
        email=email,
        first_name=first_name,
    )
    staff_changed(
        actor=actor, action=AuditAction.STAFF_ADDED, user=user, to_role=chosen.value
    )
    return user


@transaction.atomic
def staff_member_update(
    *, actor: Any, user: Any, role: str, first_name: str, email: str
) -> Any:
    """Change a colleague's role (their scope follows it), name and e-mail.
    The last active admin stays an admin."""
    _manage_check(actor)
    chosen = _role(role)
    email = _email(email)
    before = role_of(user)
    if (
        role_of(user) is Role.ADMIN
        and chosen is not Role.ADMIN
        and _admins_other_than(user) == 0
    ):
        raise ValidationFailed(
            _("the last admin must stay an admin: make someone else admin first"),
            field="role",
        )
    staff_role_set(user=user, role=chosen)
    user.is_superuser = user.is_superuser and chosen is Role.ADMIN
    user.first_name = first_name.strip()[:150]
    user.email = email
    user.save(update_fields=["is_superuser", "first_name", "email"])
    if before is not chosen:
        staff_changed(
            actor=actor,
            action=AuditAction.ROLE_CHANGED,
            user=user,
            from_role=before.value if before is not None else "",
            to_role=chosen.value,
        )
    return user


@transaction.atomic
def staff_member_deactivate(*, actor: Any, user: Any) -> Any:
    """Stop ``user`` from logging in and using the API (their token is
    revoked); their customers stay assigned to them."""
    _manage_check(actor)
    if user.pk == actor.pk:
        raise ValidationFailed(_("you cannot deactivate yourself"))
    if role_of(user) is Role.ADMIN and _admins_other_than(user) == 0:
        raise ValidationFailed(_("the last admin cannot be deactivated"))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user).delete()
    staff_changed(actor=actor, action=AuditAction.STAFF_DEACTIVATED, user=user)
    return user


@transaction.atomic
def staff_member_reactivate(*, actor: Any, user: Any) -> Any:
    _manage_check(actor)
    user.is_active = True
    user.save(update_fields=["is_active"])
    staff_changed(actor=actor, action=AuditAction.STAFF_REACTIVATED, user=user)
    return user


def password_link_make(
    *, actor: Any, user: Any, now: dt.datetime | None = None
) -> tuple[str, str]:
    """The path segments (user id, token) of a one-time link for ``user`` to
    set their password; it expires after ``PASSWORD_LINK_DAYS``."""
    _manage_check(actor)
    if not user.is_active:
        raise ValidationFailed(_("reactivate this person first"))
    return link_parts(user, issued_at=now or timezone.now())


# --- one's own account --------------------------------------------------------


def password_link_user(*, uidb64: str, token: str) -> Any:
    """The active user a link is for, or a ValidationFailed when the link is
    unknown, expired or used."""
    user_id = link_user_id(uidb64)
    user = (
        get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user_id is not None
        else None
    )
    if user is None or not link_valid(user, token, now=timezone.now()):
        raise ValidationFailed(
            _(
                "this link has expired or has already been used: "
                "ask an admin for a new one"
            )
        )
    return user


@transaction.atomic
def password_set_by_link(
    *, uidb64: str, token: str, password: str, password_again: str
) -> Any:
    """Set the password of the link's user; the link stops working."""
    user = password_link_user(uidb64=uidb64, token=token)
    _password_check(password, password_again, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def password_change(
    *, user: Any, current: str, password: str, password_again: str
) -> Any:
    if not user.check_password(current):
        raise ValidationFailed(
            _("your current password is not correct"), field="current"
        )
    _password_check(password, password_again, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def staff_language_set(*, user: Any, language: str) -> str:
    """Store the language ``user`` works in (applied at each login)."""
    try:
        chosen = Language(language)
    except ValueError:
        raise ValidationFailed(_("choose a language"), field="language") from None
    role = role_of(user)
    if role is None:
        raise PermissionDenied(_("you have no role yet"))
    StaffProfile.objects.update_or_create(
        user=user,
        defaults={"language": chosen.value},
        create_defaults={"language": chosen.value, "role": role.value},
    )
    return chosen.value


@transaction.atomic
def api_token_issue(*, user: Any, via: str = "web") -> str:
    """A new REST API token for ``user``, replacing the one they had (which
    the API refuses from now on). The key is returned once, to show: only
    its digest is stored (``guanxi.access.tokens``)."""
    if not policy_for(user).may_hold_api_token:
        raise PermissionDenied(_("your role may not hold an API token"))
    ApiToken.objects.filter(user=user).delete()
    key = token_new_key()
    ApiToken.objects.create(
        user=user, prefix=token_prefix(key), digest=token_digest(key)
    )
    record(
        action=AuditAction.TOKEN_ISSUED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        details={"via": via},
    )
    return key


@transaction.atomic
def api_token_revoke(*, user: Any, via: str = "web") -> bool:
    """Delete ``user``'s token; False when they had none."""
    deleted, _n = ApiToken.objects.filter(user=user).delete()
    if deleted:
        record(
            action=AuditAction.TOKEN_REVOKED,
            actor=user,
            object_type="user",
            object_id=user.pk,
            details={"via": via},
        )
    return deleted > 0


def login_unlock(*, actor: Any, user: Any) -> int:
    """Lift the login lockout of ``user`` at every address (their failed
    attempts are forgotten; an address locked as a whole stays locked).
    Returns how many records of failed attempts were cleared."""
    if not policy_for(actor).may_manage_team:
        raise PermissionDenied(_("your role may not manage the team"))
    from axes.utils import reset

    cleared = int(reset(username=user.get_username()))
    login_unlocked(actor=actor, user=user)
    return cleared

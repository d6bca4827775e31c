"""Staff profile: the role a user works in; key rotations; API tokens; the
second step of the login (authenticator app, recovery codes, the rule for
admins)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.access.choices import KeyKind, Language, Role
from guanxi.core.fields import EncryptedTextField


class StaffProfile(models.Model):
    """One per staff user; a user without a profile has no role and sees nothing
    (superusers are admins)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    #: The language the person works in ("" = the browser's); applied at login.
    language = models.CharField(
        _("language"), max_length=10, blank=True, default="", choices=Language.choices
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class KeyRotation(models.Model):
    """One run of ``guanxi keys rotate``: which key, how far it got.

    Never the key itself (that lives in the key file or the environment). A
    rotation is unfinished until every model's rows are done; ``progress``
    holds, per model label, the last primary key done, so a rotation killed
    half-way resumes where its last committed batch ended.
    """

    kind = models.CharField(_("key"), max_length=12, choices=KeyKind.choices)
    key_id = models.CharField(_("key id"), max_length=16, blank=True, default="")
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    done = models.JSONField(_("models done"), default=list, blank=True)
    count = models.PositiveIntegerField(_("values rewritten"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("key rotation")
        verbose_name_plural = _("key rotations")
        constraints = [
            # One unfinished rotation of each key (and the rotation lock lets
            # one run at a time).
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(finished_at__isnull=True),
                name="keyrotation_one_unfinished",
                violation_error_message=_("Another key rotation is unfinished."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key_id}".strip()


class ApiToken(models.Model):
    """A person's REST API token, kept as a SHA-256 digest of its key: the
    key is shown once, when it is made, and the database holds nothing that
    authenticates. Keys have 256 random bits, so an unsalted fast hash is
    enough (nothing to guess); ``prefix`` (the key's first characters) names
    the token on the account page."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_token",
        verbose_name=_("user"),
    )
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"


class TotpDevice(models.Model):
    """A person's authenticator app (TOTP, RFC 6238): the shared secret,
    encrypted at rest like the customers' fields, and the last time step a
    code was accepted for (a code works once). Unconfirmed until the person
    typed a first code from their app; only a confirmed one is asked for at
    login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
        verbose_name=_("user"),
    )
    secret = EncryptedTextField(_("secret"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_step = models.BigIntegerField(_("last time step used"), default=-1)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"{self.user} TOTP"


class RecoveryCode(models.Model):
    """A one-time recovery code for logging in without the authenticator app,
    kept as a SHA-256 digest (codes have 80 random bits: nothing to guess, so a
    fast unsalted hash is enough, as for API tokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("user"),
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} recovery code"


class LoginSettings(models.Model):
    """The business's login rules (one row, pk 1)."""

    admins_require_totp = models.BooleanField(
        _("admins must use an authenticator app"), default=False
    )

    class Meta:
        verbose_name = _("login settings")
        verbose_name_plural = _("login settings")

    def __str__(self) -> str:
        return "login settings"

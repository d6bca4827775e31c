"""Staff profile: the role a user works in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.access.choices import Language, Role


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

"""Roles (DESIGN.md, 'People and what they may see')."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    OPERATIONS = "operations", _("Operations")
    SERVICE = "service", _("Customer service")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    ANALYST = "analyst", _("Analyst")


class ContactView(models.TextChoices):
    """How a role sees names and contact fields."""

    FULL = "full", _("Full")
    MASKED = "masked", _("Masked")
    PSEUDONYMOUS = "pseudonymous", _("Pseudonymous")


class Language(models.TextChoices):
    """The languages a person may choose for their own pages (settings.LANGUAGES);
    each named in its own language, as the language switch shows them."""

    CHINESE = "zh-hans", "简体中文"
    ENGLISH = "en", "English"


class KeyKind(models.TextChoices):
    """The keys ``guanxi keys rotate`` changes, and what each one protects."""

    ENCRYPTION = "encryption", _("Encryption key")
    BLIND_INDEX = "blind_index", _("Blind-index key")
    PSEUDONYM = "pseudonym", _("Pseudonym key")

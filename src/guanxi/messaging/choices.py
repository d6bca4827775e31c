"""The vocabulary of messaging: purposes, channels, statuses, reasons."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """What a message (or a consent) is for. Service messages (an order, an
    appointment, a complaint's answer) need no marketing consent."""

    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
    PROFILING = "profiling", _("Profiling")


class ConsentChannel(models.TextChoices):
    """The channels a customer consents on."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    PHONE = "phone", _("Phone")


class ConsentSource(models.TextChoices):
    """Where a consent record's evidence comes from."""

    IMPORT = "import", _("Import")
    FORM = "form", _("Form")
    API = "api", _("API")
    STAFF = "staff", _("Staff member")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    COMPLAINT = "complaint", _("Spam complaint")
    # The customer on their own preference page (a signed link, no login).
    PREFERENCES = "preferences", _("Preference page")
    # A minor's guardian (PIPL art. 31): the one consent that lets a customer
    # under 14 receive marketing or be profiled (guanxi.privacy).
    GUARDIAN = "guardian", _("Guardian consent")


class MessageChannel(models.TextChoices):
    """The channels a message goes out on."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    WEBHOOK = "webhook", _("Webhook")
    PHONE = "phone", _("Phone call task")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")


class SuppressReason(models.TextChoices):
    """Why a message was not sent (kept with the message)."""

    NO_CONSENT = "no_consent", _("No marketing consent for the channel")
    NO_ADDRESS = "no_address", _("No address for the channel")
    ADDRESS_SUPPRESSED = "address_suppressed", _("Address suppressed after a failure")
    FREQUENCY_CAP = "frequency_cap", _("Weekly marketing limit reached")
    MINOR = "minor", _("Minor without guardian consent")

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Unknown")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    PHONE = "phone", _("Phone")
    NONE = "", _("None")


class InteractionKind(models.TextChoices):
    VISIT = "visit", _("Store visit")
    LOGIN = "login", _("Login")
    MESSAGE_OPENED = "message_opened", _("Message opened")
    MESSAGE_CLICKED = "message_clicked", _("Message clicked")
    COMMUNITY_POST = "community_post", _("Community post")
    CALL = "call", _("Call")
    EVENT_ATTENDED = "event_attended", _("Event attended")
    REVIEW = "review", _("Review")
    COMPLAINT = "complaint", _("Complaint")
    # Logged by staff on the customer page (besides call, visit and complaint).
    CHAT = "chat", _("WeCom/WeChat conversation")
    NOTE = "note", _("Note")


#: What staff log from the customer page, in the order the form offers them.
LOGGED_KINDS = (
    InteractionKind.CALL,
    InteractionKind.CHAT,
    InteractionKind.VISIT,
    InteractionKind.NOTE,
    InteractionKind.COMPLAINT,
)


class ContactChannel(models.TextChoices):
    """Where a logged conversation took place (``Interaction.channel``)."""

    PHONE = "phone", _("Phone")
    WECOM = "wecom", _("WeCom")
    WECHAT = "wechat", _("WeChat")
    STORE = "store", _("In store")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    NONE = "", _("None")


class CustomerChangeKind(models.TextChoices):
    """What a recorded change to a customer was."""

    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    ASSIGNED = "assigned", _("Account manager changed")


class TagKind(models.TextChoices):
    """Who sets a tag: people (manual), or every scoring run (automatic)."""

    MANUAL = "manual", _("Manual")
    AUTOMATIC = "automatic", _("Automatic")


class TagSource(models.TextChoices):
    """How one customer got one tag."""

    MANUAL = "manual", _("Set by hand")
    AUTOMATIC = "automatic", _("Scoring run")
    IMPORT = "import", _("Import")
    JOURNEY = "journey", _("Journey")


class TagColor(models.TextChoices):
    """The colours a tag may have (CSS classes ``tag-c-<value>``)."""

    DEFAULT = "", _("Default")
    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    AMBER = "amber", _("Amber")
    GREEN = "green", _("Green")
    TEAL = "teal", _("Teal")
    BLUE = "blue", _("Blue")
    VIOLET = "violet", _("Violet")
    GRAY = "gray", _("Grey")


class BulkKind(models.TextChoices):
    """What a bulk action does to each customer it touches."""

    TAG = "tag", _("Add a tag")
    UNTAG = "untag", _("Remove a tag")
    ASSIGN = "assign", _("Assign an account manager")


class BulkStatus(models.TextChoices):
    """Where a bulk action is: waiting for its confirmation, queued, running,
    done or failed."""

    PENDING = "pending", _("Waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Language(models.TextChoices):
    """The language a customer is written to in (``Customer.language``);
    empty: the business's (``LANGUAGE_CODE``)."""

    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")
    DEFAULT = "", _("The business's language")

"""Customer, the identities it is known by in source systems, and tags."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.core.crypto import pseudonym
from guanxi.core.fields import (
    AmountField,
    EncryptedDateField,
    EncryptedNoteField,
    EncryptedTextField,
)
from guanxi.core.models import TimeStampedModel
from guanxi.customers.choices import (
    BulkKind,
    BulkStatus,
    Channel,
    CustomerChangeKind,
    Gender,
    InteractionKind,
    Language,
    TagColor,
    TagKind,
    TagSource,
)


class Tag(models.Model):
    """A label on customers.

    Manual tags are set by people and imports. Automatic tags are set by every
    scoring run from what the data says (``key`` names the rule and its value,
    ``stage:new``, ``category:绿茶``); nobody sets, renames or deletes them by
    hand, and a run never touches a manual one. ``name`` is the one name people
    see and filter by (Chinese for automatic tags); ``name_en`` is an automatic
    tag's English name (empty: ``name`` in every language).
    ``customer_count`` is kept by the writes (and recounted at each run) so the
    tag list needs no count over the links.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True, default="")
    kind = models.CharField(
        _("kind"), max_length=12, choices=TagKind.choices, default=TagKind.MANUAL
    )
    key = models.CharField(
        _("rule key"), max_length=100, null=True, blank=True, unique=True
    )
    color = models.CharField(
        _("color"), max_length=16, choices=TagColor.choices, blank=True, default=""
    )
    customer_count = models.PositiveIntegerField(_("customers"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=TagKind.MANUAL, key__isnull=True)
                    | models.Q(kind=TagKind.AUTOMATIC, key__isnull=False)
                ),
                name="tag_key_iff_automatic",
                violation_error_message=_("only automatic tags have a rule key"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def automatic(self) -> bool:
        return self.kind == TagKind.AUTOMATIC

    def label(self, language: str | None = None) -> str:
        """The name in ``language`` (default: the active one)."""
        code = language or get_language() or ""
        if self.name_en and not code.startswith("zh"):
            return self.name_en
        return self.name


class Customer(TimeStampedModel):
    """A person who buys from the business.

    Name, phone, email, address and birthday are encrypted at rest. Phone and
    email carry a blind index (HMAC of the normalised value) for exact search
    and de-duplication; the name carries hashed tokens for search.
    """

    name = EncryptedTextField(_("name"))
    name_tokens = models.TextField(
        _("name search tokens"), blank=True, default="", editable=False
    )
    # Staff search (customers/search.py ``staff_tokens``): hashed pinyin of
    # the name, the phone's last four digits and e-mail prefixes.
    search_tokens = models.TextField(
        _("staff search tokens"), blank=True, default="", editable=False
    )
    phone = EncryptedTextField(_("phone"))
    phone_index = models.CharField(max_length=32, null=True, blank=True, editable=False)
    email = EncryptedTextField(_("email"))
    email_index = models.CharField(max_length=32, null=True, blank=True, editable=False)
    address = EncryptedTextField(_("address"))
    birthday = EncryptedDateField(_("birthday"))
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True
    )
    # In the clear beside the encrypted birthday, like birth_year: "birthday
    # this month" is then one indexed lookup, not a million decryptions.
    birth_month = models.PositiveSmallIntegerField(
        _("birth month"), null=True, blank=True, editable=False
    )
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, blank=True, default=""
    )
    city = models.CharField(
        _("city"), max_length=64, blank=True, default="", db_index=True
    )
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=8,
        choices=Channel.choices,
        blank=True,
        default="",
    )
    # Messages go out in this language when the template has it (empty: the
    # business's LANGUAGE_CODE); quiet hours are kept in this time zone (an
    # IANA name; empty: the business's TIME_ZONE). customers/preferences.py
    # reads both as people write them.
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        default="",
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    assigned_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_customers",
        verbose_name=_("account manager"),
        # customer_manager_idx (assigned_manager, id) covers lookups by manager.
        db_index=False,
    )
    first_seen_at = models.DateTimeField(_("first seen"), null=True, blank=True)
    # The keyed hash roles that know customers by pseudonym see instead of the
    # number (``core.crypto.pseudonym`` of the id), stored so that their lists
    # and exports are ordered by it: in the order of the numbers, a pseudonym's
    # place on a page told its customer number. Rebuilt when the pseudonym key
    # changes.
    pseudonym = models.CharField(
        _("pseudonym"), max_length=24, null=True, blank=True, editable=False
    )
    # Purchase aggregates, kept by every write of orders (commerce calls
    # ``customer_purchases_refresh`` in the same transaction) so the customer
    # list shows and sorts them without reading the orders. A purchase is an
    # order whose status is in ``commerce.selectors.PURCHASE_STATUSES``.
    purchase_total = AmountField(
        _("total spend"), default=0, db_default=0, editable=False
    )
    purchase_count = models.PositiveIntegerField(
        _("orders"), default=0, db_default=0, editable=False
    )
    first_purchase_at = models.DateTimeField(
        _("first purchase"), null=True, blank=True, editable=False
    )
    last_purchase_at = models.DateTimeField(
        _("last purchase"), null=True, blank=True, editable=False
    )
    tags = models.ManyToManyField(
        Tag,
        through="CustomerTag",
        blank=True,
        related_name="customers",
        verbose_name=_("tags"),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(
                fields=["assigned_manager", "id"], name="customer_manager_idx"
            ),
            models.Index(fields=["birth_month"], name="customer_birth_month_idx"),
            # Who is a minor (guanxi.privacy): the customers with a birthday,
            # by birth year and month, read from the index alone instead of
            # a scan of the table (at 1,000,000 customers 0.4-1.0 s with the
            # pages in memory, 18 s from a cold disk, before every scoring run).
            models.Index(
                fields=["birth_year", "birth_month"],
                name="customer_birth_year_idx",
                condition=Q(birthday__isnull=False),
            ),
            # The list's sorts (keyset pages by (value, id), either way).
            models.Index(fields=["purchase_total", "id"], name="customer_spend_idx"),
            models.Index(fields=["purchase_count", "id"], name="customer_orders_idx"),
            models.Index(
                fields=["last_purchase_at", "id"], name="customer_last_purchase_idx"
            ),
            # The pseudonymous lists' order (keyset pages by (pseudonym, id)).
            models.Index(fields=["pseudonym", "id"], name="customer_pseudonym_idx"),
            # Segments on gender, alone or with a city: counted from the index
            # alone (city ∧ gender at 1,000,000 customers read 124,000 rows).
            models.Index(fields=["gender", "city"], name="customer_gender_city_idx"),
        ]
        # One customer per phone number and per email address, enforced by the
        # database for every way in (the matcher finds them; a concurrent
        # writer or a bug cannot add a second). The unique indexes also serve
        # the lookups by blind index.
        constraints = [
            models.UniqueConstraint(
                fields=["phone_index"],
                condition=models.Q(phone_index__isnull=False),
                name="customer_phone_unique",
                violation_error_message=_("Another customer has this phone number."),
            ),
            models.UniqueConstraint(
                fields=["email_index"],
                condition=models.Q(email_index__isnull=False),
                name="customer_email_unique",
                violation_error_message=_("Another customer has this email address."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # The pseudonym is of the id, which the insert just gave: every way a
        # single customer row is made (the services, a test's own) gets it
        # here; the bulk writer computes it with the ids it reserves.
        if (
            self.pk is not None
            and "pseudonym" not in self.get_deferred_fields()
            and self.pseudonym is None
        ):
            self.pseudonym = pseudonym(self.pk)
            Customer.objects.filter(pk=self.pk).update(pseudonym=self.pseudonym)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:customer-detail", args=[self.pk])


class CustomerTag(models.Model):
    """One customer has one tag: who set it (nobody for a scoring run or an
    import), when, and how.

    The primary key is the pair (customer first: a customer's tags); the
    ``(tag, customer)`` index serves "who has this tag" and counts.
    """

    pk = models.CompositePrimaryKey("customer", "tag")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="tag_links",
        verbose_name=_("customer"),
        db_index=False,  # the primary key starts with it
    )
    tag = models.ForeignKey(
        Tag,
        on_delete=models.CASCADE,
        related_name="customer_links",
        verbose_name=_("tag"),
        db_index=False,  # customertag_tag_idx starts with it
    )
    source = models.CharField(
        _("source"), max_length=12, choices=TagSource.choices, default=TagSource.MANUAL
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
        db_index=False,  # customertag_added_by_idx, without the many NULLs
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        indexes = [
            models.Index(fields=["tag", "customer"], name="customertag_tag_idx"),
            models.Index(
                fields=["added_by"],
                name="customertag_added_by_idx",
                condition=models.Q(added_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tag_id}"


class CustomerIdentity(models.Model):
    """How a source system (POS, e-shop, old CRM) knows this customer."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="identities",
        verbose_name=_("customer"),
    )
    source = models.CharField(_("source"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=128)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("source identity")
        verbose_name_plural = _("source identities")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="customer_identity_unique",
                violation_error_message=_(
                    "This source id already belongs to a customer."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class Interaction(models.Model):
    """Something the customer did or said that is not an order."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="interactions",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    channel = models.CharField(_("channel"), max_length=32, blank=True, default="")
    # Encrypted at rest: what a customer said holds personal data.
    note = EncryptedNoteField(_("note"), default="")
    source = models.CharField(_("source"), max_length=32, blank=True, default="")
    external_id = models.CharField(
        _("external id"), max_length=128, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    #: Who logged it on the customer page (empty for imports and the API's
    #: machine writes); they may change or delete it for a day.
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
        db_index=False,
    )

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(
                fields=["customer", "-occurred_at"], name="interaction_cust_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="interaction_source_unique",
                violation_error_message=_("This source id is already imported."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.occurred_at:%Y-%m-%d}"


class CustomerChange(models.Model):
    """One change to a customer, for the timeline: who, when, which fields.

    Only the names of the fields are kept, never their old or new values: the
    personal ones are encrypted on the customer and must not reappear here in
    clear. An assignment names the new account manager (a colleague, not the
    customer's data).
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("customer"),
        db_index=False,  # customerchange_cust_idx starts with it
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=CustomerChangeKind.choices
    )
    fields = models.JSONField(_("fields"), default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
        db_index=False,
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account manager"),
        db_index=False,
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("customer change")
        verbose_name_plural = _("customer changes")
        indexes = [
            models.Index(
                fields=["customer", "-changed_at"], name="customerchange_cust_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.kind}"


class SavedView(models.Model):
    """A person's named customer list: the list's query string (filters and
    sort, no page cursor). Only its owner sees, opens or deletes it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("owner"),
        db_index=False,  # savedview_owner_name_unique starts with it
    )
    name = models.CharField(_("name"), max_length=64)
    # Encrypted: a list query may search for a phone number or a name.
    query = EncryptedNoteField(_("query"), default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                name="savedview_owner_name_unique",
                violation_error_message=_("You already have a view with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class BulkAction(models.Model):
    """One bulk action on the customer list: tag, untag or assign a manager,
    on a selection of customers (``customer_ids``) or on every customer the
    list's query string matches (``query``), as ``actor`` sees them.

    ``total`` is the count the confirmation showed; the run counts its
    progress in ``done`` (customers gone through) and ``changed`` (those it
    actually changed), committed chunk by chunk so the page can show them.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("action"), max_length=8, choices=BulkKind.choices)
    tag = models.ForeignKey(
        Tag,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tag"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account manager"),
    )
    everyone_matching = models.BooleanField(_("every customer matching"), default=False)
    # Encrypted: a list query may search for a phone number or a name.
    query = EncryptedNoteField(_("query"), default="")
    customer_ids = models.JSONField(_("customers"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=BulkStatus.choices,
        default=BulkStatus.PENDING,
    )
    total = models.PositiveIntegerField(_("customers"), default=0)
    done = models.PositiveIntegerField(_("gone through"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"

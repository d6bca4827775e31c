"""Reads for customers. Scope is applied here, once, for web, API, export and counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.access.policies import policy_for, scope_for
from guanxi.audit.services import contact_searched, search_alert
from guanxi.core.errors import NotFound, RateLimited, ValidationFailed
from guanxi.core.normalize import normalize_email, normalize_phone
from guanxi.core.ratelimit import rate_limit_take
from guanxi.core.values import fold_digits, parse_id
from guanxi.customers.choices import TagKind
from guanxi.customers.models import (
    Customer,
    CustomerIdentity,
    CustomerTag,
    Interaction,
    Tag,
)
from guanxi.customers.preferences import (
    business_language,
    customer_language,
    customer_time_zone,
)
from guanxi.customers.search import (
    PHONE_TAIL,
    contact_key_under,
    email_key,
    email_prefix_token,
    name_query_tokens,
    phone_key,
    phone_tail_token,
    pinyin_query_token,
)

__all__ = [
    "CUSTOMER_SORTS",
    "PSEUDONYM_KEYS",
    "assignable_managers",
    "business_language",
    "contact_key_under",
    "contact_search_count",
    "customer_by_email",
    "customer_filter_email",
    "customer_filter_name",
    "customer_filter_phone",
    "customer_filter_source",
    "customer_filter_tags",
    "customer_get",
    "customer_has_tag",
    "customer_language",
    "customer_list",
    "customer_list_with_tags",
    "customer_monthly_new",
    "customer_order_keys",
    "customer_rows",
    "customer_scope",
    "customer_search",
    "customer_sorted",
    "customer_table_name",
    "customer_tag_count",
    "customer_tag_links",
    "customer_time_zone",
    "interaction_list",
    "interaction_rows",
    "interaction_table_name",
    "tag_by_name",
    "tag_customer_ids",
    "tag_customer_sizes",
    "tag_find",
    "tag_get",
    "tag_link_totals",
    "tag_list",
    "tag_list_counted",
    "tag_names_automatic",
    "tag_search",
]


def customer_table_name() -> str:
    """The customers' table, for set-based reads in the database (insights)."""
    return str(Customer._meta.db_table)


def interaction_table_name() -> str:
    """The interactions' table, for set-based reads in the database (insights).
    Columns: ``customer_id``, ``kind``, ``occurred_at``."""
    return str(Interaction._meta.db_table)


def customer_scope(*, actor: Any) -> QuerySet[Customer]:
    """Every customer ``actor`` may see (the rule: ``access.scope``); nothing for
    users without a role. Every read of customers starts here."""
    return scope_for(actor).apply(Customer.objects.all())


def _finds_nobody(actor: Any) -> bool:
    """Searches by person find nothing for roles that may not search people."""
    return not policy_for(actor).may_search_people


def contact_search_count(*, actor: Any, kind: str) -> None:
    """Count one exact search by phone number or e-mail address (``kind``) of
    ``actor``; over ``GUANXI_CONTACT_SEARCHES_PER_MINUTE`` raises
    :class:`RateLimited`. Each search is an audit event with its kind, never
    the value; more than ``GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR`` in an hour
    raise one alert for the administrators (per person and hour).

    A masked phone (``138****8000``) is one of 10,000 numbers: searched one by
    one, the one that finds the customer is the phone. Staff who look a caller
    up search a few numbers a minute, not thousands."""
    who = str(getattr(actor, "pk", None))
    allowed = rate_limit_take(
        scope="contact-search",
        who=who,
        limit=settings.GUANXI_CONTACT_SEARCHES_PER_MINUTE,
        window_seconds=60,
    )
    contact_searched(actor=actor, kind=kind)
    alert = settings.GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR
    if not rate_limit_take(
        scope="contact-search-hour", who=who, limit=alert, window_seconds=3600
    ) and rate_limit_take(
        scope="contact-search-alert", who=who, limit=1, window_seconds=3600
    ):
        search_alert(actor=actor, count=alert + 1, window_minutes=60)
    if not allowed:
        raise RateLimited(
            _(
                "too many searches by phone number or e-mail address: wait a "
                "minute and try again"
            )
        )


def customer_filter_phone(
    qs: QuerySet[Customer], phone: str, *, actor: Any
) -> QuerySet[Customer]:
    """Exact phone number in any common format, through the blind index
    (counted: :func:`contact_search_count`)."""
    if _finds_nobody(actor):
        return qs.none()
    try:
        key = phone_key(normalize_phone(phone))
    except ValidationFailed:
        return qs.none()
    contact_search_count(actor=actor, kind="phone")
    return qs.filter(phone_index=key)


def customer_filter_email(
    qs: QuerySet[Customer], email: str, *, actor: Any
) -> QuerySet[Customer]:
    """Exact email address, through the blind index (counted:
    :func:`contact_search_count`)."""
    if _finds_nobody(actor):
        return qs.none()
    try:
        key = email_key(normalize_email(email))
    except ValidationFailed:
        return qs.none()
    contact_search_count(actor=actor, kind="email")
    return qs.filter(email_index=key)


def customer_filter_name(
    qs: QuerySet[Customer], name: str, *, actor: Any
) -> QuerySet[Customer]:
    """Part of a name, through the hashed name tokens."""
    if _finds_nobody(actor):
        return qs.none()
    for token in name_query_tokens(name):
        qs = qs.filter(name_tokens__contains=f" {token} ")
    return qs


def _has_token(column: str, token: str) -> Q:
    return Q(**{f"{column}__contains": f" {token} "})


def customer_search(
    qs: QuerySet[Customer], text: str, *, actor: Any
) -> QuerySet[Customer]:
    """Free text, as staff search: an email address (exact) or its beginning
    (``wang@``, ``wangf``), a phone number (exact) or its last four digits
    (手机尾号), a customer number, part of a name, or a name's pinyin
    (``zhangsan``), initials (``zs``) or surname (``zhang``) — all through
    hashed keys (``customers.search``), never a value in clear."""
    if not text.strip():
        return qs
    if _finds_nobody(actor):
        return qs.none()
    try:
        text = fold_digits(text).strip()
    except ValidationFailed:
        return qs.none()
    if "@" in text:
        try:
            key = email_key(normalize_email(text))
        except ValidationFailed:
            prefix = email_prefix_token(text)
            if prefix is None:
                return qs.none()
            return qs.filter(_has_token("search_tokens", prefix))
        contact_search_count(actor=actor, kind="email")
        return qs.filter(email_index=key)
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 5 and digits >= len(text.replace(" ", "")) - 4:
        return customer_filter_phone(qs, text, actor=actor)
    if text.isdigit():
        number = Q(pk=int(text)) if len(text) < 19 else Q(pk__in=[])
        if len(text) == PHONE_TAIL:
            number |= _has_token("search_tokens", phone_tail_token(text))
        return qs.filter(number)
    found = Q()
    for token in name_query_tokens(text):
        found &= _has_token("name_tokens", token)
    for staff_token in (pinyin_query_token(text), email_prefix_token(text)):
        if staff_token is not None:
            found |= _has_token("search_tokens", staff_token)
    return qs.filter(found)


def customer_filter_source(qs: QuerySet[Customer], source: str) -> QuerySet[Customer]:
    """Customers a source system knows (an identity from ``source``), read
    from the unique ``(source, external_id)`` index."""
    known = CustomerIdentity.objects.filter(source=source).values("customer_id")
    return qs.filter(pk__in=known)


#: The order of customers for roles that know them by pseudonym (the id only
#: breaks a tie of two equal pseudonyms, and cursors are sealed).
PSEUDONYM_KEYS = ("pseudonym", "id")


def customer_order_keys(*, actor: Any) -> tuple[str, ...]:
    """The order of ``actor``'s customer lists and exports: newest first
    (``-id``), or by pseudonym for roles that know customers by it."""
    if policy_for(actor).knows_customer_numbers:
        return ("-id",)
    return PSEUDONYM_KEYS


#: ``?sort=`` of customer lists: the keys of its keyset pages, and whether
#: the largest come first. Sorting by last purchase lists buyers only (the
#: keys of a keyset page are never NULL).
CUSTOMER_SORTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "": (("id",), True),
    "-spend": (("purchase_total", "id"), True),
    "spend": (("purchase_total", "id"), False),
    "-orders": (("purchase_count", "id"), True),
    "orders": (("purchase_count", "id"), False),
    "-last_purchase": (("last_purchase_at", "id"), True),
    "last_purchase": (("last_purchase_at", "id"), False),
}


def customer_sorted(
    qs: QuerySet[Customer], sort: str, *, actor: Any = None
) -> tuple[QuerySet[Customer], tuple[str, ...], bool]:
    """``qs`` ready for a keyset page in the order ``sort`` names (one of
    :data:`CUSTOMER_SORTS`): the queryset, its keys and their direction.

    For an ``actor`` who knows customers by pseudonym the number is no key:
    the list is ordered by pseudonym (ties of a sort too), since a place in
    the order of the numbers tells the number (:func:`customer_order_keys`)."""
    if sort not in CUSTOMER_SORTS:
        raise ValidationFailed(
            _("unknown sort order (choose one of: %(sorts)s)")
            % {"sorts": ", ".join(s for s in CUSTOMER_SORTS if s)},
            field="sort",
        )
    keys, descending = CUSTOMER_SORTS[sort]
    if actor is not None and not policy_for(actor).knows_customer_numbers:
        keys = (*keys[:-1], *PSEUDONYM_KEYS)
        if not sort:
            descending = False
    if "last_purchase_at" in keys:
        qs = qs.filter(last_purchase_at__isnull=False)
    return qs, keys, descending


def assignable_managers() -> QuerySet[Any]:
    """The active users working as account managers, by name: whom a customer
    may be assigned to on the customer page."""
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.ACCOUNT_MANAGER)
        .order_by("username")
    )


def customer_rows() -> QuerySet[Customer]:
    """Every customer, unscoped: for the system's own work after a scoring run
    (automatic tags), never for showing to a user."""
    return Customer.objects.all()


def customer_by_email(*, email: str) -> Customer | None:
    """The one customer with this e-mail address, through the blind index,
    unscoped (the system's own matching of an inbound e-mail; never for
    showing to a user). None when nobody has it."""
    try:
        key = email_key(normalize_email(email))
    except ValidationFailed:
        return None
    return Customer.objects.filter(email_index=key).order_by("pk").first()


def interaction_rows() -> QuerySet[Interaction]:
    """Every interaction, unscoped (as :func:`customer_rows`)."""
    return Interaction.objects.all()


def customer_list(*, actor: Any) -> QuerySet[Customer]:
    """Customers in ``actor``'s scope, newest first (by pseudonym for roles that
    know customers by it). Filters: ``CustomerFilterSet``."""
    return customer_scope(actor=actor).order_by(*customer_order_keys(actor=actor))


def customer_list_with_tags(*, actor: Any) -> QuerySet[Customer]:
    """:func:`customer_list` with each customer's tags read in one more query
    (for exports: one query per chunk of customers, not one per customer)."""
    return customer_list(actor=actor).prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("id", "name"))
    )


def customer_get(*, actor: Any, pk: int | str) -> Customer:
    """One customer in scope, addressed by number; outside scope, or for a role
    that knows customers by pseudonym only, answered exactly like a missing
    record (an address by number would link the two)."""
    if not policy_for(actor).knows_customer_numbers:
        raise NotFound(_("customer not found"))
    try:
        return customer_scope(actor=actor).prefetch_related("tags").get(pk=int(pk))
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("customer not found")) from None


def interaction_list(*, actor: Any, customer: Customer) -> QuerySet[Interaction]:
    """Interactions of ``customer``, newest first; nothing outside ``actor``'s scope."""
    interactions = Interaction.objects.filter(customer_id=customer.pk).select_related(
        "logged_by"
    )
    return (
        scope_for(actor)
        .apply(interactions, via="customer")
        .order_by("-occurred_at", "-id")
    )


def tag_list() -> QuerySet[Tag]:
    """All tags by name (tags carry no personal data)."""
    return Tag.objects.order_by("name")


def tag_list_counted(*, actor: Any) -> QuerySet[Tag]:
    """All tags by name, each with ``customers_in_scope``: how many of the
    customers ``actor`` may see have it (a customer outside scope is never
    counted). For roles that see everyone that is the kept count."""
    scope = scope_for(actor)
    tags = Tag.objects.order_by("name")
    if scope.everyone:
        return tags.annotate(customers_in_scope=F("customer_count"))
    links = scope.apply(
        CustomerTag.objects.filter(tag_id=OuterRef("pk")), via="customer"
    )
    counted = links.order_by().values("tag_id").annotate(n=Count("*")).values("n")
    return tags.annotate(
        customers_in_scope=Coalesce(
            Subquery(counted, output_field=IntegerField()), Value(0)
        )
    )


def tag_get(*, pk: Any) -> Tag:
    """One tag by id (tags are not scoped: they hold no personal data)."""
    number = parse_id(pk)
    tag = Tag.objects.filter(pk=number).first() if number is not None else None
    if tag is None:
        raise NotFound(_("tag not found"))
    return tag


def tag_names_automatic() -> frozenset[str]:
    """The names of the automatic tags (which no import or person may set)."""
    return frozenset(
        Tag.objects.filter(kind=TagKind.AUTOMATIC).values_list("name", flat=True)
    )


def tag_by_name(name: str) -> Tag | None:
    return Tag.objects.filter(name=name).first()


def tag_search(*, text: str, limit: int = 10, manual_only: bool = True) -> list[Tag]:
    """Tags whose name contains ``text`` (the most used first), for
    autocomplete; only manual ones by default (the ones a person may set)."""
    text = " ".join(str(text).split())[:64]
    tags = Tag.objects.all()
    if manual_only:
        tags = tags.filter(kind=TagKind.MANUAL)
    if text:
        tags = tags.filter(Q(name__icontains=text) | Q(name_en__icontains=text))
    return list(tags.order_by("-customer_count", "name")[:limit])


def customer_tag_links(*, customer_id: int) -> QuerySet[CustomerTag]:
    """The customer's tags with who set each and when: manual ones first, then
    automatic ones, each by name (the caller has checked scope, e.g. with
    ``customer_get``)."""
    return (
        CustomerTag.objects.filter(customer_id=customer_id)
        .select_related("tag", "added_by")
        .order_by("-tag__kind", "tag__name")
    )


def customer_tag_count(customer: str = "customer_id") -> Subquery:
    """An expression: how many tags the customer whose id is the outer query's
    ``customer`` column has (read from the primary key's index)."""
    counted = (
        CustomerTag.objects.filter(customer_id=OuterRef(customer))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def tag_link_totals() -> dict[str, int]:
    """How many customer tags there are, and how many of them are automatic
    (from the kept counts)."""
    totals = Tag.objects.aggregate(
        links=Coalesce(Sum("customer_count"), 0),
        automatic=Coalesce(Sum("customer_count", filter=Q(kind=TagKind.AUTOMATIC)), 0),
    )
    return {"links": int(totals["links"]), "automatic": int(totals["automatic"])}


def customer_filter_tags(
    qs: QuerySet[Customer],
    *,
    has: Sequence[int] = (),
    has_not: Sequence[int] = (),
) -> QuerySet[Customer]:
    """Customers with every tag of ``has`` and none of ``has_not`` (tag ids).

    Each condition is ``id IN (customers of the tag)``, read from the
    ``(tag, customer)`` index: the database lists a tag's customers in id order
    without touching the customer table (see docs/benchmarks/tags.md for the
    ways measured).
    """
    for tag_id in has:
        members = CustomerTag.objects.filter(tag_id=tag_id).values("customer_id")
        qs = qs.filter(pk__in=members)
    for tag_id in has_not:
        members = CustomerTag.objects.filter(tag_id=tag_id).values("customer_id")
        qs = qs.exclude(pk__in=members)
    return qs


def tag_find(value: int | str) -> Tag | None:
    """The tag with this number (an int) or this exact name (text), if any."""
    if isinstance(value, int):
        return Tag.objects.filter(pk=value).first() if 0 < value < 2**63 else None
    return Tag.objects.filter(name=value).first()


def tag_customer_ids(tag_id: int) -> QuerySet[Any]:
    """The ids of the customers who have tag ``tag_id`` (for ``id IN (…)``:
    a count over a tag reads its links once instead of testing every
    customer)."""
    links = CustomerTag.objects.filter(tag_id=tag_id)
    return links.values("customer_id")


def tag_customer_sizes(tag_ids: Sequence[int]) -> dict[int, int]:
    """How many customers have each of these tags, as kept on the tag
    (``Tag.customer_count``, no link counted); a missing tag is left out."""
    found = Tag.objects.filter(pk__in=list(tag_ids)).values_list("pk", "customer_count")
    return dict(found)


def customer_has_tag(tag_id: int, *, customer: str = "pk") -> Exists:
    """``EXISTS``: the outer query's customer has tag ``tag_id``. ``customer`` is
    the outer query's path to the customer's id (``pk`` on customers,
    ``customer_id`` on a table that points at them). An EXISTS on the link
    table, not a join: two tag conditions then test two different links, and
    a negation stays one anti-join."""
    links = CustomerTag.objects.filter(customer_id=OuterRef(customer), tag_id=tag_id)
    return Exists(links)


def customer_monthly_new(
    *, actor: Any, periods: Sequence[tuple[dt.datetime, dt.datetime]]
) -> list[int]:
    """How many customers in ``actor``'s scope were first seen in each
    ``[start, end)`` period, in the order given (one pass, no per-row function)."""
    if not periods:
        return []
    qs = customer_scope(actor=actor).filter(
        first_seen_at__gte=min(p[0] for p in periods),
        first_seen_at__lt=max(p[1] for p in periods),
    )
    totals = qs.order_by().aggregate(
        **{
            f"n{i}": Count(
                "id", filter=Q(first_seen_at__gte=begin, first_seen_at__lt=end)
            )
            for i, (begin, end) in enumerate(periods)
        }
    )
    return [totals[f"n{i}"] or 0 for i in range(len(periods))]


def identity_external_id(*, source: str, customer: str = "pk") -> Subquery:
    """The customer's id in the source system ``source`` (their first), for
    annotating a customer queryset (``customer``: the customer id's column)."""
    return Subquery(
        CustomerIdentity.objects.filter(customer_id=OuterRef(customer), source=source)
        .order_by("id")
        .values("external_id")[:1]
    )


def customer_external_id(*, customer_id: int, source: str) -> str:
    """The customer's id in the source system ``source`` ("" when none)."""
    found = (
        CustomerIdentity.objects.filter(customer_id=customer_id, source=source)
        .order_by("id")
        .values_list("external_id", flat=True)
        .first()
    )
    return found or ""


def interaction_ids_named(*, prefix: str) -> bool:
    """Whether any interaction's external id starts with ``prefix`` (the keyed
    ids of imported interactions name their key: guanxi.ingest.rowids)."""
    return Interaction.objects.filter(external_id__startswith=prefix).exists()

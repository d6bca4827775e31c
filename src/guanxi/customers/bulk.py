"""Fast writes into the customers app's tables: many customers, source
identities and interactions at once (imports, the demo, bulk API calls; tags
are written by :mod:`guanxi.customers.tagging`).

Values arrive clean (normalised by :mod:`guanxi.core.normalize`). What the
model's rules derive from them is derived here by the same functions
(:func:`customer_apply_contact`'s search keys, the encrypted fields' own
ciphertext), and rows go in as tuples through
:class:`guanxi.core.bulk.RowWriter`: building a million ``Customer`` objects
costs more than the database does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.db import connection

from guanxi.core.bulk import (
    RowWriter,
    SecondaryIndexes,
    adapt_datetime,
    datetime_adapter,
    sequences_move_past,
)
from guanxi.core.crypto import encrypt_many, pseudonym
from guanxi.core.fields import EncryptedTextField
from guanxi.customers.keys import customer_apply_contact
from guanxi.customers.models import Customer, CustomerIdentity, CustomerTag, Interaction
from guanxi.customers.search import (
    email_key,
    name_tokens,
    phone_key,
    staff_tokens,
    staff_tokens_forget,
)

__all__ = [
    "CONTACT_VALUES",
    "CustomerBulkWriter",
    "InteractionBulkWriter",
    "customer_bulk_fill",
    "customer_indexes",
    "customer_purchases_refresh",
    "customer_tables_settle",
    "customers_exist",
    "identity_bulk_create",
    "interaction_indexes",
    "interactions_recorded",
    "name_tokens_forget",
]

#: The values of a customer that imports and the demo give, by field name.
CONTACT_VALUES = (
    "name",
    "phone",
    "email",
    "birthday",
    "gender",
    "city",
    "address",
    "language",
    "time_zone",
)

_CUSTOMER_COLUMNS = (
    "name",
    "name_tokens",
    "search_tokens",
    "phone",
    "phone_index",
    "email",
    "email_index",
    "address",
    "birthday",
    "birth_year",
    "birth_month",
    "gender",
    "city",
    "preferred_channel",
    "language",
    "time_zone",
    "assigned_manager",
    "first_seen_at",
    "pseudonym",
    "created_at",
    "updated_at",
)
_INTERACTION_COLUMNS = (
    "customer",
    "kind",
    "occurred_at",
    "channel",
    "note",
    "source",
    "external_id",
    "created_at",
)


class CustomerBulkWriter:
    """Inserts new customers, search keys and ciphertext included."""

    def __init__(self) -> None:
        self.writer = RowWriter(Customer, _CUSTOMER_COLUMNS)

    def reserve(self, count: int) -> list[int]:
        """Primary keys for ``count`` new customers (nobody else will use them)."""
        return self.writer.reserve(count)

    def ids_after_highest(self, count: int) -> list[int]:
        """``count`` ids above the highest customer's (see
        :meth:`RowWriter.ids_after_highest`; then :func:`customer_tables_settle`)."""
        return self.writer.ids_after_highest(count)

    def insert(
        self,
        *,
        pks: Sequence[int],
        people: Sequence[Mapping[str, Any]],
        first_seen: Sequence[dt.datetime | str | None],
        now: dt.datetime,
        phone_keys: Mapping[str, str | None] | None = None,
        email_keys: Mapping[str, str | None] | None = None,
    ) -> None:
        """Write ``people`` (clean values by field name, plus optionally
        ``preferred_channel`` and ``assigned_manager_id``) under ``pks``.

        ``first_seen`` is an aware datetime or naive UTC text per person
        (``now`` when None). ``phone_keys``/``email_keys`` are blind indexes
        the caller already worked out (the same function gives the same keys).
        """
        names = [v.get("name") or None for v in people]
        phones = [v.get("phone") or None for v in people]
        emails = [v.get("email") or None for v in people]
        birthdays = [v.get("birthday") for v in people]
        sealed = zip(
            _seal_column("name", names),
            _seal_column("phone", phones),
            _seal_column("email", emails),
            _seal_column("address", [v.get("address") or None for v in people]),
            _seal_column("birthday", birthdays),
            strict=True,
        )
        phone_keys = phone_keys or {}
        email_keys = email_keys or {}
        adapt = datetime_adapter()
        stamp = adapt(now)
        rows = []
        for values, name, phone, email, birthday, secret, seen in zip(
            people, names, phones, emails, birthdays, sealed, first_seen, strict=True
        ):
            # The search keys customer_apply_contact computes.
            phone_index = email_index = None
            if phone:
                phone_index = phone_keys.get(phone) or phone_key(phone)
            if email:
                email_index = email_keys.get(email) or email_key(email)
            sealed_name, sealed_phone, sealed_email, sealed_address, sealed_birthday = (
                secret
            )
            rows.append(
                (
                    sealed_name,
                    _name_tokens(name),
                    staff_tokens(name=name, phone=phone, email=email),
                    sealed_phone,
                    phone_index,
                    sealed_email,
                    email_index,
                    sealed_address,
                    sealed_birthday,
                    birthday.year if isinstance(birthday, dt.date) else None,
                    birthday.month if isinstance(birthday, dt.date) else None,
                    values.get("gender") or "",
                    values.get("city") or "",
                    values.get("preferred_channel") or "",
                    values.get("language") or "",
                    values.get("time_zone") or "",
                    values.get("assigned_manager_id"),
                    stamp if seen is None else adapt(seen),
                    stamp,
                    stamp,
                )
            )
        self.writer.insert(
            [
                (pk, *row[:-2], pseudonym(pk), *row[-2:])
                for pk, row in zip(pks, rows, strict=True)
            ],
            with_pk=True,
        )


def customer_bulk_fill(
    *, people: Mapping[int, Mapping[str, Any]], now: dt.datetime
) -> None:
    """Store the contact values of recorded customers (by primary key) with the
    search keys worked out from them."""
    for pk, values in people.items():
        contact = _contact(values)
        fields = {name: values.get(name) for name in CONTACT_VALUES}
        # Not null: a value the record did not give is empty.
        fields.update(
            language=values.get("language") or "",
            time_zone=values.get("time_zone") or "",
        )
        fields.update(
            phone_index=contact.phone_index,
            email_index=contact.email_index,
            name_tokens=contact.name_tokens,
            search_tokens=contact.search_tokens,
            birth_year=contact.birth_year,
            birth_month=contact.birth_month,
        )
        Customer.objects.filter(pk=pk).update(updated_at=now, **fields)


def identity_bulk_create(
    *, source: str, pairs: Iterable[tuple[int, str]], now: dt.datetime
) -> None:
    """Record that ``source`` knows customer ``pk`` as ``external_id``."""
    created = adapt_datetime(now)
    RowWriter(
        CustomerIdentity, ("customer", "source", "external_id", "created_at")
    ).insert((pk, source, external_id, created) for pk, external_id in pairs)


def customers_exist() -> bool:
    return Customer.objects.exists()


def customer_indexes() -> SecondaryIndexes:
    """The customers table's secondary indexes, to build once after a large
    insert into an empty table by a writer that keeps one customer per phone
    and email itself (a matcher that met every customer, the demo); the unique
    ones too, and they check that again when built (see
    :class:`SecondaryIndexes`)."""
    return SecondaryIndexes(Customer, unique=True)


def interaction_indexes() -> SecondaryIndexes:
    return SecondaryIndexes(Interaction)


def customer_tables_settle() -> None:
    """After customers were written under ids of the writer's choosing: move
    the id sequence past them and refresh the planner's statistics."""
    sequences_move_past([Customer, CustomerIdentity, CustomerTag, Interaction])


class InteractionBulkWriter:
    """Inserts interactions given as ``(customer pk, kind, occurred_at,
    channel, note, source, external_id)``; ``occurred_at`` aware or UTC text."""

    def __init__(self) -> None:
        self.writer = RowWriter(Interaction, _INTERACTION_COLUMNS)

    def insert(self, rows: Iterable[tuple[Any, ...]], *, now: dt.datetime) -> None:
        adapt = datetime_adapter()
        created = adapt(now)
        listed = list(rows)
        # The notes are encrypted like the field does it (empty → NULL).
        notes = _seal_notes([row[4] for row in listed])
        self.writer.insert(
            (
                (pk, kind, adapt(when), channel, note, source, external_id, created)
                for (pk, kind, when, channel, _plain, source, external_id), note in zip(
                    listed, notes, strict=True
                )
            )
        )


def interactions_recorded(*, source: str, external_ids: Iterable[str]) -> set[str]:
    """Which of these interaction ids of ``source`` are recorded already."""
    wanted = sorted(set(external_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            str(ext)
            for ext in Interaction.objects.filter(
                source=source, external_id__in=wanted[start : start + 500]
            ).values_list("external_id", flat=True)
        )
    return found


class _Contact:
    """What ``customer_apply_contact`` reads and writes, without a model instance."""

    __slots__ = (
        "birth_month",
        "birth_year",
        "birthday",
        "email",
        "email_index",
        "name",
        "name_tokens",
        "phone",
        "phone_index",
        "search_tokens",
    )
    name: str | None
    phone: str | None
    email: str | None
    birthday: dt.date | None
    phone_index: str | None
    email_index: str | None
    name_tokens: str
    search_tokens: str
    birth_year: int | None
    birth_month: int | None

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.name = values.get("name") or None
        self.phone = values.get("phone") or None
        self.email = values.get("email") or None
        self.birthday = values.get("birthday")


_NAME_TOKENS: dict[str, str] = {}


def _contact(values: Mapping[str, Any]) -> _Contact:
    """Search keys through ``customer_apply_contact``; the hashed name tokens of a
    name seen before in this process are reused (names repeat: 张伟, 王芳 …)."""
    contact = _Contact(values)
    name = contact.name
    contact.name = None
    customer_apply_contact(cast(Customer, contact))
    contact.name = name
    contact.name_tokens = _name_tokens(name)
    contact.search_tokens = staff_tokens(
        name=name, phone=contact.phone, email=contact.email
    )
    return contact


def _name_tokens(name: str | None) -> str:
    """``name_tokens(name)``, once per distinct name in this process."""
    if not name:
        return ""
    tokens = _NAME_TOKENS.get(name)
    if tokens is None:
        if len(_NAME_TOKENS) > 200_000:
            _NAME_TOKENS.clear()
        tokens = _NAME_TOKENS[name] = name_tokens(name)
    return tokens


def name_tokens_forget() -> None:
    """Drop the cached name tokens (a new import may run under other keys)."""
    _NAME_TOKENS.clear()
    staff_tokens_forget()


def _seal_notes(notes: list[Any]) -> list[str | None]:
    """What ``Interaction.note`` stores for each note."""
    field = cast(EncryptedTextField, Interaction._meta.get_field("note"))
    plain = [field.to_plain(n) for n in notes]
    return encrypt_many(plain, context=field.crypto_context)


def _seal_column(name: str, values: list[Any]) -> list[str | None]:
    """What the encrypted field ``Customer.<name>`` stores for each value."""
    field = cast(EncryptedTextField, Customer._meta.get_field(name))
    to_plain = field.to_plain
    return encrypt_many([to_plain(v) for v in values], context=field.crypto_context)


#: Customers per statement when refreshing the purchase aggregates of a set.
PURCHASE_REFRESH_CHUNK = 500


def customer_purchases_refresh(
    *,
    orders_table: str,
    statuses: Sequence[str],
    customer_ids: Iterable[int] | range | None = None,
) -> None:
    """Recompute the kept purchase aggregates (``purchase_total``,
    ``purchase_count``, ``first_purchase_at``, ``last_purchase_at``) of these
    customers from the orders, in the caller's transaction.

    ``orders_table`` has the columns ``customer_id``, ``ordered_at``,
    ``amount`` and ``status`` (``commerce.selectors.order_table_name``); an
    order counts when its status is in ``statuses``. ``customer_ids``: a set
    of ids (in chunks of :data:`PURCHASE_REFRESH_CHUNK`), a ``range`` of ids
    (one statement: the demo's new customers) or None for everyone (repair).

    Set-based: per chunk one aggregate over the orders' ``(customer,
    ordered_at)`` index joined into one UPDATE, and one UPDATE that empties
    the customers left without a purchase; no row passes through Python.
    """
    if customer_ids is None:
        _purchases_refresh(orders_table, statuses, "", [])
    elif isinstance(customer_ids, range):
        if len(customer_ids) and customer_ids.step == 1:
            _purchases_refresh(
                orders_table,
                statuses,
                "BETWEEN %s AND %s",
                [customer_ids.start, customer_ids.stop - 1],
            )
        elif len(customer_ids):
            customer_purchases_refresh(
                orders_table=orders_table,
                statuses=statuses,
                customer_ids=list(customer_ids),
            )
    else:
        ids = sorted(set(customer_ids))
        if len(ids) > PURCHASE_REFRESH_CHUNK and len(ids) * 4 >= _highest_customer():
            # A quarter of the customers or more (a large import): one pass
            # over every order is cheaper than an index walk per customer
            # (at 2 M orders: 50,000 of 200,000 customers 2.6 s by ids,
            # everyone 4.5 s).
            _purchases_refresh(orders_table, statuses, "", [])
            return
        for start in range(0, len(ids), PURCHASE_REFRESH_CHUNK):
            chunk = ids[start : start + PURCHASE_REFRESH_CHUNK]
            _purchases_refresh(
                orders_table,
                statuses,
                "IN (" + ", ".join(["%s"] * len(chunk)) + ")",
                chunk,
            )


def _highest_customer() -> int:
    found = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(found or 0)


def _purchases_refresh(
    orders_table: str, statuses: Sequence[str], which: str, ids: list[Any]
) -> None:
    qn = connection.ops.quote_name
    customers = qn(Customer._meta.db_table)
    orders = qn(orders_table)
    status_in = ", ".join(["%s"] * len(statuses))
    # SQLite sums decimals as doubles: rounded back to cents.
    total = "ROUND(SUM(amount), 2)" if connection.vendor == "sqlite" else "SUM(amount)"
    on_orders = f"AND customer_id {which}" if which else ""
    on_customers = f"AND {customers}.id {which}" if which else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {customers} SET purchase_count = 0, purchase_total = 0, "
            "first_purchase_at = NULL, last_purchase_at = NULL "
            f"WHERE purchase_count <> 0 {on_customers} AND NOT EXISTS ("
            f"SELECT 1 FROM {orders} o WHERE o.customer_id = {customers}.id "
            f"AND o.status IN ({status_in}))",
            [*ids, *statuses],
        )
        cursor.execute(
            f"UPDATE {customers} SET purchase_count = a.n, purchase_total = a.total, "
            "first_purchase_at = a.first_at, last_purchase_at = a.last_at "
            f"FROM (SELECT customer_id, COUNT(*) AS n, {total} AS total, "
            "MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at "
            f"FROM {orders} WHERE status IN ({status_in}) {on_orders} "
            "GROUP BY customer_id) AS a "
            f"WHERE {customers}.id = a.customer_id",
            [*statuses, *ids],
        )

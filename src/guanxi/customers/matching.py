"""Which customer a record belongs to: the one rule every way in follows.

A record (an import row, a demo person, an API call) belongs to a recorded
customer when its source identity (source + customer id), its phone number or
its email address is already known: compared through the blind indexes, so no
plaintext is looked up. Its values then only **fill blanks**; a recorded
non-empty value is never overwritten (the caller is told which values differed
and were kept). If a record's keys point at two different customers, the match
is refused (:class:`ContactConflict`).

:class:`CustomerMatcher` does this for many records at once: it remembers every
customer it met (so a file that names one person on a thousand rows resolves
them once), loads recorded customers in a few queries per batch, and writes the
new and filled-in ones through :mod:`guanxi.customers.bulk`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import connection

from guanxi.customers.bulk import (
    CONTACT_VALUES,
    CustomerBulkWriter,
    customer_bulk_fill,
    identity_bulk_create,
)
from guanxi.customers.models import Customer, CustomerIdentity, CustomerTag
from guanxi.customers.search import email_key, phone_key
from guanxi.customers.tagging import customer_tags_bulk_add

__all__ = [
    "ContactConflict",
    "CustomerMatcher",
    "KnownCustomer",
    "MatchKey",
    "contact_owners",
    "written_pk",
]

#: ``("i", source, external id)``, ``("p", phone index)`` or ``("e", email index)``.
MatchKey = tuple[str, ...]


class ContactConflict(Exception):
    """A record's ``field`` points at another customer than its ``first_field``."""

    def __init__(self, field: str, first_field: str) -> None:
        super().__init__(field, first_field)
        self.field = field
        self.first_field = first_field


class KnownCustomer:
    """A customer as a matcher sees it: recorded values plus what records filled in.

    ``pk`` is None until a new customer is written; ``existed`` tells a
    customer recorded before this matcher started from one it created.
    """

    __slots__ = ("existed", "first_seen", "pk", "tags", "tags_new", "values")

    def __init__(self, *, pk: int | None, values: dict[str, Any], existed: bool):
        self.pk = pk
        self.values = values
        self.existed = existed
        self.tags: set[str] = set()
        self.tags_new: set[str] = set()
        self.first_seen: dt.datetime | str | None = None


def contact_owners(
    *, phone: str | None, email: str | None, exclude_pk: int | None = None
) -> dict[str, int]:
    """The recorded customers (other than ``exclude_pk``) that already have this
    normalised phone number or email address: ``{"phone": pk, "email": pk}``."""
    found: dict[str, int] = {}
    others = Customer.objects.all()
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for name, column, key in (
        ("phone", "phone_index", phone_key(phone)),
        ("email", "email_index", email_key(email)),
    ):
        if key is not None:
            pk = others.filter(**{column: key}).values_list("pk", flat=True).first()
            if pk is not None:
                found[name] = pk
    return found


class CustomerMatcher:
    """Finds the one customer each record belongs to, across the records given
    so far and the database, creating new customers where allowed.

    Nothing is written until :meth:`flush`, which the caller runs inside its
    own transaction (an import rolls everything back if any row is invalid).
    """

    def __init__(self, *, source: str, with_tags: bool = False):
        self.source = source
        self.with_tags = with_tags
        self.by_key: dict[MatchKey, KnownCustomer] = {}
        self.by_pk: dict[int, KnownCustomer] = {}
        self.missing: set[MatchKey] = set()
        self.new: list[KnownCustomer] = []
        self.dirty: dict[int, KnownCustomer] = {}
        self.identities: list[tuple[KnownCustomer, str]] = []
        # id() of recorded customers that records filled in / that records named.
        self.changed_ids: set[int] = set()
        self.touched_ids: set[int] = set()
        self.writer: CustomerBulkWriter | None = None
        self._phone_keys: dict[str, str | None] = {}
        self._email_keys: dict[str, str | None] = {}
        self.empty_at_start: bool | None = None

    def keys(
        self, values: Mapping[str, Any], identity: str
    ) -> list[tuple[str, MatchKey]]:
        """``(field, key)`` for the record's customer id, phone and email."""
        found: list[tuple[str, MatchKey]] = []
        if identity:
            found.append(("customer_id", ("i", self.source, identity)))
        phone = values.get("phone")
        if phone:
            key = self._phone_keys.get(phone)
            if key is None:
                key = self._phone_keys[phone] = phone_key(phone)
            found.append(("phone", ("p", str(key))))
        email = values.get("email")
        if email:
            key = self._email_keys.get(email)
            if key is None:
                key = self._email_keys[email] = email_key(email)
            found.append(("email", ("e", str(key))))
        return found

    def learn_keys(
        self, phones: Mapping[str, str | None], emails: Mapping[str, str | None]
    ) -> None:
        """Blind indexes computed elsewhere (the same function, the same keys)."""
        self._phone_keys.update(phones)
        self._email_keys.update(emails)

    def may_know_more(self) -> bool:
        """Whether the database may hold customers this matcher has not seen."""
        if self.empty_at_start is None:
            self.prefetch([])
        return not self.empty_at_start

    def prefetch(self, keys: list[MatchKey]) -> None:
        """Load, in a few queries, the recorded customers these keys point at."""
        if self.empty_at_start is None:
            # On SQLite the caller's transaction holds the write lock from its
            # first statement (BEGIN IMMEDIATE): with no customer then, every
            # customer there is was created by this matcher and is known here.
            self.empty_at_start = (
                connection.vendor == "sqlite" and not Customer.objects.exists()
            )
        if self.empty_at_start:
            return
        wanted = {k for k in keys if k not in self.by_key and k not in self.missing}
        if not wanted:
            return
        ids: dict[MatchKey, int] = {}
        for kind, column in (("p", "phone_index"), ("e", "email_index")):
            values = [k[1] for k in wanted if k[0] == kind]
            for chunk in _chunks(values, 500):
                rows = Customer.objects.filter(**{f"{column}__in": chunk}).values_list(
                    column, "pk"
                )
                for value, pk in rows:
                    ids.setdefault((kind, value), pk)
        externals = [k[2] for k in wanted if k[0] == "i"]
        for chunk in _chunks(externals, 500):
            linked = CustomerIdentity.objects.filter(
                source=self.source, external_id__in=chunk
            ).values_list("external_id", "customer_id")
            for ext, pk in linked:
                ids[("i", self.source, ext)] = pk
        self._load(sorted({pk for pk in ids.values() if pk not in self.by_pk}))
        for key in wanted:
            pk = ids.get(key)
            if pk is None:
                self.missing.add(key)
            else:
                self.by_key.setdefault(key, self.by_pk[pk])

    def _load(self, pks: list[int]) -> None:
        for chunk in _chunks(pks, 500):
            customers = Customer.objects.filter(pk__in=chunk).only(
                "pk", "phone_index", "email_index", *CONTACT_VALUES
            )
            for customer in customers:
                values = {name: getattr(customer, name) for name in CONTACT_VALUES}
                person = KnownCustomer(pk=customer.pk, values=values, existed=True)
                self.by_pk[customer.pk] = person
                if customer.phone_index:
                    self.by_key.setdefault(("p", customer.phone_index), person)
                if customer.email_index:
                    self.by_key.setdefault(("e", customer.email_index), person)
            if self.with_tags:
                rows = CustomerTag.objects.filter(customer_id__in=chunk).values_list(
                    "customer_id", "tag__name"
                )
                for pk, tag in rows:
                    self.by_pk[pk].tags.add(tag)

    def resolve(
        self,
        *,
        values: dict[str, Any],
        identity: str,
        tags: frozenset[str] = frozenset(),
        may_create: bool,
        seen_at: dt.datetime | str | None = None,
    ) -> tuple[KnownCustomer | None, tuple[str, ...]]:
        """The customer for this record, and the fields whose recorded value was
        kept although the record gave another.

        A new customer is created (in memory; written by :meth:`flush`) when
        none matches and ``may_create``; otherwise the customer is None. Keys
        pointing at two customers raise :class:`ContactConflict`.
        """
        keys = self.keys(values, identity)
        person: KnownCustomer | None = None
        first_field = ""
        for name, key in keys:
            other = self.by_key.get(key)
            if other is None:
                continue
            if person is None:
                person, first_field = other, name
            elif other is not person:
                raise ContactConflict(name, first_field)
        kept: tuple[str, ...] = ()
        if person is None:
            if not may_create:
                return None, kept
            person = KnownCustomer(pk=None, values=dict(values), existed=False)
            person.first_seen = seen_at
            self.new.append(person)
        else:
            kept = self._merge(person, values)
        for name, key in keys:
            if key not in self.by_key:
                self.by_key[key] = person
                if name == "customer_id":
                    self.identities.append((person, identity))
                    self._changed(person)
        new_tags = tags - person.tags
        if new_tags:
            person.tags |= new_tags
            person.tags_new |= new_tags
            self._changed(person)
        if person.existed:
            self.touched_ids.add(id(person))
        return person, kept

    def _merge(self, person: KnownCustomer, values: dict[str, Any]) -> tuple[str, ...]:
        kept: list[str] = []
        for name, value in values.items():
            if value is None or value == "":
                continue
            current = person.values.get(name)
            if current is None or current == "":
                person.values[name] = value
                self._changed(person)
            elif current != value:
                kept.append(name)
        return tuple(kept)

    def _changed(self, person: KnownCustomer) -> None:
        if person.existed:
            self.changed_ids.add(id(person))
            if person.pk is not None:
                self.dirty[person.pk] = person
        elif person.pk is not None:
            # Created in an earlier flush of this matcher and filled in since.
            self.dirty[person.pk] = person

    def flush(self, now: dt.datetime) -> None:
        """Write new customers (one insert run), filled-in ones, identities, tags."""
        if self.new:
            self._insert_new(now)
        if self.dirty:
            customer_bulk_fill(
                people={pk: person.values for pk, person in self.dirty.items()},
                now=now,
            )
        if self.identities:
            identity_bulk_create(
                source=self.source,
                pairs=((written_pk(p), e) for p, e in self.identities),
                now=now,
            )
        tagged = [p for p in (*self.new, *self.dirty.values()) if p.tags_new]
        if tagged:
            customer_tags_bulk_add(
                links=[(written_pk(p), t) for p in tagged for t in sorted(p.tags_new)]
            )
            for p in tagged:
                p.tags_new = set()
        self.new = []
        self.dirty = {}
        self.identities = []

    def _insert_new(self, now: dt.datetime) -> None:
        writer = self.writer
        if writer is None:
            writer = self.writer = CustomerBulkWriter()
        new = self.new
        pks = writer.reserve(len(new))
        writer.insert(
            pks=pks,
            people=[person.values for person in new],
            first_seen=[person.first_seen for person in new],
            now=now,
            phone_keys=self._phone_keys,
            email_keys=self._email_keys,
        )
        for pk, person in zip(pks, new, strict=True):
            person.pk = pk
            self.by_pk[pk] = person

    def count(self) -> tuple[int, int, int]:
        """``(created, updated, unchanged)`` customers so far."""
        created = sum(1 for p in self.by_pk.values() if not p.existed) + len(self.new)
        updated = len(self.changed_ids)
        unchanged = len(self.touched_ids - self.changed_ids)
        return created, updated, unchanged


def written_pk(person: KnownCustomer) -> int:
    """The primary key of a customer already written (flush writes customers
    before anything refers to them)."""
    if person.pk is None:
        raise RuntimeError("customer written out of order")
    return person.pk


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

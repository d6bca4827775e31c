"""Imports of customers, orders and interactions: all rows or none.

The whole file is validated; rows are written in batches inside ONE
transaction, and if any row turns out to be invalid the transaction is rolled
back, so nothing is half-written. ``dry_run`` validates without writing.

Merge rule (the same person twice in a file or across files): a row belongs to
an existing customer when its source identity (source + customer id), its
phone number or its email address (compared through the blind indexes) is
already known. Its values then only **fill blanks**; a non-empty recorded value
is never overwritten: the difference is reported as a notice and the recorded
value kept. A customer counts as ``updated`` only when something was filled in.
If a row's keys point at two different customers, the row is rejected.
Orders: an order already recorded (same source + order id) may change its
status (refunds arrive in later exports); other differences are notices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import pickle
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from queue import Empty
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.commerce.choices import OrderStatus
from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.core.crypto import encrypt_many
from guanxi.core.errors import ValidationFailed
from guanxi.core.fields import EncryptedTextField
from guanxi.customers.models import Customer, CustomerIdentity, Interaction
from guanxi.customers.search import email_key, name_tokens, phone_key
from guanxi.customers.services import customer_apply_contact, tags_ensure
from guanxi.ingest.choices import ImportKind
from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.parsing import CellParser, cell_text
from guanxi.ingest.presets import (
    BUILTIN_PRESETS,
    FIELDS,
    PERSON_FIELDS,
    REQUIRED,
    Mapping,
    Preset,
    auto_mapping,
    header_key,
)
from guanxi.ingest.readers import Table
from guanxi.ingest.writers import (
    RowWriter,
    SecondaryIndexes,
    adapt_datetime,
    datetime_adapter,
    utc_text,
)

__all__ = [
    "ImportReport",
    "import_preset_save",
    "import_run",
    "preset_get",
    "resolve_mapping",
]

BATCH = 5000
# Orders imports of at least this many rows (and at least as many as the table
# holds) build the orders table's secondary indexes at the end (SQLite).
DEFER_INDEXES_FROM = 50_000
PERSON_VALUES = ("name", "phone", "email", "birthday", "gender", "city", "address")
ORDER_VALUES = ("ordered_at", "amount", "currency", "status", "store", "channel")


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_rows(self) -> int:
        return len({e.line for e in self.errors})

    def as_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object. A rejected import wrote nothing: counts are 0."""
        ok = self.ok
        return {
            "created": self.created if ok else 0,
            "updated": self.updated if ok else 0,
            "unchanged": self.unchanged if ok else 0,
            "rejected_rows": self.rejected_rows,
            "errors": [e.as_dict() for e in self.errors],
        }

    def as_record(self) -> dict[str, Any]:
        """Everything, for the web wizard's job record."""
        return {
            **self.as_dict(),
            "rows": self.rows,
            "dry_run": self.dry_run,
            "customers_created": self.customers_created if self.ok else 0,
            "customers_updated": self.customers_updated if self.ok else 0,
            "notices": [n.as_dict() for n in self.notices],
        }


# --------------------------------------------------------------------------- presets


def preset_get(*, name: str, kind: str) -> Preset:
    """A shipped preset, or one saved in the database."""
    from guanxi.ingest.models import ImportPreset

    builtin = BUILTIN_PRESETS.get((name, kind))
    if builtin is not None:
        return builtin
    saved = ImportPreset.objects.filter(name=name, kind=kind).first()
    if saved is None:
        raise ValidationFailed(
            _('no preset "%(name)s" for %(kind)s') % {"name": name, "kind": kind}
        )
    generic = BUILTIN_PRESETS[("generic", kind)]
    return Preset(
        name=saved.name,
        kind=saved.kind,
        label=saved.name,
        mapping=saved.mapping,
        source=saved.source,
        status_values=generic.status_values,
    )


def _check_mapping_shape(kind: str, mapping: Any) -> Mapping:
    if not isinstance(mapping, dict):
        raise ValidationFailed(_("the mapping must be a JSON object {field: header}"))
    for key, value in mapping.items():
        if key not in FIELDS[kind]:
            raise ValidationFailed(
                _('unknown field "%(field)s" (known: %(known)s)')
                % {"field": key, "known": ", ".join(FIELDS[kind])}
            )
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            raise ValidationFailed(
                _('the header for "%(field)s" must be a text or a list of texts')
                % {"field": key}
            )
    return mapping


@transaction.atomic
def import_preset_save(
    *, name: str, kind: str, mapping: Mapping, source: str = "import"
) -> Any:
    """Save (or replace) a named mapping. Shipped presets cannot be replaced."""
    from guanxi.ingest.models import ImportPreset

    name = name.strip()
    if not name:
        raise ValidationFailed(_("a preset needs a name"))
    if (name, kind) in BUILTIN_PRESETS:
        raise ValidationFailed(
            _('"%(name)s" is a shipped preset; choose another name') % {"name": name}
        )
    mapping = _check_mapping_shape(kind, mapping)
    preset, _created = ImportPreset.objects.update_or_create(
        name=name, kind=kind, defaults={"mapping": mapping, "source": source}
    )
    return preset


# --------------------------------------------------------------------------- columns


@dataclass
class Columns:
    """Where each field is in the file: ``field -> [(index, header), …]``."""

    where: dict[str, list[tuple[int, str]]]

    def has(self, name: str) -> bool:
        return name in self.where

    def cell(self, cells: list[Any], name: str) -> tuple[Any, str]:
        """The first non-empty cell for ``name`` and its header ("" if none)."""
        spots = self.where.get(name)
        if not spots:
            return None, ""
        for index, header in spots:
            if index < len(cells):
                value = cells[index]
                if value is not None and (not isinstance(value, str) or value.strip()):
                    return value, header
        return None, spots[0][1]

    def header(self, name: str) -> str:
        spots = self.where.get(name)
        return spots[0][1] if spots else name


def resolve_mapping(
    *,
    kind: str,
    headers: list[str],
    preset: Preset,
    mapping: Mapping | None = None,
    check: bool = True,
) -> Columns:
    """Explicit mapping, then the preset's, then known header names, in that order.

    Raises :class:`ImportRejected` (line 1) for a named header that is not in the
    file and for a missing required column.
    """
    explicit = _check_mapping_shape(kind, mapping or {})
    positions = {header_key(h): (i, h) for i, h in reversed(list(enumerate(headers)))}
    where: dict[str, list[tuple[int, str]]] = {}
    used: set[str] = set()
    errors: list[RowError] = []

    def place(name: str, wanted: str | list[str], *, strict: bool) -> None:
        spots = []
        for header in [wanted] if isinstance(wanted, str) else wanted:
            found = positions.get(header_key(header))
            if found is None:
                if strict and header:
                    errors.append(
                        RowError(
                            line=1,
                            column=header,
                            value="",
                            message=_("column not found in the file"),
                        )
                    )
                continue
            spots.append(found)
            used.add(header_key(found[1]))
        if spots:
            where[name] = spots

    for name, wanted in explicit.items():
        place(name, wanted, strict=True)
    for name, wanted in preset.mapping.items():
        if name not in explicit:
            place(name, wanted, strict=False)
    free = [h for h in headers if header_key(h) not in used]
    for name, header in auto_mapping(kind, free).items():
        if name not in where and name not in explicit and isinstance(header, str):
            place(name, header, strict=False)
    for name in REQUIRED[kind]:
        if name not in where:
            errors.append(_missing_column(kind, name))
    if not any(name in where for name in PERSON_FIELDS[kind]):
        errors.append(
            RowError(
                line=1,
                column="",
                value="",
                message=_(
                    "the file has no customer column (phone, email, name or customer id)"
                ),
            )
        )
    if errors and check:
        raise ImportRejected(errors)
    return Columns(where=where)


def _missing_column(kind: str, name: str) -> RowError:
    names = FIELDS[kind][name][:3]
    return RowError(
        line=1,
        column=name,
        value="",
        message=_("no column for %(field)s (expected a header like %(names)s)")
        % {"field": name, "names": ", ".join(names)},
    )


# --------------------------------------------------------------------------- people


class _Person:
    """A customer as this import sees it: recorded values plus what rows filled in."""

    __slots__ = ("existed", "first_seen", "pk", "tags", "tags_new", "touched", "values")

    def __init__(self, *, pk: int | None, values: dict[str, Any], existed: bool):
        self.pk = pk
        self.values = values
        self.existed = existed
        self.touched = False
        self.tags: set[str] = set()
        self.tags_new: set[str] = set()
        self.first_seen: dt.datetime | str | None = None


_Key = tuple[str, ...]


class _People:
    """Finds the one customer a row belongs to, across the file and the database."""

    def __init__(self, *, source: str, report: ImportReport, with_tags: bool):
        self.source = source
        self.report = report
        self.with_tags = with_tags
        self.by_key: dict[_Key, _Person] = {}
        self.by_pk: dict[int, _Person] = {}
        self.missing: set[_Key] = set()
        self.new: list[_Person] = []
        self.dirty: dict[int, _Person] = {}
        self.identities: list[tuple[_Person, str]] = []
        self.changed_ids: set[int] = set()
        self.touched_ids: set[int] = set()
        self.writer: RowWriter | None = None
        self._phone_keys: dict[str, str | None] = {}
        self._email_keys: dict[str, str | None] = {}
        self.empty_at_start: bool | None = None

    def keys(self, values: dict[str, Any], identity: str) -> list[tuple[str, _Key]]:
        found: list[tuple[str, _Key]] = []
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
        self, phones: dict[str, str | None], emails: dict[str, str | None]
    ) -> None:
        """Blind indexes computed elsewhere (the same function, the same keys)."""
        self._phone_keys.update(phones)
        self._email_keys.update(emails)

    def may_know_more(self) -> bool:
        """Whether the database may hold customers this import has not seen."""
        if self.empty_at_start is None:
            self.prefetch([])
        return not self.empty_at_start

    def prefetch(self, keys: list[_Key]) -> None:
        """Load, in a few queries, the recorded customers these keys point at."""
        if self.empty_at_start is None:
            # On SQLite the import holds the write lock from its first statement
            # (BEGIN IMMEDIATE): with no customer then, every customer there is
            # was created by this import and is known here.
            self.empty_at_start = (
                connection.vendor == "sqlite" and not Customer.objects.exists()
            )
        if self.empty_at_start:
            return
        wanted = {k for k in keys if k not in self.by_key and k not in self.missing}
        if not wanted:
            return
        ids: dict[_Key, int] = {}
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
                "pk", "phone_index", "email_index", *PERSON_VALUES
            )
            for customer in customers:
                values = {name: getattr(customer, name) for name in PERSON_VALUES}
                person = _Person(pk=customer.pk, values=values, existed=True)
                self.by_pk[customer.pk] = person
                if customer.phone_index:
                    self.by_key.setdefault(("p", customer.phone_index), person)
                if customer.email_index:
                    self.by_key.setdefault(("e", customer.email_index), person)
            if self.with_tags:
                through = Customer.tags.through
                rows = through.objects.filter(customer_id__in=chunk).values_list(
                    "customer_id", "tag__name"
                )
                for pk, tag in rows:
                    self.by_pk[pk].tags.add(tag)

    def resolve(
        self,
        *,
        line: int,
        values: dict[str, Any],
        raw: _Raw,
        identity: str,
        tags: frozenset[str] = frozenset(),
        may_create: bool,
        seen_at: dt.datetime | str | None = None,
    ) -> _Person | None:
        """The customer for this row (created if new and allowed), or None + an error."""
        keys = self.keys(values, identity)
        person: _Person | None = None
        first_field = ""
        for name, key in keys:
            other = self.by_key.get(key)
            if other is None:
                continue
            if person is None:
                person, first_field = other, name
            elif other is not person:
                header, value = raw.get(name, (name, ""))
                self.report.errors.append(
                    RowError(
                        line=line,
                        column=header,
                        value=value,
                        message=_(
                            "belongs to another customer than the %(other)s of this row"
                        )
                        % {"other": _field_word(first_field)},
                    )
                )
                return None
        if person is None:
            if not may_create:
                return None
            person = _Person(pk=None, values=dict(values), existed=False)
            person.first_seen = seen_at
            person.touched = True
            self.new.append(person)
        else:
            self._merge(person, line=line, values=values, raw=raw)
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
        return person

    def _merge(
        self,
        person: _Person,
        *,
        line: int,
        values: dict[str, Any],
        raw: _Raw,
    ) -> None:
        for name, value in values.items():
            if value is None or value == "":
                continue
            current = person.values.get(name)
            if current is None or current == "":
                person.values[name] = value
                self._changed(person)
            elif current != value:
                self.report.notices.append(_kept_notice(line, name, raw))

    def _changed(self, person: _Person) -> None:
        if person.existed:
            self.changed_ids.add(id(person))
            if person.pk is not None:
                self.dirty[person.pk] = person
        elif person.pk is not None:
            # Created in an earlier batch of this import and filled in since.
            self.dirty[person.pk] = person

    def flush(self, now: dt.datetime) -> None:
        """Write new customers (one INSERT run), filled-in ones, identities, tags."""
        if self.new:
            self._insert_new(now)
        for pk, person in self.dirty.items():
            contact = _contact(person.values)
            fields = {name: person.values.get(name) for name in PERSON_VALUES}
            fields.update(
                phone_index=contact.phone_index,
                email_index=contact.email_index,
                name_tokens=contact.name_tokens,
                birth_year=contact.birth_year,
            )
            Customer.objects.filter(pk=pk).update(updated_at=now, **fields)
        if self.identities:
            created = adapt_datetime(now)
            RowWriter(
                CustomerIdentity, ("customer", "source", "external_id", "created_at")
            ).insert((_pk(p), self.source, e, created) for p, e in self.identities)
        tagged = [p for p in (*self.new, *self.dirty.values()) if p.tags_new]
        if tagged:
            names = sorted({t for p in tagged for t in p.tags_new})
            by_name = {t.name: t.pk for t in tags_ensure(names=names)}
            through = Customer.tags.through
            through.objects.bulk_create(
                [
                    through(customer_id=p.pk, tag_id=by_name[t])
                    for p in tagged
                    for t in sorted(p.tags_new)
                ],
                ignore_conflicts=True,
            )
            for p in tagged:
                p.tags_new = set()
        self.new = []
        self.dirty = {}
        self.identities = []

    def _insert_new(self, now: dt.datetime) -> None:
        writer = self.writer
        if writer is None:
            writer = self.writer = RowWriter(Customer, _CUSTOMER_COLUMNS)
        new = self.new
        values = [person.values for person in new]
        names = [v.get("name") or None for v in values]
        phones = [v.get("phone") or None for v in values]
        emails = [v.get("email") or None for v in values]
        birthdays = [v.get("birthday") for v in values]
        sealed = zip(
            _seal_column("name", names),
            _seal_column("phone", phones),
            _seal_column("email", emails),
            _seal_column("address", [v.get("address") or None for v in values]),
            _seal_column("birthday", birthdays),
            strict=True,
        )
        phone_keys, email_keys = self._phone_keys, self._email_keys
        stamp = adapt_datetime(now)
        adapt = datetime_adapter()
        pks = writer.reserve(len(new))
        rows = []
        for pk, person, name, phone, email, birthday, secret in zip(
            pks, new, names, phones, emails, birthdays, sealed, strict=True
        ):
            # The search keys customer_apply_contact computes, from the
            # blind indexes this import already worked out for the lookups.
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
                    pk,
                    sealed_name,
                    _name_tokens(name),
                    sealed_phone,
                    phone_index,
                    sealed_email,
                    email_index,
                    sealed_address,
                    sealed_birthday,
                    birthday.year if isinstance(birthday, dt.date) else None,
                    person.values.get("gender") or "",
                    person.values.get("city") or "",
                    adapt(person.first_seen or now),
                    stamp,
                    stamp,
                )
            )
            person.pk = pk
            self.by_pk[pk] = person
        writer.insert(rows, with_pk=True)

    def count(self) -> tuple[int, int, int]:
        created = sum(1 for p in self.by_pk.values() if not p.existed) + len(self.new)
        updated = len(self.changed_ids)
        unchanged = len(self.touched_ids - self.changed_ids)
        return created, updated, unchanged


_CUSTOMER_COLUMNS = (
    "name",
    "name_tokens",
    "phone",
    "phone_index",
    "email",
    "email_index",
    "address",
    "birthday",
    "birth_year",
    "gender",
    "city",
    "first_seen_at",
    "created_at",
    "updated_at",
)


class _Contact:
    """What ``customer_apply_contact`` reads and writes, without a model instance
    (building a million Customer objects costs more than the import itself)."""

    __slots__ = (
        "birth_year",
        "birthday",
        "email",
        "email_index",
        "name",
        "name_tokens",
        "phone",
        "phone_index",
    )
    name: str | None
    phone: str | None
    email: str | None
    birthday: dt.date | None
    phone_index: str | None
    email_index: str | None
    name_tokens: str
    birth_year: int | None

    def __init__(self, values: dict[str, Any]) -> None:
        self.name = values.get("name") or None
        self.phone = values.get("phone") or None
        self.email = values.get("email") or None
        self.birthday = values.get("birthday")


_NAME_TOKENS: dict[str, str] = {}


def _contact(values: dict[str, Any]) -> _Contact:
    """Search keys through ``customer_apply_contact``; the hashed name tokens of a
    name seen before in this process are reused (names repeat: 张伟, 王芳 …)."""
    contact = _Contact(values)
    name = contact.name
    contact.name = None
    customer_apply_contact(cast(Customer, contact))
    contact.name = name
    contact.name_tokens = _name_tokens(name)
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


def _seal_column(name: str, values: list[Any]) -> list[str | None]:
    """What the encrypted field ``Customer.<name>`` stores for each value."""
    field = cast(EncryptedTextField, Customer._meta.get_field(name))
    to_plain = field.to_plain
    return encrypt_many([to_plain(v) for v in values], context=field.crypto_context)


def _pk(person: _Person) -> int:
    if person.pk is None:  # flush() writes customers before anything refers to them
        raise RuntimeError("customer written out of order")
    return person.pk


def _kept_notice(line: int, name: str, raw: _Raw) -> RowError:
    """A notice that a row's value differs from the recorded one, which was kept."""
    header, text = raw.get(name, (name, ""))
    return RowError(
        line=line,
        column=header,
        value=text,
        message=_(
            "differs from the value already recorded; the recorded value was kept"
        ),
    )


def _field_word(name: str) -> str:
    return {
        "phone": _("phone number"),
        "email": _("email address"),
        "customer_id": _("customer id"),
    }.get(name, name)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- rows


class _Raw:
    """Header and text of a row's cells, worked out only when a message needs them."""

    __slots__ = ("cells", "identity", "prefix", "where")

    def __init__(
        self,
        cells: list[Any],
        where: dict[str, list[tuple[int, str]]],
        prefix: str = "",
        identity: str = "customer_id",
    ) -> None:
        self.cells = cells
        self.where = where
        self.prefix = prefix
        self.identity = identity

    def _field(self, name: str) -> str:
        if name == "customer_id":
            return self.identity
        return self.prefix + name

    def get(self, name: str, default: Any = None) -> Any:
        spots = self.where.get(self._field(name))
        if not spots:
            return default
        cells = self.cells
        for index, header in spots:
            if index < len(cells):
                text = cell_text(cells[index])
                if text:
                    return header, text
        return default

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __getitem__(self, name: str) -> tuple[str, str]:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found  # type: ignore[no-any-return]

    def view(self, prefix: str, identity: str = "customer_id") -> _Raw:
        return _Raw(self.cells, self.where, prefix, identity)


_Plan = list[tuple[str, Callable[[Any], Any], list[tuple[int, str]]]]


class _RowReader:
    """Parses the mapped cells of one row; problems go to the report."""

    def __init__(self, *, columns: Columns, parser: CellParser, report: ImportReport):
        self.columns = columns
        self.report = report
        self.parsers = {name: parser.for_field(name) for name in columns.where}
        self.identifier = parser.identifier

    def plan(self, names: tuple[str, ...]) -> _Plan:
        """The mapped fields among ``names``, with their parser and cells."""
        return [
            (name, self.parsers[name], self.columns.where[name])
            for name in names
            if name in self.parsers
        ]

    def read(
        self, line: int, cells: list[Any], plan: _Plan
    ) -> tuple[dict[str, Any], _Raw, bool]:
        """``(values, raw, ok)``: clean values of the non-empty mapped cells."""
        values: dict[str, Any] = {}
        ok = True
        size = len(cells)
        for name, parse, spots in plan:
            cell: Any = None
            header = ""
            for index, spot_header in spots:
                if index < size:
                    cell = cells[index]
                    if cell is not None and (cell.__class__ is not str or cell.strip()):
                        header = spot_header
                        break
                    cell = None
            if cell is None:
                continue
            try:
                values[name] = parse(cell)
            except ValidationFailed as exc:
                ok = False
                self.report.errors.append(
                    RowError(
                        line=line,
                        column=header,
                        value=cell_text(cell),
                        message=exc.message,
                    )
                )
        return values, _Raw(cells, self.columns.where), ok

    def read_columns(
        self,
        lines: list[int],
        cells: list[list[Any]],
        plan: _Plan,
        special: dict[str, _ColumnParser] | None = None,
    ) -> _Batch:
        """The mapped fields of a batch of rows, one column at a time.

        The same values and the same messages as :meth:`read` row by row, but
        each distinct cell of a column is parsed once per batch (statuses,
        stores, currencies and repeat customers' contact data repeat) and the
        loops run per column. Parse errors are reported in row order, fields
        in plan order within a row, as :meth:`read` reports them.
        """
        size = len(cells)
        width = min(map(len, cells)) if cells else 0
        batch = _Batch(lines=lines, cells=cells, where=self.columns.where)
        found: list[tuple[int, int, RowError]] = []
        for position, (name, parse, spots) in enumerate(plan):
            headers: list[str] | None = None
            if len(spots) == 1 and spots[0][0] < width:
                index = spots[0][0]
                column = [row[index] for row in cells]
            else:
                column, headers = _merged_column(cells, spots)
            if special and name in special:
                values, failed = special[name](parse, column)
            elif parse == self.identifier:
                values, failed = _identifier_column(parse, column)
            else:
                values, failed = _cached_column(parse, column)
            if failed:
                bad: set[int] = set()
                for i, value in enumerate(values):
                    if value.__class__ is _Failure:
                        header = headers[i] if headers is not None else spots[0][1]
                        found.append(
                            (
                                i,
                                position,
                                RowError(
                                    line=lines[i],
                                    column=header,
                                    value=cell_text(column[i]),
                                    message=value.message,
                                ),
                            )
                        )
                        values[i] = None
                        bad.add(i)
                batch.failed[name] = bad
                batch.bad |= bad
            batch.values[name] = values
        if found:
            found.sort(key=lambda entry: (entry[0], entry[1]))
            batch.errors = [error for _i, _p, error in found]
        batch.nothing = [None] * size
        return batch

    def require(
        self,
        line: int,
        values: dict[str, Any],
        raw: _Raw,
        names: tuple[str, ...],
    ) -> bool:
        """Report required fields left blank (a value that failed to parse is
        already reported)."""
        ok = True
        for name in names:
            if name in values:
                continue
            ok = False
            if name not in raw:
                self.report.errors.append(
                    RowError(
                        line=line,
                        column=self.columns.header(name),
                        value="",
                        message=_("a value is required"),
                    )
                )
        return ok


class _Failure:
    """A cell that did not parse: the reason, reported once per row."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_MISS = object()


def _parse_cell(parse: Callable[[Any], Any], cell: Any) -> Any:
    """A clean value, None for an empty cell, or a :class:`_Failure`."""
    if cell is None or (cell.__class__ is str and not cell.strip()):
        return None
    try:
        return parse(cell)
    except ValidationFailed as exc:
        return _Failure(exc.message)


_ColumnParser = Callable[[Callable[[Any], Any], list[Any]], tuple[list[Any], bool]]


class _UtcMoments:
    """A column of moments as UTC text (what SQLite stores), without building a
    datetime per cell: for the common shape ``YYYY-MM-DD HH:MM:SS`` the UTC hour
    is worked out once per local hour (when the hour has one whole-hour UTC
    offset throughout: then minutes and seconds carry over unchanged). Anything
    else goes through ``parse`` and :func:`utc_text`, so values and messages
    are those of the cell parser."""

    _TAILS = frozenset(f":{m:02d}:{s:02d}" for m in range(60) for s in range(60))

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self.hours: dict[str, Any] = {}  # local hour -> UTC hour, or None

    def _utc_hour(self, local: str) -> str | None:
        try:
            start = dt.datetime.fromisoformat(local + ":00:00").replace(tzinfo=self.tz)
        except ValueError:
            return None
        offset = start.utcoffset()
        end_offset = start.replace(minute=59, second=59).utcoffset()
        if offset is None or offset != end_offset or offset % dt.timedelta(hours=1):
            return None
        return utc_text(start)[:13]

    def __call__(
        self, parse: Callable[[Any], Any], column: list[Any]
    ) -> tuple[list[Any], bool]:
        hours, tails = self.hours, self._TAILS
        values: list[Any] = []
        append = values.append
        failed = False
        for cell in column:
            if cell.__class__ is str:
                text = cell.strip()
                if len(text) == 19 and text[10] in " T" and text[13:] in tails:
                    local = text[:10] + " " + text[11:13]
                    utc = hours.get(local, _MISS)
                    if utc is _MISS:
                        utc = hours[local] = self._utc_hour(local)
                    if utc is not None and text[4] == "-" and text[7] == "-":
                        append(utc + text[13:])
                        continue
            value = _parse_cell(parse, cell)
            if value.__class__ is _Failure:
                failed = True
            elif value is not None:
                value = utc_text(value)
            append(value)
        return values, failed


def _cached_column(
    parse: Callable[[Any], Any], column: list[Any]
) -> tuple[list[Any], bool]:
    """Each distinct cell parsed once; ``(values, any failed)``."""
    cache: dict[Any, Any] = {}
    get = cache.get
    values: list[Any] = []
    append = values.append
    failed = False
    for cell in column:
        value = get(cell, _MISS)
        if value is _MISS:
            value = cache[cell] = _parse_cell(parse, cell)
            if value.__class__ is _Failure:
                failed = True
        append(value)
    return values, failed


def _identifier_column(
    parse: Callable[[Any], Any], column: list[Any]
) -> tuple[list[Any], bool]:
    """Order and customer ids (all different): text up to 128 characters kept
    as it is; anything else goes through ``parse``."""
    values: list[Any] = []
    append = values.append
    failed = False
    for cell in column:
        if cell.__class__ is str:
            text = cell.strip()
            if 0 < len(text) <= 128:
                append(text)
                continue
        value = _parse_cell(parse, cell)
        if value.__class__ is _Failure:
            failed = True
        append(value)
    return values, failed


def _merged_column(
    cells: list[list[Any]], spots: list[tuple[int, str]]
) -> tuple[list[Any], list[str]]:
    """The first non-empty cell of a row among a field's columns, and its header
    (rows may be shorter than the header row)."""
    column: list[Any] = []
    headers: list[str] = []
    for row in cells:
        size = len(row)
        chosen: Any = None
        chosen_header = ""
        for index, header in spots:
            if index < size:
                cell = row[index]
                if cell is not None and (cell.__class__ is not str or cell.strip()):
                    chosen, chosen_header = cell, header
                    break
        column.append(chosen)
        headers.append(chosen_header)
    return column, headers


class _LazyRow:
    """A row's cells, unpacked from the batch when first read."""

    __slots__ = ("batch", "i")

    def __init__(self, batch: _Batch, i: int) -> None:
        self.batch = batch
        self.i = i

    def __len__(self) -> int:
        return len(self.batch.row_cells(self.i))

    def __getitem__(self, index: int) -> Any:
        return self.batch.row_cells(self.i)[index]


class _Batch:
    """Parsed columns of a batch: ``values[name][i]`` is row i's clean value or
    None (empty, or reported as invalid: then ``i`` is in ``failed[name]``)."""

    __slots__ = (
        "bad",
        "cells",
        "email_keys",
        "errors",
        "failed",
        "lines",
        "nothing",
        "phone_keys",
        "values",
        "where",
    )

    def __init__(
        self,
        *,
        lines: list[int],
        cells: list[list[Any]],
        where: dict[str, list[tuple[int, str]]],
    ) -> None:
        self.lines = lines
        # The rows' cells; pickled bytes once sent from the helper process.
        self.cells: list[list[Any]] | bytes = cells
        self.where = where
        self.values: dict[str, list[Any]] = {}
        self.failed: dict[str, set[int]] = {}
        self.bad: set[int] = set()
        self.nothing: list[Any] = []
        # Parse errors, in the order a row-by-row reading reports them.
        self.errors: list[RowError] = []
        # Blind indexes worked out beside the parsing (see _forked_batches).
        self.phone_keys: dict[str, str | None] = {}
        self.email_keys: dict[str, str | None] = {}

    def column(self, name: str) -> list[Any]:
        return self.values.get(name, self.nothing)

    def blank(self, name: str, i: int) -> bool:
        """Row i left the field empty (rather than giving a value that failed)."""
        return self.column(name)[i] is None and i not in self.failed.get(name, ())

    def raw(self, i: int) -> _Raw:
        """Row i's cells for messages (unpacked only when a message reads them)."""
        if self.cells.__class__ is bytes:
            return _Raw(cast(list[Any], _LazyRow(self, i)), self.where)
        return _Raw(cast(list[list[Any]], self.cells)[i], self.where)

    def row_cells(self, i: int) -> list[Any]:
        if self.cells.__class__ is bytes:
            # our own child process's data
            self.cells = pickle.loads(self.cells)
        return cast(list[list[Any]], self.cells)[i]

    def for_parent(self) -> _Batch:
        """Ready to cross to the parent process: the raw cells (needed only for
        messages, and many more objects than the parsed values) are sent as
        one pickled blob, unpacked only if a message needs them; the column of
        Nones is rebuilt there."""
        self.cells = pickle.dumps(self.cells, protocol=pickle.HIGHEST_PROTOCOL)
        self.nothing = []
        return self

    def __setstate__(self, state: Any) -> None:
        _none, slots = state
        for name, value in slots.items():
            setattr(self, name, value)
        if not self.nothing:
            self.nothing = [None] * len(self.lines)

    def row_values(self, i: int, names: tuple[str, ...]) -> dict[str, Any]:
        values = {}
        for name in names:
            value = self.column(name)[i]
            if value is not None:
                values[name] = value
        return values


def _person_part(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        name: values[prefix + name] for name in PERSON_VALUES if prefix + name in values
    }


# --------------------------------------------------------------------------- kinds


class _Importer:
    kind: str = ""

    def __init__(
        self,
        *,
        columns: Columns,
        parser: CellParser,
        report: ImportReport,
        source: str,
        write: bool,
        expected_rows: int | None = None,
    ):
        self.expected_rows = expected_rows or 0
        self.columns = columns
        self.report = report
        self.source = source
        self.write = write
        self.rows = _RowReader(columns=columns, parser=parser, report=report)
        self.people = _People(
            source=source, report=report, with_tags=columns.has("tags")
        )
        self.now = timezone.now()

    @property
    def writing(self) -> bool:
        return self.write and self.report.ok

    def batch(self, rows: list[tuple[int, list[Any]]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError


class _CustomerImporter(_Importer):
    kind = ImportKind.CUSTOMERS
    names = ("external_id", *PERSON_VALUES, "tags")

    def batch(self, rows: list[tuple[int, list[Any]]]) -> None:
        plan = self.rows.plan(self.names)
        parsed = []
        for line, cells in rows:
            values, raw, ok = self.rows.read(line, cells, plan)
            if not ok:
                continue
            identity = values.get("external_id", "")
            person = _person_part(values, "")
            if not (identity or person.get("phone") or person.get("email")):
                self.report.errors.append(
                    RowError(
                        line=line,
                        column="",
                        value="",
                        message=_(
                            "a customer needs a phone number, an email address "
                            "or a customer id"
                        ),
                    )
                )
                continue
            parsed.append((line, person, raw.view("", "external_id"), identity, values))
        self.people.prefetch(
            [k for _l, p, _r, i, _v in parsed for _n, k in self.people.keys(p, i)]
        )
        for line, person, raw, identity, values in parsed:
            self.people.resolve(
                line=line,
                values=person,
                raw=raw,
                identity=identity,
                tags=values.get("tags", frozenset()),
                may_create=True,
            )
        if self.writing:
            self.people.flush(self.now)

    def finish(self) -> None:
        created, updated, unchanged = self.people.count()
        self.report.created, self.report.updated = created, updated
        self.report.unchanged = unchanged
        self.report.customers_created = created
        self.report.customers_updated = updated


class _LinkedImporter(_Importer):
    """Orders and interactions: each row names its customer, who may be created."""

    def person_for(
        self,
        line: int,
        person: dict[str, Any],
        identity: str,
        raw: _Raw,
        seen_at: dt.datetime | str | None,
    ) -> _Person | None:
        """The row's customer (``person``: its customer fields without the
        ``customer_`` prefix), created when the row allows; else an error."""
        creatable = bool(
            person.get("name") or person.get("phone") or person.get("email")
        )
        errors_before = len(self.report.errors)
        found = self.people.resolve(
            line=line,
            values=person,
            raw=raw.view("customer_"),
            identity=identity,
            may_create=creatable,
            seen_at=seen_at,
        )
        if found is None and len(self.report.errors) == errors_before:
            if identity:
                header, text = raw["customer_id"]
                message = _(
                    "unknown customer, and the row has no name, phone or email "
                    "to create one"
                )
            else:
                header, text = "", ""
                message = _(
                    "the row has no customer (phone, email, name or customer id)"
                )
            self.report.errors.append(
                RowError(line=line, column=header, value=text, message=message)
            )
        return found

    def person_keys(self, values: dict[str, Any]) -> list[_Key]:
        return [
            k
            for _n, k in self.people.keys(
                _person_part(values, "customer_"), values.get("customer_id", "")
            )
        ]


_PERSON_COLUMNS = (*(f"customer_{n}" for n in PERSON_VALUES), "customer_id")
_ORDER_COLUMNS = (
    "source",
    "external_id",
    "customer",
    "ordered_at",
    "amount",
    "currency",
    "status",
    "store",
    "channel",
    "created_at",
)


class _OrderImporter(_LinkedImporter):
    kind = ImportKind.ORDERS
    order_names = ("order_id", *ORDER_VALUES)
    line_names = ("sku", "product_name", "category", "quantity", "unit_price")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # order id -> its first line; negative when the order is not new in
        # this import (recorded before, or its first row was invalid).
        self.seen: dict[str, int] = {}
        # Full values of the orders of this batch and the one before: rows of
        # one order are adjacent in real exports, and a million orders' values
        # would not fit the memory budget.
        self.recent: dict[str, tuple[Any, ...]] = {}
        self.previous: dict[str, tuple[Any, ...]] = {}
        self.pending: list[tuple[str, _Person, tuple[Any, ...]]] = []
        # Customer values (a row's _PERSON_COLUMNS) already resolved cleanly,
        # and those of this batch not yet resolved (as field -> value).
        self.known: dict[tuple[Any, ...], _Person] = {}
        self.fresh: dict[tuple[Any, ...], dict[str, Any]] = {}
        # In the helper process: the blind indexes already sent to the parent.
        self.keys_sent: set[tuple[str, str]] = set()
        self.source_had_orders: bool | None = None
        self.pks: dict[str, int] = {}
        self.lines: list[tuple[str, str, str, str, int, Any]] = []
        self.has_lines = columns_have_lines(self.columns)
        self.status_updates: list[tuple[int, str]] = []
        self.plan = self.rows.plan(self.order_names + _PERSON_COLUMNS + self.line_names)
        self.writer = RowWriter(Order, _ORDER_COLUMNS)
        self.indexes: list[SecondaryIndexes] | None = None
        # ordered_at is kept as UTC text (compared as text, written as is).
        self.moments = _UtcMoments(timezone.get_current_timezone())

    def batch(self, rows: list[tuple[int, list[Any]]]) -> None:
        self.apply(self.read(rows))

    def read(self, rows: list[tuple[int, list[Any]]], *, keys: bool = False) -> _Batch:
        """The parsed columns of a batch (no database needed: this part may run
        in another process), with the blind indexes of its phones and emails
        when ``keys``."""
        columns = self.rows.read_columns(
            [line for line, _cells in rows],
            [cells for _l, cells in rows],
            self.plan,
            special={"ordered_at": self.moments},
        )
        if keys:
            sent = self.keys_sent
            for name, found, key in (
                ("customer_phone", columns.phone_keys, phone_key),
                ("customer_email", columns.email_keys, email_key),
            ):
                for value in set(columns.column(name)):
                    if value and (name, value) not in sent:
                        found[value] = key(value)
                        sent.add((name, value))
        return columns

    def apply(self, columns: _Batch) -> None:
        """Resolve, check and write a parsed batch."""
        self.previous, self.recent = self.recent, {}
        report = self.report
        errors_at, notices_at = len(report.errors), len(report.notices)
        report.errors.extend(columns.errors)
        lines = columns.lines
        self.people.learn_keys(columns.phone_keys, columns.email_keys)
        order_ids = columns.column("order_id")
        parts = list(zip(*(columns.column(n) for n in ORDER_VALUES), strict=True))
        people = list(zip(*(columns.column(n) for n in _PERSON_COLUMNS), strict=True))
        known = self.known
        fresh = self.fresh = {
            who: _person_values(who) for who in set(people) if who not in known
        }
        if self.people.may_know_more():
            self.people.prefetch(
                [
                    key
                    for who, values in fresh.items()
                    for _n, key in self.people.keys(values, who[-1] or "")
                ]
            )
        existing = self._existing([i for i in order_ids if i])
        seen, recent, pending = self.seen, self.recent, self.pending
        bad, has_lines = columns.bad, self.has_lines
        created = 0
        for i, order_id in enumerate(order_ids):
            if order_id:
                part = parts[i]
                if (
                    order_id in seen
                    or order_id in existing
                    or part[0] is None
                    or part[1] is None
                    or i in bad
                ):
                    self._row(columns, i, order_id, part, people[i], existing)
                    continue
                # What _row does for the usual row: a new order, valid, first
                # seen here.
                recent[order_id] = part
                who = people[i]
                person = known.get(who)
                if person is None:
                    person = self._person(columns, i, who, part[0])
                    if person is None:
                        seen[order_id] = -lines[i]
                        continue
                pending.append((order_id, person, part))
                seen[order_id] = lines[i]
                created += 1
                if has_lines:
                    self._line(lines[i], order_id, columns, i, part)
            elif columns.blank("order_id", i):
                report.errors.append(
                    RowError(
                        line=lines[i],
                        column=self.columns.header("order_id"),
                        value="",
                        message=_("a value is required"),
                    )
                )
        report.created += created
        _in_line_order(report.errors, errors_at)
        _in_line_order(report.notices, notices_at)
        if self.writing:
            self._flush()

    def _existing(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if self.source_had_orders is None:
            # On SQLite the import holds the write lock from its first statement
            # (BEGIN IMMEDIATE): orders of this source that did not exist then
            # can only come from this import, which tracks them itself.
            self.source_had_orders = (
                connection.vendor != "sqlite"
                or Order.objects.filter(source=self.source).exists()
            )
        if not self.source_had_orders:
            return {}
        wanted = sorted({i for i in ids if i not in self.seen})
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(wanted, 500):
            rows = Order.objects.filter(
                source=self.source, external_id__in=chunk
            ).values("pk", "external_id", "customer_id", *ORDER_VALUES)
            for row in rows:
                found[row["external_id"]] = row
        return found

    def _row(
        self,
        columns: _Batch,
        i: int,
        order_id: str,
        part: tuple[Any, ...],
        who: tuple[Any, ...],
        existing: dict[str, dict[str, Any]],
    ) -> None:
        line = columns.lines[i]
        first_line = self.seen.get(order_id)
        if first_line is not None:
            if any(v is not None for v in part) and not self._agrees(
                order_id, part, line, columns.raw(i)
            ):
                return
            if first_line > 0 and self.has_lines and i not in columns.bad:
                self._line(line, order_id, columns, i, part)
            return
        self.recent[order_id] = part
        missing = False
        for name, value in (("ordered_at", part[0]), ("amount", part[1])):
            if value is None:
                missing = True
                if columns.blank(name, i):
                    self.report.errors.append(
                        RowError(
                            line=line,
                            column=self.columns.header(name),
                            value="",
                            message=_("a value is required"),
                        )
                    )
        if missing or i in columns.bad:
            self.seen[order_id] = -line
            return
        person = self._person(columns, i, who, part[0])
        if person is None:
            self.seen[order_id] = -line
            return
        recorded = existing.get(order_id)
        if recorded is not None:
            self.seen[order_id] = -line
            self._compare(line, columns.raw(i), recorded, _order_values(part), person)
            return
        self.pending.append((order_id, person, part))
        self.seen[order_id] = line
        self.report.created += 1
        if self.has_lines:
            self._line(line, order_id, columns, i, part)

    def _person(
        self,
        columns: _Batch,
        i: int,
        who: tuple[Any, ...],
        seen_at: dt.datetime | str | None,
    ) -> _Person | None:
        """The row's customer. Rows with the same customer values resolve the
        same way once the first of them did without a notice or an error (its
        values are recorded by then and nothing overwrites them), so each
        distinct set of values is resolved once."""
        person = self.known.get(who)
        if person is not None:
            return person
        report = self.report
        errors, notices = len(report.errors), len(report.notices)
        values = self.fresh.get(who)
        found = self.person_for(
            columns.lines[i],
            _person_values(who) if values is None else values,
            who[-1] or "",
            columns.raw(i),
            seen_at,
        )
        if (
            found is not None
            and len(report.errors) == errors
            and len(report.notices) == notices
        ):
            self.known[who] = found
        return found

    def _agrees(
        self, order_id: str, given: tuple[Any, ...], line: int, raw: _Raw
    ) -> bool:
        """A later row of an order repeats the first row's values or leaves them blank."""
        first_line = abs(self.seen[order_id])
        first = self.recent.get(order_id)
        if first is None:
            first = self.previous.get(order_id)
        if first is None:
            message = _(
                "this order already appeared on line %(line)d; "
                "the rows of one order must be next to each other"
            ) % {"line": first_line}
        elif all(g is None or f == g for f, g in zip(first, given, strict=True)):
            return True
        else:
            message = _("this order appears on line %(line)d with different values") % {
                "line": first_line
            }
        self.report.errors.append(
            RowError(
                line=line,
                column=raw["order_id"][0],
                value=order_id,
                message=message,
            )
        )
        return False

    def _compare(
        self,
        line: int,
        raw: _Raw,
        recorded: dict[str, Any],
        order_part: dict[str, Any],
        person: _Person,
    ) -> None:
        changed = False
        status = order_part.get("status")
        if status and status != recorded["status"]:
            changed = True
            self.status_updates.append((recorded["pk"], status))
        for name in ("ordered_at", "amount", "currency", "store", "channel"):
            value = order_part.get(name)
            if value in (None, ""):
                continue
            known = recorded[name]
            if name == "ordered_at":
                known = utc_text(known)
            if value != known:
                self.report.notices.append(_kept_notice(line, name, raw))
        if person.pk is not None and person.pk != recorded["customer_id"]:
            header, text = raw.get("customer_phone", raw.get("customer_id", ("", "")))
            self.report.notices.append(
                RowError(
                    line=line,
                    column=header,
                    value=text,
                    message=_(
                        "this order is recorded for another customer; it was kept there"
                    ),
                )
            )
        if changed:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def _line(
        self,
        line: int,
        order_id: str,
        columns: _Batch,
        i: int,
        part: tuple[Any, ...],
    ) -> None:
        values = columns.row_values(i, self.line_names)
        raw = columns.raw(i)
        sku = values.get("sku") or ""
        name = values.get("product_name") or ""
        if not (sku or name):
            return
        quantity = values.get("quantity", 1)
        price = values.get("unit_price")
        if price is None:
            amount = part[1]
            if amount is None:
                self.rows.require(line, values, raw, ("unit_price",))
                return
            price = (amount / quantity).quantize(amount)
        self.lines.append(
            (
                order_id,
                sku or ("name:" + name)[:64],
                name or sku,
                values.get("category", ""),
                quantity,
                price,
            )
        )

    def _defer_indexes(self) -> None:
        """For an import at least as large as the orders table (and large),
        build the table's secondary indexes once at the end (SQLite); the same
        for the customers table when it was empty (no lookups need them then)."""
        self.indexes = [SecondaryIndexes(Order), SecondaryIndexes(Customer)]
        if connection.vendor != "sqlite" or self.expected_rows < DEFER_INDEXES_FROM:
            return
        recorded = Order.objects.aggregate(highest=Max("pk"))["highest"] or 0
        if self.expected_rows >= recorded:
            self.indexes[0].drop()
        if self.people.empty_at_start:
            self.indexes[1].drop()

    def _flush(self) -> None:
        if self.indexes is None and self.pending:
            self._defer_indexes()
        self.people.flush(self.now)
        if self.pending:
            adapt = datetime_adapter()
            created = adapt(self.now)
            pks = self.writer.reserve(len(self.pending)) if self.has_lines else []
            rows = []
            source = self.source
            paid = OrderStatus.PAID
            for order_id, person, part in self.pending:
                ordered_at, amount, currency, status, store, channel = part
                rows.append(
                    (
                        source,
                        order_id,
                        _pk(person),
                        adapt(ordered_at),
                        amount,
                        currency or "CNY",
                        status or paid,
                        store or "",
                        channel or "",
                        created,
                    )
                )
            if pks:
                self.writer.insert(
                    [(pk, *row) for pk, row in zip(pks, rows, strict=True)],
                    with_pk=True,
                )
                for pk, (order_id, _p, _part) in zip(pks, self.pending, strict=True):
                    self.pks[order_id] = pk
            else:
                self.writer.insert(rows)
            self.pending = []
        for pk, status in self.status_updates:
            Order.objects.filter(pk=pk).update(status=status)
        self.status_updates = []
        if self.lines:
            self._flush_lines()

    def _flush_lines(self) -> None:
        skus = sorted({entry[1] for entry in self.lines})
        products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
        missing = {}
        for _o, sku, name, category, _q, _p in self.lines:
            if sku not in products and sku not in missing:
                missing[sku] = Product(sku=sku, name=name[:200], category=category[:64])
        if missing:
            Product.objects.bulk_create(list(missing.values()), batch_size=2000)
            products.update(
                Product.objects.filter(sku__in=list(missing)).values_list("sku", "pk")
            )
        RowWriter(
            OrderLine, ("order", "product", "quantity", "unit_price", "amount")
        ).insert(
            (self.pks[order_id], products[sku], quantity, price, price * quantity)
            for order_id, sku, _n, _c, quantity, price in self.lines
        )
        self.lines = []

    def finish(self) -> None:
        if self.writing:
            self._flush()
            for indexes in self.indexes or ():
                indexes.restore()
        created, updated, _unchanged = self.people.count()
        self.report.customers_created = created
        self.report.customers_updated = updated


def _person_values(who: tuple[Any, ...]) -> dict[str, Any]:
    """The customer fields given in a row's _PERSON_COLUMNS tuple."""
    return {
        name: value
        for name, value in zip(PERSON_VALUES, who, strict=False)
        if value is not None
    }


def _order_values(part: tuple[Any, ...]) -> dict[str, Any]:
    return {
        name: value
        for name, value in zip(ORDER_VALUES, part, strict=True)
        if value is not None
    }


def _in_line_order(messages: list[RowError], start: int) -> None:
    """Sort the messages of one batch by line (stable: within a line they keep
    the order they were found in, the order a row-by-row reading finds them)."""
    if len(messages) - start > 1:
        messages[start:] = sorted(messages[start:], key=lambda m: m.line)


def columns_have_lines(columns: Columns) -> bool:
    return columns.has("sku") or columns.has("product_name")


class _InteractionImporter(_LinkedImporter):
    kind = ImportKind.INTERACTIONS
    names = ("external_id", "kind", "occurred_at", "channel", "note", *_PERSON_COLUMNS)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: set[str] = set()
        self.pending: list[tuple[_Person, dict[str, Any], str]] = []
        self.writer = RowWriter(
            Interaction,
            (
                "customer",
                "kind",
                "occurred_at",
                "channel",
                "note",
                "source",
                "external_id",
                "created_at",
            ),
        )

    def batch(self, rows: list[tuple[int, list[Any]]]) -> None:
        plan = self.rows.plan(self.names)
        parsed = []
        for line, cells in rows:
            values, raw, ok = self.rows.read(line, cells, plan)
            if (
                not self.rows.require(line, values, raw, ("kind", "occurred_at"))
                or not ok
            ):
                continue
            parsed.append((line, values, raw))
        self.people.prefetch([k for _l, v, _r in parsed for k in self.person_keys(v)])
        with_ids = [
            (line, values, raw, self._external_id(values))
            for line, values, raw in parsed
        ]
        existing = self._existing([ext for *_x, ext in with_ids])
        for line, values, raw, ext in with_ids:
            if ext in self.seen:
                continue
            self.seen.add(ext)
            person = self.person_for(
                line,
                _person_part(values, "customer_"),
                values.get("customer_id", ""),
                raw,
                values["occurred_at"],
            )
            if person is None:
                continue
            if ext in existing:
                self.report.unchanged += 1
                continue
            self.pending.append((person, values, ext))
            self.report.created += 1
        if self.writing:
            self._flush()

    def _external_id(self, values: dict[str, Any]) -> str:
        given = values.get("external_id")
        if given:
            return str(given)
        # No id in the file: a stable one from what the row says, so that
        # importing the same file again finds the same interactions.
        who = "|".join(
            str(values.get(n, ""))
            for n in (
                "customer_id",
                "customer_phone",
                "customer_email",
                "customer_name",
            )
        )
        what = "|".join(
            str(values.get(n, "")) for n in ("kind", "occurred_at", "channel", "note")
        )
        return "h:" + hashlib.sha256(f"{who}\x00{what}".encode()).hexdigest()[:40]

    def _existing(self, ids: list[str]) -> set[str]:
        wanted = sorted({i for i in ids if i not in self.seen})
        found: set[str] = set()
        for chunk in _chunks(wanted, 500):
            found.update(
                str(ext)
                for ext in Interaction.objects.filter(
                    source=self.source, external_id__in=chunk
                ).values_list("external_id", flat=True)
            )
        return found

    def _flush(self) -> None:
        self.people.flush(self.now)
        created = adapt_datetime(self.now)
        self.writer.insert(
            (
                _pk(person),
                values["kind"],
                adapt_datetime(values["occurred_at"]),
                values.get("channel", ""),
                values.get("note", ""),
                self.source,
                ext,
                created,
            )
            for person, values, ext in self.pending
        )
        self.pending = []

    def finish(self) -> None:
        if self.writing:
            self._flush()
        created, updated, _unchanged = self.people.count()
        self.report.customers_created = created
        self.report.customers_updated = updated


_IMPORTERS: dict[str, type[_Importer]] = {
    ImportKind.CUSTOMERS: _CustomerImporter,
    ImportKind.ORDERS: _OrderImporter,
    ImportKind.INTERACTIONS: _InteractionImporter,
}


# --------------------------------------------------------------------------- entry


def import_run(
    *,
    kind: str,
    table: Table,
    preset: str = "generic",
    mapping: Mapping | None = None,
    source: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``table`` as ``kind``. Writes everything or nothing.

    Problems with the file as a whole (missing column, unknown preset) raise
    :class:`ImportRejected`/:class:`ValidationFailed`; problems with rows are in
    the returned report, and when there are any nothing is written.
    """
    if kind not in _IMPORTERS:
        raise ValidationFailed(
            _(
                "unknown import kind %(kind)s (expected customers, orders or interactions)"
            )
            % {"kind": kind}
        )
    chosen = preset_get(name=preset, kind=kind)
    columns = resolve_mapping(
        kind=kind, headers=table.headers, preset=chosen, mapping=mapping
    )
    report = ImportReport(kind=kind, dry_run=dry_run)
    _NAME_TOKENS.clear()
    parser = CellParser(
        tz=timezone.get_current_timezone(), status_values=chosen.status_values
    )
    importer = _IMPORTERS[kind](
        columns=columns,
        parser=parser,
        report=report,
        source=(source or chosen.source).strip() or "import",
        write=not dry_run,
        expected_rows=table.total,
    )
    with _bulk_pragmas(), transaction.atomic():
        if isinstance(importer, _OrderImporter) and _may_fork(table):
            with closing(_forked_batches(importer, table)) as batches:
                for parsed in batches:
                    importer.apply(parsed)
                    report.rows += len(parsed.lines)
                    if progress:
                        progress(len(parsed.lines))
        else:
            for batch in _batches(table):
                importer.batch(batch)
                report.rows += len(batch)
                if progress:
                    progress(len(batch))
        importer.finish()
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


def _batches(table: Table) -> Iterator[list[tuple[int, list[Any]]]]:
    batch: list[tuple[int, list[Any]]] = []
    for row in table.rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# Orders files of at least this many rows are read and parsed in a second
# process while this one resolves customers and writes (two cores, one import).
FORK_FROM = 50_000


def _may_fork(table: Table) -> bool:
    """Only a large file, on a system with fork, from a process with no other
    thread (a fork copies only the calling thread: a lock another thread held
    would stay locked in the child). The web wizard's jobs run in the task
    worker's threads and so parse in-process: same results, one core."""
    return (
        (table.total or 0) >= FORK_FROM
        and "fork" in multiprocessing.get_all_start_methods()
        and _single_threaded()
    )


def _single_threaded() -> bool:
    return threading.active_count() == 1


class _ChildFailed(Exception):
    pass


def _produce(importer: _OrderImporter, table: Table, queue: Any) -> None:
    """In the child: read and parse the table batch by batch. The database is
    never touched here; the parent does all of that."""
    try:
        for batch in _batches(table):
            queue.put(importer.read(batch, keys=True).for_parent())
        queue.put(None)
    except BaseException as exc:  # handed to the parent as it is
        try:
            pickle.dumps(exc)
            queue.put(exc)
        except Exception:  # an exception that does not pickle
            queue.put(_ChildFailed(f"{type(exc).__name__}: {exc}"))


def _forked_batches(importer: _OrderImporter, table: Table) -> Generator[_Batch]:
    """Parsed batches from a forked child, in file order. The child gets a copy
    of the open file (still at its first row: this process reads no further)
    and exits without running any clean-up, so the database connection it
    inherited is left alone. If the import stops early, the child is stopped."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    child = context.Process(target=_produce, args=(importer, table, queue), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise _ChildFailed(
                        f"the reading process stopped (exit code {child.exitcode})"
                    ) from None
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()


class _bulk_pragmas:
    """A larger page cache on SQLite while an import runs (restored after)."""

    def __enter__(self) -> None:
        self.sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-262144")

    def __exit__(self, *exc: object) -> None:
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-65536")


def import_actor_check(user: Any) -> None:
    """Only roles whose policy may import."""
    from guanxi.access.policies import policy_for
    from guanxi.core.errors import PermissionDenied

    if not policy_for(user).may_import:
        raise PermissionDenied(_("your role may not import data"))


# --------------------------------------------------------------------------- jobs
# The web wizard: upload → mapping → preview (a dry run) → confirm (a Huey task).


def _job_table(job: Any) -> Table:
    from guanxi.ingest.readers import open_table

    job.file.open("rb")
    return open_table(job.file.file, filename=job.original_name)


def import_job_create(
    *, actor: Any, kind: str, upload: Any, preset: str, source: str = ""
) -> Any:
    """Store an upload and read its header row. Raises ImportRejected for a file
    that cannot be read (encoding, not a workbook, empty)."""
    from guanxi.ingest.models import ImportJob

    import_actor_check(actor)
    chosen = preset_get(name=preset, kind=kind)
    job = ImportJob(
        kind=kind,
        original_name=str(upload.name)[:255],
        preset=chosen.name,
        source=(source or chosen.source).strip(),
        created_by=actor,
    )
    job.file.save(upload.name, upload, save=False)
    try:
        table = _job_table(job)
    except BaseException:
        job.file.delete(save=False)
        raise
    try:
        job.headers = list(table.headers)
        job.total_rows = table.total or 0
    finally:
        table.close()
        job.file.close()
    job.save()
    return job


def import_job_columns(
    *, job: Any, mapping: Mapping | None = None, check: bool = True
) -> Columns:
    """The columns the job would use (its own mapping unless one is given)."""
    return resolve_mapping(
        kind=job.kind,
        headers=job.headers,
        preset=preset_get(name=job.preset, kind=job.kind),
        mapping=job.mapping if mapping is None else mapping,
        check=check,
    )


@transaction.atomic
def import_job_map(*, actor: Any, job: Any, mapping: Mapping, save_as: str = "") -> Any:
    """Set the job's column mapping (validated against its headers)."""
    import_actor_check(actor)
    import_job_columns(job=job, mapping=mapping)
    job.mapping = mapping
    job.report = {}
    job.save(update_fields=["mapping", "report"])
    if save_as.strip():
        columns = import_job_columns(job=job)
        import_preset_save(
            name=save_as,
            kind=job.kind,
            mapping={
                name: [h for _i, h in spots] for name, spots in columns.where.items()
            },
            source=job.source,
        )
    return job


def import_job_preview(*, actor: Any, job: Any) -> ImportReport:
    """A dry run of the job: what would be created, and every problem."""
    import_actor_check(actor)
    table = _job_table(job)
    try:
        report = import_run(
            kind=job.kind,
            table=table,
            preset=job.preset,
            mapping=job.mapping,
            source=job.source,
            dry_run=True,
        )
    except ImportRejected as exc:
        report = ImportReport(kind=job.kind, dry_run=True, errors=exc.errors)
    finally:
        table.close()
        job.file.close()
    job.report = report.as_record()
    job.save(update_fields=["report"])
    return report


def import_job_confirm(*, actor: Any, job: Any) -> Any:
    """Queue the import (after commit). A job is queued once; confirming again
    changes nothing."""
    from guanxi.ingest.choices import JobStatus
    from guanxi.ingest.models import RUNNABLE_JOBS, ImportJob  # lease: ingest/jobs.py
    from guanxi.ingest.tasks import import_job_run_task

    import_actor_check(actor)
    with transaction.atomic():
        claimed = (
            ImportJob.objects.filter(RUNNABLE_JOBS, pk=job.pk)
            # lease: a job failed by a dead worker may run again (ingest/jobs.py)
            .update(status=JobStatus.QUEUED, processed_rows=0, failure="")
        )
        if claimed:
            transaction.on_commit(lambda: import_job_run_task(job.pk))
    job.refresh_from_db()
    return job


def _progress_path(job: Any) -> Any:
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "imports" / f"job-{job.pk}.progress"


def import_job_progress(*, job: Any) -> int:
    """Rows processed so far. Kept in a small file beside the uploads: the import
    runs in one transaction, so a progress column would stay invisible until it
    commits."""
    try:
        return int(_progress_path(job).read_text() or 0)
    except (OSError, ValueError):
        return job.processed_rows if job.processed_rows else 0


def import_job_run(*, job_id: int) -> None:
    """Run a queued job; a job that is not queued (already run, running) is left
    alone, so running the task twice is harmless."""
    from guanxi.ingest.choices import JobStatus
    from guanxi.ingest.jobs import import_job_files_delete  # files at rest
    from guanxi.ingest.models import ImportJob

    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        heartbeat_at=timezone.now(),  # lease: the claim (ingest/jobs.py)
    )
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)
    progress_file = _progress_path(job)
    progress_file.parent.mkdir(parents=True, exist_ok=True)
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        progress_file.write_text(str(done))

    try:
        table = _job_table(job)
        try:
            report = import_run(
                kind=job.kind,
                table=table,
                preset=job.preset,
                mapping=job.mapping,
                source=job.source,
                progress=progress,
            )
        finally:
            table.close()
            job.file.close()
    except ImportRejected as exc:
        report = ImportReport(kind=job.kind, errors=exc.errors)
    except Exception:
        from guanxi.ingest.choices import JobFailure

        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            failure=JobFailure.ERROR,
            finished_at=timezone.now(),
        )
        import_job_files_delete(job)  # files at rest: the job has ended
        raise
    job.report = report.as_record()
    job.processed_rows = report.rows
    job.status = JobStatus.DONE if report.ok else JobStatus.REJECTED
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "processed_rows", "status", "finished_at"])
    progress_file.unlink(missing_ok=True)
    # Files at rest: the job has ended (imported or rejected), so the uploaded
    # copy of personal data goes; a rejected file is fixed and uploaded again.
    import_job_files_delete(job)

"""Stage 4, match: the customer each row belongs to.

The rule is the customers app's (:class:`guanxi.customers.services.CustomerMatcher`):
source identity, phone or email through the blind indexes; recorded values are
kept and only blanks filled. This stage turns the matcher's answers into
messages on the row: a refusal (the row's keys point at two customers) is an
error, a recorded value kept although the row gave another is a notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from guanxi.customers.services import (
    CONTACT_VALUES,
    ContactConflict,
    CustomerMatcher,
    KnownCustomer,
    MatchKey,
)
from guanxi.ingest.errors import RowError, shown_value
from guanxi.ingest.report import ImportReport
from guanxi.ingest.rows import RowText
from guanxi.privacy.selectors import ERASED_MESSAGE, ErasedContacts

__all__ = [
    "CUSTOMER_COLUMNS",
    "RowCustomers",
    "customer_part",
    "customer_values",
    "kept_notice",
]

#: An order or interaction row's customer fields, customer id last.
CUSTOMER_COLUMNS = (*(f"customer_{n}" for n in CONTACT_VALUES), "customer_id")


class RowCustomers:
    """The customer matcher of one import, reporting on the rows it reads."""

    def __init__(self, *, source: str, report: ImportReport, with_tags: bool):
        self.matcher = CustomerMatcher(source=source, with_tags=with_tags)
        self.report = report
        # Contacts of erased people (guanxi.privacy) among the ones looked up
        # so far, as (kind, value), and the ones looked up.
        self._erased: set[tuple[str, str]] = set()
        self._checked: set[tuple[str, str]] = set()
        self._erased_contacts: ErasedContacts | None = None

    def _contacts(
        self, values: Mapping[str, Any], identity: str
    ) -> tuple[list[MatchKey], dict[tuple[str, str], str]]:
        """The record's match keys, and its phone and e-mail with their hash
        under the current blind-index key."""
        keys: list[MatchKey] = []
        known: dict[tuple[str, str], str] = {}
        for name, key in self.matcher.keys(values, identity):
            keys.append(key)
            if name in ("phone", "email"):
                known[(name, str(values[name]))] = str(key[1])
        return keys, known

    def prefetch(self, rows: Iterable[tuple[Mapping[str, Any], str]]) -> None:
        """For these records (customer values, identity): the matcher's
        prefetch, and which of their contacts are erased people's (one query
        per chunk instead of one per row)."""
        keys: list[MatchKey] = []
        known: dict[tuple[str, str], str] = {}
        for values, identity in rows:
            row_keys, row_known = self._contacts(values, identity)
            keys += row_keys
            known.update(row_known)
        self.matcher.prefetch(keys)
        self._erased_check(known)

    def _erased_check(self, known: dict[tuple[str, str], str]) -> None:
        wanted = set(known) - self._checked
        if not wanted:
            return
        self._checked |= wanted
        if self._erased_contacts is None:
            self._erased_contacts = ErasedContacts()
        self._erased |= self._erased_contacts.find(wanted, known=known)

    def erased_field(self, values: dict[str, Any], identity: str) -> str | None:
        """The row's contact field that belongs to an erased person, if any."""
        _keys, known = self._contacts(values, identity)
        self._erased_check(known)
        for contact in known:
            if contact in self._erased:
                return contact[0]
        return None

    def resolve(
        self,
        *,
        line: int,
        values: dict[str, Any],
        text: RowText,
        identity: str,
        tags: frozenset[str] = frozenset(),
        may_create: bool,
        seen_at: dt.datetime | str | None = None,
    ) -> KnownCustomer | None:
        """The row's customer (created if new and allowed), or None; a refusal
        is reported as an error, kept values as notices. A row of a person
        whose data was erased is refused (they may not come back)."""
        erased = self.erased_field(values, identity)
        if erased is not None:
            header, _value = text.get(erased, (erased, ""))
            self.report.add_error(
                RowError(line=line, column=header, value="", message=_(ERASED_MESSAGE))
            )
            return None
        try:
            person, kept = self.matcher.resolve(
                values=values,
                identity=identity,
                tags=tags,
                may_create=may_create,
                seen_at=seen_at,
            )
        except ContactConflict as conflict:
            header, value = text.get(conflict.field, (conflict.field, ""))
            self.report.add_error(
                RowError(
                    line=line,
                    column=header,
                    value=shown_value(conflict.field, value),
                    message=_(
                        "belongs to another customer than the %(other)s of this row"
                    )
                    % {"other": _field_word(conflict.first_field)},
                )
            )
            return None
        for name in kept:
            if name in PERSONAL_VALUES and not self.report.personal_notices:
                continue
            self.report.add_notice(kept_notice(line, name, text))
        return person


#: A customer's values that only roles seeing contact data in full may compare
#: with an import's (see :attr:`ImportReport.personal_notices`).
PERSONAL_VALUES = frozenset({"name", "phone", "email", "birthday", "address"})


def kept_notice(line: int, name: str, text: RowText) -> RowError:
    """A notice that a row's value differs from the recorded one, which was kept."""
    header, value = text.get(name, (name, ""))
    return RowError(
        line=line,
        column=header,
        value=shown_value(name, value),
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


def customer_part(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A row's customer values (fields named ``prefix`` + name) by plain name."""
    return {
        name: values[prefix + name]
        for name in CONTACT_VALUES
        if prefix + name in values
    }


def customer_values(customer_cells: tuple[Any, ...]) -> dict[str, Any]:
    """The customer values given in a row's :data:`CUSTOMER_COLUMNS` tuple."""
    return {
        name: value
        for name, value in zip(CONTACT_VALUES, customer_cells, strict=False)
        if value is not None
    }

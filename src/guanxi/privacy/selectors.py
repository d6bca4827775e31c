"""Reads of the privacy app: erased contacts (for imports and creates),
requests, erasures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db.models import Case, Count, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.core.crypto import blind_index_key_id, blind_index_key_ids
from guanxi.customers.selectors import contact_key_under, customer_rows
from guanxi.messaging.selectors import guardian_profiling_consented
from guanxi.privacy.choices import ContactKind, RequestStatus
from guanxi.privacy.models import DataRequest, ErasedContact, Erasure, RetentionRun

__all__ = [
    "ERASED_MESSAGE",
    "MINOR_AGE",
    "ErasedContacts",
    "contact_erased",
    "erased_key_counts",
    "erasure_list",
    "is_minor",
    "minors_unprofiled",
    "profiling_refused",
    "request_get",
    "request_list",
    "retention_runs",
]

#: Why a person cannot be created or imported again (translated where shown).
ERASED_MESSAGE = gettext_noop(
    "this person's data was erased at their request: they may not be added again"
)


#: Under this age a customer's data is sensitive personal information (PIPL
#: art. 28): no marketing and no profiling without their guardian's consent
#: (art. 31).
MINOR_AGE = 14


def is_minor(birthday: object, *, today: dt.date | None = None) -> bool:
    """Whether a customer born on ``birthday`` is younger than
    :data:`MINOR_AGE` today (no birthday: not known to be a minor)."""
    if not isinstance(birthday, dt.date):
        return False
    today = today or timezone.localdate()
    age = (
        today.year
        - birthday.year
        - ((today.month, today.day) < (birthday.month, birthday.day))
    )
    return age < MINOR_AGE


def minors_unprofiled(*, today: dt.date | None = None) -> set[int]:
    """The customers under :data:`MINOR_AGE` on ``today`` whose guardian has
    not consented to profiling: a scoring run leaves them out.

    Set-based on the birth year and month kept in the clear beside the
    encrypted birthday, read from their index (the customers with a birthday
    only): born after the year the age limit falls in this year, a minor;
    born before it, not; born in it, a minor when born in a later month, not
    when in an earlier one. Only those born in this month of that year (and
    any whose year or month is not kept) have their birthday decrypted to
    decide."""
    today = today or timezone.localdate()
    year = today.year - MINOR_AGE
    # Unordered: the customers' default order (newest first) would make
    # SQLite walk the table in that order instead of the index.
    dated = customer_rows().filter(birthday__isnull=False).order_by()
    minors: set[int] = set()
    unsure: list[int] = []
    # Two queries SQLite runs on the index (an OR of them it runs as a scan
    # of the whole table).
    for pk, born_year, born_month in dated.filter(birth_year__gte=year).values_list(
        "pk", "birth_year", "birth_month"
    ):
        # birth_year >= year: never None here.
        if (born_year or 0) > year or (
            born_month is not None and born_month > today.month
        ):
            minors.add(pk)
        elif born_month is None or born_month == today.month:
            unsure.append(pk)
    unsure.extend(dated.filter(birth_year__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(unsure), 500):
        rows = dated.filter(pk__in=unsure[start : start + 500]).values_list(
            "pk", "birthday"
        )
        minors.update(pk for pk, day in rows if is_minor(day, today=today))
    return minors - guardian_profiling_consented(minors)


def profiling_refused(*, customer_id: int, birthday: object) -> bool:
    """Whether this customer is a minor whose guardian has not consented to
    profiling (their profile says why they have no scores)."""
    return is_minor(birthday) and not guardian_profiling_consented([customer_id])


def erased_key_counts() -> dict[str, int]:
    """How many erased contacts each blind-index key id still guards."""
    rows = (
        ErasedContact.objects.values_list("key_id")
        .annotate(n=Count("id"))
        .order_by("key_id")
    )
    return {str(key_id): int(n) for key_id, n in rows}


#: Hashes compared in one query at most (an ``IN`` over them).
ERASED_CHUNK = 500


class ErasedContacts:
    """Which phone numbers and e-mail addresses belong to erased people.

    A suppression row holds the keyed hash under the blind-index key of the
    day of the erasure; a candidate is hashed under the current key and every
    retired key a row still names, and all those hashes are looked up in one
    query per chunk. Made once per import or write: reading which keys rows
    name is one query (none further when no one was erased)."""

    def __init__(self) -> None:
        named = set(
            ErasedContact.objects.values_list("key_id", flat=True).distinct().order_by()
        )
        self.key_ids = [k for k in blind_index_key_ids() if k in named]
        self.current_id = blind_index_key_id()

    def find(
        self,
        contacts: Iterable[tuple[str, str]],
        *,
        known: Mapping[tuple[str, str], str] | None = None,
    ) -> set[tuple[str, str]]:
        """The ``(kind, value)`` among these (``kind`` "phone" with the E.164
        number, or "email") that are an erased person's. ``known``: hashes
        under the current key already computed, by ``(kind, value)``."""
        wanted = sorted(set(contacts))
        if not wanted or not self.key_ids:
            return set()
        known = known or {}
        per_chunk = max(1, ERASED_CHUNK // len(self.key_ids))
        found: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), per_chunk):
            by_hash: dict[tuple[str, str, str], tuple[str, str]] = {}
            for kind, value in wanted[start : start + per_chunk]:
                for key_id in self.key_ids:
                    digest = (
                        known.get((kind, value)) if key_id == self.current_id else None
                    ) or contact_key_under(kind, value, key_id=key_id)
                    if digest:
                        by_hash[(kind, key_id, digest)] = (kind, value)
            rows = ErasedContact.objects.filter(
                digest__in=sorted({digest for _k, _i, digest in by_hash})
            ).values_list("kind", "key_id", "digest")
            for row in rows:
                hit = by_hash.get((str(row[0]), str(row[1]), str(row[2])))
                if hit is not None:
                    found.add(hit)
        return found


def contact_erased(*, phone: str | None, email: str | None) -> set[str]:
    """Which of this phone number (E.164) and e-mail address belong to an
    erased person: ``{"phone", "email"}`` or fewer."""
    contacts = [
        (kind, value)
        for kind, value in (
            (ContactKind.PHONE.value, phone),
            (ContactKind.EMAIL.value, email),
        )
        if value
    ]
    if not contacts:
        return set()
    return {kind for kind, _value in ErasedContacts().find(contacts)}


def request_list(*, status: str | None = None) -> QuerySet[DataRequest]:
    """Open requests first, soonest due first; then the closed ones, newest
    first."""
    requests = DataRequest.objects.select_related("opened_by", "completed_by")
    if status:
        requests = requests.filter(status=status)
    is_open = Case(When(status=RequestStatus.OPEN, then=Value(0)), default=Value(1))
    return requests.order_by(is_open, "due_on", "-id")


def request_get(*, pk: int) -> DataRequest | None:
    return DataRequest.objects.filter(pk=pk).first()


def erasure_list() -> QuerySet[Erasure]:
    return Erasure.objects.all()


def retention_runs() -> QuerySet[RetentionRun]:
    return RetentionRun.objects.all()

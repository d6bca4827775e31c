"""Reads of the privacy app: erased contacts (for imports and creates),
requests, erasures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.customers.selectors import customer_rows
from guanxi.messaging.selectors import guardian_profiling_consented
from guanxi.privacy.choices import ContactKind, RequestStatus
from guanxi.privacy.models import DataRequest, ErasedContact, Erasure, RetentionRun

__all__ = [
    "ERASED_MESSAGE",
    "MINOR_AGE",
    "contact_erased",
    "contacts_erased",
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
    encrypted birthday; only the customers born in the month the age limit
    falls in this year (and any without those columns) have their birthday
    decrypted to decide."""
    today = today or timezone.localdate()
    year = today.year - MINOR_AGE
    dated = customer_rows().filter(birthday__isnull=False)
    sure = dated.filter(
        Q(birth_year__gt=year) | Q(birth_year=year, birth_month__gt=today.month)
    )
    minors = set(sure.values_list("pk", flat=True))
    unsure = dated.filter(
        Q(birth_year__isnull=True)
        | Q(birth_month__isnull=True)
        | Q(birth_year=year, birth_month=today.month)
    ).values_list("pk", "birthday")
    minors.update(pk for pk, day in unsure.iterator() if is_minor(day, today=today))
    return minors - guardian_profiling_consented(minors)


def profiling_refused(*, customer_id: int, birthday: object) -> bool:
    """Whether this customer is a minor whose guardian has not consented to
    profiling (their profile says why they have no scores)."""
    return is_minor(birthday) and not guardian_profiling_consented([customer_id])


def contact_erased(*, phone_index: str | None, email_index: str | None) -> bool:
    """Whether a phone or an e-mail (by blind index) belongs to an erased person."""
    return bool(
        contacts_erased(
            phone_indexes=[phone_index] if phone_index else [],
            email_indexes=[email_index] if email_index else [],
        )
    )


def contacts_erased(
    *, phone_indexes: Iterable[str], email_indexes: Iterable[str]
) -> set[tuple[str, str]]:
    """The ``(kind, digest)`` among these blind indexes that are erased
    (an import asks once per batch)."""
    found: set[tuple[str, str]] = set()
    for kind, digests in (
        (ContactKind.PHONE, sorted(set(phone_indexes))),
        (ContactKind.EMAIL, sorted(set(email_indexes))),
    ):
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            found.update(
                (str(k), d)
                for k, d in ErasedContact.objects.filter(
                    kind=kind, digest__in=chunk
                ).values_list("kind", "digest")
            )
    return found


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

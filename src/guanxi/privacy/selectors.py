"""Reads of the privacy app: erased contacts (for imports and creates),
requests, erasures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.privacy.choices import ContactKind, RequestStatus
from guanxi.privacy.models import DataRequest, ErasedContact, Erasure, RetentionRun

__all__ = [
    "ERASED_MESSAGE",
    "MINOR_AGE",
    "contact_erased",
    "contacts_erased",
    "erasure_list",
    "is_minor",
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

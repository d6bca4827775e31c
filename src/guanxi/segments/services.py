"""Writes of segments: create, change, delete (admins and operations), and the
member counts recorded at each scoring run.

Rules are checked by :func:`~guanxi.segments.rules.rules_check` before
anything is written, so a segment that cannot run is never saved; the message
names the rule. A change of a segment's rules records its count at the latest
run again, so the list shows members by the rules as they are now.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import DomainError, PermissionDenied, ValidationFailed
from guanxi.core.values import clean_line, clean_multiline
from guanxi.customers.selectors import tag_find
from guanxi.insights.selectors import latest_as_of, snapshot_scope
from guanxi.segments.models import Segment, SegmentCount
from guanxi.segments.rules import rules_check
from guanxi.segments.selectors import everyone_actor, segment_count

__all__ = [
    "NAME_LIMIT",
    "segment_counts_on_run",
    "segment_counts_record",
    "segment_create",
    "segment_delete",
    "segment_rules_check",
    "segment_update",
]

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 2000
log = logging.getLogger("guanxi.segments")


class _DatabaseLookups:
    """Tags and users as the rule checks need them."""

    def tag_id(self, value: int | str) -> int | None:
        tag = tag_find(value)
        return tag.pk if tag is not None else None

    def user_exists(self, user_id: int) -> bool:
        return get_user_model().objects.filter(pk=user_id).exists()


def segment_rules_check(rules: Any) -> dict[str, Any]:
    """``rules`` checked against the fields, tags and users, normalised; or
    ``ValidationFailed`` naming the rule (the builder's and the API's check)."""
    return rules_check(rules, lookups=_DatabaseLookups())


def _may_edit(actor: Any) -> None:
    if not policy_for(actor).may_edit_segments:
        raise PermissionDenied(_("your role may not change segments"))


def _clean_name(name: Any, *, segment: Segment | None) -> str:
    if not isinstance(name, str):
        raise ValidationFailed(_("the segment needs a name"), field="name")
    try:
        clean = clean_line(name, field="name", limit=NAME_LIMIT)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="name") from None
    if not clean:
        raise ValidationFailed(_("the segment needs a name"), field="name")
    taken = Segment.objects.filter(name=clean)
    if segment is not None:
        taken = taken.exclude(pk=segment.pk)
    if taken.exists():
        raise _name_taken()
    return clean


def _name_taken() -> ValidationFailed:
    return ValidationFailed(_("A segment with this name already exists."), field="name")


def _clean_description(text: Any) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValidationFailed(_("the description must be text"), field="description")
    try:
        return clean_multiline(text, field="note", limit=DESCRIPTION_LIMIT)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="description") from None


def _save(segment: Segment) -> None:
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        # Another request took the name between the check and the write.
        raise _name_taken() from None


@transaction.atomic
def segment_create(
    *, actor: Any, name: Any, rules: Any, description: Any = ""
) -> Segment:
    """A new segment; nothing is written unless the name and every rule are good."""
    _may_edit(actor)
    segment = Segment(
        name=_clean_name(name, segment=None),
        description=_clean_description(description),
        rules=segment_rules_check(rules),
        created_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    _save(segment)
    _record_latest(segment)
    return segment


@transaction.atomic
def segment_update(
    *,
    actor: Any,
    segment: Segment,
    name: Any = None,
    rules: Any = None,
    description: Any = None,
) -> Segment:
    """Change what is given (None: unchanged); all or nothing."""
    _may_edit(actor)
    changed = Segment.objects.select_for_update().get(pk=segment.pk)
    if name is not None:
        changed.name = _clean_name(name, segment=changed)
    if description is not None:
        changed.description = _clean_description(description)
    if rules is not None:
        changed.rules = segment_rules_check(rules)
    _save(changed)
    # Counted again even for a new name: the list trusts a count only when it
    # is younger than the segment's last change.
    _record_latest(changed)
    return changed


@transaction.atomic
def segment_delete(*, actor: Any, segment: Segment) -> None:
    """Delete a segment and its recorded counts."""
    _may_edit(actor)
    Segment.objects.filter(pk=segment.pk).delete()
    log.info("segment %s deleted by user %s", segment.pk, getattr(actor, "pk", None))


def _record(segments: list[Segment], *, as_of: dt.date, customers: int) -> int:
    """Count each segment's members among all customers as of ``as_of`` and
    keep the counts (one row per segment and date: a second count replaces the
    first). A segment whose stored rules cannot run is skipped and logged."""
    actor = everyone_actor()
    rows = []
    for segment in segments:
        try:
            members = segment_count(actor=actor, rules=segment.rules, as_of=as_of)
        except DomainError as exc:
            log.warning("segment %s not counted: %s", segment.pk, exc.message)
            continue
        rows.append(
            SegmentCount(
                segment=segment, as_of=as_of, members=members, customers=customers
            )
        )
    SegmentCount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["segment", "as_of"],
        update_fields=["members", "customers", "counted_at"],
    )
    return len(rows)


def _customers_at(as_of: dt.date) -> int:
    """Customers scored as of ``as_of`` (every customer of that run)."""
    return snapshot_scope(actor=everyone_actor(), as_of=as_of).order_by().count()


def _record_latest(segment: Segment) -> None:
    day = latest_as_of()
    if day is not None:
        _record([segment], as_of=day, customers=_customers_at(day))


def segment_counts_record(
    *,
    as_of: dt.date,
    progress: Callable[[str, float], Any] | None = None,
) -> int:
    """Record every segment's members as of ``as_of`` (a finished run's date);
    returns how many segments were counted. Safe to run again."""
    segments = list(Segment.objects.order_by("id"))
    customers = _customers_at(as_of)
    done = 0
    for i, segment in enumerate(segments):
        with transaction.atomic():
            done += _record([segment], as_of=as_of, customers=customers)
        if progress is not None:
            progress("segments", (i + 1) / len(segments))
    return done


def segment_counts_on_run(
    sender: Any,
    *,
    run: Any,
    progress: Callable[[str, float], Any] | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``insights.services.run_finished``: count every segment."""
    counted = segment_counts_record(as_of=run.as_of, progress=progress)
    log.info("segments counted for %s: %s", run.as_of, counted)

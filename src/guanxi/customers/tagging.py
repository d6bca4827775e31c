"""Writes of tags and of the customer-tag links: the one write path of both
tables (reached through :mod:`guanxi.customers.services`).

Three ways a customer gets a tag, each recorded on the link (``source``):

* **by hand** (:func:`customer_tag_add`, :func:`customer_tag_remove`): one link
  at a time, by a user in whose scope the customer is, with who and when;
* **by import** (:func:`customer_tags_bulk_add`): imports and the demo, many
  links at once, nobody recorded as their author;
* **by a scoring run** (:class:`~guanxi.customers.automatic_tags.AutomaticTagWriter`):
  the automatic tags, replaced as a whole set by set-based SQL.

Manual tags are never touched by a run; automatic tags are never set, renamed
or deleted by hand. Each write keeps ``Tag.customer_count`` in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.values import clean_line, parse_id
from guanxi.customers.choices import TagColor, TagKind, TagSource
from guanxi.customers.models import Customer, CustomerTag, Tag
from guanxi.customers.selectors import customer_scope

__all__ = [
    "customer_tag_add",
    "customer_tag_remove",
    "customer_tags_bulk_add",
    "customer_tags_bulk_remove",
    "customer_tags_set_manual",
    "tag_counts_refresh",
    "tag_create",
    "tag_delete",
    "tag_merge",
    "tag_name_clean",
    "tag_update",
    "tags_ensure",
]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


_LINKS = CustomerTag._meta.db_table
_TAGS = Tag._meta.db_table


def tag_name_clean(value: Any, *, field: str = "name") -> str:
    """A tag name by the rules of :mod:`guanxi.core.values` (one line, no
    control characters, at most 64 characters), not empty."""
    try:
        name = clean_line(value, field="tag")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from None
    if not name:
        raise ValidationFailed(_("a tag needs a name"), field=field)
    return name


def _color_clean(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text not in TagColor.values:
        raise ValidationFailed(
            _("not a valid colour (expected one of: %(choices)s)")
            % {"choices": ", ".join(v for v in TagColor.values if v)},
            field="color",
        )
    return text


def _automatic_refused(field: str = "tag") -> ValidationFailed:
    return ValidationFailed(
        _("automatic tags are set by the scoring run, not by hand"), field=field
    )


def _recount(tag_ids: Iterable[int]) -> None:
    """Set ``customer_count`` of these tags from their links (an index count)."""
    ids = sorted(set(tag_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_quote(_TAGS)} SET customer_count = ("
                f"SELECT COUNT(*) FROM {_quote(_LINKS)} l "
                f"WHERE l.tag_id = {_quote(_TAGS)}.id) WHERE id IN ({marks})",
                chunk,
            )


def tag_counts_refresh(*, tag_ids: Iterable[int] | None = None) -> None:
    """Recount the customers of these tags (default: every tag)."""
    if tag_ids is None:
        tag_ids = Tag.objects.values_list("pk", flat=True)
    _recount(tag_ids)


# --- manual tags: the vocabulary ---------------------------------------------


def tags_ensure(*, names: Sequence[Any], field: str = "tags") -> list[Tag]:
    """The manual tags with these names (cleaned, in the order given, each
    once), creating the missing ones. A name of an automatic tag is refused."""
    try:
        cleaned = [clean_line(n, field="tag") for n in names if n]
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from None
    wanted = list(dict.fromkeys(n for n in cleaned if n))
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    if any(t.automatic for t in existing.values()):
        raise _automatic_refused(field)
    missing = [Tag(name=n) for n in wanted if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
        if any(t.automatic for t in existing.values()):
            raise _automatic_refused(field)
    return [existing[n] for n in wanted]


def _manage_check(actor: Any) -> None:
    if not policy_for(actor).may_manage_tags:
        raise PermissionDenied(_("your role may not manage tags"))


def _manual(tag: Tag) -> Tag:
    if tag.automatic:
        raise ValidationFailed(
            _("automatic tags are kept by the scoring run and cannot be changed")
        )
    return tag


def _name_free(name: str, *, exclude_pk: int | None = None) -> None:
    others = Tag.objects.filter(name=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = others.exists()
    if taken:
        raise ValidationFailed(_("another tag has this name"), field="name")


@transaction.atomic
def tag_create(*, actor: Any, name: Any, color: Any = "") -> Tag:
    """A new manual tag (admins and operations, or whoever may create tags
    while tagging)."""
    if not policy_for(actor).may_create_tags:
        raise PermissionDenied(_("your role may not create tags"))
    clean = tag_name_clean(name)
    tint = _color_clean(color)
    _name_free(clean)
    try:
        with transaction.atomic():
            return Tag.objects.create(name=clean, color=tint)
    except IntegrityError:
        raise ValidationFailed(_("another tag has this name"), field="name") from None


@transaction.atomic
def tag_update(*, actor: Any, tag: Tag, name: Any = None, color: Any = None) -> Tag:
    """Rename a manual tag or change its colour (None: unchanged)."""
    _manage_check(actor)
    _manual(tag)
    if name is not None:
        clean = tag_name_clean(name)
        _name_free(clean, exclude_pk=tag.pk)
        tag.name = clean
    if color is not None:
        tag.color = _color_clean(color)
    try:
        with transaction.atomic():
            tag.save(update_fields=["name", "color"])
    except IntegrityError:
        raise ValidationFailed(_("another tag has this name"), field="name") from None
    return tag


@transaction.atomic
def tag_merge(*, actor: Any, tag: Tag, into: Tag) -> Tag:
    """Give every customer of ``tag`` the tag ``into`` instead (a customer with
    both keeps the link to ``into``) and delete ``tag``. Manual tags only."""
    _manage_check(actor)
    _manual(tag)
    _manual(into)
    if tag.pk == into.pk:
        raise ValidationFailed(_("a tag cannot be merged into itself"), field="into")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_quote(_LINKS)} "
            "(customer_id, tag_id, source, added_by_id, added_at) "
            f"SELECT customer_id, %s, source, added_by_id, added_at "
            f"FROM {_quote(_LINKS)} WHERE tag_id = %s "
            "ON CONFLICT DO NOTHING",
            [into.pk, tag.pk],
        )
    tag.delete()
    _recount([into.pk])
    into.refresh_from_db(fields=["customer_count"])
    return into


@transaction.atomic
def tag_delete(*, actor: Any, tag: Tag) -> int:
    """Delete a manual tag and its links; returns how many customers had it."""
    _manage_check(actor)
    _manual(tag)
    had = CustomerTag.objects.filter(tag_id=tag.pk).count()
    tag.delete()
    return had


# --- links by hand --------------------------------------------------------------


def _customer_in_scope(actor: Any, customer: Customer | int | str) -> Customer:
    pk = parse_id(customer.pk if isinstance(customer, Customer) else customer)
    found = customer_scope(actor=actor).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound(_("customer not found"))
    return found


def _tag_by_id(value: Any) -> Tag:
    pk = parse_id(value)
    tag = Tag.objects.filter(pk=pk).first() if pk is not None else None
    if tag is None:
        raise ValidationFailed(_("unknown tag"), field="tag")
    return tag


@transaction.atomic
def customer_tag_add(
    *,
    actor: Any,
    customer: Customer | int | str,
    tag: Any = None,
    name: Any = None,
) -> tuple[CustomerTag, bool]:
    """Tag one customer by hand: an existing tag (``tag``: a tag or its id) or a
    tag by ``name`` (created as a manual tag when missing and the role may
    create tags). Returns ``(link, created)``; tagging twice changes nothing."""
    policy = policy_for(actor)
    if not policy.may_tag_customers:
        raise PermissionDenied(_("your role may not tag customers"))
    target = _customer_in_scope(actor, customer)
    if (tag is None) == (name is None):
        raise ValidationFailed(_("give either a tag or a name"), field="tag")
    if name is not None:
        clean = tag_name_clean(name)
        chosen = Tag.objects.filter(name=clean).first()
        if chosen is None:
            if not policy.may_create_tags:
                raise PermissionDenied(_("your role may not create tags"))
            chosen = tag_create(actor=actor, name=clean)
    else:
        chosen = tag if isinstance(tag, Tag) else _tag_by_id(tag)
    if chosen.automatic:
        raise _automatic_refused()
    link, created = CustomerTag.objects.get_or_create(
        customer=target,
        tag=chosen,
        defaults={
            "source": TagSource.MANUAL,
            "added_by": actor if getattr(actor, "pk", None) else None,
            "added_at": timezone.now(),
        },
    )
    if created:
        Tag.objects.filter(pk=chosen.pk).update(customer_count=F("customer_count") + 1)
    return link, created


@transaction.atomic
def customer_tag_remove(
    *, actor: Any, customer: Customer | int | str, tag: Any
) -> bool:
    """Take a manual tag off one customer; returns whether the customer had it."""
    if not policy_for(actor).may_tag_customers:
        raise PermissionDenied(_("your role may not tag customers"))
    target = _customer_in_scope(actor, customer)
    chosen = tag if isinstance(tag, Tag) else _tag_by_id(tag)
    if chosen.automatic:
        raise _automatic_refused()
    deleted, _rows = CustomerTag.objects.filter(
        customer_id=target.pk, tag_id=chosen.pk
    ).delete()
    if deleted:
        # Never below zero, whatever a write that bypassed the count did (each
        # scoring run recounts every tag).
        Tag.objects.filter(pk=chosen.pk).update(
            customer_count=Greatest(F("customer_count") - 1, 0)
        )
    return bool(deleted)


def customer_tags_set_manual(
    *, actor: Any, customer: Customer, names: Sequence[Any]
) -> None:
    """Make ``names`` the customer's manual tags (the API's and the services'
    ``tags`` field): links to other manual tags go, new ones are recorded as
    set by ``actor``; automatic tags stay as the last run set them."""
    policy = policy_for(actor)
    if not policy.may_tag_customers:
        raise PermissionDenied(_("your role may not tag customers"))
    if not policy.may_create_tags:
        try:
            cleaned = {clean_line(n, field="tag") for n in names if n} - {""}
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="tags") from None
        known = set(Tag.objects.filter(name__in=cleaned).values_list("name", flat=True))
        if cleaned - known:
            raise PermissionDenied(_("your role may not create tags"))
    wanted = {t.pk: t for t in tags_ensure(names=names)}
    current = set(
        CustomerTag.objects.filter(
            customer_id=customer.pk, tag__kind=TagKind.MANUAL
        ).values_list("tag_id", flat=True)
    )
    gone = current - set(wanted)
    if gone:
        CustomerTag.objects.filter(customer_id=customer.pk, tag_id__in=gone).delete()
    new = [pk for pk in wanted if pk not in current]
    now = timezone.now()
    by = actor if getattr(actor, "pk", None) else None
    CustomerTag.objects.bulk_create(
        [
            CustomerTag(
                customer_id=customer.pk,
                tag_id=pk,
                source=TagSource.MANUAL,
                added_by=by,
                added_at=now,
            )
            for pk in new
        ],
        ignore_conflicts=True,
    )
    if gone or new:
        _recount([*gone, *new])


# --- links by import ------------------------------------------------------------


def customer_tags_bulk_add(
    *,
    links: Iterable[tuple[int, str]],
    source: str = TagSource.IMPORT,
    now: dt.datetime | None = None,
) -> None:
    """Tag customers (``(pk, tag name)``) as an import does: manual tags are
    created as needed, a link that exists already is left alone, and nobody is
    recorded as the author."""
    wanted = list(links)
    if not wanted:
        return
    names = sorted({name for _pk, name in wanted})
    by_name = {tag.name: tag.pk for tag in tags_ensure(names=names)}
    when = now or timezone.now()
    CustomerTag.objects.bulk_create(
        [
            CustomerTag(
                customer_id=pk, tag_id=by_name[name], source=source, added_at=when
            )
            for pk, name in wanted
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    _recount(by_name.values())


def customer_tags_bulk_remove(*, customer_ids: Sequence[int], name: str) -> int:
    """Take the manual tag ``name`` off these customers (an automated step,
    such as a journey's); how many had it. An unknown or automatic tag
    changes nothing."""
    tag = Tag.objects.filter(name=name, kind=TagKind.MANUAL).first()
    if tag is None or not customer_ids:
        return 0
    removed = 0
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 2000):
        removed += CustomerTag.objects.filter(
            tag_id=tag.pk, customer_id__in=ids[start : start + 2000]
        ).delete()[0]
    if removed:
        _recount([tag.pk])
    return removed

"""The automatic tags' writes: the tags a scoring run's rules may set
(:func:`tags_automatic_ensure`) and the replacement of every automatic link
(:class:`AutomaticTagWriter`). Part of the tags' one write path
(:mod:`guanxi.customers.tagging`), reached through
:mod:`guanxi.customers.services`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from guanxi.customers.choices import TagKind, TagSource
from guanxi.customers.models import Tag
from guanxi.customers.tagging import _LINKS, _TAGS, _quote, tag_counts_refresh

__all__ = [
    "AutomaticTagChange",
    "AutomaticTagSpec",
    "AutomaticTagWriter",
    "tags_automatic_ensure",
]


@dataclass(frozen=True)
class AutomaticTagSpec:
    """An automatic tag a rule may set: its key (``stage:new``), Chinese and
    English names, and colour."""

    key: str
    name: str
    name_en: str
    color: str = ""


def tags_automatic_ensure(*, specs: Sequence[AutomaticTagSpec]) -> dict[str, int]:
    """The ids of the automatic tags by key, created or renamed as ``specs``
    say. A name already taken by a manual tag gets " (自动)" added: the manual
    tag keeps its name and its customers."""
    by_key: dict[str, Tag] = {
        str(t.key): t for t in Tag.objects.filter(key__in=[s.key for s in specs])
    }
    taken = set(
        Tag.objects.filter(name__in=[s.name for s in specs])
        .exclude(key__in=[s.key for s in specs])
        .values_list("name", flat=True)
    )
    for spec in specs:
        name = spec.name if spec.name not in taken else f"{spec.name} (自动)"
        name = name[:64]
        tag = by_key.get(spec.key)
        if tag is None:
            by_key[spec.key] = Tag.objects.create(
                name=name,
                name_en=spec.name_en[:64],
                kind=TagKind.AUTOMATIC,
                key=spec.key,
                color=spec.color,
            )
        elif (tag.name, tag.name_en) != (name, spec.name_en[:64]):
            tag.name, tag.name_en = name, spec.name_en[:64]
            tag.save(update_fields=["name", "name_en"])
    return {key: tag.pk for key, tag in by_key.items()}


@dataclass(frozen=True)
class AutomaticTagChange:
    """What a replacement of the automatic tags did."""

    wanted: int
    added: int
    removed: int


class AutomaticTagWriter:
    """Replaces every automatic link with the links the rules want now.

    The caller adds the wanted ``(customer_id, tag_id)`` pairs with
    :meth:`add` (SQL selecting exactly those two columns; the tag ids from
    :func:`tags_automatic_ensure`) and calls :meth:`finish`, inside one
    transaction. The pairs go to a temporary table; then links no longer
    wanted are deleted and new ones inserted. Most tags stay from one run to
    the next, so this writes far fewer rows than deleting and inserting them
    all (and leaves no dead rows behind on PostgreSQL).
    """

    temp = "guanxi_wanted_tags"
    #: PostgreSQL's ``work_mem`` for :meth:`finish` (sorting the new pairs).
    work_mem = "512MB"

    def __init__(self, *, now: dt.datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.sqlite = connection.vendor == "sqlite"
        with connection.cursor() as cursor:
            # Qualified: never a table of that name outside this session.
            schema = "temp" if self.sqlite else "pg_temp"
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{self.temp}")
            if self.sqlite:
                cursor.execute(
                    f"CREATE TEMP TABLE {self.temp} (customer_id INTEGER NOT NULL, "
                    "tag_id INTEGER NOT NULL, PRIMARY KEY (customer_id, tag_id)) "
                    "WITHOUT ROWID"
                )
            else:
                cursor.execute(
                    f"CREATE TEMP TABLE {self.temp} (customer_id BIGINT NOT NULL, "
                    "tag_id BIGINT NOT NULL)"
                )

    def add(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Add the pairs ``sql`` selects (a pair given twice counts once)."""
        verb = "INSERT OR IGNORE" if self.sqlite else "INSERT"
        with connection.cursor() as cursor:
            cursor.execute(
                f"{verb} INTO {self.temp} (customer_id, tag_id) {sql}", list(params)
            )

    def add_keys(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Add the pairs of ``sql`` selecting ``(customer_id, key)``: each key
        (``stage:new``) becomes the id of the automatic tag with that key; a
        key without a tag is left out."""
        self.add(
            f"SELECT b.customer_id, t.id FROM ({sql}) b "
            f"JOIN {_quote(_TAGS)} t ON t.key = b.key",
            params,
        )

    def add_key_pairs(self, pairs: Sequence[tuple[int, str]]) -> None:
        """Add ``(customer_id, key)`` pairs computed outside the database (a
        key without an automatic tag is left out)."""
        ids = dict(
            Tag.objects.filter(kind=TagKind.AUTOMATIC, key__isnull=False).values_list(
                "key", "pk"
            )
        )
        rows = [
            (customer, tag)
            for customer, key in pairs
            if (tag := ids.get(key)) is not None
        ]
        verb = "INSERT OR IGNORE" if self.sqlite else "INSERT"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 100_000):
                cursor.executemany(
                    f"{verb} INTO {self.temp} (customer_id, tag_id) VALUES (%s, %s)",
                    rows[start : start + 100_000],
                )

    def leave_out(self, customer_ids: set[int]) -> None:
        """No automatic tag for ``customer_ids`` (minors whose guardian has not
        consented to profiling: their automatic tags go at :meth:`finish`)."""
        ids = sorted(customer_ids)
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"DELETE FROM {self.temp} WHERE customer_id IN ({marks})", chunk
                )

    def finish(self) -> AutomaticTagChange:
        """Delete the automatic links not wanted, insert the new ones, recount
        the automatic tags; drop the temporary table."""
        links = _quote(_LINKS)
        tags = _quote(_TAGS)
        stamp = connection.ops.adapt_datetimefield_value(self.now)
        with connection.cursor() as cursor:
            order = ""
            if not self.sqlite:
                # The new pairs in the order of the links' primary key: each
                # customer's new links go in together, so the unique index and
                # the foreign keys' checks (a customer's row, once for all their
                # links) read their pages once, not once per tag. Duplicates
                # collapse in the same step, after the anti-join: on a day
                # with few changes only the few new pairs are grouped. The
                # memory lets the hashes and the sort work in one pass at a
                # million customers; only for these statements.
                cursor.execute("SELECT current_setting('work_mem')")
                work_mem = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true)", [self.work_mem]
                )
                cursor.execute(f"ANALYZE {self.temp}")
                order = (
                    " GROUP BY w.customer_id, w.tag_id ORDER BY w.customer_id, w.tag_id"
                )
            cursor.execute(
                f"DELETE FROM {links} WHERE tag_id IN ("
                f"SELECT id FROM {tags} WHERE kind = %s) AND NOT EXISTS ("
                f"SELECT 1 FROM {self.temp} w WHERE w.customer_id = "
                f"{links}.customer_id AND w.tag_id = {links}.tag_id)",
                [TagKind.AUTOMATIC],
            )
            removed = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {links} (customer_id, tag_id, source, added_by_id, "
                f"added_at) SELECT w.customer_id, w.tag_id, %s, NULL, %s "
                f"FROM {self.temp} w WHERE NOT EXISTS (SELECT 1 FROM {links} l "
                f"WHERE l.customer_id = w.customer_id AND l.tag_id = w.tag_id)"
                f"{order}",
                [TagSource.AUTOMATIC, stamp],
            )
            added = cursor.rowcount
            cursor.execute(f"DROP TABLE {self.temp}")
            if not self.sqlite:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        # Every tag, manual ones too: a count another write left behind (a
        # customer deleted with their tags) is right again after each run.
        tag_counts_refresh()
        # The automatic links are now exactly the wanted pairs (their tags
        # are the automatic ones): their count is the tags' counts, read
        # instead of counting the temporary table's distinct pairs.
        wanted = (
            Tag.objects.filter(kind=TagKind.AUTOMATIC).aggregate(
                n=Sum("customer_count")
            )["n"]
            or 0
        )
        return AutomaticTagChange(wanted=wanted, added=added, removed=removed)

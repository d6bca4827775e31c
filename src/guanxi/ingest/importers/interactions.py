"""Stage 5, write: an interactions file (visits, calls, reviews …), each row
naming its customer. Re-importing the same file adds nothing."""

from __future__ import annotations

from typing import Any

from guanxi.core.crypto import blind_index_key_ids
from guanxi.customers.services import (
    InteractionBulkWriter,
    KnownCustomer,
    interactions_announce,
    interactions_recorded,
    written_pk,
)
from guanxi.ingest.choices import ImportKind
from guanxi.ingest.importers.base import LinkedImporter, Rows
from guanxi.ingest.matching import CUSTOMER_COLUMNS, customer_part
from guanxi.ingest.rowids import generated_ids, interaction_row_digest

__all__ = ["InteractionImporter"]


class InteractionImporter(LinkedImporter):
    kind = ImportKind.INTERACTIONS
    names = ("external_id", "kind", "occurred_at", "channel", "note", *CUSTOMER_COLUMNS)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Interaction ids met so far in this file (the first row of an id counts).
        self.seen: set[str] = set()
        self.pending: list[tuple[KnownCustomer, dict[str, Any], str]] = []
        self.writer = InteractionBulkWriter()
        #: Customers and kinds written (announced once, at the end).
        self.written: set[int] = set()
        self.kinds: set[str] = set()
        #: The blind-index keys a generated id may be under (current first).
        self.id_keys = blind_index_key_ids()

    def batch(self, rows: Rows) -> None:
        plan = self.rows.plan(self.names)
        parsed = []
        for line, cells in rows:
            values, text, ok = self.rows.read(line, cells, plan)
            if (
                not self.rows.require(line, values, text, ("kind", "occurred_at"))
                or not ok
            ):
                continue
            parsed.append((line, values, text))
        self.customers.prefetch(self.customer_records(v) for _l, v, _t in parsed)
        with_ids = [
            (line, values, text, self._external_ids(values))
            for line, values, text in parsed
        ]
        recorded = interactions_recorded(
            source=self.source,
            external_ids=[
                ext for *_x, ids in with_ids if ids[0] not in self.seen for ext in ids
            ],
        )
        for line, values, text, ids in with_ids:
            ext = ids[0]
            if ext in self.seen:
                continue
            self.seen.add(ext)
            person = self.customer_for(
                line,
                customer_part(values, "customer_"),
                values.get("customer_id", ""),
                text,
                values["occurred_at"],
            )
            if person is None:
                continue
            if not recorded.isdisjoint(ids):
                self.report.unchanged += 1
                continue
            self.pending.append((person, values, ext))
            self.report.created += 1
        if self.writing:
            self._flush()

    def _external_ids(self, values: dict[str, Any]) -> list[str]:
        """The row's id (the file's, or one made from what the row says), then
        the ids it may be recorded under (made under retired keys)."""
        given = values.get("external_id")
        if given:
            return [str(given)]
        # No id in the file: a keyed one from what the row says, so that
        # importing the same file again finds the same interactions
        # (guanxi.ingest.rowids).
        return generated_ids(interaction_row_digest(values), self.id_keys)

    def _flush(self) -> None:
        self.customers.matcher.flush(self.now)
        for person, values, _ext in self.pending:
            self.written.add(written_pk(person))
            self.kinds.add(str(values["kind"]))
        self.writer.insert(
            (
                (
                    written_pk(person),
                    values["kind"],
                    values["occurred_at"],
                    values.get("channel", ""),
                    values.get("note", ""),
                    self.source,
                    ext,
                )
                for person, values, ext in self.pending
            ),
            now=self.now,
        )
        self.pending = []

    def finish(self) -> None:
        if self.writing:
            self._flush()
            interactions_announce(customer_ids=self.written, kinds=self.kinds)
        self.customers_counted()

"""Stage 5, write: an interactions file (visits, calls, reviews …), each row
naming its customer. Re-importing the same file adds nothing."""

from __future__ import annotations

import hashlib
from typing import Any

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
            (line, values, text, self._external_id(values))
            for line, values, text in parsed
        ]
        recorded = interactions_recorded(
            source=self.source,
            external_ids=[ext for *_x, ext in with_ids if ext not in self.seen],
        )
        for line, values, text, ext in with_ids:
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
            if ext in recorded:
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

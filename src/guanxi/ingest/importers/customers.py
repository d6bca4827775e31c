"""Stage 5, write: a customers file. Each row is one customer (new or recorded)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from guanxi.customers.services import CONTACT_VALUES
from guanxi.ingest.choices import ImportKind
from guanxi.ingest.errors import RowError
from guanxi.ingest.importers.base import Importer, Rows
from guanxi.ingest.matching import customer_part

__all__ = ["CustomerImporter"]


class CustomerImporter(Importer):
    kind = ImportKind.CUSTOMERS
    names = ("external_id", *CONTACT_VALUES, "tags")

    def batch(self, rows: Rows) -> None:
        plan = self.rows.plan(self.names)
        parsed = []
        for line, cells in rows:
            values, text, ok = self.rows.read(line, cells, plan)
            if not ok:
                continue
            identity = values.get("external_id", "")
            person = customer_part(values, "")
            if not (identity or person.get("phone") or person.get("email")):
                self.report.add_error(
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
            parsed.append(
                (line, person, text.view("", "external_id"), identity, values)
            )
        matcher = self.customers.matcher
        self.customers.prefetch((p, i) for _l, p, _t, i, _v in parsed)
        for line, person, text, identity, values in parsed:
            self.customers.resolve(
                line=line,
                values=person,
                text=text,
                identity=identity,
                tags=values.get("tags", frozenset()),
                may_create=True,
            )
        if self.writing:
            matcher.flush(self.now)

    def finish(self) -> None:
        created, updated, unchanged = self.customers.matcher.count()
        self.report.created, self.report.updated = created, updated
        self.report.unchanged = unchanged
        self.report.customers_created = created
        self.report.customers_updated = updated

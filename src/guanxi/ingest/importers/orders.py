"""Stage 5, write: an orders file, one row per order or per order line.

The rows of one order are next to each other (as every export writes them);
the first row gives the order's values, later rows repeat them or leave them
blank and add lines. An order already recorded (same source and order id) may
change its status (refunds arrive in later exports); other differences are
notices. Large files are parsed in a second process while this one matches
customers and writes (:mod:`guanxi.ingest.parallel`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from guanxi.commerce.services import (
    ORDER_VALUES,
    OrderBulkWriter,
    OrderLineBulkWriter,
    order_highest_id,
    order_indexes,
    order_purchases_refresh,
    order_status_bulk_update,
    orders_exist,
    orders_recorded,
    products_ensure,
)
from guanxi.core.bulk import SecondaryIndexes, utc_text
from guanxi.core.errors import ValidationFailed
from guanxi.core.values import line_total
from guanxi.coupons.services import CouponRedeemer
from guanxi.customers.services import (
    KnownCustomer,
    customer_indexes,
    email_key,
    phone_key,
    written_pk,
)
from guanxi.ingest.batches import ParsedBatch, UtcMoments, parse_batch
from guanxi.ingest.choices import ImportKind
from guanxi.ingest.errors import RowError, shown_value
from guanxi.ingest.importers.base import LinkedImporter, Rows
from guanxi.ingest.mapping import Columns
from guanxi.ingest.matching import CUSTOMER_COLUMNS, customer_values, kept_notice
from guanxi.ingest.rows import RowText

__all__ = ["DEFER_INDEXES_FROM", "OrderImporter", "columns_have_lines"]

# Past this many customers touched, an import refreshes every customer's
# purchase aggregates at the end in one pass instead of keeping their ids.
REFRESH_ALL_FROM = 200_000

# Orders imports of at least this many rows (and at least as many as the table
# holds) build the orders table's secondary indexes at the end (SQLite).
DEFER_INDEXES_FROM = 50_000

#: A row's order values, in the order of ORDER_VALUES.
OrderValues = tuple[Any, ...]
#: A row's customer values, in the order of CUSTOMER_COLUMNS.
CustomerCells = tuple[Any, ...]


def columns_have_lines(columns: Columns) -> bool:
    return columns.has("sku") or columns.has("product_name")


class OrderImporter(LinkedImporter):
    kind = ImportKind.ORDERS
    order_names = ("order_id", *ORDER_VALUES)
    line_names = ("sku", "product_name", "category", "quantity", "unit_price")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Order id -> the line of its first row, for every order met so far.
        self.first_lines: dict[str, int] = {}
        # Orders met that this import does not create: recorded before, or
        # their first row was invalid (their later rows add no lines).
        self.not_new: set[str] = set()
        # Full values of the orders of this batch and the one before: rows of
        # one order are adjacent in real exports, and a million orders' values
        # would not fit the memory budget.
        self.values_this_batch: dict[str, OrderValues] = {}
        self.values_last_batch: dict[str, OrderValues] = {}
        self.new_orders: list[tuple[str, KnownCustomer, OrderValues]] = []
        # Customer values already resolved cleanly (no error, no notice: rows
        # with the same values resolve the same way), and those of this batch
        # not yet resolved.
        self.settled: dict[CustomerCells, KnownCustomer] = {}
        self.unresolved: dict[CustomerCells, dict[str, Any]] = {}
        # In the helper process: the blind indexes already sent to the parent.
        self.keys_sent: set[tuple[str, str]] = set()
        self.source_had_orders: bool | None = None
        self.order_pks: dict[str, int] = {}
        self.new_lines: list[tuple[str, str, str, str, int, Any]] = []
        self.has_lines = columns_have_lines(self.columns)
        self.status_changes: list[tuple[int, str]] = []
        # The customers whose purchase aggregates this import moves (None:
        # so many that refreshing everyone is cheaper).
        self.touched: set[int] | None = set()
        self.plan = self.rows.plan(
            (*self.order_names, *CUSTOMER_COLUMNS, *self.line_names, "coupon")
        )
        # An optional coupon column: each new order's code is checked against
        # the issued coupons (guanxi.coupons) and redeemed with the order.
        self.coupons = CouponRedeemer() if self.columns.has("coupon") else None
        self.writer = OrderBulkWriter()
        self.deferred_indexes: list[SecondaryIndexes] | None = None
        # ordered_at is kept as UTC text (compared as text, written as is).
        self.moments = UtcMoments(self.parser.tz, now=self.parser.now)

    def batch(self, rows: Rows) -> None:
        self.apply(self.read(rows))

    def read(self, rows: Rows, *, keys: bool = False) -> ParsedBatch:
        """The parsed columns of a batch (no database needed: this part may run
        in another process), with the blind indexes of its phones and emails
        when ``keys``."""
        batch = parse_batch(
            self.rows,
            [line for line, _cells in rows],
            [cells for _l, cells in rows],
            self.plan,
            special={"ordered_at": self.moments},
        )
        if keys:
            sent = self.keys_sent
            for name, found, key in (
                ("customer_phone", batch.phone_keys, phone_key),
                ("customer_email", batch.email_keys, email_key),
            ):
                for value in set(batch.column(name)):
                    if value and (name, value) not in sent:
                        found[value] = key(value)
                        sent.add((name, value))
        return batch

    def apply(self, batch: ParsedBatch) -> None:
        """Match, check and write a parsed batch."""
        self.values_last_batch, self.values_this_batch = self.values_this_batch, {}
        report = self.report
        report.add_errors(batch.errors)
        lines = batch.lines
        matcher = self.customers.matcher
        matcher.learn_keys(batch.phone_keys, batch.email_keys)
        order_ids = batch.column("order_id")
        orders = list(zip(*(batch.column(n) for n in ORDER_VALUES), strict=True))
        customers = list(zip(*(batch.column(n) for n in CUSTOMER_COLUMNS), strict=True))
        settled = self.settled
        unresolved = self.unresolved = {
            cells: customer_values(cells)
            for cells in set(customers)
            if cells not in settled
        }
        if matcher.may_know_more():
            self.customers.prefetch(
                (values, cells[-1] or "") for cells, values in unresolved.items()
            )
        recorded = self._recorded([i for i in order_ids if i])
        coupons = self.coupons
        if coupons is not None:
            coupons.load(c for c in batch.column("coupon") if c)
        first_lines, this_batch, new_orders = (
            self.first_lines,
            self.values_this_batch,
            self.new_orders,
        )
        not_new, bad, has_lines = self.not_new, batch.bad, self.has_lines
        created = 0
        for i, order_id in enumerate(order_ids):
            if order_id:
                order = orders[i]
                if (
                    order_id in first_lines
                    or order_id in recorded
                    or order[0] is None
                    or order[1] is None
                    or i in bad
                ):
                    self._row(batch, i, order_id, order, customers[i], recorded)
                    continue
                # What _row does for the usual row: a new order, valid, first
                # met here.
                this_batch[order_id] = order
                first_lines[order_id] = lines[i]
                person = settled.get(customers[i])
                if person is None:
                    person = self._customer(batch, i, customers[i], order[0])
                    if person is None:
                        not_new.add(order_id)
                        continue
                if coupons is not None and not self._coupon(batch, i, order, person):
                    not_new.add(order_id)
                    continue
                new_orders.append((order_id, person, order))
                created += 1
                if has_lines:
                    self._line(lines[i], order_id, batch, i, order)
            elif batch.blank("order_id", i):
                report.add_error(
                    RowError(
                        line=lines[i],
                        column=self.columns.header("order_id"),
                        value="",
                        message=_("a value is required"),
                    )
                )
        report.created += created
        if self.writing:
            self._flush()

    def _recorded(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The orders among ``ids`` recorded before this import."""
        if self.source_had_orders is None:
            # On SQLite the import holds the write lock from its first statement
            # (BEGIN IMMEDIATE): orders of this source that did not exist then
            # can only come from this import, which tracks them itself.
            self.source_had_orders = connection.vendor != "sqlite" or orders_exist(
                source=self.source
            )
        if not self.source_had_orders:
            return {}
        return orders_recorded(
            source=self.source,
            external_ids=[i for i in ids if i not in self.first_lines],
        )

    def _row(
        self,
        batch: ParsedBatch,
        i: int,
        order_id: str,
        order: OrderValues,
        customer_cells: CustomerCells,
        recorded: dict[str, dict[str, Any]],
    ) -> None:
        line = batch.lines[i]
        if order_id in self.first_lines:
            if any(v is not None for v in order) and not self._agrees(
                order_id, order, line, batch.text(i)
            ):
                return
            if order_id not in self.not_new and self.has_lines and i not in batch.bad:
                self._line(line, order_id, batch, i, order)
            return
        self.values_this_batch[order_id] = order
        self.first_lines[order_id] = line
        missing = False
        for name, value in (("ordered_at", order[0]), ("amount", order[1])):
            if value is None:
                missing = True
                if batch.blank(name, i):
                    self.report.add_error(
                        RowError(
                            line=line,
                            column=self.columns.header(name),
                            value="",
                            message=_("a value is required"),
                        )
                    )
        if missing or i in batch.bad:
            self.not_new.add(order_id)
            return
        person = self._customer(batch, i, customer_cells, order[0])
        if person is None:
            self.not_new.add(order_id)
            return
        known = recorded.get(order_id)
        if known is not None:
            self.not_new.add(order_id)
            self._compare(line, batch.text(i), known, order, person)
            return
        if self.coupons is not None and not self._coupon(batch, i, order, person):
            self.not_new.add(order_id)
            return
        self.new_orders.append((order_id, person, order))
        self.report.created += 1
        if self.has_lines:
            self._line(line, order_id, batch, i, order)

    def _coupon(
        self, batch: ParsedBatch, i: int, order: OrderValues, person: KnownCustomer
    ) -> bool:
        """Whether a new order's coupon (if its row gives one) may be redeemed
        with it; a refused one is the row's error and the order is not made."""
        assert self.coupons is not None
        code = batch.column("coupon")[i]
        if not code:
            return True
        line = batch.lines[i]
        problem = self.coupons.refusal(
            code,
            customer_id=person.pk,
            amount=order[1],
            ordered_at=order[0],
            key=batch.column("order_id")[i],
            label=line,
            repeated=_("this coupon is already used on line %(at)s"),
        )
        if problem is None:
            return True
        header, cell = batch.text(i).get("coupon", ("", code))
        self.report.add_error(
            RowError(
                line=line,
                column=header,
                value=shown_value("coupon", cell),
                message=problem,
            )
        )
        return False

    def _customer(
        self,
        batch: ParsedBatch,
        i: int,
        customer_cells: CustomerCells,
        seen_at: dt.datetime | str | None,
    ) -> KnownCustomer | None:
        """The row's customer. Rows with the same customer values resolve the
        same way once the first of them did without a notice or an error (its
        values are recorded by then and nothing overwrites them), so each
        distinct set of values is resolved once."""
        person = self.settled.get(customer_cells)
        if person is not None:
            return person
        report = self.report
        before = report.tally()
        values = self.unresolved.get(customer_cells)
        found = self.customer_for(
            batch.lines[i],
            customer_values(customer_cells) if values is None else values,
            customer_cells[-1] or "",
            batch.text(i),
            seen_at,
        )
        if found is not None and report.tally() == before:
            self.settled[customer_cells] = found
        return found

    def _agrees(
        self, order_id: str, given: OrderValues, line: int, text: RowText
    ) -> bool:
        """A later row of an order repeats the first row's values or leaves them blank."""
        first_line = self.first_lines[order_id]
        first = self.values_this_batch.get(order_id)
        if first is None:
            first = self.values_last_batch.get(order_id)
        if first is None:
            message = _(
                "this order already appeared on line %(line)d; "
                "the rows of one order must be next to each other"
            ) % {"line": first_line}
        elif all(g is None or f == g for f, g in zip(first, given, strict=True)):
            return True
        else:
            message = _("this order appears on line %(line)d with different values") % {
                "line": first_line
            }
        self.report.add_error(
            RowError(
                line=line,
                column=text["order_id"][0],
                value=shown_value("order_id", order_id),
                message=message,
            )
        )
        return False

    def _compare(
        self,
        line: int,
        text: RowText,
        known: dict[str, Any],
        order: OrderValues,
        person: KnownCustomer,
    ) -> None:
        """A row of an order recorded before: a new status is taken, other
        differences are notices."""
        given = dict(zip(ORDER_VALUES, order, strict=True))
        changed = False
        status = given["status"]
        if status and status != known["status"]:
            changed = True
            self.status_changes.append((known["pk"], status))
            self._touch([known["customer_id"]])
        for name in ("ordered_at", "amount", "currency", "store", "channel"):
            value = given[name]
            if value in (None, ""):
                continue
            recorded = known[name]
            if name == "ordered_at":
                recorded = utc_text(recorded)
            if value != recorded:
                self.report.add_notice(kept_notice(line, name, text))
        if person.pk is not None and person.pk != known["customer_id"]:
            field = "customer_phone" if "customer_phone" in text else "customer_id"
            header, cell = text.get(field, ("", ""))
            self.report.add_notice(
                RowError(
                    line=line,
                    column=header,
                    value=shown_value(field, cell),
                    message=_(
                        "this order is recorded for another customer; it was kept there"
                    ),
                )
            )
        if changed:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def _line(
        self,
        line: int,
        order_id: str,
        batch: ParsedBatch,
        i: int,
        order: OrderValues,
    ) -> None:
        values = batch.row_values(i, self.line_names)
        sku = values.get("sku") or ""
        name = values.get("product_name") or ""
        if not (sku or name):
            return
        quantity = values.get("quantity", 1)
        price = values.get("unit_price")
        if price is None:
            amount = order[1]
            if amount is None:
                self.rows.require(line, values, batch.text(i), ("unit_price",))
                return
            price = (amount / quantity).quantize(amount)
        try:
            line_total(quantity, price)
        except ValidationFailed as exc:
            self._line_total_refused(line, batch.text(i), exc.message)
            return
        self.new_lines.append(
            (
                order_id,
                sku or ("name:" + name)[:64],
                name or sku,
                values.get("category", ""),
                quantity,
                price,
            )
        )

    def _line_total_refused(self, line: int, text: RowText, message: str) -> None:
        """Quantity × unit price does not fit the amount column: reported at the
        unit price the row gave (else its quantity, else its amount)."""
        header, cell, name = "", "", "unit_price"
        for candidate in ("unit_price", "quantity", "amount"):
            found = text.get(candidate)
            if found is not None:
                (header, cell), name = found, candidate
                break
        self.report.add_error(
            RowError(
                line=line,
                column=header,
                value=shown_value(name, cell),
                message=message,
            )
        )

    def _defer_indexes(self) -> None:
        """For an import at least as large as the orders table (and large),
        build the table's secondary indexes once at the end (SQLite); the same
        for the customers table when it was empty (no lookups need them then)."""
        self.deferred_indexes = [order_indexes(), customer_indexes()]
        if connection.vendor != "sqlite" or self.expected_rows < DEFER_INDEXES_FROM:
            return
        if self.expected_rows >= order_highest_id():
            self.deferred_indexes[0].drop()
        if self.customers.matcher.empty_at_start:
            self.deferred_indexes[1].drop()

    def _flush(self) -> None:
        if self.deferred_indexes is None and self.new_orders:
            self._defer_indexes()
        self.customers.matcher.flush(self.now)
        if self.new_orders:
            new_orders = self.new_orders
            pks = self.writer.reserve(len(new_orders)) if self.has_lines else None
            self.writer.insert(
                source=self.source,
                orders=(
                    (order_id, written_pk(person), *order)
                    for order_id, person, order in new_orders
                ),
                now=self.now,
                pks=pks,
            )
            self._touch(written_pk(person) for _o, person, _v in new_orders)
            if pks:
                for pk, (order_id, _p, _o) in zip(pks, new_orders, strict=True):
                    self.order_pks[order_id] = pk
            self.new_orders = []
        if self.status_changes:
            order_status_bulk_update(changes=self.status_changes)
            self.status_changes = []
        if self.new_lines:
            self._flush_lines()
        if self.coupons is not None and self.coupons.uses:
            self._redeem()

    def _redeem(self) -> None:
        """Mark the coupons of the orders just written redeemed."""
        assert self.coupons is not None
        keys = [key for _pk, key, _at in self.coupons.uses]
        pks = {k: self.order_pks[k] for k in keys if k in self.order_pks}
        missing = [k for k in keys if k not in pks]
        if missing:
            found = orders_recorded(source=self.source, external_ids=missing)
            pks |= {k: row["pk"] for k, row in found.items()}
        self.coupons.write(pks)

    def _touch(self, customer_ids: Iterable[int]) -> None:
        if self.touched is None:
            return
        self.touched.update(customer_ids)
        if len(self.touched) > REFRESH_ALL_FROM:
            self.touched = None

    def _flush_lines(self) -> None:
        products = products_ensure(
            products={
                sku: (name, category)
                for _o, sku, name, category, _q, _p in reversed(self.new_lines)
            }
        )
        OrderLineBulkWriter().insert(
            (
                self.order_pks[order_id],
                products[sku],
                quantity,
                price,
                price * quantity,
            )
            for order_id, sku, _n, _c, quantity, price in self.new_lines
        )
        self.new_lines = []

    def finish(self) -> None:
        if self.writing:
            self._flush()
            for indexes in self.deferred_indexes or ():
                indexes.restore()
            # In the import's transaction, after the indexes are back: the
            # aggregate reads the orders by customer.
            if self.touched is None or self.touched:
                order_purchases_refresh(customer_ids=self.touched)
        self.customers_counted()

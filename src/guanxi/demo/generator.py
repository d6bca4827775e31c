"""Demo data: customers of a tea brand with buy-till-you-die purchase histories.

Each customer is acquired at some moment in the last two years, then buys at
their own rate (Poisson, rate drawn from a gamma distribution) and after every
purchase may silently stop buying for good (probability drawn from a beta
distribution) — the BG/NBD story the CLV models assume. Orders carry lines of
real-looking products; some are refunded; customers also visit, open and click
messages, write reviews, get calls and complain.

Rows are written chunk by chunk through the bulk writers of the apps that
own the tables (:mod:`guanxi.customers.bulk`, :mod:`guanxi.commerce.bulk`:
many rows per ``INSERT`` on SQLite, ``COPY`` on PostgreSQL), because a million
customers with ten million orders would take hours through ``save()``. Search
keys and ciphertext come from the customers app's own rules.

**All or nothing**: the whole run is one transaction. A run that is killed or
interrupted leaves the database as it was, and running it again gives the same
result as a run that was never interrupted. One transaction costs nothing
measurable (the secondary indexes of empty tables are built once at the end
instead, which saves more); see ``docs/benchmarks/web.md``.

Same seed and same ``end`` → same data (apart from row ids and creation
timestamps on a database that already holds rows). Phone numbers and emails are
derived from the customer id, so no two demo customers share one, whatever the
seeds; a run whose customers would share one with a customer recorded before
(an import, the API) is refused, nothing written.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils.translation import pgettext
from tqdm import tqdm

from guanxi.commerce.services import (
    OrderBulkWriter,
    OrderLineBulkWriter,
    order_indexes,
    order_line_indexes,
    order_purchases_refresh,
    order_tables_settle,
    orders_exist,
    products_ensure,
)
from guanxi.core.bulk import SecondaryIndexes, bulk_session
from guanxi.core.errors import ValidationFailed
from guanxi.customers.services import (
    CustomerBulkWriter,
    CustomerMatcher,
    InteractionBulkWriter,
    contact_taken_error,
    customer_indexes,
    customer_tables_settle,
    customer_tags_bulk_add,
    identity_bulk_create,
    interaction_indexes,
)
from guanxi.demo import catalog
from guanxi.demo.simulation import WINDOW_DAYS, Chunk, DemoParams, interactions

__all__ = [
    "DEMO_LANGUAGES",
    "WINDOW_DAYS",
    "DemoParams",
    "DemoRefused",
    "DemoResult",
    "demo_fill",
    "demo_language",
]

#: The languages a demo can be made in.
DEMO_LANGUAGES = ("zh-hans", "en")


def demo_language() -> str:
    """The business's language (``LANGUAGE_CODE``) as a demo language."""
    from django.conf import settings

    return "zh-hans" if str(settings.LANGUAGE_CODE).lower().startswith("zh") else "en"


DEMO_SOURCE = "demo"
CHUNK_SIZE = 2000
US_PER_DAY = 86_400_000_000


class DemoRefused(ValidationFailed):
    """The demo data cannot be added to this database; nothing was written."""


@dataclass(frozen=True)
class DemoResult:
    customers: int
    orders: int
    order_lines: int
    interactions: int
    seconds: float
    interrupted: bool = False


def _now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc_texts(us: np.ndarray) -> list[str]:
    """UTC microseconds since the epoch as naive UTC text (``2024-01-05
    06:30:00.000000``), what the bulk writers take for a moment."""
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
    return [s.replace("T", " ") for s in text.tolist()]


def _products() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Ensure the catalogue exists; return ids, prices (cents), category index, names."""
    ids = products_ensure(products={s: (n, c) for s, n, c, _ in catalog.PRODUCTS})
    categories = list(dict.fromkeys(p[2] for p in catalog.PRODUCTS))
    return (
        np.array([ids[p[0]] for p in catalog.PRODUCTS], dtype=np.int64),
        np.array([round(float(p[3]) * 100) for p in catalog.PRODUCTS], dtype=np.int64),
        np.array([categories.index(p[2]) for p in catalog.PRODUCTS], dtype=np.int64),
        categories,
    )


def _money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in cents.astype(np.int64).tolist()]


def demo_fill(
    *,
    customers: int,
    seed: int = 0,
    end: dt.datetime | None = None,
    managers: Sequence[int] = (),
    params: DemoParams | None = None,
    progress: bool = True,
    chunk_size: int = CHUNK_SIZE,
    language: str = "zh-hans",
) -> DemoResult:
    """Add ``customers`` demo customers with orders and interactions up to ``end``,
    all of them or (interrupted, refused) none.

    ``managers`` are user ids; each gets 2% of the customers assigned.
    ``language``: ``zh-hans`` (Chinese names, addresses and what customers
    say) or ``en`` (the same in English).
    """
    if language not in DEMO_LANGUAGES:
        raise DemoRefused(
            f"unknown demo language {language!r}: choose zh-hans or en "
            f"未知的演示语言 {language!r}：请选择 zh-hans 或 en"
        )
    started = time.perf_counter()
    if end is None:
        today = _now_utc().date()
        end = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    bar = tqdm(
        total=customers,
        unit=" " + pgettext("progress", "customers"),
        file=sys.stderr,
        disable=not progress,
        desc=pgettext("progress", "demo data"),
        smoothing=0.05,
    )
    run = _Run(
        seed=seed,
        end=end.astimezone(dt.UTC),
        managers=managers,
        params=params or DemoParams(),
        bar=bar,
        english=language == "en",
    )
    interrupted = False
    try:
        # The writer allocates the ids it writes, so foreign keys hold by
        # construction; checking each of ten million rows costs a third of
        # the time.
        with bulk_session(check_foreign_keys=False), transaction.atomic():
            run.fill(customers, chunk_size)
    except KeyboardInterrupt:
        # Ctrl-C: the transaction is rolled back, nothing is kept.
        interrupted = True
    except IntegrityError as exc:
        raise _refused(exc) from None
    finally:
        bar.close()
    if interrupted:
        run.totals = dict.fromkeys(run.totals, 0)
    return DemoResult(
        customers=run.totals["customers"],
        orders=run.totals["orders"],
        order_lines=run.totals["lines"],
        interactions=run.totals["interactions"],
        seconds=time.perf_counter() - started,
        interrupted=interrupted,
    )


def _refused(error: IntegrityError) -> DemoRefused:
    if contact_taken_error(error) is not None:
        return DemoRefused(
            "Another customer with a demo phone number or email address was "
            "recorded while the demo ran; nothing was written. "
            "演示运行期间有其他客户使用了演示手机号或邮箱；未写入任何数据。"
        )
    return DemoRefused(
        "Rows were added by someone else while the demo ran; nothing was written: "
        "run the demo again. 演示运行期间有其他写入；未写入任何数据，请重新运行。"
    )


class _Run:
    """One demo run: the chunks, written through the apps' bulk writers."""

    def __init__(
        self,
        *,
        seed: int,
        end: dt.datetime,
        managers: Sequence[int],
        params: DemoParams,
        bar: Any,
        english: bool = False,
    ) -> None:
        self.seed = seed
        self.english = english
        self.end = end
        window_start = end - dt.timedelta(days=WINDOW_DAYS)
        self.epoch_us = int(window_start.timestamp() * 1_000_000)
        self.managers = managers
        self.params = params
        self.bar = bar
        self.totals = {"customers": 0, "orders": 0, "lines": 0, "interactions": 0}
        self.customers = CustomerBulkWriter()
        self.orders = OrderBulkWriter()
        self.lines = OrderLineBulkWriter()
        self.interactions = InteractionBulkWriter()

    def fill(self, customers: int, chunk_size: int) -> None:
        self.product_ids, self.prices, product_cat, self.categories = _products()
        self.cat_members = [
            np.flatnonzero(product_cat == c) for c in range(len(self.categories))
        ]
        self.stores_by_city: dict[str, list[int]] = {}
        for idx, (_name, city, _ch) in enumerate(catalog.STORES):
            if city:
                self.stores_by_city.setdefault(city, []).append(idx)
        self.online = [i for i, s in enumerate(catalog.STORES) if not s[1]]
        # Customers recorded before (SQLite: checked under the write lock) may
        # hold a phone number or email address a demo customer would get.
        self.check_contacts = CustomerMatcher(source=DEMO_SOURCE).may_know_more()
        indexes = self._defer_indexes(customers)
        self.id_span: list[int] = []
        chunk_no = 0
        while self.totals["customers"] < customers:
            n = min(chunk_size, customers - self.totals["customers"])
            self._chunk(np.random.default_rng([self.seed, chunk_no]), n)
            chunk_no += 1
            self.bar.update(n)
            self.bar.set_postfix_str(
                pgettext("progress", "orders=%(n)d") % {"n": self.totals["orders"]},
                refresh=False,
            )
        for deferred in indexes:
            deferred.restore()
        if self.id_span:
            # The demo's customers are new: only their aggregates move. Its
            # orders are made up: no survey invitation, journey or warning
            # reacts to them.
            order_purchases_refresh(
                customer_ids=range(min(self.id_span), max(self.id_span) + 1),
                announce=False,
            )
        customer_tables_settle()
        order_tables_settle()

    def _defer_indexes(self, customers: int) -> list[SecondaryIndexes]:
        """Into empty tables (SQLite), build the secondary indexes once at the
        end: cheaper than keeping them up to date row by row."""
        if connection.vendor != "sqlite" or self.check_contacts:
            return []
        indexes = [customer_indexes(), interaction_indexes()]
        if not orders_exist(source=DEMO_SOURCE) and customers >= 1000:
            indexes += [order_indexes(), order_line_indexes()]
        for deferred in indexes:
            deferred.drop()
        return indexes

    def _chunk(self, rng: np.random.Generator, n: int) -> None:
        first_id = self.customers.ids_after_highest(1)[0]
        self.id_span += [first_id, first_id + n - 1]
        chunk = Chunk(
            rng=rng,
            first_id=first_id,
            n=n,
            english=self.english,
            seed=self.seed,
            params=self.params,
            managers=self.managers,
        )
        people = chunk.people(self.end.date())
        if self.check_contacts:
            self._refuse_shared_contacts(people)
        join, o_cust, o_day = chunk.purchases()
        n_orders = np.bincount(o_cust, minlength=n)
        last = np.full(n, -1.0)
        np.maximum.at(last, o_cust, o_day)
        now = _now_utc()
        first_order = self.orders.ids_after_highest(1)[0]
        order_rows, line_rows, status, order_cents = self._orders(
            rng, chunk, people, o_cust, o_day, first_order
        )
        self.customers.insert(
            pks=[p["id"] for p in people],
            people=people,
            first_seen=_utc_texts(self.epoch_us + (join * US_PER_DAY).astype(np.int64)),
            now=now,
        )
        identity_bulk_create(
            source=DEMO_SOURCE,
            pairs=[(p["id"], f"M{p['id']:08d}") for p in people],
            now=now,
        )
        customer_tags_bulk_add(
            links=_tags(rng, people, join, n_orders, status, o_cust, order_cents)
        )
        self.orders.insert(
            source=DEMO_SOURCE,
            orders=order_rows,
            now=now,
            pks=range(first_order, first_order + len(order_rows)),
        )
        self.lines.insert(
            [(first_order + j, *line) for j, *line in line_rows],
        )
        i_cust, i_day, i_kind, i_channel, i_note = interactions(
            rng,
            join=join,
            last=last,
            n_orders=n_orders,
            preferred=[p["preferred_channel"] for p in people],
            english=self.english,
        )
        i_time = _utc_texts(self.epoch_us + (i_day * US_PER_DAY).astype(np.int64))
        self.interactions.insert(
            (
                (
                    int(chunk.ids[i_cust[j]]),
                    i_kind[j],
                    i_time[j],
                    i_channel[j],
                    i_note[j],
                    DEMO_SOURCE,
                    None,
                )
                for j in range(i_cust.size)
            ),
            now=now,
        )
        self.totals["customers"] += n
        self.totals["orders"] += len(order_rows)
        self.totals["lines"] += len(line_rows)
        self.totals["interactions"] += int(i_cust.size)

    def _refuse_shared_contacts(self, people: list[dict[str, Any]]) -> None:
        """The customers app's matcher: no demo customer may get the phone
        number or email address of a customer recorded before."""
        matcher = CustomerMatcher(source=DEMO_SOURCE)
        keys = [key for person in people for _n, key in matcher.keys(person, "")]
        matcher.prefetch(keys)
        taken = {id(matcher.by_key[k]) for k in keys if k in matcher.by_key}
        if taken:
            raise DemoRefused(
                f"{len(taken)} customers recorded before have a phone number or "
                "email address that demo customers would get; nothing was "
                "written. Run the demo with an empty database (another "
                "GUANXI_DATA_DIR). 已有客户使用了演示客户将获得的手机号或邮箱；"
                "未写入任何数据。请在空数据库中运行演示。"
            )

    def _orders(
        self,
        rng: np.random.Generator,
        chunk: Chunk,
        people: list[dict[str, Any]],
        o_cust: np.ndarray,
        o_day: np.ndarray,
        first_order: int,
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], np.ndarray, np.ndarray]:
        """Orders (to be written from id ``first_order`` on) and their lines
        (by the order's index in the chunk)."""
        n, n_o = chunk.n, o_cust.size
        categories, cat_members = self.categories, self.cat_members
        spend = rng.lognormal(0.0, 0.45, n)
        n_lines = np.minimum(1 + rng.poisson(0.6 * spend[o_cust]), 6)
        line_order = np.repeat(np.arange(n_o), n_lines)
        fav = rng.integers(0, len(categories), n)
        from_fav = rng.random(line_order.size) < 0.6
        fav_cat = fav[o_cust[line_order]]
        members_len = np.array([len(m) for m in cat_members])
        members_start = np.concatenate([[0], np.cumsum(members_len)[:-1]])
        members_flat = np.concatenate(cat_members)
        fav_pick = members_flat[
            members_start[fav_cat]
            + (rng.random(line_order.size) * members_len[fav_cat]).astype(np.int64)
        ]
        any_pick = rng.integers(0, self.product_ids.size, line_order.size)
        product = np.where(from_fav, fav_pick, any_pick)
        quantity = 1 + (rng.random(line_order.size) < 0.15) * rng.integers(
            1, 3, line_order.size
        )
        line_cents = quantity * self.prices[product]
        order_cents = np.bincount(line_order, weights=line_cents, minlength=n_o).astype(
            np.int64
        )
        status_draw = rng.random(n_o)
        status = np.select(
            [status_draw < 0.03, status_draw < 0.04, status_draw < 0.05],
            ["refunded", "partially_refunded", "cancelled"],
            "paid",
        )
        home: list[int | None] = []
        for p in people:
            city_stores = self.stores_by_city.get(p["city"], [])
            home.append(
                city_stores[p["id"] % len(city_stores)] if city_stores else None
            )
        in_store = rng.random(n_o) < 0.65
        online_pick = rng.choice(self.online, size=n_o, p=[0.5, 0.3, 0.2])
        epoch_us = self.epoch_us
        order_time = epoch_us + (o_day * US_PER_DAY).astype(np.int64)
        # Shop hours: move each order into 09:00–21:00 local (UTC+8) of its day.
        day_start = (order_time - epoch_us) // US_PER_DAY * US_PER_DAY + epoch_us
        order_time = day_start + ((1 + (o_day % 1.0) * 12) * 3_600_000_000).astype(
            np.int64
        )
        order_ts = _utc_texts(order_time)
        order_rows = []
        for j in range(n_o):
            c = o_cust[j]
            store_idx = home[c] if (in_store[j] and home[c] is not None) else None
            if store_idx is None:
                store_idx = int(online_pick[j])
            store_name, _city, store_channel = catalog.STORES[store_idx]
            order_rows.append(
                (
                    f"D{first_order + j:010d}",
                    int(chunk.ids[c]),
                    order_ts[j],
                    f"{order_cents[j] // 100}.{order_cents[j] % 100:02d}",
                    "CNY",
                    str(status[j]),
                    store_name,
                    store_channel,
                )
            )
        line_rows = list(
            zip(
                line_order.tolist(),
                self.product_ids[product].tolist(),
                quantity.tolist(),
                _money(self.prices[product]),
                _money(line_cents),
                strict=True,
            )
        )
        return order_rows, line_rows, status, order_cents


def _tags(
    rng: np.random.Generator,
    people: list[dict[str, Any]],
    join: np.ndarray,
    n_orders: np.ndarray,
    status: np.ndarray,
    o_cust: np.ndarray,
    order_cents: np.ndarray,
) -> list[tuple[int, str]]:
    """``(customer id, tag)``: VIPs by paid spend, members, fans, old customers."""
    n = len(people)
    paid = np.bincount(
        o_cust, weights=np.where(status == "paid", order_cents, 0), minlength=n
    )
    tag_draw = rng.random((n, 3))
    links = []
    for i, p in enumerate(people):
        if paid[i] >= 300_000:
            links.append((p["id"], "VIP"))
        if tag_draw[i, 0] < 0.1:
            links.append((p["id"], "茶会会员"))
        if tag_draw[i, 1] < 0.02:
            links.append((p["id"], "企业客户"))
        if tag_draw[i, 2] < 0.25:
            links.append((p["id"], "公众号粉丝"))
        if join[i] < 180 and n_orders[i] >= 5:
            links.append((p["id"], "老客户"))
    return links

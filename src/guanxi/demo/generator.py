"""Demo data: customers of a tea brand with buy-till-you-die purchase histories.

Each customer is acquired at some moment in the last two years, then buys at
their own rate (Poisson, rate drawn from a gamma distribution) and after every
purchase may silently stop buying for good (probability drawn from a beta
distribution) — the BG/NBD story the CLV models assume. Orders carry lines of
real-looking products; some are refunded; customers also visit, open and click
messages, write reviews, get calls and complain.

The generator writes straight into the tables in chunks (``executemany`` on
SQLite, ``COPY`` on PostgreSQL) because a million customers with ten million
orders would take hours through ``save()``. It still goes through the
customers app for everything that has a rule: search keys come from
:func:`customer_apply_contact`, ciphertext from the encrypted fields themselves.

Same seed and same ``end`` → same data (apart from row ids and creation
timestamps on a database that already holds rows). Phone numbers and emails are
derived from the customer id, so a second run never repeats one.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.management.color import no_style
from django.db import connection, models, transaction
from tqdm import tqdm

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.customers.models import Customer, CustomerIdentity, Interaction
from guanxi.customers.services import customer_apply_contact, tags_ensure
from guanxi.demo import catalog

__all__ = ["DemoParams", "DemoResult", "demo_fill"]

DEMO_SOURCE = "demo"
CHUNK_SIZE = 2000
WINDOW_DAYS = 730.0
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class DemoParams:
    """Shape of the purchase process (rates per day)."""

    rate_shape: float = 0.9  # r of the gamma over purchase rates
    rate_scale: float = 0.055  # 1/alpha: mean rate r/alpha ≈ 0.05 purchases a day
    drop_a: float = 0.7  # beta over the probability of stopping after a purchase
    drop_b: float = 8.0
    prospect_share: float = 0.05  # signed up, never bought
    max_orders: int = 400


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


class _TableWriter:
    """Appends rows to one table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def timestamps(self, us: np.ndarray) -> list[str]:
        """UTC microseconds since the epoch → the column text for this backend."""
        text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
        suffix = "+00:00" if self.postgres else ""
        return [s.replace("T", " ") + suffix for s in text.tolist()]

    def timestamp(self, value: dt.datetime) -> str:
        naive = value.astimezone(dt.UTC).replace(tzinfo=None)
        return naive.isoformat(" ", "microseconds") + (
            "+00:00" if self.postgres else ""
        )

    def write(self, model: type[models.Model], columns: list[str], rows: Any) -> None:
        meta = model._meta
        cols = [_concrete(model, c).column for c in columns]
        quote = connection.ops.quote_name
        table = quote(str(meta.db_table))
        col_sql = ", ".join(quote(str(c)) for c in cols)
        with connection.cursor() as cursor:
            if self.postgres:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({col_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(cols))
                cursor.executemany(
                    f"INSERT INTO {table} ({col_sql}) VALUES ({marks})", rows
                )


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _next_id(model: type[models.Model]) -> int:
    top = model._default_manager.aggregate(m=models.Max("pk"))["m"]
    return int(top or 0) + 1


def _products() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Ensure the catalogue exists; return ids, prices (cents), category index, names."""
    Product.objects.bulk_create(
        [Product(sku=s, name=n, category=c) for s, n, c, _ in catalog.PRODUCTS],
        ignore_conflicts=True,
    )
    ids = dict(
        Product.objects.filter(sku__in=[p[0] for p in catalog.PRODUCTS]).values_list(
            "sku", "id"
        )
    )
    categories = list(dict.fromkeys(p[2] for p in catalog.PRODUCTS))
    return (
        np.array([ids[p[0]] for p in catalog.PRODUCTS], dtype=np.int64),
        np.array([round(float(p[3]) * 100) for p in catalog.PRODUCTS], dtype=np.int64),
        np.array([categories.index(p[2]) for p in catalog.PRODUCTS], dtype=np.int64),
        categories,
    )


def _money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in cents.astype(np.int64).tolist()]


class _Chunk:
    """Everything generated for one chunk of customers (plain Python and numpy)."""

    def __init__(
        self,
        *,
        rng: np.random.Generator,
        first_id: int,
        n: int,
        seed: int,
        params: DemoParams,
        managers: Sequence[int],
    ) -> None:
        self.rng = rng
        self.ids = np.arange(first_id, first_id + n, dtype=np.int64)
        self.n = n
        self.seed = seed
        self.params = params
        self.managers = list(managers)

    # -- people ---------------------------------------------------------------

    def people(self, end_date: dt.date) -> list[dict[str, Any]]:
        rng, n = self.rng, self.n
        sur_w = np.array([s[2] for s in catalog.SURNAMES])
        surname = rng.choice(len(catalog.SURNAMES), size=n, p=sur_w / sur_w.sum())
        female = rng.random(n) < 0.56
        english = rng.random(n) < 0.08
        given_f = rng.integers(0, len(catalog.GIVEN_FEMALE), n)
        given_m = rng.integers(0, len(catalog.GIVEN_MALE), n)
        en_given = rng.integers(0, 16, n)
        en_family = rng.integers(0, len(catalog.EN_FAMILY), n)
        gender_unknown = rng.random(n) < 0.03
        city_w = np.array([c[1] for c in catalog.CITIES], dtype=float)
        city = rng.choice(len(catalog.CITIES), size=n, p=city_w / city_w.sum())
        district = rng.integers(0, 100, n)
        street = rng.integers(0, len(catalog.STREETS), n)
        house = rng.integers(1, 999, n)
        room = rng.integers(101, 2802, n)
        has_address = rng.random(n) < 0.6
        has_birthday = rng.random(n) < 0.88
        age_days = (18 + np.minimum(rng.gamma(4.0, 5.0, n), 62)) * 365.25
        has_email = rng.random(n) < 0.55
        email_style = rng.integers(0, 3, n)
        channel = rng.choice(
            ["wecom", "sms", "email", "phone", ""],
            size=n,
            p=[0.4, 0.3, 0.15, 0.05, 0.1],
        )
        # k -> (a*k + b) mod 10^8 is a bijection when a is coprime to 10^8, so
        # phone numbers never repeat below 10^8 customers.
        a_mult = 1 + 2 * ((self.seed * 7919 + 19_260_817) % 50_000_000)
        if a_mult % 5 == 0:
            a_mult += 2
        b_add = (self.seed * 104_729) % 100_000_000
        people = []
        for i in range(n):
            cid = int(self.ids[i])
            k = cid - 1
            prefix = catalog.MOBILE_PREFIXES[
                (k * 7 + k // 13) % len(catalog.MOBILE_PREFIXES)
            ]
            rest = (a_mult * k + b_add) % 100_000_000
            phone = f"+86{prefix}{rest:08d}"
            if english[i]:
                first = (catalog.EN_FEMALE if female[i] else catalog.EN_MALE)[
                    en_given[i]
                ]
                family = catalog.EN_FAMILY[en_family[i]]
                name = f"{first} {family}"
                local = f"{first}.{family}".lower()
                handle = f"{family}{first[0]}".lower()
            else:
                sur, sur_py, _ = catalog.SURNAMES[surname[i]]
                given, given_py = (
                    catalog.GIVEN_FEMALE[given_f[i]]
                    if female[i]
                    else catalog.GIVEN_MALE[given_m[i]]
                )
                name = sur + given
                local = f"{given_py}.{sur_py}"
                handle = f"{sur_py}{given_py}"
            email = None
            if has_email[i]:
                style = email_style[i]
                if style == 0:
                    email = f"{local}{k}@example.com"
                elif style == 1:
                    email = f"{handle}_{k}@example.net"
                else:
                    email = f"{10_000_000 + k}@example.org"
            city_name, _, districts = catalog.CITIES[city[i]]
            address = None
            if has_address[i]:
                address = (
                    f"{city_name}市{districts[district[i] % len(districts)]}"
                    f"{catalog.STREETS[street[i]]}{house[i]}号{room[i]}室"
                )
            birthday = None
            if has_birthday[i]:
                birthday = end_date - dt.timedelta(days=int(age_days[i]))
            gender = "" if gender_unknown[i] else ("female" if female[i] else "male")
            pref = str(channel[i])
            if pref == "email" and email is None:
                pref = "sms"
            manager = None
            slot = k % 100
            if slot < 2 * len(self.managers):
                manager = self.managers[slot // 2]
            people.append(
                {
                    "id": cid,
                    "name": name,
                    "phone": phone,
                    "email": email,
                    "address": address,
                    "birthday": birthday,
                    "gender": gender,
                    "city": city_name,
                    "preferred_channel": pref,
                    "assigned_manager_id": manager,
                }
            )
        return people

    # -- purchases ------------------------------------------------------------

    def purchases(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(join day, customer index per order, order day) in days from window start."""
        rng, n, p = self.rng, self.n, self.params
        join = WINDOW_DAYS * rng.random(n) ** 1.3  # more customers joined earlier
        rate = rng.gamma(p.rate_shape, p.rate_scale, n)
        drop = rng.beta(p.drop_a, p.drop_b, n)
        buyer = rng.random(n) >= p.prospect_share
        who = [np.flatnonzero(buyer)]
        when = [join[buyer]]
        active = np.flatnonzero(buyer)
        t = join[active].copy()
        for _ in range(p.max_orders):
            if active.size == 0:
                break
            stay = rng.random(active.size) >= drop[active]
            t = t + rng.exponential(1.0, active.size) / rate[active]
            keep = stay & (t < WINDOW_DAYS)
            active, t = active[keep], t[keep]
            who.append(active)
            when.append(t)
        cust = np.concatenate(who)
        day = np.concatenate(when)
        order = np.lexsort((day, cust))
        return join, cust[order], day[order]


def _interactions(
    rng: np.random.Generator,
    *,
    join: np.ndarray,
    last: np.ndarray,
    n_orders: np.ndarray,
    preferred: list[str],
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[str]]:
    """(customer index, day, kind, channel, note) for visits, messages, reviews…"""
    n = join.size
    count = rng.poisson(1.2 + 0.15 * np.minimum(n_orders, 20))
    cust = np.repeat(np.arange(n), count)
    lo = np.maximum(join[cust] - 20, 0)
    hi = np.minimum(np.maximum(last[cust], join[cust]) + 60, WINDOW_DAYS)
    day = lo + rng.random(cust.size) * (hi - lo)
    kinds = ["visit", "message_opened", "message_clicked", "review", "call", "login"]
    kind_idx = rng.choice(6, size=cust.size, p=[0.28, 0.3, 0.12, 0.1, 0.08, 0.12])
    # Complaints: a few customers complain once or twice, a handful in a burst.
    complainer = rng.random(n) < 0.04
    c_count = np.where(complainer, 1 + rng.poisson(0.4, n), 0)
    burst = rng.random(n) < 0.004
    c_cust = np.repeat(np.arange(n), c_count)
    c_day = join[c_cust] + rng.random(c_cust.size) * (
        np.maximum(last[c_cust], join[c_cust]) + 30 - join[c_cust]
    )
    b_cust = np.repeat(np.flatnonzero(burst), 4)
    b_start = np.maximum(np.minimum(last[b_cust], WINDOW_DAYS - 25), 0)
    b_day = b_start + rng.random(b_cust.size) * 20
    all_cust = np.concatenate([cust, c_cust, b_cust])
    all_day = np.minimum(np.concatenate([day, c_day, b_day]), WINDOW_DAYS - 1e-6)
    good = rng.random(all_cust.size) < 0.85
    pick = rng.integers(0, 1000, all_cust.size)
    kind_list: list[str] = []
    channel_list: list[str] = []
    note_list: list[str] = []
    n_plain = cust.size
    for j in range(all_cust.size):
        if j < n_plain:
            kind = kinds[kind_idx[j]]
        else:
            kind = "complaint"
        note = ""
        if kind == "visit":
            channel = "store"
        elif kind in ("message_opened", "message_clicked"):
            channel = preferred[all_cust[j]] or "sms"
            if channel == "phone":
                channel = "sms"
        elif kind == "review":
            channel = "tmall" if pick[j] % 2 else "online"
            texts = catalog.REVIEWS_GOOD if good[j] else catalog.REVIEWS_BAD
            note = texts[pick[j] % len(texts)]
        elif kind == "call":
            channel = "phone"
        elif kind == "login":
            channel = "wechat" if pick[j] % 2 else "online"
        else:
            channel = ("phone", "wecom", "online")[pick[j] % 3]
            note = catalog.COMPLAINTS[pick[j] % len(catalog.COMPLAINTS)]
        kind_list.append(kind)
        channel_list.append(channel)
        note_list.append(note)
    return all_cust, all_day, kind_list, channel_list, note_list


def demo_fill(
    *,
    customers: int,
    seed: int = 0,
    end: dt.datetime | None = None,
    managers: Sequence[int] = (),
    params: DemoParams | None = None,
    progress: bool = True,
    chunk_size: int = CHUNK_SIZE,
) -> DemoResult:
    """Add ``customers`` demo customers with orders and interactions up to ``end``.

    ``managers`` are user ids; each gets 2% of the customers assigned.
    """
    started = time.perf_counter()
    params = params or DemoParams()
    if end is None:
        today = _now_utc().date()
        end = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    end = end.astimezone(dt.UTC)
    window_start = end - dt.timedelta(days=WINDOW_DAYS)
    epoch_us = int(window_start.timestamp() * 1_000_000)
    writer = _TableWriter()
    product_ids, prices, product_cat, categories = _products()
    cat_members = [np.flatnonzero(product_cat == c) for c in range(len(categories))]
    tag_ids = {t.name: t.pk for t in tags_ensure(names=catalog.TAGS)}
    stores_by_city: dict[str, list[int]] = {}
    for idx, (_name, city, _ch) in enumerate(catalog.STORES):
        if city:
            stores_by_city.setdefault(city, []).append(idx)
    online = [i for i, s in enumerate(catalog.STORES) if not s[1]]
    tag_model = Customer.tags.through
    fields = {f: _concrete(Customer, f) for f in ("name", "phone", "email")}
    enc_address = _concrete(Customer, "address")
    enc_birthday = _concrete(Customer, "birthday")
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # The generator writes ids it has just allocated, so foreign keys hold by
        # construction; checking each of ten million rows costs a third of the time.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MB for index pages
            cursor.execute("PRAGMA foreign_keys=OFF")

    ids = {
        m: _next_id(m)
        for m in (Customer, Order, OrderLine, Interaction, CustomerIdentity, tag_model)
    }
    totals = {"orders": 0, "lines": 0, "interactions": 0}
    bar = tqdm(
        total=customers,
        unit=" customers",
        file=sys.stderr,
        disable=not progress,
        desc="demo",
        smoothing=0.05,
    )
    done = 0
    chunk_no = 0
    interrupted = False
    try:
        while done < customers:
            n = min(chunk_size, customers - done)
            rng = np.random.default_rng([seed, chunk_no])
            chunk = _Chunk(
                rng=rng,
                first_id=ids[Customer],
                n=n,
                seed=seed,
                params=params,
                managers=managers,
            )
            people = chunk.people(end.date())
            join, o_cust, o_day = chunk.purchases()
            n_orders = np.bincount(o_cust, minlength=n)
            last = np.full(n, -1.0)
            np.maximum.at(last, o_cust, o_day)
            now_text = writer.timestamp(_now_utc())

            # Orders and their lines.
            n_o = o_cust.size
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
            any_pick = rng.integers(0, product_ids.size, line_order.size)
            product = np.where(from_fav, fav_pick, any_pick)
            quantity = 1 + (rng.random(line_order.size) < 0.15) * rng.integers(
                1, 3, line_order.size
            )
            line_cents = quantity * prices[product]
            order_cents = np.bincount(
                line_order, weights=line_cents, minlength=n_o
            ).astype(np.int64)
            status_draw = rng.random(n_o)
            status = np.select(
                [status_draw < 0.03, status_draw < 0.04, status_draw < 0.05],
                ["refunded", "partially_refunded", "cancelled"],
                "paid",
            )
            home: list[int | None] = []
            for p in people:
                city_stores = stores_by_city.get(p["city"], [])
                home.append(
                    city_stores[p["id"] % len(city_stores)] if city_stores else None
                )
            in_store = rng.random(n_o) < 0.65
            online_pick = rng.choice(online, size=n_o, p=[0.5, 0.3, 0.2])
            order_time = epoch_us + (o_day * US_PER_DAY).astype(np.int64)
            # Shop hours: move each order into 09:00–21:00 local (UTC+8) of its day.
            day_start = (order_time - epoch_us) // US_PER_DAY * US_PER_DAY + epoch_us
            order_time = day_start + ((1 + (o_day % 1.0) * 12) * 3_600_000_000).astype(
                np.int64
            )
            order_ts = writer.timestamps(order_time)
            first_order_id = ids[Order]
            order_rows = []
            for j in range(n_o):
                c = o_cust[j]
                store_idx = home[c] if (in_store[j] and home[c] is not None) else None
                if store_idx is None:
                    store_idx = int(online_pick[j])
                store_name, _city, store_channel = catalog.STORES[store_idx]
                oid = first_order_id + j
                order_rows.append(
                    (
                        oid,
                        DEMO_SOURCE,
                        f"D{oid:010d}",
                        int(chunk.ids[c]),
                        order_ts[j],
                        f"{order_cents[j] // 100}.{order_cents[j] % 100:02d}",
                        "CNY",
                        store_name,
                        store_channel,
                        str(status[j]),
                        now_text,
                    )
                )
            line_rows = zip(
                range(ids[OrderLine], ids[OrderLine] + line_order.size),
                (first_order_id + line_order).tolist(),
                product_ids[product].tolist(),
                quantity.tolist(),
                _money(prices[product]),
                _money(line_cents),
                strict=True,
            )

            # Customers: search keys through the customers app, ciphertext from the fields.
            paid = np.bincount(
                o_cust, weights=np.where(status == "paid", order_cents, 0), minlength=n
            )
            first_seen = writer.timestamps(
                epoch_us + (join * US_PER_DAY).astype(np.int64)
            )
            tag_draw = rng.random((n, 3))
            customer_rows = []
            identity_rows = []
            tag_rows: list[tuple[int, int, int]] = []
            tag_id = ids[tag_model]
            for i, p in enumerate(people):
                c = Customer(
                    name=p["name"],
                    phone=p["phone"],
                    email=p["email"],
                    birthday=p["birthday"],
                )
                customer_apply_contact(c)
                customer_rows.append(
                    (
                        p["id"],
                        now_text,
                        now_text,
                        fields["name"].get_prep_value(p["name"]),
                        c.name_tokens,
                        fields["phone"].get_prep_value(p["phone"]),
                        c.phone_index,
                        fields["email"].get_prep_value(p["email"]),
                        c.email_index,
                        enc_address.get_prep_value(p["address"]),
                        enc_birthday.get_prep_value(p["birthday"]),
                        c.birth_year,
                        p["gender"],
                        p["city"],
                        p["preferred_channel"],
                        p["assigned_manager_id"],
                        first_seen[i],
                    )
                )
                identity_rows.append(
                    (
                        ids[CustomerIdentity] + i,
                        p["id"],
                        DEMO_SOURCE,
                        f"M{p['id']:08d}",
                        now_text,
                    )
                )
                names = []
                if paid[i] >= 300_000:
                    names.append("VIP")
                if tag_draw[i, 0] < 0.1:
                    names.append("茶会会员")
                if tag_draw[i, 1] < 0.02:
                    names.append("企业客户")
                if tag_draw[i, 2] < 0.25:
                    names.append("公众号粉丝")
                if join[i] < 180 and n_orders[i] >= 5:
                    names.append("老客户")
                for name in names:
                    tag_rows.append((tag_id, p["id"], tag_ids[name]))
                    tag_id += 1

            i_cust, i_day, i_kind, i_channel, i_note = _interactions(
                rng,
                join=join,
                last=last,
                n_orders=n_orders,
                preferred=[p["preferred_channel"] for p in people],
            )
            i_time = writer.timestamps(epoch_us + (i_day * US_PER_DAY).astype(np.int64))
            interaction_rows = [
                (
                    ids[Interaction] + j,
                    int(chunk.ids[i_cust[j]]),
                    i_kind[j],
                    i_time[j],
                    i_channel[j],
                    i_note[j],
                    DEMO_SOURCE,
                    None,
                    now_text,
                )
                for j in range(i_cust.size)
            ]

            with transaction.atomic():
                writer.write(
                    Customer,
                    [
                        "id", "created_at", "updated_at", "name", "name_tokens", "phone",
                        "phone_index", "email", "email_index", "address", "birthday",
                        "birth_year", "gender", "city", "preferred_channel",
                        "assigned_manager", "first_seen_at",
                    ],
                    customer_rows,
                )  # fmt: skip
                writer.write(
                    CustomerIdentity,
                    ["id", "customer", "source", "external_id", "created_at"],
                    identity_rows,
                )
                writer.write(tag_model, ["id", "customer", "tag"], tag_rows)
                writer.write(
                    Order,
                    [
                        "id", "source", "external_id", "customer", "ordered_at", "amount",
                        "currency", "store", "channel", "status", "created_at",
                    ],
                    order_rows,
                )  # fmt: skip
                writer.write(
                    OrderLine,
                    ["id", "order", "product", "quantity", "unit_price", "amount"],
                    line_rows,
                )
                writer.write(
                    Interaction,
                    [
                        "id", "customer", "kind", "occurred_at", "channel", "note",
                        "source", "external_id", "created_at",
                    ],
                    interaction_rows,
                )  # fmt: skip
            ids[Customer] += n
            ids[CustomerIdentity] += n
            ids[tag_model] = tag_id
            ids[Order] += n_o
            ids[OrderLine] += line_order.size
            ids[Interaction] += len(interaction_rows)
            totals["orders"] += n_o
            totals["lines"] += int(line_order.size)
            totals["interactions"] += len(interaction_rows)
            done += n
            chunk_no += 1
            bar.update(n)
            bar.set_postfix(orders=totals["orders"], refresh=False)
    except KeyboardInterrupt:
        # Ctrl-C: the chunk in flight is rolled back, the finished ones stay.
        interrupted = True
    bar.close()
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys=ON")
    _after_bulk_insert(
        [Customer, CustomerIdentity, tag_model, Order, OrderLine, Interaction]
    )
    return DemoResult(
        customers=done,
        orders=totals["orders"],
        order_lines=totals["lines"],
        interactions=totals["interactions"],
        seconds=time.perf_counter() - started,
        interrupted=interrupted,
    )


def _after_bulk_insert(models_: Iterable[type[models.Model]]) -> None:
    """Move id sequences past the explicit ids and refresh planner statistics."""
    models_ = list(models_)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            for m in models_:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(m._meta.db_table)}")

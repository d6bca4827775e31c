"""What the demo customers are and do: people, purchases and interactions.

Plain Python and numpy, no database. Each customer is acquired at some moment
in the two years before the end date, then buys at their own rate (Poisson,
rate drawn from a gamma distribution) and after every purchase may silently
stop buying for good (probability drawn from a beta distribution): the BG/NBD
story the CLV models assume.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from guanxi.demo import catalog

__all__ = ["WINDOW_DAYS", "Chunk", "DemoParams", "interactions"]

WINDOW_DAYS = 730.0
# Coprime to 10^8 (see Chunk.people); the value seed 0 used to give, so the
# default demo keeps its phone numbers.
_PHONE_MULTIPLIER = 38_521_637


@dataclass(frozen=True)
class DemoParams:
    """Shape of the purchase process (rates per day)."""

    rate_shape: float = 0.9  # r of the gamma over purchase rates
    rate_scale: float = 0.055  # 1/alpha: mean rate r/alpha ≈ 0.05 purchases a day
    drop_a: float = 0.7  # beta over the probability of stopping after a purchase
    drop_b: float = 8.0
    prospect_share: float = 0.05  # signed up, never bought
    max_orders: int = 400


class Chunk:
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
        english: bool = False,
    ) -> None:
        self.rng = rng
        self.ids = np.arange(first_id, first_id + n, dtype=np.int64)
        self.n = n
        self.seed = seed
        self.params = params
        self.managers = list(managers)
        #: A demo in English: English names, addresses and cities.
        self.english = english

    # -- people ---------------------------------------------------------------

    def people(self, end_date: dt.date) -> list[dict[str, Any]]:
        rng, n = self.rng, self.n
        sur_w = np.array([s[2] for s in catalog.SURNAMES])
        surname = rng.choice(len(catalog.SURNAMES), size=n, p=sur_w / sur_w.sum())
        female = rng.random(n) < 0.56
        # Once the share of English names in a Chinese demo; still drawn, so
        # that a seed keeps giving the same phone numbers, days and amounts.
        rng.random(n)
        english = np.full(n, self.english)
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
        # phone numbers never repeat below 10^8 customers; the same for every
        # seed, so that demo runs with different seeds never share a number
        # (customer ids never repeat in one database).
        a_mult, b_add = _PHONE_MULTIPLIER, 0
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
            if self.english:
                city_name, districts = catalog.CITIES_EN[city_name]
                if has_address[i]:
                    address = (
                        f"Room {room[i]}, No. {house[i]} "
                        f"{catalog.STREETS_EN[street[i]]}, "
                        f"{districts[district[i] % len(districts)]} District, "
                        f"{city_name}"
                    )
            elif has_address[i]:
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


def interactions(
    rng: np.random.Generator,
    *,
    join: np.ndarray,
    last: np.ndarray,
    n_orders: np.ndarray,
    preferred: list[str],
    english: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[str]]:
    """(customer index, day, kind, channel, note) for visits, messages, reviews…
    (their texts in English when ``english``)."""
    good_texts = catalog.REVIEWS_GOOD_EN if english else catalog.REVIEWS_GOOD
    bad_texts = catalog.REVIEWS_BAD_EN if english else catalog.REVIEWS_BAD
    complaints = catalog.COMPLAINTS_EN if english else catalog.COMPLAINTS
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
            texts = good_texts if good[j] else bad_texts
            note = texts[pick[j] % len(texts)]
        elif kind == "call":
            channel = "phone"
        elif kind == "login":
            channel = "wechat" if pick[j] % 2 else "online"
        else:
            channel = ("phone", "wecom", "online")[pick[j] % 3]
            note = complaints[pick[j] % len(complaints)]
        kind_list.append(kind)
        channel_list.append(channel)
        note_list.append(note)
    return all_cust, all_day, kind_list, channel_list, note_list

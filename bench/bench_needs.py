"""Benchmark: mining 100,000 texts into the needs list on one core.

Fills a fresh data folder (migrated on first use) with ``--customers``
customers, each with one paid order, and ``--texts`` texts written by them
over twelve months: 60 % tickets, 20 % reviews and complaints (interactions,
notes encrypted), 20 % needs-survey answers; four in five in Chinese, one in
five in English, built from phrases of complaints, suggestions and praise
with varied wording. Then runs ``needs_mine`` (read through the selectors,
jieba, sentiment, NMF topics, revenue, write) twice — the second run is the
idempotent re-run a nightly task does — and reports wall and CPU seconds,
texts per second, peak memory and the machine's load. BLAS and OpenMP are
held to one thread (OMP_WAIT_POLICY=passive) so the figure is one core's.
Target: ≤ 60 s for 100,000 texts.

Usage::

    python bench/bench_needs.py --data-dir /tmp/needs-bench [--texts 100000]

Set ``DATABASE_URL`` to run it on PostgreSQL. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

ZH_SUBJECTS = [
    "物流", "快递", "包装", "客服", "价格", "质量", "退货", "售后", "发票", "会员积分",
    "优惠券", "门店", "送货", "APP", "小程序", "尺码", "颜色", "口味", "保质期", "赠品",
]  # fmt: skip
ZH_COMPLAINTS = [
    "{s}太慢了，等了一个星期", "{s}很差，希望尽快改进", "{s}有问题，联系了三次没人管",
    "{s}不满意，太失望了", "{s}总是出错，能不能改进一下", "{s}比以前差多了",
]  # fmt: skip
ZH_SUGGESTIONS = [
    "建议{s}再快一点", "希望{s}可以更方便", "{s}能不能多一些选择", "希望增加{s}的说明",
]  # fmt: skip
ZH_PRAISE = ["{s}很好，非常满意", "{s}不错，下次还来", "{s}服务周到，点赞"]
EN_SUBJECTS = [
    "delivery", "packaging", "support", "price", "quality", "returns", "refund",
    "invoice", "coupon", "app", "store", "size", "colour", "taste", "shipping",
]  # fmt: skip
EN_TEXTS = [
    "The {s} was terrible, please fix it", "Slow {s} again, very disappointed",
    "I wish the {s} were better", "Great {s}, thank you", "Could you improve the {s}?",
    "{s} took two weeks, not acceptable",
]  # fmt: skip


def _text(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(EN_TEXTS).format(s=rng.choice(EN_SUBJECTS))
    pool = rng.choice([ZH_COMPLAINTS, ZH_COMPLAINTS, ZH_SUGGESTIONS, ZH_PRAISE])
    text = rng.choice(pool).format(s=rng.choice(ZH_SUBJECTS))
    if rng.random() < 0.4:  # a second point in the same text
        text += "，" + rng.choice(ZH_COMPLAINTS).format(s=rng.choice(ZH_SUBJECTS))
    return text


def _fill(*, customers: int, texts: int) -> None:
    from django.utils import timezone

    from guanxi.commerce.models import Order
    from guanxi.customers.models import Customer, Interaction
    from guanxi.feedback.models import Ticket
    from guanxi.surveys.models import Answer, Invitation, Survey

    have = Ticket.objects.count() + Interaction.objects.count() + Answer.objects.count()
    if have >= texts:
        return
    rng = random.Random(15)
    now = timezone.now()
    made = []
    for start in range(0, customers, 5000):
        batch = [
            Customer(name=f"客户{i}")
            for i in range(start, min(customers, start + 5000))
        ]
        made += Customer.objects.bulk_create(batch, batch_size=1000)
    Order.objects.bulk_create(
        [
            Order(
                customer=c,
                external_id=f"b{c.pk}",
                ordered_at=now,
                amount=Decimal(rng.randint(50, 5000)),
            )
            for c in made
        ],
        batch_size=2000,
    )
    survey = Survey.objects.get(kind="needs")
    tickets, notes, answers = [], [], []
    for i in range(texts):
        customer = made[rng.randrange(len(made))]
        at = now - dt.timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 1440))
        kind = i % 10
        if kind < 6:
            tickets.append(
                Ticket(
                    customer=customer,
                    category="complaint",
                    channel="phone",
                    text=_text(rng),
                    source="staff",
                    opened_at=at,
                    first_reply_due=at,
                    solve_due=at,
                )
            )
        elif kind < 8:
            notes.append(
                Interaction(
                    customer=customer,
                    kind="review" if kind == 6 else "complaint",
                    occurred_at=at,
                    note=_text(rng),
                )
            )
        else:
            answers.append((customer, at, _text(rng)))
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    Interaction.objects.bulk_create(notes, batch_size=2000)
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                customer=c,
                trigger="manual",
                nonce="b",
                expires_at=at,
                answered_at=at,
            )
            for c, at, _t in answers
        ],
        batch_size=2000,
    )
    Answer.objects.bulk_create(
        [
            Answer(
                invitation=inv,
                survey=survey,
                customer=c,
                kind="needs",
                pain_points=t,
                answered_at=at,
            )
            for inv, (c, at, t) in zip(invitations, answers, strict=True)
        ],
        batch_size=2000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    os.environ["GUANXI_DATA_DIR"] = str(args.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from guanxi.needs.services import needs_mine

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _fill(customers=args.customers, texts=args.texts)
    print(
        f"{args.texts:,} texts of {args.customers:,} customers on {connection.vendor} "
        f"(filled in {time.perf_counter() - started:.1f} s)"
    )
    print("| run | texts | needs | topics | wall s | CPU s | texts/s (wall) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label in ("first", "again (idempotent)"):
        wall, cpu = time.perf_counter(), time.process_time()
        result = needs_mine()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"| {label} | {result.texts:,} | {result.needs} | {result.topics} | "
            f"{wall:.1f} | {cpu:.1f} | {result.texts / wall:,.0f} |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(
        f"peak memory {peak:.0f} MB; load average {load[0]:.1f} {load[1]:.1f} "
        f"{load[2]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()

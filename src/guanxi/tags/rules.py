"""The automatic tag rules: which tags the data gives each customer at a run.

Every rule is one SQL statement over the run's snapshots, the customers, the
orders of the preference window or the interactions, selecting
``(customer_id, key)`` pairs; the customers app's
:class:`~guanxi.customers.services.AutomaticTagWriter` turns the keys into
tag ids and replaces the automatic links with them. No rule loops over
customers in Python. The rules and their thresholds are described for people
in docs/tags.md; the thresholds are :class:`~guanxi.tags.models.TagRules`.

A tag's key is ``family:value`` (``stage:new``, ``category:绿茶``); its Chinese
name is ``家族·值`` and its English name ``Family: value``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from guanxi.analytics.rfm_segments import SEGMENT_LABELS_EN, SEGMENT_LABELS_ZH
from guanxi.customers.choices import Channel
from guanxi.customers.selectors import customer_rows, interaction_rows
from guanxi.customers.services import AutomaticTagSpec, AutomaticTagWriter
from guanxi.insights.selectors import snapshot_rows
from guanxi.tags import patterns
from guanxi.tags.models import TagRules
from guanxi.tags.window import WindowPairs, window_rules, window_tables

__all__ = ["FIXED_TAGS", "RuleOutcome", "automatic_tags_write", "channel_label"]

Progress = Callable[[str, float], None]

# (key, Chinese name, English name) of the tags whose values are known ahead.
FIXED_TAGS: list[tuple[str, str, str]] = [
    ("stage:prospect", "生命周期·潜在客户", "Lifecycle: prospect"),
    ("stage:new", "生命周期·新客户", "Lifecycle: new customer"),
    ("stage:growing", "生命周期·成长客户", "Lifecycle: growing"),
    ("stage:mature", "生命周期·成熟客户", "Lifecycle: mature"),
    ("stage:at_risk", "生命周期·风险客户", "Lifecycle: at risk"),
    ("stage:lapsed", "生命周期·流失客户", "Lifecycle: lapsed"),
    ("quadrant:star", "价值象限·明星客户", "Value: star"),
    ("quadrant:cash_cow", "价值象限·金牛客户", "Value: cash cow"),
    ("quadrant:potential", "价值象限·潜力客户", "Value: potential"),
    ("quadrant:basic", "价值象限·基础客户", "Value: basic"),
    ("emotion:fan", "情感·粉丝", "Emotion: fan"),
    ("emotion:ordinary", "情感·普通", "Emotion: ordinary"),
    ("emotion:drifting", "情感·潜在流失", "Emotion: drifting"),
    ("value:vip", "价值·VIP", "Value: VIP"),
    ("risk:churn_high", "风险·高流失风险", "Risk: high churn risk"),
    ("birthday:this_month", "生日·本月", "Birthday this month"),
    ("habit:weekend", "购物习惯·周末购物", "Habit: weekend shopper"),
    ("rhythm:weekly", "复购节奏·每周", "Rhythm: buys weekly"),
    ("rhythm:monthly", "复购节奏·每月", "Rhythm: buys monthly"),
    ("rhythm:quarterly", "复购节奏·每季度", "Rhythm: buys quarterly"),
    ("scenario:home", "使用场景·家庭", "Scenario: home"),
    ("scenario:business", "使用场景·商务", "Scenario: business"),
    ("needs:awareness", "需求阶段·认知", "Needs: awareness"),
    ("needs:decision", "需求阶段·决策", "Needs: decision"),
    ("needs:loyalty", "需求阶段·忠诚", "Needs: loyalty"),
]

#: Purchase channels as the imports and the demo write them: Chinese, English.
PURCHASE_CHANNELS: dict[str, tuple[str, str]] = {
    "store": ("门店", "store"),
    "online": ("线上商城", "online shop"),
    "tmall": ("天猫", "Tmall"),
    "taobao": ("淘宝", "Taobao"),
    "jd": ("京东", "JD.com"),
    "wechat": ("微信小程序", "WeChat mini program"),
    "douyin": ("抖音", "Douyin"),
    "app": ("App", "app"),
    "phone": ("电话", "phone"),
}
CONTACT_CHANNELS: dict[str, tuple[str, str]] = {
    Channel.EMAIL: ("邮件", "email"),
    Channel.SMS: ("短信", "SMS"),
    Channel.WECOM: ("企业微信", "WeCom"),
    Channel.PHONE: ("电话", "phone"),
}
#: Interactions that show a prospect weighing a purchase (needs: decision).
CONSIDERING = ("visit", "message_clicked", "event_attended", "call")


def channel_label(value: str, *, chinese: bool) -> str:
    """A purchase channel as people say it (an unknown one as stored)."""
    names = PURCHASE_CHANNELS.get(value)
    if names is None:
        return value
    return names[0] if chinese else names[1]


@dataclass(frozen=True)
class RuleOutcome:
    wanted: int
    added: int
    removed: int


def _compiled(qs: QuerySet[Any]) -> tuple[str, list[Any]]:
    """The query's SQL and parameters, without the model's default ordering
    (see :func:`guanxi.tags.patterns._compiled`)."""
    sql, params = qs.order_by().query.sql_with_params()
    return sql, list(params)


@contextmanager
def _temp_tables() -> Iterator[Callable[[str, str, list[Any]], str]]:
    """``make(name, sql, params)`` creates a temporary table from a query;
    all are dropped on the way out."""
    made: list[str] = []
    # Qualified drops: never a table of that name outside this session.
    schema = "temp" if connection.vendor == "sqlite" else "pg_temp"

    def make(name: str, sql: str, params: list[Any]) -> str:
        table = f"guanxi_tags_{name}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
            cursor.execute(f"CREATE TEMP TABLE {table} AS {sql}", params)
        made.append(table)
        return table

    try:
        yield make
    finally:
        with connection.cursor() as cursor:
            for table in made:
                cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


def _values(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return sorted(str(row[0]) for row in cursor.fetchall() if row[0])


def _vip_cut(snap: tuple[str, list[Any]], top_percent: float) -> float | None:
    """The total spend from which a buyer is in the top ``top_percent`` %."""
    sql, params = snap
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) s WHERE orders > 0", params)
        buyers = cursor.fetchone()[0]
        place = math.ceil(buyers * top_percent / 100.0)
        if place < 1:
            return None
        cursor.execute(
            f"SELECT total_spend FROM ({sql}) s WHERE orders > 0 "
            "ORDER BY total_spend DESC LIMIT 1 OFFSET %s",
            [*params, place - 1],
        )
        row = cursor.fetchone()
    return float(row[0]) if row is not None else None


def _specs(
    *, segments: list[str], channels: list[str], categories: list[str]
) -> list[AutomaticTagSpec]:
    specs = [AutomaticTagSpec(key=k, name=zh, name_en=en) for k, zh, en in FIXED_TAGS]
    for value in segments:
        zh = SEGMENT_LABELS_ZH.get(value, value)
        en = SEGMENT_LABELS_EN.get(value, value)
        specs.append(AutomaticTagSpec(f"rfm:{value}", f"RFM·{zh}", f"RFM: {en}"))
    for value, (zh, en) in CONTACT_CHANNELS.items():
        specs.append(
            AutomaticTagSpec(f"contact:{value}", f"沟通偏好·{zh}", f"Contact: {en}")
        )
    for value in channels:
        zh = channel_label(value, chinese=True)
        en = channel_label(value, chinese=False)
        specs.append(
            AutomaticTagSpec(f"channel:{value}", f"购买渠道·{zh}", f"Buys via: {en}")
        )
    for value in categories:
        specs.append(
            AutomaticTagSpec(
                f"category:{value}", f"偏好品类·{value}", f"Prefers: {value}"
            )
        )
    return specs


def automatic_tags_write(
    *,
    as_of: dt.date,
    rules: TagRules,
    writer: AutomaticTagWriter,
    ensure: Callable[[list[AutomaticTagSpec]], Any],
    progress: Progress | None = None,
    window_pairs: WindowPairs | None = None,
) -> None:
    """Add every pair the rules give as of ``as_of`` to ``writer`` (the tags
    created first through ``ensure``). ``window_pairs``: the preference
    window's pairs already computed (:func:`guanxi.tags.window.window_pairs_read`);
    without them the window's rules run here, in the database."""

    def step(share: float) -> None:
        if progress is not None:
            progress("tags", share)

    snap = _compiled(
        snapshot_rows(as_of=as_of).values(
            "customer_id",
            "stage",
            "quadrant",
            "emotion",
            "rfm_segment",
            "orders",
            "total_spend",
            "mean_gap_days",
            "churn_risk",
        )
    )
    with _temp_tables() as make:
        if window_pairs is None:
            channels, categories, window_sql = _window_sql(
                as_of=as_of, rules=rules, make=make
            )
        else:
            channels, categories = window_pairs.channels, window_pairs.categories
            window_sql = []
        step(0.6)
        ensure(
            _specs(
                segments=_distinct(snap, "rfm_segment"),
                channels=channels,
                categories=categories,
            )
        )
        touches = make("touches", *touches_sql(as_of=as_of, rules=rules))
        for sql, params in [
            *_rules(as_of=as_of, rules=rules, snap=snap, touches=touches),
            *window_sql,
        ]:
            writer.add_keys(sql, params)
        if window_pairs is not None:
            writer.add_key_pairs(window_pairs.pairs)
        step(0.8)


def _window_sql(
    *, as_of: dt.date, rules: TagRules, make: Callable[[str, str, list[Any]], str]
) -> tuple[list[str], list[str], list[tuple[str, list[Any]]]]:
    """The preference window's tables made in the database (PostgreSQL;
    SQLite inside a transaction): its channels, its categories, and its
    rules as SQL on those tables."""
    window = patterns.window_for(as_of=as_of, days=rules.preference_window_days)
    orders: tuple[str, list[Any]] = (
        f"SELECT * FROM {make('orders', *patterns.orders_sql(window))}",
        [],
    )
    lines: tuple[str, list[Any]] = (
        f"SELECT * FROM {make('lines', *patterns.lines_sql(window))}",
        [],
    )
    days, channel, categories, large = window_tables(
        lambda name, query: make(name, *query), orders=orders, lines=lines, rules=rules
    )
    return (
        _values(f"SELECT DISTINCT channel FROM {channel}"),
        _values(
            f"SELECT DISTINCT category FROM {categories} "
            f"WHERE place <= {int(rules.category_max)}"
        ),
        list(
            window_rules(
                rules=rules,
                days=days,
                channel=channel,
                categories=categories,
                large=large,
            )
        ),
    )


def _distinct(snap: tuple[str, list[Any]], column: str) -> list[str]:
    sql, params = snap
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT {column} FROM ({sql}) s", params)
        return sorted(str(row[0]) for row in cursor.fetchall() if row[0])


def _rules(
    *,
    as_of: dt.date,
    rules: TagRules,
    snap: tuple[str, list[Any]],
    touches: str,
) -> Iterator[tuple[str, list[Any]]]:
    """``(sql, params)`` selecting ``(customer_id, key)`` for each rule."""
    s, sp = snap
    # The run's own labels.
    for family, column in (
        ("stage", "stage"),
        ("quadrant", "quadrant"),
        ("emotion", "emotion"),
        ("rfm", "rfm_segment"),
    ):
        yield (
            f"SELECT customer_id, '{family}:' || {column} AS key "
            f"FROM ({s}) s WHERE {column} <> ''",
            sp,
        )
    # Value and risk.
    cut = _vip_cut(snap, rules.vip_top_percent)
    if cut is None:
        yield (
            f"SELECT customer_id, 'value:vip' AS key FROM ({s}) s "
            "WHERE quadrant = 'star'",
            sp,
        )
    else:
        yield (
            f"SELECT customer_id, 'value:vip' AS key FROM ({s}) s "
            "WHERE quadrant = 'star' OR (orders > 0 AND total_spend >= %s)",
            [*sp, cut],
        )
    yield (
        f"SELECT customer_id, 'risk:churn_high' AS key FROM ({s}) s "
        "WHERE churn_risk >= %s",
        [*sp, rules.churn_risk_high],
    )
    # Repurchase rhythm: the usual days between purchases.
    yield (
        "SELECT customer_id, key FROM ("
        "SELECT customer_id, CASE "
        "WHEN mean_gap_days <= %s THEN 'rhythm:weekly' "
        "WHEN mean_gap_days <= %s THEN 'rhythm:monthly' "
        "WHEN mean_gap_days <= %s THEN 'rhythm:quarterly' END AS key "
        f"FROM ({s}) s WHERE orders >= %s AND mean_gap_days IS NOT NULL"
        ") r WHERE key IS NOT NULL",
        [
            rules.rhythm_weekly_days,
            rules.rhythm_monthly_days,
            rules.rhythm_quarterly_days,
            *sp,
            rules.rhythm_min_orders,
        ],
    )
    # The profile: birthday this month, the contact channel they prefer.
    born, bp = _compiled(customer_rows().filter(birth_month=as_of.month).values("id"))
    yield f"SELECT id AS customer_id, 'birthday:this_month' AS key FROM ({born}) c", bp
    contact, cp = _compiled(
        customer_rows()
        .filter(preferred_channel__in=list(CONTACT_CHANNELS))
        .values("id", "preferred_channel")
    )
    yield (
        "SELECT id AS customer_id, 'contact:' || preferred_channel AS key "
        f"FROM ({contact}) c",
        cp,
    )
    # Needs stage: awareness, decision, loyalty.
    yield from _needs(rules=rules, snap=snap, touches=touches)


def touches_sql(*, as_of: dt.date, rules: TagRules) -> tuple[str, list[Any]]:
    """``(customer_id, seen, considered)``: interactions in the needs window,
    and those of them that show a purchase being weighed recently."""
    seen_window = patterns.window_for(as_of=as_of, days=rules.needs_window_days)
    decide_window = patterns.window_for(as_of=as_of, days=rules.decision_days)
    touches, tp = _compiled(
        interaction_rows()
        .filter(occurred_at__gte=seen_window.start, occurred_at__lt=seen_window.end)
        .values("customer_id", "kind", "occurred_at")
    )
    kinds = ", ".join(["%s"] * len(CONSIDERING))
    start = connection.ops.adapt_datetimefield_value(decide_window.start)
    sql = (
        "SELECT customer_id, COUNT(*) AS seen, SUM(CASE WHEN "
        f"kind IN ({kinds}) AND occurred_at >= %s THEN 1 ELSE 0 END) AS considered "
        f"FROM ({touches}) t GROUP BY customer_id"
    )
    return sql, [*CONSIDERING, start, *tp]


def _needs(
    *, rules: TagRules, snap: tuple[str, list[Any]], touches: str
) -> Iterator[tuple[str, list[Any]]]:
    """Needs stage: decision (stage new, or a prospect weighing a purchase),
    awareness (a prospect who has been in touch), loyalty (repeat buyers)."""
    s, sp = snap
    yield (
        f"SELECT customer_id, 'needs:decision' AS key FROM ({s}) s WHERE stage = 'new'",
        sp,
    )
    yield (
        f"SELECT customer_id, 'needs:loyalty' AS key FROM ({s}) s "
        "WHERE stage IN ('growing', 'mature') AND orders >= %s",
        [*sp, rules.loyalty_min_orders],
    )
    # The prospects among the customers in touch (a few), not the other way.
    yield (
        "SELECT customer_id, CASE WHEN considered > 0 THEN 'needs:decision' "
        f"ELSE 'needs:awareness' END AS key FROM {touches} "
        f"WHERE customer_id IN (SELECT customer_id FROM ({s}) s "
        "WHERE stage = 'prospect')",
        sp,
    )

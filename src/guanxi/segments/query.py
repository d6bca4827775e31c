"""A checked rule tree as one database filter (a ``Q``), on customers or snapshots.

A tree that tests no score is a filter on customers. A tree that tests a score
is a filter on the snapshots of one date, reaching the profile through the
snapshot's customer and the tags through the customer's id; its members are
the customers of the matching snapshots. Customers without a snapshot of that
date (added since the run) are then not members: their scores are not known
yet. Negation is plain: "not quadrant = star" is every scored customer whose
quadrant is another; "city is not 上海" includes customers with no city.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Q
from django.utils import timezone

from guanxi.customers.selectors import customer_has_tag
from guanxi.segments.fields import FIELDS, Kind, Op, RuleField, Source

__all__ = ["ON_CUSTOMERS", "ON_SNAPSHOTS", "Target", "rules_q"]


@dataclass(frozen=True)
class Target:
    """The table a filter runs on: its path to the profile and to the customer id."""

    profile_prefix: str
    customer_ref: str

    def column(self, spec: RuleField) -> str:
        if spec.source == Source.PROFILE:
            return self.profile_prefix + spec.column
        return spec.column


ON_CUSTOMERS = Target(profile_prefix="", customer_ref="pk")
ON_SNAPSHOTS = Target(profile_prefix="customer__", customer_ref="customer_id")

_COMPARE = {Op.LT: "lt", Op.LTE: "lte", Op.GT: "gt", Op.GTE: "gte"}


def rules_q(tree: dict[str, Any], *, on: Target, now: dt.datetime | None = None) -> Q:
    """The filter of a normalised tree (from ``rules_check``) on ``on``."""
    moment = now or timezone.now()
    return _node(tree, on, moment)


def _node(node: dict[str, Any], on: Target, now: dt.datetime) -> Q:
    if "all" in node:
        return reduce(and_, (_node(c, on, now) for c in node["all"]), Q())
    if "any" in node:
        return reduce(or_, (_node(c, on, now) for c in node["any"]))
    if "not" in node:
        return ~_node(node["not"], on, now)
    return _condition(node, on, now)


def _day_start(iso: str) -> dt.datetime:
    """Midnight of a day in the business's time zone."""
    day = dt.date.fromisoformat(iso)
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _condition(cond: dict[str, Any], on: Target, now: dt.datetime) -> Q:
    spec = FIELDS[cond["field"]]
    op = Op(cond["op"])
    value: Any = cond.get("value")
    if spec.kind == Kind.TAG:
        has = Q(customer_has_tag(value, customer=on.customer_ref))
        return has if op == Op.HAS else ~has
    column = on.column(spec)
    if op in (Op.EMPTY, Op.NOT_EMPTY):
        blank = spec.kind in (Kind.TEXT, Kind.CHOICE)
        empty = Q(**{column: ""}) if blank else Q(**{f"{column}__isnull": True})
        return empty if op == Op.EMPTY else ~empty
    if spec.kind == Kind.DATE:
        return _date_condition(column, op, value, now)
    if op == Op.EQ:
        return Q(**{column: value})
    if op == Op.NE:
        return ~Q(**{column: value})
    if op == Op.IN:
        return Q(**{f"{column}__in": value})
    if op == Op.NOT_IN:
        return ~Q(**{f"{column}__in": value})
    if op == Op.BETWEEN:
        return Q(**{f"{column}__gte": value[0], f"{column}__lte": value[1]})
    return Q(**{f"{column}__{_COMPARE[op]}": value})


def _date_condition(column: str, op: Op, value: Any, now: dt.datetime) -> Q:
    """Dates of a date-time column: whole days in the business's time zone."""
    if op == Op.IN_LAST_DAYS:
        return Q(**{f"{column}__gte": now - dt.timedelta(days=int(value))})
    if op == Op.BETWEEN:
        return Q(
            **{
                f"{column}__gte": _day_start(value[0]),
                f"{column}__lt": _day_start(value[1]) + dt.timedelta(days=1),
            }
        )
    start = _day_start(value)
    next_day = start + dt.timedelta(days=1)
    bound = {
        Op.LT: ("lt", start),
        Op.LTE: ("lt", next_day),
        Op.GT: ("gte", next_day),
        Op.GTE: ("gte", start),
    }[op]
    return Q(**{f"{column}__{bound[0]}": bound[1]})

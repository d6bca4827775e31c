"""A checked rule tree as one database filter (a ``Q``), on customers or snapshots.

A tree that tests no score is a filter on customers. A tree that tests a score
is a filter on the snapshots of one date; its members are the customers of the
matching snapshots. Customers without a snapshot of that date (added since the
run) are then not members: their scores are not known yet. Negation is plain:
"not quadrant = star" is every scored customer whose quadrant is another;
"city is not 上海" includes customers with no city.

On snapshots, the profile rules of a group become one ``customer_id IN
(customers matching them)`` and tags an ``EXISTS`` on the customer's tag links,
rather than a join to the customers: the snapshot side is then read from one
covering index (``snapshot_segment_idx``) and the customers' wide rows are not
read at all (quadrant = star, city = 上海, not tag complained at 1,000,000
customers: 0.52 s of CPU as a join, 0.07-0.2 s so; docs/benchmarks/segments.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from guanxi.customers.selectors import customer_has_tag, tag_customer_ids
from guanxi.segments.fields import FIELDS, Kind, Op, Source

__all__ = ["ON_CUSTOMERS", "ON_SNAPSHOTS", "Target", "rules_q"]


@dataclass(frozen=True)
class Target:
    """The table a filter runs on and its column holding the customer's id."""

    snapshots: bool
    customer_ref: str


ON_CUSTOMERS = Target(snapshots=False, customer_ref="pk")
#: Snapshots, or any rows with a ``customer_id`` (a tag's links: no score
#: rule may then be in the tree).
ON_SNAPSHOTS = Target(snapshots=True, customer_ref="customer_id")

_COMPARE = {Op.LT: "lt", Op.LTE: "lte", Op.GT: "gt", Op.GTE: "gte"}


@dataclass(frozen=True)
class _Compiler:
    on: Target
    now: dt.datetime
    #: Customers for the profile rules' subqueries (on snapshots).
    customers: QuerySet[Any] | None
    #: Tags as ``IN (customers with the tag)`` rather than ``EXISTS``.
    tag_lists: bool

    def node(self, node: dict[str, Any]) -> Q:
        if "all" in node:
            return self.group(node["all"], and_) if node["all"] else Q()
        if "any" in node:
            return self.group(node["any"], or_)
        if "not" in node:
            return ~self.node(node["not"])
        if self.on.snapshots and _is_profile(node):
            return self.profile([node], and_)
        if self.tag_lists and FIELDS[node["field"]].kind == Kind.TAG:
            has = Q(**{f"{self.on.customer_ref}__in": tag_customer_ids(node["value"])})
            return has if node["op"] == Op.HAS else ~has
        return _condition(node, self.on, self.now)

    def group(self, children: list[dict[str, Any]], combine: Any) -> Q:
        parts: list[Q] = []
        if self.on.snapshots:
            profile = [c for c in children if _is_profile(c)]
            children = [c for c in children if not _is_profile(c)]
            if profile:
                parts.append(self.profile(profile, combine))
        parts += [self.node(c) for c in children]
        return reduce(combine, parts)

    def profile(self, rules: list[dict[str, Any]], combine: Any) -> Q:
        """Profile rules of one group as one subquery of customers."""
        assert self.customers is not None
        q = reduce(combine, (_condition(r, ON_CUSTOMERS, self.now) for r in rules))
        return Q(customer_id__in=self.customers.filter(q).order_by().values("pk"))


def _is_profile(node: dict[str, Any]) -> bool:
    return "field" in node and FIELDS[node["field"]].source == Source.PROFILE


def rules_q(
    tree: dict[str, Any],
    *,
    on: Target,
    customers: QuerySet[Any] | None = None,
    tag_lists: bool = False,
    now: dt.datetime | None = None,
) -> Q:
    """The filter of a normalised tree (from ``rules_check``) on ``on``.

    ``customers`` (on snapshots): the customers profile rules pick from.
    ``tag_lists``: a tag rule as ``IN (the tag's customers)``, read once —
    quicker to count or to collect all members; without it an ``EXISTS`` per
    row, quicker when a page stops after 51 members.
    """
    if on.snapshots and customers is None:
        raise ValueError("a filter on snapshots needs the customers to pick from")
    compiler = _Compiler(
        on=on, now=now or timezone.now(), customers=customers, tag_lists=tag_lists
    )
    return compiler.node(tree)


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
    column = spec.column
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

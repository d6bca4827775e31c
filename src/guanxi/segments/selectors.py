"""Reads of segments: the list, one segment, its members and counts, its share
over time — members and counts always within the viewer's scope.

Members are built on ``customers.selectors.customer_scope`` (scores on
``insights.selectors.snapshot_scope``), so an account manager's members and
counts are their own customers only; how a member looks to a role is the
customers presenters' business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import scope_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.selectors import (
    customer_scope,
    tag_customer_ids,
    tag_customer_sizes,
)
from guanxi.insights.choices import RunStatus
from guanxi.insights.selectors import latest_as_of, run_list, snapshot_scope
from guanxi.segments.models import Segment, SegmentCount
from guanxi.segments.query import ON_CUSTOMERS, ON_SNAPSHOTS, rules_q
from guanxi.segments.rules import rules_check, uses_scores

__all__ = [
    "Share",
    "everyone_actor",
    "members_are_sparse",
    "segment_count",
    "segment_customers_total",
    "segment_get",
    "segment_history",
    "segment_latest_counts",
    "segment_list",
    "segment_members",
    "segment_share_by_manager",
    "segment_uses_scores",
]

#: How long the number of customers in a scope (a share's denominator) is kept.
TOTAL_CACHE_SECONDS = 120
#: Runs shown on a segment's share-over-time chart.
HISTORY_RUNS = 36


@dataclass(frozen=True)
class Share:
    """Members of a segment among the customers of a scope, as of a date."""

    members: int
    customers: int
    as_of: dt.date | None

    @property
    def share(self) -> float:
        return self.members / self.customers if self.customers else 0.0

    @property
    def percent(self) -> float:
        return round(100 * self.share, 1)


def everyone_actor() -> Any:
    """An unsaved superuser: counts of all customers (the per-run counts)."""
    return get_user_model()(username="(segments)", is_superuser=True, is_active=True)


def segment_list() -> QuerySet[Segment]:
    """Every segment, the shipped defaults first (segments hold no personal data)."""
    return Segment.objects.select_related("created_by").order_by("id")


def segment_get(*, pk: Any) -> Segment:
    number = parse_id(pk)
    found = segment_list().filter(pk=number).first() if number is not None else None
    if found is None:
        raise NotFound(_("segment not found"))
    return found


def _snapshots(
    actor: Any, tree: dict[str, Any], as_of: dt.date | None
) -> QuerySet[Any]:
    """The snapshots matching ``tree`` of ``as_of``'s run, in ``actor``'s scope."""
    day = as_of if as_of is not None else latest_as_of()
    if day is None:
        return snapshot_scope(actor=actor, as_of=None)  # none before the first run
    # Profile rules pick from every customer: the snapshots are in scope
    # already, and "city = 上海" is then read from the city index alone (an
    # account manager's scope there made SQLite read 145,000 customers' rows).
    everyone = customer_scope(actor=everyone_actor())
    return snapshot_scope(actor=actor, as_of=day).filter(
        rules_q(tree, on=ON_SNAPSHOTS, customers=everyone)
    )


def segment_members(
    *, actor: Any, rules: Any, as_of: dt.date | None = None, sparse: bool = False
) -> QuerySet[Any]:
    """The customers in ``actor``'s scope who match ``rules`` (scores: of the
    run of ``as_of``, default the latest). Raises ``ValidationFailed`` naming
    the rule when the tree cannot run.

    ``sparse``: the caller knows the members are few among the customers
    (:func:`members_are_sparse`). Pages of members are read newest first; for
    most segments the quickest way is to walk the customers from the newest
    and test each (an ``EXISTS``), but for a rare one that walk is long, and
    collecting the few members first is quicker.
    """
    tree = rules_check(rules, lookups=None)
    customers = customer_scope(actor=actor)
    if not uses_scores(tree):
        return customers.filter(rules_q(tree, on=ON_CUSTOMERS, tag_lists=sparse))
    if sparse:
        scored = _snapshots(actor, tree, as_of)
        return customers.filter(pk__in=scored.values("customer_id"))
    # The customers around the EXISTS are in scope already: the snapshots in
    # it need not join them again (that join made SQLite drive the subquery
    # from the city's 145,000 customers for every customer walked: 14 times
    # slower for an account manager's page).
    everyone = _snapshots(everyone_actor(), tree, as_of)
    return customers.filter(Exists(everyone.filter(customer_id=OuterRef("pk"))))


def segment_uses_scores(*, pk: int) -> bool | None:
    """Whether the segment's rules read the scores (so its members differ from
    one scoring run to the next); None when there is no such segment."""
    found = segment_list().filter(pk=pk).values_list("rules", flat=True).first()
    if found is None:
        return None
    try:
        return uses_scores(rules_check(found, lookups=None))
    except ValidationFailed:
        return False


#: Members fewer than one in this many customers are read by collecting them.
SPARSE_RATIO = 1000
#: The same for a tree whose scores are one quadrant at one stage: collecting
#: them reads a range of ``snapshot_quadrant_stage_idx`` (at most one
#: quadrant's share of a run), not the whole run.
SPARSE_RATIO_RANGE = 100


def members_are_sparse(
    *, count: int, customers: int, rules: dict[str, Any] | None = None
) -> bool:
    """Whether a page of members is read quicker by collecting them first: at
    1,000,000 customers walking from the newest takes ~4 µs per customer
    tested; collecting costs about what counting did — 0.1-0.2 s over the
    run's every snapshot, 0.02-0.03 s over one quadrant at one stage (star ∧
    at risk ∧ a tag on 15 %, 2,181 members: walked 0.10 s of CPU, collected
    0.03 s; docs/benchmarks/segments.md). ``rules``: the checked tree."""
    ratio = SPARSE_RATIO_RANGE if rules and _one_quadrant_stage(rules) else SPARSE_RATIO
    return count * ratio < customers


def _one_quadrant_stage(tree: dict[str, Any]) -> bool:
    """Whether every member has one quadrant and one stage (rules directly in
    the outermost "all" group)."""
    fields = {
        r.get("field")
        for r in tree.get("all", [])
        if r.get("op") == "eq" and r.get("field") in ("quadrant", "stage")
    }
    return fields == {"quadrant", "stage"}


def segment_count(*, actor: Any, rules: Any, as_of: dt.date | None = None) -> int:
    """How many customers :func:`segment_members` holds (one COUNT query)."""
    tree = rules_check(rules, lookups=None)
    everyone = scope_for(actor).everyone
    if not uses_scores(tree):
        driver = _driving_tag(tree) if everyone else None
        if driver is not None:
            return _count_from_tag(driver, tree)
        # Over every customer a tag's list is read once; an account manager's
        # few customers test their own links instead (a list is the tag's
        # every customer: two tags on 40 % read 790,000 links for 20,000).
        matching = customer_scope(actor=actor).filter(
            rules_q(tree, on=ON_CUSTOMERS, tag_lists=everyone)
        )
        return matching.order_by().count()
    if not everyone:
        # An account manager's few customers: walked, each tested once.
        return segment_members(actor=actor, rules=tree, as_of=as_of).order_by().count()
    # One snapshot per customer and date: counting the snapshots (from one
    # covering index) counts the members without reading the customers.
    return _snapshots(actor, tree, as_of).order_by().count()


def _tag_rules(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The "has tag" rules every member must meet: those directly in the
    outermost "all" group."""
    return [
        r
        for r in tree.get("all", [])
        if r.get("field") == "tag" and r.get("op") == "has"
    ]


def _driving_tag(tree: dict[str, Any]) -> dict[str, Any] | None:
    """A "has tag" rule every member must meet, if there is one: of several,
    the tag with the fewest customers (its links are read, the others'
    tested for each)."""
    rules = _tag_rules(tree)
    if len(rules) < 2:
        return rules[0] if rules else None
    sizes = tag_customer_sizes([r["value"] for r in rules])
    return min(rules, key=lambda r: sizes.get(r["value"], 0))


def _count_from_tag(driver: dict[str, Any], tree: dict[str, Any]) -> int:
    """Count every customer's members from one tag's links: the tag's
    ``(tag, customer)`` index is read alone, the other rules test the
    customer's id — no customer row is read (two tags on 10 % and 8 % of
    1,000,000 customers: 0.30 s through the customers, 0.04 s so). For a
    scope of every customer only: a tag's links hold no scope.

    Several tags: their links merged instead (:func:`_count_merged`)."""
    tags = _tag_rules(tree)
    if len(tags) > 1:
        return _count_merged(tree, tags)
    rest = {"all": [rule for rule in tree["all"] if rule is not driver]}
    links = tag_customer_ids(driver["value"])
    if rest["all"]:
        everyone = customer_scope(actor=everyone_actor())
        links = links.filter(
            rules_q(rest, on=ON_SNAPSHOTS, customers=everyone, tag_lists=True)
        )
    return links.order_by().count()


def _count_merged(tree: dict[str, Any], tags: list[dict[str, Any]]) -> int:
    """Count every customer's members who have all of ``tags`` (two or more,
    the rest of ``tree`` tested after) in one pass over the tags' links.

    Each tag's ``(tag, customer)`` index gives its customers in id order; an
    ``INTERSECT`` ordered by the id is then a merge of those sorted lists
    (SQLite: "MERGE (INTERSECT)", PostgreSQL: a hash or sorted set
    operation) — no list of 400,000 ids is built and probed (two tags on 40 %
    of 1,000,000 customers: 0.18 s of CPU as ``IN (the other tag's
    customers)``, docs/benchmarks/segments.md)."""
    parts: list[str] = []
    params: list[Any] = []
    for rule in tags:
        sql, more = tag_customer_ids(rule["value"]).order_by().query.sql_with_params()
        parts.append(sql)
        params += more
    merged = f"SELECT COUNT(*) FROM ({' INTERSECT '.join(parts)} ORDER BY 1) merged"
    rest = {"all": [rule for rule in tree["all"] if rule not in tags]}
    if rest["all"]:
        matching = customer_scope(actor=everyone_actor()).filter(
            rules_q(rest, on=ON_CUSTOMERS, tag_lists=True)
        )
        sql, more = matching.order_by().values("pk").query.sql_with_params()
        merged += f" WHERE merged.customer_id IN ({sql})"
        params += more
    with connection.cursor() as cursor:
        cursor.execute(merged, params)
        (count,) = cursor.fetchone()
    return int(count)


def segment_customers_total(*, actor: Any) -> int:
    """Customers in ``actor``'s scope (a share's denominator), kept a little
    while: users who see the same customers share it."""
    key = f"guanxi:segments:total:{scope_for(actor).cache_key}"
    total = cache.get(key)
    if total is None:
        total = customer_scope(actor=actor).order_by().count()
        cache.set(key, total, TOTAL_CACHE_SECONDS)
    return int(total)


def segment_latest_counts(
    *, actor: Any, segments: list[Segment], as_of: dt.date | None
) -> dict[int, Share | None]:
    """Each segment's members and share now, in ``actor``'s scope: the count
    recorded at the latest run where the scope is every customer, counted on
    the spot otherwise (an account manager's few customers). None for a
    segment whose rules cannot run. ``as_of``: the latest finished run's date."""
    day = as_of
    out: dict[int, Share | None] = {}
    recorded: dict[int, SegmentCount] = {}
    if scope_for(actor).everyone and day is not None:
        rows = SegmentCount.objects.filter(segment__in=segments, as_of=day)
        recorded = {row.segment_id: row for row in rows}
    total: int | None = None
    for segment in segments:
        row = recorded.get(segment.pk)
        if row is not None and row.counted_at >= segment.updated_at:
            out[segment.pk] = Share(row.members, row.customers, day)
            continue
        if total is None:
            total = segment_customers_total(actor=actor)
        try:
            members = segment_count(actor=actor, rules=segment.rules, as_of=day)
        except ValidationFailed:
            out[segment.pk] = None
            continue
        out[segment.pk] = Share(members, total, day)
    return out


def segment_history(*, actor: Any, segment: Segment) -> list[Share]:
    """The segment's members at each finished run, oldest first (at most
    :data:`HISTORY_RUNS`): the recorded counts where ``actor`` sees every
    customer; counted on the spot in an account manager's scope."""
    if scope_for(actor).everyone:
        rows = SegmentCount.objects.filter(segment=segment).order_by("-as_of")
        latest = list(rows[:HISTORY_RUNS])
        return [Share(r.members, r.customers, r.as_of) for r in reversed(latest)]
    days = list(
        run_list()
        .filter(status=RunStatus.DONE)
        .values_list("as_of", flat=True)[:HISTORY_RUNS]
    )
    total = segment_customers_total(actor=actor)
    return [
        Share(segment_count(actor=actor, rules=segment.rules, as_of=day), total, day)
        for day in reversed(days)
    ]


def segment_share_by_manager(
    *, actor: Any, segment: Segment, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """Members and customers per account manager (id, or None for customers
    without one), in ``actor``'s scope, computed on demand."""
    members = (
        segment_members(actor=actor, rules=segment.rules, as_of=as_of)
        .order_by()
        .values("assigned_manager_id")
        .annotate(n=Count("id"))
    )
    customers = (
        customer_scope(actor=actor)
        .order_by()
        .values("assigned_manager_id")
        .annotate(n=Count("id"))
    )
    found = {row["assigned_manager_id"]: row["n"] for row in members}
    return [
        {
            "manager": row["assigned_manager_id"],
            "members": found.get(row["assigned_manager_id"], 0),
            "customers": row["n"],
        }
        for row in sorted(customers, key=lambda r: r["assigned_manager_id"] or 0)
    ]

"""The quicker query shapes give the same members as the rules read plainly.

Generated customers (two managers' and nobody's) with two large tags, a
small one and scores; each tree's members, count and collected ("sparse")
members are compared with the rules evaluated in Python over the same rows,
in every scope. The shapes under test: a count over every customer read
from the smallest tag's links, or from several tags' links merged, an
account manager's tags tested per customer, the (gender, city) index for
profile rules, and the snapshots' (quadrant, stage, customer) index for
scores, for a page walked newest first and one collected first.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.customers.models import Customer, CustomerTag, Tag
from guanxi.customers.tagging import customer_tags_bulk_add
from guanxi.segments.selectors import segment_count, segment_members
from guanxi.segments.services import segment_rules_check
from guanxi.segments.tests.factories import AS_OF, scored_run, snapshot

pytestmark = pytest.mark.django_db

#: Share of the generated customers holding each tag.
SHARES = {"big1": 0.45, "big2": 0.4, "small": 0.3}
CITIES = ("上海", "北京", "杭州", "")
GENDERS = ("female", "male", "")
QUADRANTS = ("star", "cash_cow", "potential", "basic")
STAGES = ("at_risk", "mature")


def rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


@pytest.fixture
def crowd(users: dict[str, Any], make_customer: Any) -> dict[int, dict[str, Any]]:
    """90 customers: profile, manager, tags and the latest run's quadrant
    and stage (None: not scored) of each, by id, as the rules would read
    them."""
    rng = random.Random(9)
    managers = [
        users["account_manager"],
        users["other_manager"],
        None,
        users["account_manager"],
    ]
    scored_run(AS_OF)
    people: dict[int, dict[str, Any]] = {}
    links: list[tuple[int, str]] = []
    for i in range(90):
        customer = make_customer(
            city=rng.choice(CITIES),
            gender=rng.choice(GENDERS),
            assigned_manager=managers[i % 4],
        )
        tags = {name for name, share in SHARES.items() if rng.random() < share}
        links += [(customer.pk, name) for name in sorted(tags)]
        quadrant = rng.choice(QUADRANTS) if i % 10 else None
        stage = rng.choice(STAGES) if quadrant is not None else None
        if quadrant is not None:
            snapshot(customer, AS_OF, quadrant=quadrant, stage=stage)
        people[customer.pk] = {
            "city": customer.city,
            "gender": customer.gender,
            "manager": customer.assigned_manager_id,
            "tags": tags,
            "quadrant": quadrant,
            "stage": stage,
        }
    customer_tags_bulk_add(links=links)
    return people


def _holds(node: dict[str, Any], person: dict[str, Any], names: dict[int, str]) -> bool:
    """The rules of a checked tree read plainly, for one customer."""
    if "all" in node:
        return all(_holds(child, person, names) for child in node["all"])
    if "any" in node:
        return any(_holds(child, person, names) for child in node["any"])
    if "not" in node:
        return not _holds(node["not"], person, names)
    field, op, value = node["field"], node["op"], node["value"]
    if field == "tag":
        has = names[int(value)] in person["tags"]
        return has if op == "has" else not has
    assert op == "eq", op
    return bool(person[field] == value)


def _expected(
    tree: dict[str, Any], people: dict[int, dict[str, Any]], manager: int | None
) -> set[int]:
    names = dict(Tag.objects.values_list("pk", "name"))
    scored = any(r.get("field") in ("quadrant", "stage") for r in _rules(tree))
    return {
        pk
        for pk, person in people.items()
        if (manager is None or person["manager"] == manager)
        and (person["quadrant"] is not None or not scored)
        and _holds(tree, person, names)
    }


def _rules(tree: dict[str, Any]) -> list[dict[str, Any]]:
    from guanxi.segments.rules import conditions

    return list(conditions(tree))


TREES: dict[str, dict[str, Any]] = {
    "two large tags": {"all": [rule("tag", "has", "big1"), rule("tag", "has", "big2")]},
    "three tags, the small one last": {
        "all": [
            rule("tag", "has", "big1"),
            rule("tag", "has", "big2"),
            rule("tag", "has", "small"),
        ]
    },
    "a large tag without the other": {
        "all": [rule("tag", "has", "big2"), {"not": rule("tag", "has", "big1")}]
    },
    "two large tags in a city": {
        "all": [
            rule("tag", "has", "big1"),
            rule("city", "eq", "上海"),
            rule("tag", "has", "big2"),
        ]
    },
    "two large tags or a gender": {
        "all": [
            rule("tag", "has", "big2"),
            {"any": [rule("tag", "has", "big1"), rule("gender", "eq", "male")]},
        ]
    },
    "two large tags of stars": {
        "all": [
            rule("tag", "has", "big1"),
            rule("tag", "has", "big2"),
            rule("quadrant", "eq", "star"),
        ]
    },
    "stars at risk with a large tag": {
        "all": [
            rule("quadrant", "eq", "star"),
            rule("stage", "eq", "at_risk"),
            rule("tag", "has", "big1"),
        ]
    },
    "a quadrant at a stage without the small tag": {
        "all": [
            rule("stage", "eq", "mature"),
            {"not": rule("tag", "has", "small")},
            rule("quadrant", "eq", "basic"),
        ]
    },
    "a quadrant or a stage with a tag": {
        "all": [
            rule("tag", "has", "big1"),
            {
                "any": [
                    rule("quadrant", "eq", "potential"),
                    rule("stage", "eq", "at_risk"),
                ]
            },
        ]
    },
    "city and gender": {
        "all": [rule("city", "eq", "北京"), rule("gender", "eq", "female")]
    },
    "gender without a city": {
        "all": [rule("gender", "eq", "male"), {"not": rule("city", "eq", "上海")}]
    },
}


def _check(tree: dict[str, Any], users: dict[str, Any], people: dict[int, Any]) -> None:
    for role in ("admin", "analyst", "account_manager"):
        actor = users[role]
        manager = actor.pk if role == "account_manager" else None
        expected = _expected(tree, people, manager)
        assert expected, f"the generated data should give {role} members"
        members = segment_members(actor=actor, rules=tree)
        collected = segment_members(actor=actor, rules=tree, sparse=True)
        assert set(members.values_list("pk", flat=True)) == expected, role
        assert set(collected.values_list("pk", flat=True)) == expected, role
        assert segment_count(actor=actor, rules=tree) == len(expected), role


@pytest.mark.parametrize("label", sorted(TREES))
def test_members_and_counts_as_the_rules_read_plainly(
    label: str, users: dict[str, Any], crowd: dict[int, dict[str, Any]]
) -> None:
    tree = segment_rules_check(TREES[label])
    _check(tree, users, crowd)
    # The tags' kept counts only choose which tag's links are read first:
    # wrong ones change the speed, never the members.
    Tag.objects.filter(name="small").update(customer_count=10**6)
    Tag.objects.filter(name="big1").update(customer_count=0)
    _check(tree, users, crowd)


def test_the_generated_tags_are_large(crowd: dict[int, dict[str, Any]]) -> None:
    """The data really has two tags on about four in ten customers each."""
    big = {
        name: CustomerTag.objects.filter(tag__name=name).count()
        for name in ("big1", "big2")
    }
    assert all(30 <= n <= 50 for n in big.values()), big
    assert Customer.objects.count() == 90


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_city_and_gender_are_counted_from_their_index(
    users: dict[str, Any], crowd: dict[int, dict[str, Any]]
) -> None:
    tree = segment_rules_check(TREES["city and gender"])
    members = segment_members(actor=users["admin"], rules=tree).order_by()
    sql, params = members.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX customer_gender_city_idx" in plan, plan


def _plan(sql: str, params: Any = ()) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_several_tags_are_counted_by_merging_their_links(
    users: dict[str, Any], crowd: dict[int, dict[str, Any]]
) -> None:
    tree = segment_rules_check(TREES["two large tags in a city"])
    with CaptureQueriesContext(connection) as queries:
        counted = segment_count(actor=users["admin"], rules=tree)
    merged = [q["sql"] for q in queries.captured_queries if "INTERSECT" in q["sql"]]
    assert len(merged) == 1, queries.captured_queries
    plan = _plan(merged[0])
    assert "MERGE (INTERSECT)" in plan, plan
    assert "COVERING INDEX customertag_tag_idx" in plan, plan
    assert counted == len(_expected(tree, crowd, None))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_quadrant_and_stage_are_read_from_their_index(
    users: dict[str, Any], crowd: dict[int, dict[str, Any]]
) -> None:
    """Counted, the run's stars at risk are a range of the index read alone;
    a page walks that range newest first (no sort) and tests the tag."""
    tree = segment_rules_check(TREES["stars at risk with a large tag"])
    admin = users["admin"]
    with CaptureQueriesContext(connection) as queries:
        segment_count(actor=admin, rules=tree)
    plan = _plan(queries.captured_queries[-1]["sql"])
    assert "COVERING INDEX snapshot_quadrant_stage_idx" in plan, plan
    collected = segment_members(actor=admin, rules=tree, sparse=True).order_by("-id")
    plan = _plan(*collected[:51].query.sql_with_params())
    assert "COVERING INDEX snapshot_quadrant_stage_idx" in plan, plan

"""The rule checks: every refusal with its exact message (both languages), the
normalised tree, and the bounds that make a hostile tree cheap to refuse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.core.errors import ValidationFailed
from guanxi.segments.rules import (
    MAX_DEPTH,
    MAX_LIST,
    MAX_RULES,
    conditions,
    rules_check,
    uses_scores,
)


class _Lookups:
    """Tags 7 ("complained") and 8 ("VIP"); users 3 and 4."""

    tags = {7: "complained", 8: "VIP"}

    def tag_id(self, value: int | str) -> int | None:
        if isinstance(value, int):
            return value if value in self.tags else None
        return next((k for k, v in self.tags.items() if v == value), None)

    def user_exists(self, user_id: int) -> bool:
        return user_id in (3, 4)


LOOKUPS = _Lookups()
THIS_YEAR = dt.date.today().year


def rule(field: Any, op: Any, value: Any = None, **extra: Any) -> dict[str, Any]:
    out = {"field": field, "op": op, **extra}
    if value is not None:
        out["value"] = value
    return out


def refused(tree: Any, language: str = "en") -> str:
    with translation.override(language), pytest.raises(ValidationFailed) as caught:
        rules_check(tree, lookups=LOOKUPS)
    assert caught.value.field == "rules"
    return caught.value.message


def test_the_issue_example_is_normalised() -> None:
    tree = {
        "all": [
            rule("quadrant", "eq", "star"),
            rule("city", "eq", " 上海 "),
            {"not": rule("tag", "has", "complained")},
        ]
    }
    assert rules_check(tree, lookups=LOOKUPS) == {
        "all": [
            {"field": "quadrant", "op": "eq", "value": "star"},
            {"field": "city", "op": "eq", "value": "上海"},
            {"not": {"field": "tag", "op": "has", "value": 7}},
        ]
    }


def test_values_are_normalised() -> None:
    tree = {
        "any": [
            rule("days_since_last_purchase", "lte", "７"),  # full-width digit
            rule("spend_30d", "gte", "800"),
            rule("churn_risk", "between", ["0.5", 1]),
            rule("stage", "in", ["new", "mature", "new"]),
            rule("city", "not_in", ["上海", "北京", "上海"]),
            rule("first_seen", "in_last_days", "30"),
            rule("assigned_manager", "eq", "3"),
            rule("birth_year", "empty"),
            rule("tag", "has_not", 8),
        ]
    }
    assert rules_check(tree, lookups=LOOKUPS) == {
        "any": [
            {"field": "days_since_last_purchase", "op": "lte", "value": 7},
            {"field": "spend_30d", "op": "gte", "value": 800},
            {"field": "churn_risk", "op": "between", "value": [0.5, 1]},
            {"field": "stage", "op": "in", "value": ["new", "mature"]},
            {"field": "city", "op": "not_in", "value": ["上海", "北京"]},
            {"field": "first_seen", "op": "in_last_days", "value": 30},
            {"field": "assigned_manager", "op": "eq", "value": 3},
            {"field": "birth_year", "op": "empty"},
            {"field": "tag", "op": "has_not", "value": 8},
        ]
    }


def test_a_lone_rule_becomes_a_group_and_the_empty_root_is_everyone() -> None:
    assert rules_check(rule("gender", "eq", "female"), lookups=LOOKUPS) == {
        "all": [{"field": "gender", "op": "eq", "value": "female"}]
    }
    assert rules_check({"all": []}, lookups=LOOKUPS) == {"all": []}


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (
            {"all": [rule("city", "eq", "上海"), rule("quadrant", "eq", "gold")]},
            "Rule 2 (quadrant): 'gold' is not one of star, cash_cow, potential, basic",
        ),
        ({"all": [rule("colour", "eq", "red")]}, "Rule 1: unknown field 'colour'"),
        ({"all": [{"op": "eq", "value": 1}]}, "Rule 1: a rule needs a field"),
        (
            {"all": [rule("quadrant", "gt", "star")]},
            "Rule 1 (quadrant): the operator 'gt' does not fit this field "
            "(use eq, ne, in, not_in)",
        ),
        (
            {"all": [rule("orders", None, 3)]},
            "Rule 1 (orders): choose an operator: eq, ne, lt, lte, gt, gte, between",
        ),
        (
            {"all": [rule("orders", "gte", "three")]},
            "Rule 1 (orders): the value must be a whole number",
        ),
        (
            {"all": [rule("orders", "gte", 2.5)]},
            "Rule 1 (orders): the value must be a whole number",
        ),
        (
            {"all": [rule("orders", "gte", True)]},
            "Rule 1 (orders): the value must be a whole number",
        ),
        (
            {"all": [rule("r_score", "eq", 6)]},
            "Rule 1 (r_score): the value must be from 1 to 5",
        ),
        (
            {"all": [rule("churn_risk", "gte", 1.5)]},
            "Rule 1 (churn_risk): the value must be from 0 to 1",
        ),
        (
            {"all": [rule("spend_30d", "gte", "NaN")]},
            "Rule 1 (spend_30d): the value must be a number",
        ),
        (
            {"all": [rule("spend_30d", "gte", 1e300)]},
            "Rule 1 (spend_30d): the value must be from 0 to 10,000,000,000",
        ),
        (
            {"all": [rule("birth_year", "eq", 1850)]},
            f"Rule 1 (birth_year): the value must be from 1900 to {THIS_YEAR}",
        ),
        (
            {"all": [rule("first_seen", "lt", "2026-02-30")]},
            "Rule 1 (first_seen): the value must be a date (YYYY-MM-DD)",
        ),
        (
            {"all": [rule("first_seen", "lt", "1066-10-14")]},
            "Rule 1 (first_seen): enter a date from 1900-01-01 to 2999-12-31",
        ),
        (
            {"all": [rule("tag", "has", "gold member")]},
            "Rule 1 (tag): there is no tag 'gold member'",
        ),
        ({"all": [rule("tag", "has", 99)]}, "Rule 1 (tag): there is no tag '99'"),
        (
            {"all": [rule("assigned_manager", "eq", 99)]},
            "Rule 1 (assigned_manager): there is no user 99",
        ),
        (
            {"all": [rule("assigned_manager", "eq", "boss")]},
            "Rule 1 (assigned_manager): name a user by their number",
        ),
        (
            {"all": [rule("stage", "in", [])]},
            "Rule 1 (stage): give a list of 1 to 100 values",
        ),
        (
            {"all": [rule("stage", "in", "new")]},
            "Rule 1 (stage): give a list of 1 to 100 values",
        ),
        (
            {"all": [rule("orders", "between", [5, 2])]},
            "Rule 1 (orders): give two values, the smaller first",
        ),
        (
            {"all": [rule("orders", "eq", [5])]},
            "Rule 1 (orders): give one value, not a list",
        ),
        (
            {"all": [rule("city", "eq", "  ")]},
            "Rule 1 (city): the value is empty (to find blank fields use 'empty')",
        ),
        (
            {"all": [rule("city", "eq", "上海\x00")]},
            "Rule 1 (city): control character U+0000 at position 3 is not allowed",
        ),
        (
            {"all": [rule("city", "eq", "长" * 65)]},
            "Rule 1 (city): too long (at most 64 characters)",
        ),
        (
            {"all": [rule("city", "empty", "上海")]},
            "Rule 1 (city): 'empty' takes no value",
        ),
        ({"all": [rule("orders", "gte")]}, "Rule 1 (orders): the rule needs a value"),
        (
            {"all": [rule("orders", "gte", 1, weight=3)]},
            "Rule 1 (orders): unexpected key 'weight' (a rule has field, op and value)",
        ),
        (
            {"all": ["quadrant = star"]},
            "Rule 1: expected a rule {field, op, value} or a group {all | any | not}",
        ),
        ({"any": []}, "Group 1: the group is empty: add a rule or remove the group"),
        (
            {"all": [{"any": []}]},
            "Group 2: the group is empty: add a rule or remove the group",
        ),
        ({"all": {"field": "city"}}, "Group 1: 'all' takes a list of rules and groups"),
        ({"not": [rule("city", "eq", "x")]}, "Group 1: 'not' takes one rule or group"),
        (
            {"all": [], "any": []},
            "Group 1: a group has exactly one key: all, any or not",
        ),
        (["all"], 'the rules must be a JSON object such as {"all": [...]}'),
        (None, 'the rules must be a JSON object such as {"all": [...]}'),
        (
            {"all": [rule("city", "eq", object())]},
            "the rules must be plain JSON (objects, lists, text, numbers)",
        ),
    ],
)
def test_refusals_name_the_rule(tree: Any, message: str) -> None:
    assert refused(tree) == message


def test_refusals_in_chinese() -> None:
    tree = {"all": [rule("city", "eq", "上海"), rule("quadrant", "eq", "gold")]}
    assert refused(tree, "zh-hans") == (
        "规则 2（quadrant）：'gold' 不是 star、cash_cow、potential、basic 之一"
    )
    assert refused({"all": [rule("colour", "eq", 1)]}, "zh-hans") == (
        "规则 1：未知字段 'colour'"
    )
    assert (
        refused({"any": []}, "zh-hans")
        == "规则组 1：规则组是空的，请添加规则或删除该组"
    )


def test_hostile_values_are_quoted_escaped_and_cut() -> None:
    message = refused({"all": [rule("quadrant", "eq", "a\x1b[31m" + "x" * 100)]})
    # Escaped (no terminal control reaches a log), cut after 40 characters.
    shown = "a\\u001b[31m" + "x" * 29 + "…"
    assert message == (
        f"Rule 1 (quadrant): '{shown}' is not one of star, cash_cow, potential, basic"
    )


def test_the_tree_is_bounded() -> None:
    deep: dict[str, Any] = rule("city", "eq", "上海")
    for _ in range(MAX_DEPTH):
        deep = {"all": [deep]}
    assert rules_check(deep, lookups=LOOKUPS)  # as deep as allowed
    assert refused({"all": [deep]}) == (
        f"Group {MAX_DEPTH + 1}: groups nest at most {MAX_DEPTH} deep"
    )
    many = {"all": [rule("orders", "gte", i) for i in range(MAX_RULES + 1)]}
    assert refused(many) == f"too many rules (at most {MAX_RULES})"
    long_list = {"all": [rule("city", "in", [f"c{i}" for i in range(MAX_LIST + 1)])]}
    assert refused(long_list) == "Rule 1 (city): give a list of 1 to 100 values"
    huge = {"all": [rule("city", "in", ["长" * 64] * 100)] * 5}
    assert refused(huge) == "the rules are too long (at most 20,000 characters of JSON)"
    recursive: dict[str, Any] = {"all": []}
    recursive["all"].append(recursive)
    assert refused(recursive) == (
        "the rules must be plain JSON (objects, lists, text, numbers)"
    )


def test_stored_rules_run_without_lookups() -> None:
    stored = {"all": [rule("tag", "has", 12), rule("assigned_manager", "eq", 99)]}
    assert rules_check(stored, lookups=None) == stored
    with pytest.raises(ValidationFailed) as caught:
        rules_check({"all": [rule("tag", "has", "VIP")]}, lookups=None)
    assert caught.value.message == "Rule 1 (tag): name a tag by its number or its name"


def test_which_trees_test_scores() -> None:
    profile = rules_check({"all": [rule("city", "eq", "上海")]}, lookups=LOOKUPS)
    scored = rules_check(
        {"all": [rule("city", "eq", "上海"), {"not": rule("stage", "eq", "new")}]},
        lookups=LOOKUPS,
    )
    assert not uses_scores(profile)
    assert uses_scores(scored)
    assert [c["field"] for c in conditions(scored)] == ["city", "stage"]

"""Reads of the access app: whose turn it is in the service team's
round-robin (care tasks and tickets share the rule)."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.access.choices import Role
from guanxi.access.selectors import staff_round_robin, staff_turn_next

pytestmark = pytest.mark.django_db


def test_the_turn_goes_to_the_member_after_the_last_owner(make_user: Any) -> None:
    first = make_user(Role.SERVICE, username="service-a").pk
    second = make_user(Role.SERVICE, username="service-b").pk
    third = make_user(Role.SERVICE, username="service-c").pk
    make_user(Role.ANALYST, username="analyst-a")  # takes no turn
    assert staff_round_robin() == [first, second, third]
    assert staff_turn_next(last_owner_id=first) == ([first, second, third], 1)
    assert staff_turn_next(last_owner_id=second) == ([first, second, third], 2)
    # After the last member the first is next.
    assert staff_turn_next(last_owner_id=third) == ([first, second, third], 0)


def test_without_a_last_owner_in_the_team_the_first_is_next(make_user: Any) -> None:
    member = make_user(Role.SERVICE, username="service-a").pk
    outsider = make_user(Role.ANALYST, username="analyst-a").pk
    assert staff_turn_next(last_owner_id=None) == ([member], 0)
    assert staff_turn_next(last_owner_id=outsider) == ([member], 0)


def test_an_empty_team_has_no_turn(make_user: Any) -> None:
    outsider = make_user(Role.ANALYST, username="analyst-a").pk
    assert staff_turn_next(last_owner_id=outsider) == ([], 0)

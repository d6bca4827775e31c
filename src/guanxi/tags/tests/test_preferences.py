"""A customer's preferences: the same definitions as the automatic tags, for one
customer (the scene of test_rules)."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.tags.models import TagRules
from guanxi.tags.selectors import customer_preferences
from guanxi.tags.tests.test_rules import AS_OF, scene

__all__ = ["scene"]


def test_channel_categories_and_rhythm(scene: dict[str, Any]) -> None:
    a = customer_preferences(scene["a"].pk, as_of=AS_OF)
    assert (a.purchase_days, a.channel, a.channel_share) == (3, "store", 1.0)
    assert a.categories == [("绿茶", 1.0)]
    assert a.usual_gap_days == 7.5  # 6, 13 and 21 June
    assert a.weekdays == [0, 0, 0, 0, 0, 2, 1]  # the 21st at 23:30 is a Sunday
    assert a.weekend_share == 1.0
    b = customer_preferences(scene["b"].pk, as_of=AS_OF)
    # 01:00 in Shanghai on two Mondays; the cancelled Tmall order is no purchase.
    assert b.weekdays == [2, 0, 0, 0, 0, 1, 0]
    assert b.channel == "online"
    assert b.channel_share == pytest.approx(2 / 3)
    assert [name for name, _share in b.categories] == ["红茶", "绿茶"]
    assert [share for _name, share in b.categories] == [
        pytest.approx(400 / 600),
        pytest.approx(200 / 600),
    ]
    assert b.usual_gap_days == 6.0


def test_nothing_known_without_purchases_in_the_window(scene: dict[str, Any]) -> None:
    e = customer_preferences(scene["e"].pk, as_of=AS_OF)  # bought 400 days ago
    assert (e.known, e.purchase_days, e.channel, e.categories) == (False, 0, None, [])
    assert e.usual_gap_days is None
    assert e.weekdays == [0] * 7


def test_the_thresholds_apply(scene: dict[str, Any]) -> None:
    TagRules.objects.create(pk=1, channel_min_percent=70, category_min_percent=50)
    b = customer_preferences(scene["b"].pk, as_of=AS_OF)
    assert b.channel is None
    assert b.channel_share == pytest.approx(2 / 3)
    assert [name for name, _share in b.categories] == ["红茶"]

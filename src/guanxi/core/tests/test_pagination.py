"""Keyset pagination on its own: pages by cursor both ways, ties broken by the
second key, damaged cursors, and the capped count. (Django's user table stands in
for a large list: core knows no domain model.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from guanxi.core import pagination
from guanxi.core.pagination import keyset_page

pytestmark = pytest.mark.django_db
JOINED = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(db: Any) -> list[Any]:
    """Seven users; every two share a join time, so the id breaks the tie."""
    User = get_user_model()
    return [
        User.objects.create(
            username=f"u{i}", date_joined=JOINED + dt.timedelta(hours=i // 2)
        )
        for i in range(7)
    ]


def _names(page: Any) -> list[str]:
    return [u.username for u in page.items]


def _page(after: str | None = None, before: str | None = None) -> Any:
    return keyset_page(
        get_user_model().objects.all(),
        keys=("date_joined", "id"),
        after=after,
        before=before,
        per_page=3,
    )


def test_pages_forward_and_back_without_gaps_on_tied_keys(people: list[Any]) -> None:
    first = _page()
    assert _names(first) == ["u6", "u5", "u4"]
    assert (first.is_first, first.prev_cursor, first.count) == (True, None, 7)
    second = _page(after=first.next_cursor)
    assert _names(second) == ["u3", "u2", "u1"]
    assert second.is_first is False
    third = _page(after=second.next_cursor)
    assert _names(third) == ["u0"]
    assert third.next_cursor is None
    back = _page(before=third.prev_cursor)
    assert _names(back) == ["u3", "u2", "u1"]
    assert _names(_page(before=back.prev_cursor)) == ["u6", "u5", "u4"]
    assert _page(before=back.prev_cursor).prev_cursor is None


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",  # not base64
        "bm90IGpzb24",  # not JSON
        "WzFd",  # [1]: one value for two keys
        "WyJ4IiwiMSJd",  # ["x", "1"]: not a date
        "WyIyMDI2LTA1LTAxVDA4OjAwOjAwKzAwOjAwIiwieCJd",  # [date, "x"]: not an id
    ],
)
def test_a_cursor_that_is_not_ours_shows_the_first_page(
    people: list[Any], cursor: str
) -> None:
    assert _names(_page(after=cursor)) == ["u6", "u5", "u4"]


def test_the_count_stops_at_the_cap(
    people: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    page = _page()
    assert (page.count, page.count_capped) == (5, True)
    monkeypatch.setattr(pagination, "COUNT_CAP", 7)
    page = _page()
    assert (page.count, page.count_capped) == (7, False)

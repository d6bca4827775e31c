"""Keyset pagination on its own: pages by cursor both ways, ties broken by the
second key, damaged cursors, and the capped count. (Django's user table stands in
for a large list: core knows no domain model.)"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from guanxi.core import pagination
from guanxi.core.errors import ValidationFailed
from guanxi.core.pagination import keyset_page

pytestmark = pytest.mark.django_db
MESSAGE = "not a valid page link: open the list again from its first page"
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
        "WzFd",  # [1]: a plain cursor, as they were
        "WyIyMDI2LTA1LTAxVDA4OjAwOjAwKzAwOjAwIiwiMSJd",  # [date, "1"]: plain too
    ],
)
def test_a_cursor_that_is_not_ours_is_refused_with_a_message(
    people: list[Any], cursor: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        _page(after=cursor)
    assert (caught.value.message, caught.value.field) == (MESSAGE, "after")
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        _page(before=cursor)
    assert (caught.value.message, caught.value.field) == (MESSAGE, "before")


def test_a_cursor_tells_nothing_of_its_keys(people: list[Any]) -> None:
    """The probe: ``WzI5MDVd`` decoded to ``[2905]``, the number behind the
    last row. A cursor now is sealed: no key value appears in it, decoded or
    not, and two cursors of the same row differ."""
    last = _page().items[-1]
    cursor = _page().next_cursor
    assert cursor is not None
    plain = f'["{last.date_joined.isoformat()}",{last.pk}]'.encode()
    token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    inner = base64.urlsafe_b64decode(token.split(b":")[-1])
    for layer in (cursor.encode(), token, inner):
        assert plain not in layer
        assert b"2026-05-01" not in layer
    assert cursor != _page().next_cursor


def test_a_changed_or_borrowed_cursor_is_refused(people: list[Any]) -> None:
    cursor = _page().next_cursor
    assert cursor is not None
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    with pytest.raises(ValidationFailed):
        _page(after=flipped)
    # Made for another order of the same table: not this list's.
    other = keyset_page(
        get_user_model().objects.all(),
        keys=("id",),
        after=None,
        before=None,
        per_page=3,
    ).next_cursor
    with pytest.raises(ValidationFailed):
        _page(after=other)


def test_the_count_stops_at_the_cap(
    people: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    page = _page()
    assert (page.count, page.count_capped) == (5, True)
    monkeypatch.setattr(pagination, "COUNT_CAP", 7)
    page = _page()
    assert (page.count, page.count_capped) == (7, False)

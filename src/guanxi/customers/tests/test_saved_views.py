"""Saved views: a person keeps the list's filters under a name; only they see,
open and delete them; bad input gets a message and keeps nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.access import World

from guanxi.customers.models import SavedView

LIST = reverse("customers:customer-list")
SAVE = reverse("customers:saved-view-save")


def _delete(view: SavedView) -> str:
    return reverse("customers:saved-view-delete", args=[view.pk])


def test_a_view_keeps_the_filters_and_opens_the_list_with_them(
    client_for: Any, world: World
) -> None:
    client = client_for("admin")
    answer = client.post(
        SAVE,
        {
            "view_name": "  杭州  大客户 ",
            "city": "杭州",
            "spend_min": "100",
            "q": "",
            "sort": "-spend",
        },
    )
    view = SavedView.objects.get()
    assert (view.owner, view.name) == (world.users["admin"], "杭州 大客户")
    assert view.query == "city=%E6%9D%AD%E5%B7%9E&spend_min=100&sort=-spend"
    assert answer.status_code == 302
    assert answer["Location"] == f"{LIST}?{view.query}"
    html = client.get(answer["Location"]).content.decode()
    assert "View “杭州 大客户” saved." in html
    assert (
        f'href="{LIST}?city=%E6%9D%AD%E5%B7%9E&amp;spend_min=100&amp;sort=-spend"'
        in html
    )


def test_htmx_saves_what_the_filter_form_shows_now(
    client_for: Any, world: World
) -> None:
    """The page was rendered unfiltered; the form has been changed since: the
    posted form fields win over the page's query string."""
    answer = client_for("admin").post(
        SAVE,
        {"view_name": "上海", "query": "city=杭州", "city": "上海"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert answer["HX-Redirect"] == f"{LIST}?city=%E4%B8%8A%E6%B5%B7"
    assert SavedView.objects.get().query == "city=%E4%B8%8A%E6%B5%B7"


def test_without_the_form_fields_the_pages_query_is_kept(
    client_for: Any, world: World
) -> None:
    client_for("admin").post(
        SAVE, {"view_name": "女", "query": "gender=female&after=xyz"}
    )
    assert SavedView.objects.get().query == "gender=female"


def test_only_the_owner_sees_and_deletes_a_view(client_for: Any, world: World) -> None:
    mine = SavedView.objects.create(
        owner=world.users["account_manager"], name="我的客户", query="city=杭州"
    )
    theirs = SavedView.objects.create(
        owner=world.other_manager, name="别人的视图", query="city=上海"
    )
    client = client_for("account_manager")
    html = client.get(LIST).content.decode()
    assert "我的客户" in html
    assert "别人的视图" not in html
    assert client.post(_delete(theirs)).status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()
    assert client.post(_delete(mine)).status_code == 302
    assert not SavedView.objects.filter(pk=mine.pk).exists()
    assert client.get(_delete(theirs)).status_code == 405


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"view_name": "   ", "city": "杭州"}, "give the view a name"),
        ({"view_name": "x" * 65}, "the name is too long (at most 64 characters)"),
        ({"view_name": "大额", "spend_min": "lots"}, "Spend at least: not an amount"),
        (
            {"view_name": "排序", "sort": "name"},
            "unknown sort order (choose one of: -spend, spend, -orders, orders, "
            "-last_purchase, last_purchase)",
        ),
        ({"view_name": "已有"}, "You already have a view with this name."),
    ],
)
def test_bad_input_gets_a_message_and_keeps_nothing(
    client_for: Any, world: World, data: dict[str, str], message: str
) -> None:
    SavedView.objects.create(owner=world.users["admin"], name="已有", query="")
    client = client_for("admin")
    answer = client.post(SAVE, data, follow=True)
    assert answer.status_code == 200
    assert f"The view was not saved: {message}" in answer.content.decode()
    assert list(SavedView.objects.values_list("name", flat=True)) == ["已有"]


def test_a_user_without_a_role_keeps_nothing(client_for: Any, world: World) -> None:
    assert client_for("no_role").post(SAVE, {"view_name": "x"}).status_code == 403
    assert not SavedView.objects.exists()

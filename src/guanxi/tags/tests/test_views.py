"""The tag panel on the customer page and the tags settings page, through the
web stack: htmx and plain forms, both languages, messages, scope, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from tests.access import World

from guanxi.customers.models import CustomerTag, Tag


def _panel(world: World) -> str:
    return f"/customers/{world.own_customer.pk}/tags/"


def _links(customer: Any) -> set[str]:
    return set(
        CustomerTag.objects.filter(customer=customer).values_list(
            "tag__name", flat=True
        )
    )


HTMX = {"HX-Request": "true"}


def test_the_customer_page_shows_the_panel_with_who_and_when(
    world: World, client_for: Any
) -> None:
    client = client_for("account_manager")
    client.post(
        f"/customers/{world.own_customer.pk}/tags/add/",
        {"name": "茶会嘉宾"},
        headers=HTMX,
    )
    html = client.get(f"/customers/{world.own_customer.pk}/").content.decode()
    assert 'id="customer-tags"' in html
    assert '<span class="tagname">茶会嘉宾</span>' in html
    assert "Added by account_manager on " in html
    assert 'id="customer-preferences"' in html


@pytest.mark.parametrize(
    ("language", "placeholder", "remove"),
    [
        ("en", "Add a tag or create one", "Remove tag 茶会嘉宾"),
        ("zh-hans", "添加或新建标签", "移除标签 茶会嘉宾"),
    ],
)
def test_add_and_remove_with_htmx_in_both_languages(
    language: str, placeholder: str, remove: str, world: World, client_for: Any
) -> None:
    client = client_for("operations", language=language)
    customer = world.own_customer
    response = client.post(
        f"/customers/{customer.pk}/tags/add/", {"name": "茶会嘉宾"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div class="tagpanel" id="customer-tags"')
    assert placeholder in html
    assert f'aria-label="{remove}"' in html
    assert _links(customer) == {"VIP", "茶会嘉宾"}
    tag = Tag.objects.get(name="茶会嘉宾")
    response = client.post(
        f"/customers/{customer.pk}/tags/{tag.pk}/remove/", headers=HTMX
    )
    assert response.status_code == 200
    assert "茶会嘉宾" not in response.content.decode()
    assert _links(customer) == {"VIP"}


@pytest.mark.parametrize(
    ("language", "name", "message"),
    [
        ("en", "", "a tag needs a name"),
        ("en", "x" * 65, "too long (at most 64 characters)"),
        ("en", "a\x1bb", "control character U+001B at position 2 is not allowed"),
        ("zh-hans", "", "标签需要一个名称"),
        ("zh-hans", "x" * 65, "过长（最多 64 个字符）"),
    ],
)
def test_bad_names_show_the_message_in_the_panel_and_change_nothing(
    language: str, name: str, message: str, world: World, client_for: Any
) -> None:
    client = client_for("admin", language=language)
    before = (_links(world.own_customer), Tag.objects.count())
    response = client.post(
        f"/customers/{world.own_customer.pk}/tags/add/", {"name": name}, headers=HTMX
    )
    assert response.status_code == 200
    assert f'<p class="message error" role="alert" id="tag-error">{message}</p>' in (
        response.content.decode()
    )
    assert (_links(world.own_customer), Tag.objects.count()) == before


def test_without_javascript_the_form_returns_to_the_customer_page(
    world: World, client_for: Any
) -> None:
    client = client_for("service")
    response = client.post(
        f"/customers/{world.own_customer.pk}/tags/add/", {"tag": Tag.objects.get().pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{world.own_customer.pk}/"
    response = client.post(
        f"/customers/{world.own_customer.pk}/tags/add/", {"name": ""}
    )
    assert response.status_code == 400
    assert "a tag needs a name" in response.content.decode()


def test_someone_elses_customer_is_not_found(world: World, client_for: Any) -> None:
    client = client_for("account_manager")
    before = _links(world.foreign_customer)
    vip = Tag.objects.get(name="VIP")
    for response in (
        client.get(f"/customers/{world.foreign_customer.pk}/tags/"),
        client.post(
            f"/customers/{world.foreign_customer.pk}/tags/add/",
            {"name": "茶会嘉宾"},
            headers=HTMX,
        ),
        client.post(
            f"/customers/{world.foreign_customer.pk}/tags/{vip.pk}/remove/",
            headers=HTMX,
        ),
    ):
        assert response.status_code == 404
    assert _links(world.foreign_customer) == before
    assert not Tag.objects.filter(name="茶会嘉宾").exists()


def test_suggestions_are_manual_tags_containing_the_text(
    world: World, client_for: Any
) -> None:
    Tag.objects.create(name="VIP2")
    Tag.objects.create(name="生命周期·新客户", kind="automatic", key="stage:new")
    html = client_for("admin").get("/tags/suggest/", {"name": "vi"}).content.decode()
    assert html.strip() == '<option value="VIP"><option value="VIP2">'
    assert (
        "新客户"
        not in client_for("admin")
        .get("/tags/suggest/", {"name": "新"})
        .content.decode()
    )


def test_the_panel_query_count_does_not_grow_with_tags(
    crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("admin")
    for i in range(30):
        client.post(
            f"/customers/{crowded_world.own_customer.pk}/tags/add/",
            {"name": f"标签{i}"},
            headers=HTMX,
        )
    # session, user, role, customer (customer_get reads its tags too), links
    # with their tags and authors
    with django_assert_num_queries(6):
        html = client.get(_panel(crowded_world)).content.decode()
    assert html.count('class="tagname"') == 31


# --- the settings page -----------------------------------------------------------


def test_the_settings_page_lists_tags_with_counts_and_coverage(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    from guanxi.customers.services import tag_counts_refresh

    tag_counts_refresh()
    client = client_for("operations")
    # session, user, role, coverage, rules, tags, manual names, messages
    with django_assert_num_queries(7):
        html = client.get("/settings/tags/").content.decode()
    assert "No scoring run yet" in html
    row = html[html.index('<tr data-tag="') :]
    assert '<span class="tag">VIP</span>' in row
    assert '<td class="num">2</td>' in row


def test_the_settings_page_renames_merges_and_deletes(
    world: World, client_for: Any
) -> None:
    client = client_for("admin")
    vip = Tag.objects.get(name="VIP")
    response = client.post(
        f"/settings/tags/{vip.pk}/", {"name": "贵宾", "color": "red"}
    )
    assert response.status_code == 302
    vip.refresh_from_db()
    assert (vip.name, vip.color) == ("贵宾", "red")
    client.post("/settings/tags/new/", {"name": "VIP"})
    response = client.post(f"/settings/tags/{vip.pk}/merge/", {"into": "VIP"})
    assert response.status_code == 302
    assert _links(world.own_customer) == {"VIP"}
    page = client.get(response["Location"]).content.decode()
    assert "“贵宾” merged into “VIP”: 2 customers have it now." in page
    target = Tag.objects.get(name="VIP")
    confirm = client.get(f"/settings/tags/{target.pk}/delete/").content.decode()
    assert "2 customers have this tag" in confirm
    client.post(f"/settings/tags/{target.pk}/delete/")
    assert not CustomerTag.objects.exists()


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/settings/tags/new/", {"name": "VIP"}, "another tag has this name"),
        ("/settings/tags/new/", {"name": ""}, "a tag needs a name"),
        ("/settings/tags/new/", {"name": "新", "color": "pink"}, "not a valid colour"),
        ("merge", {"into": "没有这个"}, "unknown tag"),
        ("merge", {"into": ""}, "choose the tag to merge into"),
    ],
)
def test_bad_settings_input_shows_the_message_and_changes_nothing(
    url: str, data: dict[str, str], message: str, world: World, client_for: Any
) -> None:
    vip = Tag.objects.get(name="VIP")
    if url == "merge":
        url = f"/settings/tags/{vip.pk}/merge/"
    before = sorted(Tag.objects.values_list("name", "color"))
    response = client_for("admin").post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert sorted(Tag.objects.values_list("name", "color")) == before

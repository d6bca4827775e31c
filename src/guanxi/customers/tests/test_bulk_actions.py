"""Bulk actions on the customer list: a confirmation that says how many
customers they touch, a background run with progress, scope on every id,
and bad input answered with a message and nothing changed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from tests.access import World

from guanxi.customers import bulk_runs
from guanxi.customers.bulk_actions import bulk_action_prepare
from guanxi.customers.bulk_runs import bulk_action_run
from guanxi.customers.choices import BulkStatus
from guanxi.customers.models import (
    BulkAction,
    Customer,
    CustomerChange,
    CustomerTag,
    Tag,
)
from guanxi.customers.services import customer_apply_contact

LIST = reverse("customers:customer-list")
NEW = reverse("customers:bulk-new")


@pytest.fixture
def crowd(world: World) -> dict[str, list[Customer]]:
    """Five more customers in 苏州 for each of the two account managers."""
    made: dict[str, list[Customer]] = {"own": [], "foreign": []}
    for side, manager in (
        ("own", world.users["account_manager"]),
        ("foreign", world.other_manager),
    ):
        for i in range(5):
            c = Customer(
                name=f"{side}{i}",
                phone=f"+86137{1 if side == 'own' else 2}000{i:04d}",
                city="苏州",
                assigned_manager=manager,
            )
            customer_apply_contact(c)
            c.save()
            made[side].append(c)
    return made


def _tagged(tag: Tag) -> set[int]:
    return set(
        CustomerTag.objects.filter(tag=tag).values_list("customer_id", flat=True)
    )


def _confirm_and_run(client: Any, answer: Any, capture: Any) -> BulkAction:
    assert answer.status_code == 302
    detail = answer["Location"]
    action = BulkAction.objects.get(pk=int(detail.rstrip("/").split("/")[-1]))
    with capture(execute=True):
        client.post(reverse("customers:bulk-confirm", args=[action.pk]))
    action.refresh_from_db()
    return action


def test_tag_every_customer_matching_the_filter(
    client_for: Any,
    world: World,
    crowd: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tag = Tag.objects.create(name="苏州活动")
    client = client_for("admin")
    answer = client.post(
        NEW,
        {"kind": "tag", "tag": tag.pk, "scope": "all", "query": "city=苏州"},
    )
    html = client.get(answer["Location"]).content.decode()
    assert "This will add the tag “苏州活动” to 10 customers." in html
    assert _tagged(tag) == set()  # nothing before the confirmation
    action = _confirm_and_run(client, answer, django_capture_on_commit_callbacks)
    assert (action.status, action.total, action.done, action.changed) == (
        BulkStatus.DONE,
        10,
        10,
        10,
    )
    assert _tagged(tag) == {c.pk for side in crowd.values() for c in side}
    assert Tag.objects.get(pk=tag.pk).customer_count == 10
    link = CustomerTag.objects.filter(tag=tag).first()
    assert link is not None and link.added_by == world.users["admin"]
    progress = client.get(reverse("customers:bulk-progress", args=[action.pk]))
    assert "Done: 10 customers changed (the others needed no change)." in (
        progress.content.decode()
    )


def test_an_account_managers_selection_touches_only_their_own(
    client_for: Any,
    world: World,
    crowd: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tag = Tag.objects.create(name="回访")
    client = client_for("account_manager")
    own, foreign = crowd["own"], crowd["foreign"]
    ids = [own[0].pk, own[1].pk, foreign[0].pk, foreign[1].pk]
    answer = client.post(NEW, {"kind": "tag", "tag": tag.pk, "ids": ids})
    html = client.get(answer["Location"]).content.decode()
    assert "This will add the tag “回访” to 2 customers." in html
    action = _confirm_and_run(client, answer, django_capture_on_commit_callbacks)
    assert action.changed == 2
    assert _tagged(tag) == {own[0].pk, own[1].pk}
    # "Every customer matching" is theirs only too.
    answer = client.post(
        NEW, {"kind": "tag", "tag": tag.pk, "scope": "all", "query": "city=苏州"}
    )
    action = _confirm_and_run(client, answer, django_capture_on_commit_callbacks)
    assert (action.total, action.changed) == (5, 3)
    assert _tagged(tag) == {c.pk for c in own}


def test_a_selection_of_only_other_managers_customers_is_refused(
    client_for: Any, world: World, crowd: Any
) -> None:
    tag = Tag.objects.create(name="回访")
    client = client_for("account_manager")
    answer = client.post(
        NEW,
        {"kind": "tag", "tag": tag.pk, "ids": [c.pk for c in crowd["foreign"]]},
        follow=True,
    )
    assert (
        "Nothing was changed: no customer of yours is in this selection"
        in answer.content.decode()
    )
    assert not BulkAction.objects.exists()


def test_another_persons_bulk_action_is_not_found(
    client_for: Any, world: World, crowd: Any
) -> None:
    tag = Tag.objects.create(name="回访")
    action = bulk_action_prepare(
        actor=world.other_manager,
        kind="tag",
        tag=tag.pk,
        ids=[crowd["foreign"][0].pk],
    )
    client = client_for("account_manager")
    for name in ("customers:bulk-detail", "customers:bulk-progress"):
        assert client.get(reverse(name, args=[action.pk])).status_code == 404
    confirm = reverse("customers:bulk-confirm", args=[action.pk])
    assert client.post(confirm).status_code == 404
    action.refresh_from_db()
    assert action.status == BulkStatus.PENDING


def test_untag_and_assign_and_running_twice_changes_nothing_more(
    client_for: Any,
    world: World,
    crowd: Any,
    huey_immediate: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("operations")
    vip = Tag.objects.get(name="VIP")  # the world's two customers have it
    answer = client.post(
        NEW, {"kind": "untag", "tag": vip.pk, "scope": "all", "query": "city=杭州"}
    )
    action = _confirm_and_run(client, answer, django_capture_on_commit_callbacks)
    assert (action.total, action.changed) == (2, 2)
    assert _tagged(vip) == set()
    target = world.users["account_manager"]
    answer = client.post(
        NEW,
        {
            "kind": "assign",
            "manager": target.pk,
            "ids": [c.pk for c in crowd["foreign"][:3]] + [crowd["own"][0].pk],
        },
    )
    assert "This will make account_manager the account manager of 4 customers." in (
        client.get(answer["Location"]).content.decode()
    )
    action = _confirm_and_run(client, answer, django_capture_on_commit_callbacks)
    assert (action.total, action.changed) == (4, 3)
    moved = Customer.objects.filter(pk__in=[c.pk for c in crowd["foreign"][:3]])
    assert {c.assigned_manager_id for c in moved} == {target.pk}
    assert CustomerChange.objects.filter(kind="assigned", manager=target).count() == 3
    # Confirming again queues nothing; running a finished action does nothing.
    client.post(reverse("customers:bulk-confirm", args=[action.pk]))
    BulkAction.objects.filter(pk=action.pk).update(status=BulkStatus.QUEUED)
    bulk_action_run(action_id=action.pk)
    action.refresh_from_db()
    assert action.changed == 3
    assert CustomerChange.objects.filter(kind="assigned", manager=target).count() == 3


def test_runs_in_chunks_and_counts_progress(
    world: World, crowd: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(bulk_runs, "BULK_CHUNK", 3)
    tag = Tag.objects.create(name="分批")
    action = bulk_action_prepare(
        actor=world.users["admin"],
        kind="tag",
        tag=tag.pk,
        everyone_matching=True,
        params={"city": "苏州"},
    )
    BulkAction.objects.filter(pk=action.pk).update(status=BulkStatus.QUEUED)
    bulk_action_run(action_id=action.pk)
    action.refresh_from_db()
    assert (action.status, action.done, action.changed) == (BulkStatus.DONE, 10, 10)
    assert len(_tagged(tag)) == 10


BAD = [
    (
        {"kind": "delete", "tag": "1", "ids": ["1"]},
        "choose what to do: add a tag, remove a tag or assign an account manager",
    ),
    ({"kind": "tag", "tag": "", "ids": ["1"]}, "choose a tag"),
    ({"kind": "tag", "tag": "999999", "ids": ["1"]}, "choose a tag"),
    (
        {"kind": "tag", "tag": "VIP", "ids": []},
        "select at least one customer, or choose every customer matching",
    ),
    (
        {"kind": "tag", "tag": "VIP", "ids": ["abc"]},
        "the selection holds something that is not a customer",
    ),
    (
        {"kind": "tag", "tag": "VIP", "scope": "all", "query": "spend_min=lots"},
        "Spend at least: not an amount",
    ),
    (
        {"kind": "assign", "manager": "", "ids": ["1"]},
        "choose an account manager from the list",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_gets_a_message_and_changes_nothing(
    client_for: Any, world: World, crowd: Any, data: dict[str, Any], message: str
) -> None:
    vip = Tag.objects.get(name="VIP")
    data = {
        **data,
        "tag": str(vip.pk) if data.get("tag") == "VIP" else data.get("tag", ""),
        "ids": [
            str(world.own_customer.pk) if i == "1" else i for i in data.get("ids", [])
        ],
    }
    before = (
        sorted(CustomerTag.objects.values_list("customer_id", "tag_id")),
        sorted(Customer.objects.values_list("pk", "assigned_manager_id")),
    )
    answer = client_for("admin").post(NEW, data, follow=True)
    assert f"Nothing was changed: {message}" in answer.content.decode()
    assert not BulkAction.objects.exists()
    after = (
        sorted(CustomerTag.objects.values_list("customer_id", "tag_id")),
        sorted(Customer.objects.values_list("pk", "assigned_manager_id")),
    )
    assert after == before


def test_roles_that_may_not_are_refused(client_for: Any, world: World) -> None:
    vip = Tag.objects.get(name="VIP")
    own = world.own_customer.pk
    assert (
        client_for("account_manager")
        .post(NEW, {"kind": "assign", "manager": world.other_manager.pk, "ids": [own]})
        .status_code
        == 403
    )
    assert (
        client_for("analyst")
        .post(NEW, {"kind": "tag", "tag": vip.pk, "ids": [own]})
        .status_code
        == 403
    )
    assert not BulkAction.objects.exists()


def test_the_list_offers_the_bulk_bar_with_the_lists_query(
    client_for: Any, world: World, crowd: Any
) -> None:
    html = client_for("operations").get(LIST, {"city": "苏州"}).content.decode()
    assert 'id="bulk-form"' in html
    assert re.search(r'name="query" value="city=%E8%8B%8F%E5%B7%9E"', html)
    assert "All 10 customers matching these filters" in html
    # The export form beside the list carries the same query (the bulk bar's
    # and the export's: both act on the filtered list).
    export_form = re.search(
        r'<form class="exportform"[^>]*action="/exports/new/">(.*?)</form>', html, re.S
    )
    assert export_form is not None
    assert 'name="query" value="city=%E8%8B%8F%E5%B7%9E"' in export_form.group(1)
    assert html.count('form="bulk-form"') == 10
    analyst = client_for("analyst").get(LIST).content.decode()
    assert 'id="bulk-form"' not in analyst

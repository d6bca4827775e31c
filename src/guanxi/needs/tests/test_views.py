"""The needs pages and API: ranking, example texts masked for analysts (the
canary customer), statuses, merging and closing the loop from the page, bad
input answered with its message and nothing changed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from guanxi.feedback.services import ticket_open
from guanxi.messaging.models import Message
from guanxi.needs.models import Need, NeedNotice
from guanxi.needs.services import needs_mine

pytestmark = pytest.mark.django_db

CANARY_TEXT = (
    "我是王芳，物流太慢了，电话 138 0013 8000，邮箱 wang.fang@example.com，"
    "或者 +86-138-0013-8000 / 13800138000"
)
LEAKS = ("王芳", "13800138000", "138 0013 8000", "138-0013-8000", "wang.fang")


@pytest.fixture
def mined(world: Any) -> Need:
    """Two customers complain about logistics (one is the canary 王芳), one
    about packaging."""
    service = world.users["service"]
    ticket_open(
        actor=service, customer_id=world.own_customer.pk, category="complaint",
        text=CANARY_TEXT,
    )  # fmt: skip
    ticket_open(
        actor=service, customer_id=world.foreign_customer.pk, category="complaint",
        text="物流太慢，包装也坏了",
    )  # fmt: skip
    ticket_open(
        actor=service, customer_id=world.foreign_customer.pk, category="suggestion",
        text="包装可以更结实",
    )  # fmt: skip
    needs_mine(min_documents=2)
    return Need.objects.get(term="物流")


def test_the_list_ranks_needs_by_customers_or_revenue(
    mined: Need, client_for: Any
) -> None:
    Need.objects.filter(term="包装").update(revenue=900)
    Need.objects.filter(term="物流").update(revenue=100)
    client = client_for("operations")
    body = client.get(reverse("needs:list")).content.decode()
    assert body.index('data-need="物流"') < body.index('data-need="包装"')
    body = client.get(reverse("needs:list"), {"order": "revenue"}).content.decode()
    assert body.index('data-need="包装"') < body.index('data-need="物流"')
    body = client.get(reverse("needs:list"), {"status": "done"}).content.decode()
    assert 'id="needs-empty"' in body


def test_analysts_read_no_phone_email_or_name_of_the_canary(
    mined: Need, client_for: Any, api_client_for: Any
) -> None:
    url = reverse("needs:detail", args=[mined.pk])
    body = client_for("analyst").get(url).content.decode()
    assert "[phone]" in body and "[email]" in body and "[name]" in body
    for leak in LEAKS:
        assert leak not in body, leak
    api = api_client_for("analyst").get(f"/api/v1/needs/{mined.pk}/")
    assert api.status_code == 200
    for leak in LEAKS:
        assert leak not in api.content.decode(), leak
    # Customer service reads the customer's own words, as in the inbox.
    body = client_for("service").get(url).content.decode()
    assert "wang.fang@example.com" in body
    # Operations: contact data masked, names shown.
    body = client_for("operations").get(url).content.decode()
    assert "wang.fang@example.com" not in body and "13800138000" not in body


def test_status_from_the_page_and_bad_input(mined: Need, client_for: Any) -> None:
    client = client_for("service")
    url = reverse("needs:status", args=[mined.pk])
    bad = client.post(url, {"status": "finished"})
    assert bad.status_code == 400
    assert (
        "Unknown status: &#x27;finished&#x27;. Choose new, planned, done or dismissed."
        in bad.content.decode()
    )
    mined.refresh_from_db()
    assert mined.status == "new"
    assert client.post(url, {"status": "planned"}).status_code == 302
    mined.refresh_from_db()
    assert mined.status == "planned"
    assert client_for("analyst").post(url, {"status": "done"}).status_code == 403
    mined.refresh_from_db()
    assert mined.status == "planned"


def test_admin_merges_from_the_page(mined: Need, client_for: Any) -> None:
    packaging = Need.objects.get(term="包装")
    url = reverse("needs:merge", args=[packaging.pk])
    bad = client_for("admin").post(url, {"into": "仓库"})
    assert bad.status_code == 400
    assert "There is no need &#x27;仓库&#x27; to merge into." in bad.content.decode()
    assert Need.objects.filter(term="包装").exists()
    done = client_for("admin").post(url, {"into": "物流"})
    assert done.status_code == 302 and done["Location"] == reverse(
        "needs:detail", args=[mined.pk]
    )
    assert not Need.objects.filter(term="包装").exists()
    page = client_for("admin").get(done["Location"]).content.decode()
    assert "包装" in page  # listed as a synonym


def test_close_the_loop_from_the_page_counts_first_then_sends_once(
    mined: Need, client_for: Any, smtp: Any, world: Any
) -> None:
    from guanxi.customers.models import Customer

    Customer.objects.filter(pk=world.foreign_customer.pk).update(
        email=None, email_index=None
    )
    client = client_for("service")
    client.post(reverse("needs:status", args=[mined.pk]), {"status": "done"})
    page = client.get(reverse("needs:detail", args=[mined.pk])).content.decode()
    assert "后续改进会通知您" in page  # the default text, editable
    url = reverse("needs:notify", args=[mined.pk])
    form = {
        "channel": "email",
        "text_zh": "Subject: 物流改进了\n\n物流已经改进。后续改进会通知您。",
        "text_en": "Subject: Delivery improved\n\nDelivery is faster now.",
    }
    preview = client.post(url, form | {"preview": "1"})
    assert preview.status_code == 200
    assert "Would send to 1 customers; 0 were told before." in preview.content.decode()
    assert Message.objects.count() == 0
    sent = client.post(url, form)
    assert sent.status_code == 302
    assert NeedNotice.objects.filter(need=mined).count() == 2
    assert sorted(Message.objects.values_list("status", flat=True)) == [
        "queued",
        "suppressed",
    ]
    client.post(url, form)
    assert Message.objects.count() == 2


def test_the_api_lists_and_changes_status(mined: Need, api_client_for: Any) -> None:
    api = api_client_for("operations")
    listed = api.get("/api/v1/needs/").json()
    assert [n["term"] for n in listed["results"]][:1] == ["物流"]
    assert listed["results"][0]["customers"] == 2
    bad = api.post(
        f"/api/v1/needs/{mined.pk}/status/",
        data=json.dumps({"status": "finished"}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    mined.refresh_from_db()
    assert mined.status == "new"
    ok = api.post(
        f"/api/v1/needs/{mined.pk}/status/",
        data=json.dumps({"status": "done"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    assert api.get("/api/v1/needs/", {"status": "bogus"}).status_code == 400


def test_pages_in_chinese(mined: Need, client_for: Any) -> None:
    body = client_for("admin", language="zh-hans").get(reverse("needs:list"))
    assert "需求清单" in body.content.decode()
    detail = client_for("admin", language="zh-hans").get(
        reverse("needs:detail", args=[mined.pk])
    )
    assert "按月趋势" in detail.content.decode()


def test_the_list_and_a_need_page_cost_the_same_queries_for_more_rows(
    mined: Need, client_for: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("analyst")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    detail = reverse("needs:detail", args=[mined.pk])
    few = queries(reverse("needs:list")), queries(detail)
    Need.objects.bulk_create(
        [Need(term=f"词{n}", customers=1, texts=1) for n in range(30)]
    )
    mention = mined.mentions.first()
    assert mention is not None
    for n in range(20):
        mined.mentions.create(
            source="ticket", source_id=10_000 + n, customer_id=mention.customer_id,
            month="2026-11",
        )  # fmt: skip
    assert (queries(reverse("needs:list")), queries(detail)) == few

"""The template pages and the send screen, through the test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from guanxi.customers.models import Customer
from guanxi.messaging import template_views
from guanxi.messaging.models import Broadcast, Message, Template
from guanxi.messaging.stored import TemplateFields, template_save
from guanxi.messaging.tests.audiences import three_customers
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode())).strip()


FORM = {
    "name": "shipped",
    "channel": "sms",
    "purpose": "service",
    "subject_zh": "",
    "body_zh": "{{ name }}，您的订单已发货。",
    "subject_en": "",
    "body_en": "{{ name }}, your order is on its way.",
}


def test_a_template_is_created_and_a_bad_one_refused_with_its_line(
    users: dict[str, Any],
) -> None:
    client = _client(users["operations"])
    bad = client.post("/messages/templates/new/", {**FORM, "body_en": "Hi {{ name }\n"})
    assert bad.status_code == 400
    assert "English body: Line 1: unexpected &#x27;}&#x27;" in bad.content.decode()
    assert Template.objects.count() == 0
    good = client.post("/messages/templates/new/", FORM)
    saved = Template.objects.get()
    assert good.status_code == 302
    assert good["Location"] == f"/messages/templates/{saved.pk}/"
    assert (saved.name, saved.body_en, saved.created_by) == (
        "shipped",
        "{{ name }}, your order is on its way.",
        users["operations"],
    )


def test_the_preview_shows_a_customer_in_scope_in_their_language(
    users: dict[str, Any], make_customer: Any
) -> None:
    own = make_customer(name="王芳", assigned_manager=users["account_manager"])
    other = make_customer(name="李雷", assigned_manager=users["other_manager"])
    client = _client(users["account_manager"])
    answer = client.post(
        "/messages/templates/preview/", {**FORM, "customer": str(own.pk)}
    )
    text = _text(answer.content)
    assert f"For customer {own.pk}, in their language." in text
    assert (
        "Chinese sent in this language 王芳，您的订单已发货。 11 characters: 1 SMS"
        in text
    )
    assert "English 王芳, your order is on its way." in text
    answer = client.post(
        "/messages/templates/preview/", {**FORM, "customer": str(other.pk)}
    )
    assert f"No customer {other.pk} among your customers." in _text(answer.content)
    assert "李雷" not in answer.content.decode()
    answer = client.post(
        "/messages/templates/preview/", {**FORM, "body_zh": "{{ nmae }}"}
    )
    assert "Chinese body: Line 1: unknown variable &#x27;nmae&#x27;" in (
        answer.content.decode()
    )


def test_service_sees_the_service_templates_read_only(
    users: dict[str, Any],
) -> None:
    service = template_save(actor=users["admin"], fields=TemplateFields(**FORM))
    template_save(
        actor=users["admin"],
        fields=TemplateFields(**{**FORM, "name": "sale", "purpose": "marketing"}),
    )
    client = _client(users["service"])
    listed = _text(client.get("/messages/templates/").content)
    assert "shipped" in listed
    assert "sale" not in listed
    page = client.get(f"/messages/templates/{service.pk}/").content.decode()
    assert 'id="save-template"' not in page
    assert re.search(r'name="body_zh" rows="7"\s+readonly', page)


def _send_world(users: dict[str, Any], make_customer: Any) -> Template:
    three_customers(make_customer)
    return template_save(
        actor=users["admin"],
        fields=TemplateFields(
            name="spring",
            channel="email",
            purpose="marketing",
            subject_zh="新茶 {{ name }}",
            body_zh="{{ name }}，明前龙井到了。",
        ),
    )


def test_the_send_screen_counts_then_queues_one_broadcast(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    template = _send_world(users, make_customer)
    client = _client(users["operations"])
    choice = {"template": template.pk, "audience": "all"}
    counts = _text(client.post("/messages/send/preview/", choice).content)
    assert "Will be queued 1 Suppressed 2" in counts
    assert "— No address for the channel 1" in counts
    assert "— No marketing consent for the channel 1" in counts
    review = client.post("/messages/send/", {**choice, "step": "review"})
    assert review.status_code == 200
    assert "Queue 1 message" in _text(review.content)
    assert (Broadcast.objects.count(), Message.objects.count()) == (0, 0)
    done = client.post("/messages/send/", {**choice, "step": "confirm"}, follow=True)
    assert "Queued 1 messages; 2 suppressed." in _text(done.content)
    broadcast = Broadcast.objects.get()
    assert (broadcast.audience, broadcast.created_by, broadcast.body) == (
        "all",
        users["operations"],
        "{{ name }}，明前龙井到了。",
    )
    assert Message.objects.count() == 3


def test_an_audience_too_large_for_a_page_is_refused(
    smtp: SmtpRecorder,
    users: dict[str, Any],
    make_customer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = _send_world(users, make_customer)
    monkeypatch.setattr(template_views, "SEND_PAGE_MAX", 2)
    client = _client(users["admin"])
    choice = {"template": template.pk, "audience": "all"}
    message = (
        "This audience has 3 customers, more than the 2 a page queues at once: "
        "send it with guanxi send --template-name."
    )
    assert message in _text(client.post("/messages/send/preview/", choice).content)
    refused = client.post("/messages/send/", {**choice, "step": "confirm"})
    assert refused.status_code == 400
    assert message in _text(refused.content)
    assert (Broadcast.objects.count(), Message.objects.count()) == (0, 0)


def test_a_channel_not_set_up_is_said_before_anything_is_queued(
    users: dict[str, Any], make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_EMAIL_URL = ""
    template = _send_world(users, make_customer)
    client = _client(users["admin"])
    refused = client.post(
        "/messages/send/",
        {"template": template.pk, "audience": "segment:nobody", "step": "confirm"},
    )
    assert refused.status_code == 400
    assert "E-mail is not set up: set GUANXI_EMAIL_URL." in _text(refused.content)
    assert Broadcast.objects.count() == 0


# --- the customers ticked on the customer list ----------------------------------


def test_the_ticked_customers_are_the_audience_through_review_and_confirm(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    template = _send_world(users, make_customer)
    first, second, _third = Customer.objects.order_by("pk")
    client = _client(users["operations"])
    ticked = {"ids": [str(first.pk), str(second.pk)]}
    # From the list's bulk bar: the ticked ids, no template yet.
    page = client.post("/messages/send/", ticked)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="selected" selected>The 2 ticked customers</option>' in html
    assert html.count('<input type="hidden" name="ids"') == 2
    choice = {**ticked, "template": template.pk, "audience": "selected"}
    counts = _text(client.post("/messages/send/preview/", choice).content)
    assert "Will be queued 1 Suppressed 1" in counts
    review = client.post("/messages/send/", {**choice, "step": "review"})
    assert "Queue 1 message" in _text(review.content)
    assert review.content.decode().count('<input type="hidden" name="ids"') == 2
    assert Broadcast.objects.count() == 0
    done = client.post("/messages/send/", {**choice, "step": "confirm"}, follow=True)
    assert "Queued 1 messages; 1 suppressed." in _text(done.content)
    broadcast = Broadcast.objects.get()
    assert broadcast.audience == "selected:2"
    assert sorted(Message.objects.values_list("customer_id", flat=True)) == [
        first.pk,
        second.pk,
    ]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Tick at least one customer on the customer list."),
        (
            ["1", "x"],
            "The selection holds something that is not one of your customers.",
        ),
        (
            ["999999"],
            "The selection holds something that is not one of your customers.",
        ),
        (
            [str(n) for n in range(1, 1002)],
            "At most 1,000 ticked customers can be sent to at once.",
        ),
    ],
)
def test_a_bad_selection_is_refused_and_nothing_is_queued(
    smtp: SmtpRecorder,
    users: dict[str, Any],
    make_customer: Any,
    ids: list[str],
    message: str,
) -> None:
    template = _send_world(users, make_customer)
    client = _client(users["admin"])
    choice = {"ids": ids, "template": template.pk, "audience": "selected"}
    assert message in _text(client.post("/messages/send/preview/", choice).content)
    refused = client.post("/messages/send/", {**choice, "step": "confirm"})
    assert refused.status_code == 400
    assert message in _text(refused.content)
    assert (Broadcast.objects.count(), Message.objects.count()) == (0, 0)


def test_the_send_screen_says_how_many_get_each_language(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    for i, language in enumerate(("en", "en", "zh-hans", "")):
        make_customer(name=f"客户{i}", email=f"c{i}@example.com", language=language)
    template = template_save(
        actor=users["admin"],
        fields=TemplateFields(
            name="notice",
            channel="email",
            purpose="service",
            subject_zh="通知 {{ name }}",
            body_zh="{{ name }}，您好。",
            subject_en="Notice, {{ name }}",
            body_en="Dear {{ name }}.",
        ),
    )
    client = _client(users["operations"])
    counts = _text(
        client.post(
            "/messages/send/preview/", {"template": template.pk, "audience": "all"}
        ).content
    )
    assert "Chinese 2 customers get it" in counts
    assert "English 2 customers get it" in counts


def test_the_customer_list_offers_sending_to_the_ticked_to_senders_only(
    users: dict[str, Any], make_customer: Any
) -> None:
    make_customer(name="王芳", email="w@example.com")
    for role, offered in (("operations", True), ("admin", True), ("service", False)):
        html = _client(users[role]).get("/customers/").content.decode()
        assert ('id="bulk-send" formaction="/messages/send/"' in html) is offered, role

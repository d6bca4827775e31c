"""The one-click unsubscribe link (RFC 8058): no login, signed, a GET never
unsubscribes, a POST does at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guanxi.messaging.links import unsubscribe_token, unsubscribe_url
from guanxi.messaging.models import ConsentRecord
from guanxi.messaging.selectors import consent_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(subscribed_customer: Any) -> Any:
    # The page opens in the customer's language (test_unsubscribe_page).
    return subscribed_customer(email="a@example.com", language="en")


def _path(customer: Any) -> str:
    url = unsubscribe_url(customer_id=customer.pk, channel="email")
    assert url.startswith("http://127.0.0.1:8000/m/unsubscribe/")
    return url[len("http://127.0.0.1:8000") :]


def test_one_click_post_withdraws_marketing_at_once(subscribed: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(_path(subscribed))
    assert page.status_code == 200
    assert "Stop marketing messages by email?" in page.content.decode()
    assert consent_current(
        customer_id=subscribed.pk, purpose="marketing", channel="email"
    )
    done = client.post(_path(subscribed), {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert not consent_current(
        customer_id=subscribed.pk, purpose="marketing", channel="email"
    )
    newest = ConsentRecord.objects.order_by("-id").first()
    assert newest is not None
    assert (newest.granted, newest.source, newest.evidence) == (
        False,
        "unsubscribe",
        "one-click link",
    )
    # Again: nothing more to record.
    client.post(_path(subscribed))
    assert ConsentRecord.objects.count() == 2


def test_a_tampered_or_foreign_token_is_not_found_and_changes_nothing(
    subscribed: Any,
) -> None:
    client = Client()
    token = unsubscribe_token(customer_id=subscribed.pk, channel="email")
    tampered = token.replace(token.split(":")[0], "eyJjIjo5OTksImNoIjoiZW1haWwifQ")
    for bad in (tampered, "nonsense", token[:-2]):
        assert client.post(f"/m/unsubscribe/{bad}/").status_code == 404
    gone = unsubscribe_token(customer_id=subscribed.pk + 1000, channel="email")
    assert client.post(f"/m/unsubscribe/{gone}/").status_code == 404
    assert ConsentRecord.objects.count() == 1

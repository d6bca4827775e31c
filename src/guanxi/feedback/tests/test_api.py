"""The tickets API: opening, reading (masked for analysts), replying and the
status machine's exact refusals."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.feedback.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback/tickets/"


def test_open_reply_solve_over_the_api(api: Any, make_customer: Any) -> None:
    customer = make_customer(email="kehu@example.com")
    client = api("service")
    made = client.post(
        URL,
        {"customer": customer.pk, "category": "complaint", "text": "漏发一件"},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["category"], body["status"], body["source"], body["channel"]) == (
        "complaint",
        "new",
        "api",
        "api",
    )
    pk = body["id"]
    replied = client.post(f"{URL}{pk}/reply/", {"text": "马上补发"}, format="json")
    assert replied.json()["status"] == "acknowledged"
    refused = client.post(f"{URL}{pk}/status/", {"status": "confirmed"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "status": ["A ticket cannot go from “Acknowledged” to “Confirmed”."]
    }
    assert Ticket.objects.get(pk=pk).status == "acknowledged"
    solved = client.post(f"{URL}{pk}/status/", {"status": "solved"}, format="json")
    assert solved.json()["status"] == "solved"
    listed = client.get(URL + "?status=solved").json()
    assert [t["id"] for t in listed["results"]] == [pk]


def test_bad_input_over_the_api_changes_nothing(api: Any, make_customer: Any) -> None:
    customer = make_customer()
    client = api("service")
    empty = client.post(
        URL, {"customer": customer.pk, "category": "praise", "text": " "}, format="json"
    )
    assert empty.status_code == 400
    assert empty.json() == {"text": ["Write the text."]}
    bad_filter = client.get(URL + "?status=lost")
    assert bad_filter.status_code == 400
    assert bad_filter.json() == {"status": ["Choose a status."]}
    assert not Ticket.objects.exists()


def test_analysts_read_masked_text(api: Any, make_customer: Any) -> None:
    customer = make_customer(name="赵敏", phone="+8613700137000")
    api("service").post(
        URL,
        {
            "customer": customer.pk,
            "category": "complaint",
            "text": "赵敏 13700137000 zhao.min@example.com",
        },
        format="json",
    )
    row = api("analyst").get(URL).json()["results"][0]
    assert row["text"] == "[name] [phone] [email]"
    assert row["customer"] != str(customer.pk)

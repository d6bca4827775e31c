"""The staff pages and the API: scope, masking, the report's figures, the
segment send with its dry run, the texts an admin edits, the lapsed hook."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from guanxi.care.services import customer_lapsed
from guanxi.segments.models import Segment
from guanxi.surveys.models import Answer, Invitation, Survey

pytestmark = pytest.mark.django_db


def _answered(
    customer: Any, kind: str, score: int | None, text: str = "", **kw: Any
) -> Answer:
    survey = Survey.objects.get(kind=kind)
    now = timezone.now()
    invitation = Invitation.objects.create(
        survey=survey, customer=customer, trigger="manual", nonce="n",
        expires_at=now + dt.timedelta(days=1), answered_at=now, **kw,
    )  # fmt: skip
    return Answer.objects.create(
        invitation=invitation, survey=survey, customer=customer, kind=kind,
        score=score, text=text, answered_at=now,
    )  # fmt: skip


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_answers_are_scoped_and_masked_for_analysts(
    make_customer: Any, users: dict[str, Any]
) -> None:
    own = make_customer(name="王小明", assigned_manager=users["account_manager"])
    other = make_customer(name="李雷", assigned_manager=users["other_manager"])
    _answered(own, "nps", 2, "王小明 here, call 138 0013 8000 or wxm@example.com")
    _answered(other, "nps", 10, "foreign answer")
    manager = _client(users["account_manager"]).get("/surveys/answers/").content
    assert b"foreign answer" not in manager
    assert b"wxm@example.com" in manager
    analyst = _client(users["analyst"]).get("/surveys/answers/").content.decode()
    assert "foreign answer" in analyst
    for secret in ("王小明", "138 0013 8000", "wxm@example.com"):
        assert secret not in analyst
    assert "*** here, call *** or ***" in analyst
    api = _client(users["analyst"]).get("/api/v1/surveys/answers/").json()
    texts = {row["text"] for row in api["results"]}
    assert texts == {"*** here, call *** or ***", "foreign answer"}
    assert all(row["customer"] != str(own.pk) for row in api["results"])
    mine = _client(users["account_manager"]).get("/api/v1/surveys/answers/").json()
    assert [row["customer"] for row in mine["results"]] == [str(own.pk)]


def test_operations_read_answers_with_contact_values_masked(
    make_customer: Any, users: dict[str, Any]
) -> None:
    # Operations see contact data masked: an answer quoting a phone or an
    # e-mail showed them in full (found by the canary scan).
    customer = make_customer(name="王小明")
    _answered(customer, "nps", 2, "王小明 here, call 138 0013 8000 or wxm@example.com")
    html = _client(users["operations"]).get("/surveys/answers/").content.decode()
    assert "138 0013 8000" not in html
    assert "wxm@example.com" not in html
    assert "王小明 here, call *** or ***" in html
    api = _client(users["operations"]).get("/api/v1/surveys/answers/").json()
    assert [row["text"] for row in api["results"]] == ["王小明 here, call *** or ***"]


def test_the_report_shows_nps_csat_rates_and_intervals(
    make_customer: Any, users: dict[str, Any]
) -> None:
    customers = [make_customer() for _ in range(10)]
    for customer, score in zip(customers[:5], [10, 9, 8, 3, 0], strict=True):
        _answered(customer, "nps", score, store="静安店", staff=users["service"])
    for customer, score in zip(customers[5:], [5, 4, 2], strict=False):
        _answered(customer, "csat", score, store="静安店")
    Invitation.objects.create(
        survey=Survey.objects.get(kind="nps"), customer=customers[9], trigger="manual",
        nonce="n", expires_at=timezone.now(),
    )  # fmt: skip
    page = _client(users["operations"]).get("/surveys/")
    assert page.status_code == 200
    months = page.context["report"]["months"]
    assert len(months) == 1
    row = months[0]
    assert (row.sent, row.answered) == (9, 8)
    assert row.nps.nps == pytest.approx(0.0)  # 2 promoters, 2 detractors of 5
    assert row.nps.small and row.csat.small
    assert row.csat.share == pytest.approx(2 / 3)
    stores = {r.label: r for r in page.context["report"]["stores"]}
    assert stores["静安店"].sent == 8
    staff = {r.label: r for r in page.context["report"]["staff"]}
    assert staff["service"].nps.n == 5
    html = page.content.decode()
    assert "too few answers to read" in html
    assert 'id="chart-time"' in html


def test_a_segment_is_counted_first_then_invited(
    make_customer: Any, users: dict[str, Any], settings: Any
) -> None:
    from guanxi.messaging.tests.servers import smtp_server

    make_customer(email="a@example.com", city="上海")
    make_customer(email="b@example.com", city="上海")
    segment = Segment.objects.create(
        name="Shanghai", rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]}
    )
    with smtp_server() as (_recorder, port):
        settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"
        settings.GUANXI_EMAIL_FROM = "shop@example.com"
        client = _client(users["operations"])
        dry = client.post(
            "/surveys/csat/send/", {"segment": segment.pk, "action": "preview"}
        )
        assert dry.status_code == 200
        assert "2 customers would be invited; 0 were asked" in dry.content.decode()
        assert Invitation.objects.count() == 0
        sent = client.post(
            "/surveys/csat/send/", {"segment": segment.pk, "action": "send"}
        )
        assert "2 customers invited (2 messages queued); 0 left out" in (
            sent.content.decode()
        )
        assert Invitation.objects.filter(trigger="manual").count() == 2
        again = client.post(
            "/surveys/csat/send/", {"segment": segment.pk, "action": "preview"}
        )
        assert "0 customers would be invited; 2 were asked" in again.content.decode()


def test_admins_edit_texts_and_bad_texts_change_nothing(users: dict[str, Any]) -> None:
    client = _client(users["admin"])
    before = Survey.objects.get(kind="nps").texts
    bad = client.post(
        "/surveys/nps/edit/",
        {"zh-hans.invite_body": "没有链接", "en.invite_body": "{{ survey_url }}"},
    )
    assert bad.status_code == 400
    assert "The invitation must hold the link: {{ survey_url }}." in (
        bad.content.decode()
    )
    assert Survey.objects.get(kind="nps").texts == before
    values = {
        f"{lang}.{key}": text
        for lang in ("zh-hans", "en")
        for key, text in before[lang].items()
    }
    values["en.question"] = "Would you recommend our tea?"
    values["active"] = "on"
    assert client.post("/surveys/nps/edit/", values).status_code == 302
    assert Survey.objects.get(kind="nps").texts["en"]["question"] == (
        "Would you recommend our tea?"
    )
    assert (
        _client(users["operations"]).post("/surveys/nps/edit/", values).status_code
        == 403
    )


def test_a_lapsed_customer_is_asked_why_they_left(
    make_customer: Any, settings: Any
) -> None:
    from guanxi.messaging.tests.servers import smtp_server

    customer = make_customer(email="gone@example.com")
    with smtp_server() as (_recorder, port):
        settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"
        settings.GUANXI_EMAIL_FROM = "shop@example.com"
        customer_lapsed.send(sender=None, warning=None, customer_id=customer.pk)
    invitation = Invitation.objects.get()
    assert (invitation.survey.kind, invitation.trigger) == ("churn", "customer_lapsed")

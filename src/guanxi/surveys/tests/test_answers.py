"""Invitations (the cap, the messages with their own links) and answers (the
link rules, hostile input, what an answer does)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.outbox import consent_set

from guanxi.care.models import CareTask, ChurnWarning
from guanxi.customers.models import CustomerTag, Interaction
from guanxi.messaging.models import Message
from guanxi.messaging.services import messages_dispatch
from guanxi.surveys.links import survey_token
from guanxi.surveys.models import Answer, Invitation, Survey
from guanxi.surveys.services import invitations_send, invite_after

pytestmark = pytest.mark.django_db


def _link(recorder: Any) -> str:
    body = recorder.received[-1].get_body(("plain",)).get_content()
    found = re.search(r"http://testserver(/s/[^/\s]+/)", body)
    assert found, body
    return found.group(1)


def _en(link: str) -> str:
    """The link with the page switched to English (its default is the
    invitation's language, Chinese)."""
    return link + "?lang=en"


def _nps() -> Survey:
    return Survey.objects.get(kind="nps")


def _state() -> tuple[int, int, int, int]:
    return (
        Answer.objects.count(),
        CustomerTag.objects.count(),
        Interaction.objects.count(),
        CareTask.objects.count(),
    )


def test_an_invitation_goes_out_with_its_own_link_and_the_cap_holds(
    smtp: Any, customer_with_email: Any, settings: Any
) -> None:
    settings.GUANXI_SURVEY_CAP_DAYS = 30
    first, second = customer_with_email(), customer_with_email()
    count = invite_after("order_delivered", [first.pk, second.pk], store="静安店")
    assert (count.invited, count.capped, count.queued) == (2, 0, 2)
    assert messages_dispatch() == {"sent": 2}
    links = {m.get_body(("plain",)).get_content() for m in smtp.received}
    assert len({re.search(r"/s/\S+", b).group(0) for b in links}) == 2  # type: ignore[union-attr]
    invitation = Invitation.objects.get(customer=first)
    assert invitation.store == "静安店"
    assert invitation.message_id is not None
    assert Message.objects.get(pk=invitation.message_id).customer_id == first.pk
    # Within 30 days nobody is asked again, by any survey: counted, not sent.
    again = invite_after("order_delivered", [first.pk, second.pk])
    assert (again.invited, again.capped, again.queued) == (0, 2, 0)
    assert Invitation.objects.count() == 2
    # After the period they may be asked again.
    Invitation.objects.update(created_at=timezone.now() - dt.timedelta(days=31))
    dry = invitations_send(
        survey=_nps(), customer_ids=[first.pk], trigger="manual", dry_run=True
    )
    assert (dry.invited, dry.capped) == (1, 0)
    assert Invitation.objects.count() == 2  # a dry run writes nothing


def test_each_customer_is_invited_in_their_own_language(
    smtp: Any, customer_with_email: Any
) -> None:
    chinese = customer_with_email(language="zh-hans")
    english = customer_with_email(language="en")
    unset = customer_with_email()  # the business default: Chinese
    count = invite_after("order_delivered", [chinese.pk, english.pk, unset.pk])
    assert count.queued == 3
    assert messages_dispatch() == {"sent": 3}
    subjects = {m["To"]: str(m["Subject"]).strip() for m in smtp.received}
    assert subjects == {
        chinese.email: "想听听您的意见：您愿意推荐我们吗？",
        english.email: "Your view: would you recommend us?",
        unset.email: "想听听您的意见：您愿意推荐我们吗？",
    }
    languages = dict(Invitation.objects.values_list("customer_id", "language"))
    assert languages == {chinese.pk: "zh-hans", english.pk: "en", unset.pk: "zh-hans"}
    sent = dict(Message.objects.values_list("customer_id", "language"))
    assert sent == {chinese.pk: "zh-hans", english.pk: "en", unset.pk: "zh-hans"}


def test_a_detractor_opens_one_care_task_with_the_answer_as_reason(
    smtp: Any, customer_with_email: Any, users: dict[str, Any]
) -> None:
    customer = customer_with_email(assigned_manager=users["account_manager"])
    invite_after("order_delivered", [customer.pk])
    messages_dispatch()
    response = Client().post(
        _link(smtp), {"score": "3", "text": "送货太慢了", "lang": "en"}
    )
    assert response.status_code == 200
    assert b"Thank you for your feedback" in response.content
    answer = Answer.objects.get()
    assert (answer.score, answer.text, answer.language) == (3, "送货太慢了", "en")
    task = CareTask.objects.get()
    assert task.customer_id == customer.pk
    assert task.owner == users["account_manager"]
    signals = ChurnWarning.objects.get().signals
    assert signals["negative_feedback"]["survey"] == "nps"
    assert signals["negative_feedback"]["reason"] == "送货太慢了"
    tags = set(
        CustomerTag.objects.filter(customer=customer).values_list(
            "tag__name", flat=True
        )
    )
    assert tags == {"NPS·贬损者"}
    note = Interaction.objects.get(customer=customer, source="survey")
    assert note.kind == "complaint"
    # A second detractor answer (a new invitation later) adds to the open
    # warning: still one task.
    Invitation.objects.update(created_at=timezone.now() - dt.timedelta(days=40))
    invite_after("order_delivered", [customer.pk])
    messages_dispatch()
    Client().post(_link(smtp), {"score": "9"})
    assert CareTask.objects.count() == 1
    tags = set(
        CustomerTag.objects.filter(customer=customer).values_list(
            "tag__name", flat=True
        )
    )
    assert tags == {"NPS·推荐者"}  # the earlier group is taken off


def test_a_link_cannot_be_answered_twice_for_another_customer_or_late(
    smtp: Any, customer_with_email: Any
) -> None:
    customer, other = customer_with_email(), customer_with_email()
    invite_after("ticket_solved", [customer.pk])
    messages_dispatch()
    link = _link(smtp)
    client = Client()
    assert client.post(_en(link), {"score": "5"}).status_code == 200
    before = _state()
    twice = client.post(_en(link), {"score": "1"})
    assert twice.status_code == 410
    assert b"This survey has already been answered. Thank you!" in twice.content
    chinese = client.get(link).content.decode()  # the customer's language
    assert "这份问卷已经回答过了，谢谢您！" in chinese
    assert _state() == before

    # The same invitation signed for another customer.
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(answered_at=None)
    forged = survey_token(
        invitation_id=invitation.pk, customer_id=other.pk, nonce=invitation.nonce
    )
    refused = client.post(_en(f"/s/{forged}/"), {"score": "1"})
    assert refused.status_code == 403
    assert (
        b"This link was sent to someone else and cannot be used here."
        in refused.content
    )
    # Expired.
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    late = client.get(_en(link))
    assert late.status_code == 410
    assert b"This survey link has expired." in late.content
    # Not one of ours.
    assert client.get("/s/not-a-token/").status_code == 404
    assert client.get(link[:-5] + "x/").status_code == 404
    assert _state() == before


def test_bad_and_hostile_input_is_refused_or_kept_as_text(
    smtp: Any, customer_with_email: Any, users: dict[str, Any]
) -> None:
    customer = customer_with_email()
    invite_after("ticket_solved", [customer.pk])
    messages_dispatch()
    link = _link(smtp)
    client = Client()
    before = _state()
    for data, message in (
        ({"score": "6"}, b"Choose a score from 1 to 5."),
        ({"score": "abc"}, b"Choose a score from 1 to 5."),
        ({"score": "4", "text": "x" * 1001}, b"Please keep each answer under 1000"),
        (
            {"score": "4", "text": "a\x00b"},
            b"The answer holds characters we cannot keep.",
        ),
    ):
        response = client.post(_en(link), data)
        assert response.status_code == 400, data
        assert message in response.content
        assert _state() == before
    oversized = client.post(_en(link), {"score": "4", "text": "y" * 20_000})
    assert oversized.status_code == 413
    assert b"The answer is too long." in oversized.content
    hostile = "<script>alert(1)</script>'; DROP TABLE surveys_answer; --"
    ok = client.post(_en(link), {"score": "4", "text": hostile})
    assert ok.status_code == 200
    assert Answer.objects.get().text == hostile
    staff = Client()
    staff.force_login(users["service"])
    page = staff.get("/surveys/answers/")
    assert b"<script>alert(1)</script>" not in page.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.content


def test_the_answer_page_is_rate_limited(
    smtp: Any, customer_with_email: Any, settings: Any
) -> None:
    customer = customer_with_email()
    invite_after("ticket_solved", [customer.pk])
    messages_dispatch()
    link = _link(smtp)
    client = Client()
    for _ in range(30):
        assert client.get(link).status_code == 200
    response = client.get(_en(link))
    assert response.status_code == 429
    assert b"Too many attempts: please try again in a few minutes." in response.content


def test_churn_answers_tag_the_reasons_and_the_page_speaks_both_languages(
    smtp: Any, customer_with_email: Any
) -> None:
    customer, without = customer_with_email(), customer_with_email()
    # The churn survey is marketing: only with consent on the channel.
    consent_set(customer)  # fmt: skip
    count = invite_after("customer_lapsed", [customer.pk, without.pk])
    assert (count.queued, count.suppressed) == (1, {"no_consent": 1})
    messages_dispatch()
    link = _link(smtp)
    client = Client()
    chinese = client.get(link).content.decode()
    assert "请问是什么原因让您不再选择我们？选 1-2 个选项，帮助我们改进" in chinese
    english = client.get(link + "?lang=en").content.decode()
    assert "What made you stop choosing us?" in english
    three = client.post(_en(link), {"reasons": ["price", "service", "product"]})
    assert three.status_code == 400
    assert b"Choose one or two reasons." in three.content
    done = client.post(link, {"reasons": ["price", "competitor"], "text": "太贵"})
    assert "感谢您的反馈！后续改进会通知您。" in done.content.decode()
    tags = set(
        CustomerTag.objects.filter(customer=customer).values_list(
            "tag__name", flat=True
        )
    )
    assert tags == {"流失原因·价格", "流失原因·竞品"}
    assert CareTask.objects.count() == 0


def test_a_needs_answer_is_kept_on_the_timeline_without_a_task(
    smtp: Any, customer_with_email: Any, users: dict[str, Any]
) -> None:
    customer = customer_with_email()
    consent_set(customer)  # fmt: skip
    needs = Survey.objects.get(kind="needs")
    count = invitations_send(survey=needs, customer_ids=[customer.pk], trigger="manual")
    assert count.queued == 1
    messages_dispatch()
    link = _link(smtp)
    client = Client()
    before = _state()
    empty = client.post(
        _en(link), {"scenario": " ", "pain_points": "", "interests": ""}
    )
    assert empty.status_code == 400
    assert b"Please answer at least one question." in empty.content
    assert _state() == before
    done = client.post(_en(link), {"scenario": "商务送礼", "interests": "绿茶"})
    assert done.status_code == 200
    answer = Answer.objects.get()
    assert (answer.kind, answer.scenario, answer.pain_points, answer.interests) == (
        "needs", "商务送礼", "", "绿茶",
    )  # fmt: skip
    note = Interaction.objects.get(customer=customer, source="survey")
    assert note.kind == "note"
    assert "商务送礼" in note.note
    assert CareTask.objects.count() == 0


def test_a_trigger_without_a_channel_set_up_sends_nothing_and_does_not_fail(
    customer_with_email: Any, settings: Any, caplog: Any
) -> None:
    settings.GUANXI_EMAIL_URL = ""
    customer = customer_with_email()
    count = invite_after("order_delivered", [customer.pk])
    assert (count.invited, count.queued) == (0, 0)
    assert Invitation.objects.count() == 0
    assert Message.objects.count() == 0
    assert "survey nps after order_delivered not sent to 1 customers" in caplog.text
    assert customer.email not in caplog.text

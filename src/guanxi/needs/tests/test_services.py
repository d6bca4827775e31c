"""Mining the database into the needs list, statuses, merging synonyms and
closing the loop (real SMTP), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.commerce.models import Order
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.models import Interaction
from guanxi.feedback.models import Ticket
from guanxi.messaging.models import Message, SuppressedAddress
from guanxi.messaging.services import messages_dispatch
from guanxi.needs.models import MiningRun, Need, NeedMention, NeedNotice, NeedSynonym
from guanxi.needs.services import (
    need_loop_close,
    need_loop_preview,
    need_loop_texts,
    need_merge,
    need_status_set,
    needs_mine,
)
from guanxi.surveys.models import Answer, Invitation, Survey

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))


def _ticket(customer: Any, text: str, *, at: dt.datetime = NOW, **kw: Any) -> Ticket:
    return Ticket.objects.create(
        customer=customer, category="complaint", channel="phone", text=text,
        source="staff", opened_at=at, first_reply_due=at, solve_due=at, **kw,
    )  # fmt: skip


def _answer(customer: Any, pain_points: str) -> Answer:
    survey = Survey.objects.get(kind="needs")
    invitation = Invitation.objects.create(
        survey=survey, customer=customer, trigger="manual", nonce="n",
        expires_at=NOW, answered_at=NOW,
    )  # fmt: skip
    return Answer.objects.create(
        invitation=invitation, survey=survey, customer=customer, kind="needs",
        pain_points=pain_points, answered_at=NOW,
    )  # fmt: skip


def _note(customer: Any, kind: str, note: str, **kw: Any) -> Interaction:
    return Interaction.objects.create(
        customer=customer, kind=kind, occurred_at=NOW, note=note, **kw
    )


def _order(customer: Any, amount: str, status: str = "paid") -> None:
    Order.objects.create(
        customer=customer, external_id=f"o{Order.objects.count()}", ordered_at=NOW,
        amount=Decimal(amount), status=status,
    )  # fmt: skip


@pytest.fixture
def corpus(make_customer: Any) -> dict[str, Any]:
    a = make_customer(name="甲", email="a@example.com")
    b = make_customer(name="乙", email="b@example.com")
    c = make_customer(name="丙", email="c@example.com")
    _order(a, "100.00")
    _order(b, "250.50")
    _order(b, "999.00", status="refunded")
    _ticket(a, "物流太慢了，等了一周")
    _ticket(b, "物流太慢，包装也坏了", at=NOW - dt.timedelta(days=40))
    _answer(c, "物流慢，希望换快递")
    # A review that opened a ticket is the ticket's words: read once.
    review = _note(a, "review", "物流太慢了，等了一周")
    _ticket(a, "物流太慢了，等了一周", interaction_id=review.pk)
    # A survey's timeline entry repeats the answer: not read again.
    _note(c, "note", "物流慢，希望换快递", source="survey")
    # Logins say nothing; a call note does.
    _note(b, "login", "物流 物流 物流")
    _note(c, "call", "客户说快递太慢")
    return {"a": a, "b": b, "c": c}


def test_mining_finds_needs_with_customers_revenue_and_trend(corpus: Any) -> None:
    result = needs_mine(now=NOW, min_documents=2)
    assert result.texts == 5  # 3 tickets (one from the review), 1 answer, 1 call
    logistics = Need.objects.get(term="物流")
    assert logistics.texts == 4
    assert logistics.customers == 3
    assert logistics.revenue == Decimal("350.50")  # refunds are not revenue
    assert logistics.trend == {"2026-10": 1, "2026-11": 3}
    assert logistics.negative > 0.6
    sources = sorted(
        NeedMention.objects.filter(need=logistics).values_list("source", flat=True)
    )
    assert sources == ["answer", "ticket", "ticket", "ticket"]
    assert MiningRun.objects.get().texts == 5


def test_mining_again_changes_nothing_and_keeps_statuses(
    corpus: Any, users: dict[str, Any]
) -> None:
    needs_mine(now=NOW, min_documents=2)
    need = Need.objects.get(term="物流")
    need_status_set(actor=users["service"], need=need, status="planned")
    before = list(
        Need.objects.order_by("term").values_list(
            "term", "texts", "customers", "revenue", "trend", "status"
        )
    )
    mentions = sorted(
        NeedMention.objects.values_list("need__term", "source", "source_id")
    )
    needs_mine(now=NOW, min_documents=2)
    after = list(
        Need.objects.order_by("term").values_list(
            "term", "texts", "customers", "revenue", "trend", "status"
        )
    )
    assert after == before
    assert sorted(
        NeedMention.objects.values_list("need__term", "source", "source_id")
    ) == (mentions)
    assert Need.objects.get(term="物流").status == "planned"


def test_since_reads_only_newer_texts(corpus: Any) -> None:
    needs_mine(now=NOW, min_documents=2, since=dt.date(2026, 11, 1))
    assert Need.objects.get(term="物流").trend == {"2026-11": 3}


def test_status_bad_input_exact_message_and_unchanged(
    corpus: Any, users: dict[str, Any]
) -> None:
    needs_mine(now=NOW, min_documents=2)
    need = Need.objects.get(term="物流")
    with pytest.raises(ValidationFailed) as error:
        need_status_set(actor=users["service"], need=need, status="finished")
    assert error.value.message == (
        "Unknown status: 'finished'. Choose new, planned, done or dismissed."
    )
    with pytest.raises(PermissionDenied) as denied:
        need_status_set(actor=users["analyst"], need=need, status="done")
    assert denied.value.message == "Your role may not change needs."
    need.refresh_from_db()
    assert need.status == "new" and need.status_changed_at is None


def test_merging_a_synonym_moves_its_texts_and_holds_for_the_next_run(
    corpus: Any, users: dict[str, Any]
) -> None:
    needs_mine(now=NOW, min_documents=2)
    courier = Need.objects.get(term="快递")
    assert courier.customers == 1 and courier.texts == 2
    with pytest.raises(ValidationFailed) as error:
        need_merge(actor=users["admin"], need=courier, into="快递")
    assert error.value.message == "A need cannot be merged into itself."
    with pytest.raises(ValidationFailed) as error:
        need_merge(actor=users["admin"], need=courier, into="仓库")
    assert error.value.message == "There is no need '仓库' to merge into."
    with pytest.raises(PermissionDenied):
        need_merge(actor=users["operations"], need=courier, into="物流")
    assert Need.objects.filter(term="快递").exists()
    target = need_merge(actor=users["admin"], need=courier, into="物流")
    assert target.term == "物流"
    assert not Need.objects.filter(term="快递").exists()
    assert NeedSynonym.objects.get(term="快递").need_id == target.pk
    assert target.texts == 5  # the call note "快递太慢" joined
    needs_mine(now=NOW, min_documents=2)
    assert not Need.objects.filter(term="快递").exists()
    assert Need.objects.get(term="物流").texts == 5


def _body(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


def _done(users: dict[str, Any]) -> Need:
    needs_mine(now=NOW, min_documents=2)
    need = Need.objects.get(term="物流")
    return need_status_set(actor=users["service"], need=need, status="done")


def test_close_the_loop_is_refused_until_done_and_checks_input(
    corpus: Any, users: dict[str, Any], smtp: Any
) -> None:
    needs_mine(now=NOW, min_documents=2)
    need = Need.objects.get(term="物流")
    texts = need_loop_texts(need)
    with pytest.raises(ValidationFailed) as error:
        need_loop_close(
            actor=users["service"], need=need, channel="email",
            text_zh=texts["zh-hans"], text_en=texts["en"],
        )  # fmt: skip
    assert error.value.message == "Mark the need done before telling its customers."
    need_status_set(actor=users["service"], need=need, status="done")
    with pytest.raises(ValidationFailed) as error:
        need_loop_close(
            actor=users["service"], need=need, channel="email",
            text_zh="  ", text_en=texts["en"],
        )  # fmt: skip
    assert error.value.message == "The Chinese message is empty."
    with pytest.raises(ValidationFailed) as error:
        need_loop_preview(actor=users["service"], need=need, channel="fax")
    assert error.value.message == "Choose e-mail, SMS or WeCom, not 'fax'."
    with pytest.raises(PermissionDenied):
        need_loop_preview(actor=users["analyst"], need=need, channel="email")
    assert Message.objects.count() == 0
    assert NeedNotice.objects.count() == 0


def test_close_the_loop_tells_each_customer_once_and_respects_suppression(
    corpus: Any, users: dict[str, Any], smtp: Any
) -> None:
    from guanxi.customers.models import Customer

    need = _done(users)
    index = Customer.objects.get(pk=corpus["c"].pk).email_index
    assert index is not None
    SuppressedAddress.objects.create(channel="email", address_index=index)
    preview = need_loop_preview(actor=users["service"], need=need, channel="email")
    assert preview.as_dict() == {
        "queued": 2,
        "suppressed": {"address_suppressed": 1},
        "already": 0,
    }
    assert Message.objects.count() == 0  # a preview writes nothing
    texts = need_loop_texts(need)
    sent = need_loop_close(
        actor=users["service"], need=need, channel="email",
        text_zh=texts["zh-hans"], text_en=texts["en"],
    )  # fmt: skip
    assert sent.as_dict() == preview.as_dict()
    messages_dispatch()
    assert sorted(m["To"] for m in smtp.received) == ["a@example.com", "b@example.com"]
    assert "后续改进会通知您" in _body(smtp.received[0])
    assert NeedNotice.objects.filter(need=need).count() == 3
    # Again: nobody is told twice, not even the suppressed customer.
    again = need_loop_close(
        actor=users["service"], need=need, channel="email",
        text_zh=texts["zh-hans"], text_en=texts["en"],
    )  # fmt: skip
    assert again.as_dict() == {"queued": 0, "suppressed": {}, "already": 3}
    messages_dispatch()
    assert len(smtp.received) == 2


def test_english_customers_read_the_english_text(
    corpus: Any, users: dict[str, Any], smtp: Any
) -> None:
    from guanxi.customers.models import Customer

    Customer.objects.filter(pk=corpus["a"].pk).update(language="en")
    need = _done(users)
    texts = need_loop_texts(need)
    need_loop_close(
        actor=users["admin"], need=need, channel="email",
        text_zh=texts["zh-hans"], text_en=texts["en"],
    )  # fmt: skip
    messages_dispatch()
    by_address = {m["To"]: _body(m) for m in smtp.received}
    assert "We promised to let you know" in by_address["a@example.com"]
    assert "后续改进会通知您" in by_address["b@example.com"]

"""E-mails in the feedback triage belong to no customer: a data-subject
request finds them by the person's e-mail address — the export lists them,
an erasure deletes them — and leaves other senders' alone."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from django.utils import timezone

from guanxi.privacy.tests.conftest import CANARIES


def _triage(key: str, sender: str, text: str) -> Any:
    from guanxi.feedback.models import InboundMail

    return InboundMail.objects.create(
        message_key=key,
        received_at=timezone.now() - dt.timedelta(days=3),
        outcome=InboundMail.Outcome.TRIAGE,
        sender=sender,
        subject="问题",
        text=text,
    )


def test_the_export_lists_the_persons_triage_mail_and_no_one_elses(
    canary: Any,
) -> None:
    from guanxi.privacy.services import dsar_export, dsar_export_zip

    mine = _triage("m1", "Canary.Person@Example.org", "Canarytriage 我的问题")
    _triage("m2", "someone.else@example.org", "别人的问题")
    data = dsar_export(customer_id=canary.customer.pk, actor=None, via="cli")
    rows = data["records"]["feedback.InboundMail"]
    assert [(r["id"], r["sender"], r["text"]) for r in rows] == [
        (mine.pk, "Canary.Person@Example.org", "Canarytriage 我的问题")
    ]
    assert rows[0]["outcome"] == "triage" and rows[0]["ticket_id"] is None
    archive = zipfile.ZipFile(io.BytesIO(dsar_export_zip(data)))
    csv_text = archive.read("feedback.InboundMail.csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0] == (
        "id,received_at,outcome,ticket_id,sender,subject,text"
    )
    assert "Canarytriage 我的问题" in csv_text
    assert "someone.else" not in csv_text


def test_an_erasure_deletes_the_persons_triage_mail_only(canary: Any) -> None:
    from guanxi.feedback.models import InboundMail
    from guanxi.privacy.services import customer_erase

    _triage("m1", CANARIES["email"].upper(), "Canarytriage 我的问题")
    other = _triage("m2", "someone.else@example.org", "别人的问题")
    result = customer_erase(customer_id=canary.customer.pk, actor=None, via="cli")
    assert list(InboundMail.objects.values_list("pk", flat=True)) == [other.pk]
    assert result.rows_deleted >= 1
    assert "Canarytriage" not in str(
        list(InboundMail.objects.values_list("text", flat=True))
    )


def test_a_customer_without_e_mail_finds_no_triage_mail(make_customer: Any) -> None:
    from guanxi.feedback.selectors import inbound_triage_for_email

    _triage("m1", "someone@example.org", "x")
    assert inbound_triage_for_email(email=None) == []
    assert inbound_triage_for_email(email="  ") == []
    assert [
        r["sender"] for r in inbound_triage_for_email(email="SOMEONE@example.org")
    ] == ["someone@example.org"]

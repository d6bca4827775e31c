"""Sending a stored template: its dry run counts what queueing would, the
customer gets the language version chosen for them, and ``guanxi send
--template-name``."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guanxi.messaging.models import Broadcast, Message
from guanxi.messaging.services import (
    broadcast_preview,
    broadcast_send_stored,
    messages_dispatch,
)
from guanxi.messaging.stored import TemplateFields, template_save
from guanxi.messaging.tests.audiences import three_customers
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db


def _template(users: dict[str, Any], **changes: str) -> Any:
    values = {
        "name": "新品",
        "channel": "email",
        "purpose": "marketing",
        "subject_zh": "{{ name }}，新茶到了",
        "body_zh": "{{ name }}，您好：明前龙井到店。\n",
        "subject_en": "New tea, {{ name }}",
        "body_en": "Dear {{ name }}, the spring tea is in.\n",
    }
    values.update(changes)
    return template_save(actor=users["admin"], fields=TemplateFields(**values))


def test_the_dry_run_counts_what_queueing_does_and_writes_nothing(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    three_customers(make_customer)
    template = _template(users)
    preview = broadcast_preview(template=template, audience="all")
    assert preview.as_dict() == {
        "queued": 1,
        "suppressed": {"no_address": 1, "no_consent": 1},
    }
    assert (Broadcast.objects.count(), Message.objects.count()) == (0, 0)
    count = broadcast_send_stored(
        template=template, audience="all", actor=users["operations"]
    )
    assert count.as_dict() == preview.as_dict()
    broadcast = Broadcast.objects.get()
    assert broadcast.created_by == users["operations"]
    assert (broadcast.subject, broadcast.body) == (
        template.subject_zh,
        template.body_zh,
    )
    messages_dispatch()
    assert [(m["To"], m["Subject"]) for m in smtp.received] == [
        ("yes@example.com", "王芳，新茶到了")
    ]


def test_a_template_with_only_english_goes_out_in_english(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    three_customers(make_customer)
    template = _template(users, subject_zh="", body_zh="", purpose="service")
    count = broadcast_send_stored(template=template, audience="all")
    assert count.as_dict() == {"queued": 2, "suppressed": {"no_address": 1}}
    messages_dispatch()
    assert sorted(m["Subject"] for m in smtp.received) == [
        "New tea, 张伟",
        "New tea, 王芳",
    ]


def test_guanxi_send_takes_a_stored_template_by_name(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    three_customers(make_customer)
    _template(users)
    out = StringIO()
    call_command(
        "send", "--template-name", "新品", "--audience", "all", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {
        "queued": 1,
        "suppressed": {"no_address": 1, "no_consent": 1},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--template-name", "旧品"], "No template is named '旧品'."),
        (
            ["--template-name", "新品", "--channel", "sms"],
            "A stored template has its own channel and purpose: leave out "
            "--channel and --purpose.",
        ),
        (
            ["--template-name", "新品", "--audience", "segment:nobody"],
            "No segment is named 'nobody'.",
        ),
    ],
)
def test_guanxi_send_refuses_a_bad_stored_template(
    smtp: SmtpRecorder,
    users: dict[str, Any],
    make_customer: Any,
    args: list[str],
    message: str,
) -> None:
    three_customers(make_customer)
    _template(users)
    if "--audience" not in args:
        args = [*args, "--audience", "all"]
    with pytest.raises(CommandError) as caught:
        call_command("send", *args)
    assert str(caught.value) == message
    assert (Broadcast.objects.count(), Message.objects.count()) == (0, 0)

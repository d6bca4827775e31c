"""``guanxi send`` and ``guanxi messages status`` (in process; the worker's
own process is tested in test_worker_process)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.outbox import consent_set

from guanxi.messaging.models import CallTask, Message
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "welcome.txt"
    path.write_text(
        "Subject: 欢迎 {{ name }}\n\n{{ name }}，欢迎光临。\n", encoding="utf-8"
    )
    return path


def test_send_json_prints_exactly_the_counts(
    smtp: SmtpRecorder, make_customer: Any, template: Path
) -> None:
    yes = make_customer(email="yes@example.com")
    consent_set(yes, source="import", evidence="batch 7")
    make_customer(email="no@example.com")
    make_customer()
    out = _run(
        "send",
        "--channel",
        "email",
        "--audience",
        "all",
        "--purpose",
        "marketing",
        "--template",
        str(template),
        "--json",
    )
    assert json.loads(out) == {
        "queued": 1,
        "suppressed": {"no_address": 1, "no_consent": 1},
    }
    assert out.count("\n") == 1
    status = json.loads(_run("messages", "status", "--json"))
    assert status == {
        "queued": 1,
        "sending": 0,
        "sent": 0,
        "failed": 0,
        "suppressed": 2,
    }
    messages_dispatch()
    status = json.loads(_run("messages", "status", "--json"))
    assert status == {
        "queued": 0,
        "sending": 0,
        "sent": 1,
        "failed": 0,
        "suppressed": 2,
    }
    assert [m["To"] for m in smtp.received] == ["yes@example.com"]


def test_send_to_a_file_of_ids(
    smtp: SmtpRecorder, make_customer: Any, template: Path, tmp_path: Path
) -> None:
    a, _b, c = (make_customer(email=f"{n}@example.com") for n in "abc")
    ids = tmp_path / "ids.csv"
    ids.write_text(f"customer_id\n{a.pk}\n{c.pk}\n{c.pk}\n", encoding="utf-8")
    out = _run(
        "send",
        "--channel",
        "email",
        "--audience",
        f"file:{ids}",
        "--purpose",
        "service",
        "--template",
        str(template),
        "--json",
    )
    assert json.loads(out) == {"queued": 2, "suppressed": {}}
    assert set(Message.objects.values_list("customer_id", flat=True)) == {a.pk, c.pk}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("customer_id\n1\nx7\n", "ids.csv line 3: 'x7' is not a customer id."),
        ("999999\n", "1 ids in ids.csv are not customers, the first: 999999."),
    ],
)
def test_a_bad_id_file_is_refused(
    smtp: SmtpRecorder,
    make_customer: Any,
    template: Path,
    tmp_path: Path,
    content: str,
    message: str,
) -> None:
    make_customer(email="a@example.com")
    ids = tmp_path / "ids.csv"
    ids.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        _run(
            "send",
            "--channel",
            "email",
            "--audience",
            f"file:{ids}",
            "--purpose",
            "service",
            "--template",
            str(template),
        )
    assert str(caught.value) == message
    assert Message.objects.count() == 0


def test_a_template_that_cannot_be_read_is_refused(
    smtp: SmtpRecorder, make_customer: Any, tmp_path: Path
) -> None:
    make_customer(email="a@example.com")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Subject: caf\xe9\n\nx".encode("latin-1"))
    for path, message in [
        (tmp_path / "missing.txt", "Cannot read the template file missing.txt."),
        (latin, "The template file latin.txt is not UTF-8 text."),
    ]:
        with pytest.raises(CommandError) as caught:
            _run(
                "send",
                "--channel",
                "email",
                "--audience",
                "all",
                "--purpose",
                "service",
                "--template",
                str(path),
            )
        assert str(caught.value) == message
    assert Message.objects.count() == 0


def test_send_without_json_says_it_in_words(
    smtp: SmtpRecorder, make_customer: Any, template: Path
) -> None:
    make_customer(email="a@example.com")
    make_customer()
    out = _run(
        "send",
        "--channel",
        "email",
        "--audience",
        "all",
        "--purpose",
        "service",
        "--template",
        str(template),
    )
    assert out == "Queued: 1\nSuppressed: 1\n  No address for the channel: 1\n"


def test_the_phone_channel_makes_one_call_task_with_the_script(
    make_customer: Any, users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_QUIET_HOURS = ""
    customer = make_customer(name="王芳", assigned_manager=users["account_manager"])
    broadcast_send(
        channel="phone",
        purpose="service",
        template_text="请致电 {{ name }}，确认到店时间。",
        audience="all",
    )
    assert messages_dispatch() == {"sent": 1}
    task = CallTask.objects.get()
    assert (task.customer, task.assigned_to, task.script) == (
        customer,
        users["account_manager"],
        "请致电 王芳，确认到店时间。",
    )

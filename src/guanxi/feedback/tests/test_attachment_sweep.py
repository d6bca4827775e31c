"""The sweep of attachment files left without their row, with real files: an
upload whose outer transaction rolled back after its files were written
leaves one; the sweep removes it once it is an hour old (never younger: its
write may still be running), with the temporaries of a crashed write, and
nothing else: not a file with its row, not a file that is not ours. Dry
run, the command line (text, JSON, a wrong action), the daily task, the
audit row (counts only)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation

from guanxi.audit.models import AuditEvent
from guanxi.feedback.attaching import ORPHAN_MIN_AGE, attachment_orphans_sweep
from guanxi.feedback.models import Attachment, Ticket
from guanxi.feedback.services import attachments_add, ticket_open
from guanxi.feedback.tasks import attachment_orphans_sweep_task
from guanxi.feedback.tests.test_attachments import PDF, png

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def _files(data_dir: Path) -> set[Path]:
    root = data_dir / "attachments"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _age(path: Path, by: dt.timedelta) -> None:
    moment = path.stat().st_mtime - by.total_seconds()
    os.utime(path, (moment, moment))


def _upload(world: Any, ticket: Ticket, data: bytes) -> Attachment:
    (found,) = attachments_add(
        actor=world.users["service"],
        ticket_id=ticket.pk,
        files=[(io.BytesIO(data), "a.png")],
    ).added
    return found


@pytest.fixture
def scene(world: Any, data_dir: Path) -> dict[str, Path]:
    """On disk: a kept file (with its row), an old orphan (an upload inside
    an outer transaction that rolled back), a young orphan, an old temporary
    of a crashed write, and two files that are not ours."""
    ticket = ticket_open(
        actor=world.users["service"],
        customer_id=world.own_customer.pk,
        category="complaint",
        text="包装破了",
    )
    kept = _upload(world, ticket, png())
    before = _files(data_dir)
    with pytest.raises(RolledBack), transaction.atomic():
        _upload(world, ticket, PDF)  # its own files_guard commits a savepoint
        raise RolledBack  # … and the outer transaction rolls back
    (orphan,) = _files(data_dir) - before
    assert Attachment.objects.count() == 1
    with pytest.raises(RolledBack), transaction.atomic():
        _upload(world, ticket, png(5, 5))
        raise RolledBack
    (young,) = _files(data_dir) - before - {orphan}
    root = data_dir / "attachments"
    kept_path = root / kept.stored_name
    temporary = orphan.with_name(f".{'e' * 32}.0badcafe.new")
    temporary.write_bytes(b"half")
    stranger = root / "README.txt"
    stranger.write_text("an operator's note")
    odd = kept_path.with_name("not-a-stored-name")
    odd.write_bytes(b"x")
    hour = ORPHAN_MIN_AGE + dt.timedelta(minutes=1)
    for path in (kept_path, orphan, temporary, stranger, odd):
        _age(path, hour)
    _age(young, ORPHAN_MIN_AGE - dt.timedelta(minutes=5))
    return {
        "kept": kept_path,
        "orphan": orphan,
        "young": young,
        "temporary": temporary,
        "stranger": stranger,
        "odd": odd,
    }


def test_a_dry_run_counts_and_removes_nothing(
    scene: dict[str, Path], data_dir: Path
) -> None:
    on_disk = _files(data_dir)
    report = attachment_orphans_sweep(dry_run=True, via="cli")
    assert report.as_dict() == {
        "dry_run": True,
        "files": 2,
        "bytes": scene["orphan"].stat().st_size + 4,
    }
    assert _files(data_dir) == on_disk
    assert not AuditEvent.objects.filter(action="attachment.swept").exists()


def test_the_sweep_removes_old_orphans_only_and_is_audited_with_counts(
    scene: dict[str, Path], data_dir: Path
) -> None:
    size = scene["orphan"].stat().st_size + 4
    report = attachment_orphans_sweep(dry_run=False, via="task")
    assert (report.files, report.bytes) == (2, size)
    assert not scene["orphan"].exists() and not scene["temporary"].exists()
    for key in ("kept", "young", "stranger", "odd"):
        assert scene[key].exists(), key
    (event,) = AuditEvent.objects.filter(action="attachment.swept")
    assert (event.actor, event.customer_id, event.object_type, event.details) == (
        None,
        None,
        "attachments",
        {"count": 2, "via": "task"},
    )
    assert scene["orphan"].name not in str(event.__dict__)
    # The kept file still reads; a second run finds nothing and records nothing.
    assert Attachment.objects.get().sha256
    again = attachment_orphans_sweep(dry_run=False, via="task")
    assert (again.files, again.bytes) == (0, 0)
    assert AuditEvent.objects.filter(action="attachment.swept").count() == 1
    # An hour later the young orphan goes too.
    later = attachment_orphans_sweep(
        dry_run=False, via="task", now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )
    assert later.files == 1 and not scene["young"].exists()
    assert scene["kept"].exists()


def test_no_attachments_folder_is_nothing_to_do(data_dir: Path) -> None:
    assert attachment_orphans_sweep(dry_run=False, via="cli").as_dict() == {
        "dry_run": False,
        "files": 0,
        "bytes": 0,
    }
    assert not (data_dir / "attachments").exists()


def test_the_command_line_and_the_daily_task(
    scene: dict[str, Path], data_dir: Path
) -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("files", "sweep", "--dry-run", stdout=out)
    size = scene["orphan"].stat().st_size + 4
    assert out.getvalue() == (
        f"Attachment files without a row, to remove: 2 ({size} B).\n"
    )
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("files", "sweep", "--dry-run", stdout=out)
    assert out.getvalue() == f"没有记录的附件文件，待删除：2 个（{size} B）。\n"
    on_disk = _files(data_dir)
    refusals = {
        ("purge",): (
            "Error: argument action: invalid choice: 'purge' (choose from 'sweep')"
        ),
        ("sweep", "--older=0"): "Error: unrecognized arguments: --older=0",
        (): "Error: the following arguments are required: action",
    }
    for bad, message in refusals.items():
        with pytest.raises(CommandError) as refused:
            call_command("files", *bad, stdout=StringIO())
        assert str(refused.value) == message
    assert _files(data_dir) == on_disk
    out = StringIO()
    call_command("files", "sweep", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"dry_run": False, "files": 2, "bytes": size}
    assert not scene["orphan"].exists()
    (event,) = AuditEvent.objects.filter(action="attachment.swept")
    assert event.details == {"count": 2, "via": "cli"}
    # The daily task: the same sweep; nothing left, nothing recorded.
    attachment_orphans_sweep_task.call_local()
    assert AuditEvent.objects.filter(action="attachment.swept").count() == 1
    assert scene["young"].exists() and scene["kept"].exists()

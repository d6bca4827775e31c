"""Ticket attachments: every allowed type stored encrypted on disk and given
back byte for byte; refusals (size, number, type by content, empty) that
change nothing; hostile names cleaned; the scope and the roles of the
download; its audit row; no file left by a rolled-back write; the erasure
removing the files; a key rotation after which the files still read."""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from guanxi.audit.models import AuditEvent
from guanxi.feedback.files import CONTEXT, file_write, files_guard
from guanxi.feedback.models import Attachment, Ticket
from guanxi.feedback.services import attachments_add, ticket_open

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def png(
    width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A real PNG (so the browser can show the thumbnail)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 40
    + b"\xff\xd9"
)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TEXT = "物流太慢，包装破损。\n订单 20261120-001\n".encode()
TYPE_MESSAGE = "File 1 is not an allowed type (JPEG, PNG, GIF, WebP, PDF or text)."


def _file(
    name: str, data: bytes, content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def ticket(world: Any) -> Ticket:
    return ticket_open(
        actor=world.users["service"],
        customer_id=world.own_customer.pk,
        category="complaint",
        text="包装破了",
    )


def _add(world: Any, ticket: Ticket, *files: tuple[str, bytes]) -> Any:
    with translation.override("en"):
        return attachments_add(
            actor=world.users["service"],
            ticket_id=ticket.pk,
            files=[(io.BytesIO(data), name) for name, data in files],
        )


def _stored(data_dir: Path) -> list[Path]:
    root = data_dir / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored_name"),
    [
        ("photo.jpeg", JPEG, "image/jpeg", "photo.jpg"),
        ("shot.png", png(), "image/png", "shot.png"),
        ("anim.gif", GIF, "image/gif", "anim.gif"),
        ("pic.webp", WEBP, "image/webp", "pic.webp"),
        ("invoice.pdf", PDF, "application/pdf", "invoice.pdf"),
        ("说明.txt", TEXT, "text/plain", "说明.txt"),
        # Type by content: a PDF named .exe is a PDF, and named so.
        ("report.exe", PDF, "application/pdf", "report.pdf"),
    ],
)
def test_an_allowed_file_is_stored_encrypted_and_read_back_whole(
    world: Any,
    ticket: Ticket,
    client_for: Any,
    data_dir: Path,
    name: str,
    data: bytes,
    content_type: str,
    stored_name: str,
) -> None:
    result = _add(world, ticket, (name, data))
    (found,) = result.added
    assert (found.name, found.content_type, found.size, found.sha256) == (
        stored_name,
        content_type,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    (path,) = _stored(data_dir)
    raw = path.read_bytes()
    assert raw.startswith(b"GXE1:") and data not in raw and data[:16] not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.name not in name and len(path.name) == 32
    answer = client_for("service").get(
        reverse("feedback:attachment", args=[ticket.pk, found.pk])
    )
    assert answer.status_code == 200
    assert answer.content == data
    assert answer["Content-Type"].split(";")[0] == content_type
    assert answer["Content-Disposition"].startswith("attachment;")
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Security-Policy"].startswith("sandbox;")


def test_the_same_file_twice_is_kept_once(world: Any, ticket: Ticket) -> None:
    first = _add(world, ticket, ("a.png", png()))
    again = _add(world, ticket, ("b.png", png()), ("c.pdf", PDF))
    assert (len(first.added), len(again.added), again.duplicates) == (1, 1, 1)
    assert Attachment.objects.filter(ticket=ticket).count() == 2


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("big.pdf", b"%PDF-" + b"x" * (5 * MB))], "File 1 is larger than 5 MB."),
        ([("a.png", png()), ("empty.txt", b"")], "File 2 is empty."),
        (
            [(f"{i}.txt", f"{i}".encode()) for i in range(6)],
            "At most 5 files at a time.",
        ),
        (
            [("page.png", b"<!DOCTYPE html><html><script>alert(1)</script>")],
            TYPE_MESSAGE,
        ),
        (
            [("x.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>")],
            TYPE_MESSAGE,
        ),
        ([("a.txt", b"  <html><body>hi</body></html>")], TYPE_MESSAGE),
        (
            [("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")],
            TYPE_MESSAGE,
        ),
        (
            [("photos.jpg", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20)],
            TYPE_MESSAGE,
        ),
        (
            [("macro.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40)],
            TYPE_MESSAGE,
        ),
        ([], "Choose a file."),
    ],
    ids=[
        "oversize",
        "empty",
        "too-many",
        "html",
        "svg",
        "html-text",
        "exe",
        "zip",
        "ole",
        "none",
    ],
)
def test_a_refused_upload_says_which_rule_and_changes_nothing(
    world: Any,
    ticket: Ticket,
    data_dir: Path,
    files: list[tuple[str, bytes]],
    message: str,
) -> None:
    from guanxi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        _add(world, ticket, *files)
    assert caught.value.message == message
    assert not Attachment.objects.exists()
    assert _stored(data_dir) == []


def test_a_ticket_holds_at_most_the_set_number(
    world: Any, ticket: Ticket, settings: Any
) -> None:
    from guanxi.core.errors import ValidationFailed

    settings.GUANXI_ATTACHMENT_PER_TICKET = 2
    _add(world, ticket, ("1.txt", b"one"))
    with pytest.raises(ValidationFailed) as caught:
        _add(world, ticket, ("2.txt", b"two"), ("3.txt", b"three"))
    assert caught.value.message == "A ticket holds at most 2 files."
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\Users\\王芳\\证据.png", "证据.txt"),
        ("a\x00b\x07c\r\nd.txt", "abc d.txt"),
        ("invoice\u202egnp.exe", "invoicegnp.txt"),
        ("x" * 500 + ".txt", "x" * 116 + ".txt"),
        ("...", "file.txt"),
        ("", "file.txt"),
    ],
)
def test_hostile_names_are_cleaned(
    world: Any, ticket: Ticket, data_dir: Path, name: str, cleaned: str
) -> None:
    (found,) = _add(world, ticket, (name, b"plain words")).added
    assert found.name == cleaned
    assert all(p.is_relative_to(data_dir / "attachments") for p in _stored(data_dir))


def test_a_rolled_back_write_leaves_no_file(
    data_dir: Path, world: Any, ticket: Ticket
) -> None:
    with pytest.raises(RuntimeError), files_guard():
        name = file_write(b"half a write")
        assert (data_dir / "attachments" / name).exists()
        Attachment.objects.create(
            ticket=ticket,
            name="x.txt",
            content_type="text/plain",
            size=12,
            sha256="0" * 64,
            stored_name=name,
            source="staff",
            created_at=ticket.opened_at,
        )
        raise RuntimeError("the database went away")
    assert _stored(data_dir) == []
    assert not Attachment.objects.exists()


def test_download_is_scoped_refused_to_masked_roles_and_audited(
    world: Any, client_for: Any
) -> None:
    tickets = {
        key: ticket_open(
            actor=world.users["admin"],
            customer_id=getattr(world, key).pk,
            category="complaint",
            text="破了",
        )
        for key in ("own_customer", "foreign_customer")
    }
    files = {
        key: attachments_add(
            actor=world.users["admin"],
            ticket_id=t.pk,
            files=[(io.BytesIO(png()), "王芳的发票.png")],
        ).added[0]
        for key, t in tickets.items()
    }
    own = reverse(
        "feedback:attachment",
        args=[tickets["own_customer"].pk, files["own_customer"].pk],
    )
    foreign = reverse(
        "feedback:attachment",
        args=[tickets["foreign_customer"].pk, files["foreign_customer"].pk],
    )
    # A file of another ticket under this ticket's number: missing.
    crossed = reverse(
        "feedback:attachment",
        args=[tickets["own_customer"].pk, files["foreign_customer"].pk],
    )
    assert client_for("account_manager").get(own).status_code == 200
    assert client_for("account_manager").get(foreign).status_code == 404
    assert client_for("admin").get(crossed).status_code == 404
    assert client_for("analyst").get(own).status_code == 403
    assert client_for("operations").get(own).status_code == 403
    assert client_for("anonymous").get(own).status_code == 302
    events = list(AuditEvent.objects.filter(action="attachment.downloaded"))
    assert len(events) == 1
    event = events[0]
    assert (
        event.actor,
        event.object_type,
        event.object_id,
        event.customer_id,
        event.details,
    ) == (
        world.users["account_manager"],
        "ticket",
        str(tickets["own_customer"].pk),
        world.own_customer.pk,
        {"via": "web"},
    )
    assert "王芳" not in str(event.__dict__)
    # The ticket page: names and thumbnails for full roles, numbers for others.
    page = client_for("service").get(
        reverse("feedback:ticket", args=[tickets["own_customer"].pk])
    )
    html = page.content.decode()
    assert "王芳的发票.png" in html and f"{own}?inline=1" in html
    masked = client_for("analyst").get(
        reverse("feedback:ticket", args=[tickets["own_customer"].pk])
    )
    text = masked.content.decode()
    assert "王芳的发票" not in text and own not in text and "File 1" in text
    inline = client_for("admin").get(own + "?inline=1")
    assert inline["Content-Disposition"].startswith("inline;")


def test_staff_page_upload_with_htmx_and_the_refusals(
    world: Any, ticket: Ticket, client_for: Any
) -> None:
    client = client_for("service")
    url = reverse("feedback:ticket-attachments", args=[ticket.pk])
    answer = client.post(
        url,
        {"files": [_file("a.png", png()), _file("b.txt", TEXT)]},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="attachments"' in html and "a.png" in html and "b.txt" in html
    bad = client.post(
        url, {"files": [_file("c.png", b"<html>x</html>")]}, HTTP_HX_REQUEST="true"
    )
    assert TYPE_MESSAGE in bad.content.decode()
    plain = client.post(url, {"files": [_file("c.png", b"<html>x</html>")]})
    assert plain.status_code == 400 and TYPE_MESSAGE in plain.content.decode()
    # A body far beyond the limits is refused on its announced length, unread.
    huge = client.post(
        url, {"files": [_file("d.png", png())]}, CONTENT_LENGTH=str(1 << 30)
    )
    assert huge.status_code == 413
    assert huge.content.decode() == "The upload is larger than 25 MB (5 files of 5 MB)."
    assert Attachment.objects.count() == 2
    assert (
        client_for("analyst").post(url, {"files": [_file("e.png", png())]}).status_code
        == 403
    )


def test_erasure_removes_the_files_from_disk(
    world: Any, ticket: Ticket, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from guanxi.privacy.services import customer_erase, dsar_export

    _add(world, ticket, ("a.png", png()), ("b.pdf", PDF))
    export = dsar_export(customer_id=world.own_customer.pk, actor=None, via="cli")
    listed = export["records"]["feedback.Attachment"]
    assert sorted((r["name"], r["content_type"], r["size"]) for r in listed) == [
        ("a.png", "image/png", len(png())),
        ("b.pdf", "application/pdf", len(PDF)),
    ]
    assert all("stored_name" not in r for r in listed)
    import zipfile

    from guanxi.privacy.services import dsar_export_zip

    with zipfile.ZipFile(io.BytesIO(dsar_export_zip(export))) as archive:
        files = {
            n.rsplit("-", 1)[-1]: archive.read(n)
            for n in archive.namelist()
            if n.startswith("files/feedback.Attachment/")
        }
    assert files == {"a.png": png(), "b.pdf": PDF}
    assert len(_stored(data_dir)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer_id=world.own_customer.pk, actor=None, via="cli")
    assert not Attachment.objects.exists()
    assert _stored(data_dir) == []


def test_key_rotation_reseals_the_files_and_they_read_the_same(
    world: Any, ticket: Ticket, client_for: Any, data_dir: Path, settings: Any
) -> None:
    import base64
    import json
    from io import StringIO

    from django.core.management import call_command

    # The world's rows are sealed with the test settings' key: keep it as k1.
    current = settings.GUANXI_ENCRYPTION_KEYS[settings.GUANXI_ENCRYPTION_KEY_ID]
    key = base64.urlsafe_b64encode(current).decode()
    path = data_dir / "keys.json"
    path.write_text(
        json.dumps(
            {
                "secret_key": "x" * 50,
                "encryption_keys": f"k1={key}",
                "encryption_key_id": "k1",
                "blind_index_key": settings.GUANXI_BLIND_INDEX_KEY.decode(),
                "pseudonym_key": settings.GUANXI_PSEUDONYM_KEY.decode(),
            }
        )
    )
    settings.GUANXI_KEY_FILE = path
    assert settings.GUANXI_ENCRYPTION_KEY_ID == "k1"
    (found,) = _add(world, ticket, ("a.png", png())).added
    (stored,) = [p for p in _stored(data_dir) if p.name == found.stored_name[3:]]
    assert stored.read_bytes().startswith(b"GXE1:k1:")
    out = StringIO()
    call_command("keys", "rotate", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    assert result["key_id"] == "k2"
    assert stored.read_bytes().startswith(b"GXE1:k2:")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    answer = client_for("service").get(
        reverse("feedback:attachment", args=[ticket.pk, found.pk])
    )
    assert answer.content == png()
    assert CONTEXT == "feedback.Attachment.file"

"""In Debian's Chromium: a customer adds a photo to their complaint on the
public form (a phone's 390 px; a disguised page is refused first) and
downloads it from their ticket page; service staff see it as a thumbnail
and add a PDF with htmx (a desktop), which the customer's page does not
show; both languages, screenshots at 1280 and 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.access import build_world
from tests.browser import chromium_page, fits_width, page_log_in, screenshot

from guanxi.feedback.links import form_token
from guanxi.feedback.models import Attachment, Ticket
from guanxi.feedback.tests.test_attachments import PDF, png

pytestmark = [pytest.mark.browser]

PASSWORD = "longjing-7-pass"
REFUSED = {
    "en": "File 1 is not an allowed type (JPEG, PNG, GIF, WebP, PDF or text).",
    "zh-hans": "第 1 个文件的类型不允许（仅限 JPEG、PNG、GIF、WebP、PDF 或文本）。",
}
SETTLED = "() => !document.querySelector('.htmx-added, .htmx-request, .htmx-settling')"


@pytest.fixture
def browser(request: Any) -> Iterator[Any]:
    language = request.param
    with chromium_page(
        timeout_ms=15_000,
        locale="en-US" if language == "en" else "zh-CN",
        extra_http_headers={"Accept-Language": language},
        viewport={"width": 390, "height": 844},
    ) as page:
        yield page, language


def _upload(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


@pytest.mark.parametrize("browser", ["en", "zh-hans"], indirect=True)
def test_photo_on_the_public_form_then_a_pdf_on_the_ticket_page(
    live_server: Any, transactional_db: Any, browser: Any
) -> None:
    page, language = browser
    world = build_world()
    staff = world.users["service"]
    staff.set_password(PASSWORD)
    staff.save()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The customer, on a phone: a page dressed as a photo is refused.
    form = f"{live_server.url}/f/{form_token(customer_id=world.own_customer.pk)}/"
    page.goto(form)
    page.fill("#id_text", "包装破了，见照片")
    page.set_input_files(
        "#id_files", [_upload("photo.png", "image/png", b"<html><script>x</script>")]
    )
    page.click("#feedback-send")
    page.wait_for_selector("#feedback-error")
    assert page.inner_text("#feedback-error") == REFUSED[language]
    assert not Ticket.objects.exists()
    page.set_input_files(
        "#id_files", [_upload("破损照片.png", "image/png", png(120, 80))]
    )
    assert fits_width(page)
    screenshot(page, f"attach-form-{language}-390")
    page.click("#feedback-send")
    page.wait_for_url(f"{live_server.url}/f/t/**")
    ticket = Ticket.objects.get()
    assert [a.name for a in ticket.attachments.all()] == ["破损照片.png"]
    # Their ticket page lists the photo and gives it back.
    own_page = page.url
    assert page.inner_text("#public-files").startswith("破损照片.png\nPNG · ")
    assert fits_width(page)
    screenshot(page, f"attach-public-ticket-{language}-390")
    with page.expect_download() as download:
        page.click("#public-files a")
    assert Path(download.value.path()).read_bytes() == png(120, 80)
    assert download.value.suggested_filename == "破损照片.png"

    # The public form on a desktop.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(form)
    screenshot(page, f"attach-form-{language}-1280")

    # Service staff: the photo as a thumbnail, a PDF added in place.
    page_log_in(page, live_server.url, username="service", password=PASSWORD)
    page.goto(f"{live_server.url}/feedback/{ticket.pk}/")
    thumb = page.locator("#attachment-list img").first
    thumb.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('#attachment-list img');"
        " return i && i.complete && i.naturalWidth === 120; }"
    )
    page.set_input_files(
        "#id_files", [_upload("invoice.exe", "application/octet-stream", PDF)]
    )
    page.click("#attach-send")
    page.wait_for_selector("#attachment-list li:nth-child(2)")
    page.wait_for_function(SETTLED)
    assert "invoice.pdf" in page.inner_text("#attachment-list")
    assert Attachment.objects.count() == 2
    assert fits_width(page)
    screenshot(page, f"attach-ticket-{language}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits_width(page)
    screenshot(page, f"attach-ticket-{language}-390")
    # The staff PDF is internal: the customer's page still shows their photo.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(own_page)
    assert page.locator("#public-files li").count() == 1
    assert "invoice.pdf" not in page.content()
    screenshot(page, f"attach-public-ticket-{language}-1280")
    assert errors == []

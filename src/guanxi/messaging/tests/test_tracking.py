"""E-mail tracking through a real SMTP server: the mail that arrives carries
the pixel and click links; fetching them records one event each; forged
tokens lead nowhere; customers without profiling consent are not tracked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from tests.outbox import consent_set

from guanxi.messaging.models import Message, MessageEvent, TrackedLink
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder
from guanxi.messaging.tracking import (
    PIXEL_GIF,
    click_token,
    html_track,
    open_token,
    text_track,
)

pytestmark = pytest.mark.django_db
BASE = "http://127.0.0.1:8000"
SHOP = "https://shop.example.com/tea?a=1&b=2"
TEMPLATE = (
    "Subject: 新茶 {{ name }}\n\n"
    "{{ name }}，新茶到了：https://shop.example.com/tea?a=1&b=2。\n\n"
    "门店地图（http://example.org/map）。\n"
    "退订：http://127.0.0.1:8000/m/unsubscribe/x/\n"
)
PIXEL = re.compile(r'<img src="(http://127\.0\.0\.1:8000/m/o/[^"]+\.gif)"')
CLICK = re.compile(r"http://127\.0\.0\.1:8000/m/c/[^/\s\"<]+/")


def _mail(smtp: SmtpRecorder, purpose: str = "service") -> tuple[str, str]:
    broadcast_send(
        channel="email", purpose=purpose, template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"sent": 1}
    (mail,) = smtp.received
    plain, page = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and page is not None
    return plain.get_content(), page.get_content()


def _path(url: str) -> str:
    assert url.startswith(BASE)
    return url[len(BASE) :]


def _events() -> list[tuple[int, str]]:
    return list(
        MessageEvent.objects.order_by("message_id", "kind").values_list(
            "message_id", "kind"
        )
    )


@pytest.fixture
def tracked(make_customer: Any) -> Any:
    customer = make_customer(name="王芳", email="wf@example.com")
    consent_set(customer, purpose="profiling")
    return customer


def test_the_mail_carries_a_pixel_and_click_links_recorded_once(
    smtp: SmtpRecorder, tracked: Any
) -> None:
    text, page = _mail(smtp)
    message = Message.objects.get()
    # Text: each outside link through a click link; Guanxi's own left alone.
    clicks = CLICK.findall(text)
    assert len(clicks) == 2
    assert SHOP not in text and "http://example.org/map" not in text
    assert text.splitlines()[0] == f"王芳，新茶到了：{clicks[0]}。"
    assert f"门店地图（{clicks[1]}）。" in text
    assert "退订：http://127.0.0.1:8000/m/unsubscribe/x/" in text
    # HTML: the same click links, the URL still what the reader sees.
    assert (
        f'<a href="{clicks[0]}">https://shop.example.com/tea?a=1&amp;b=2</a>。' in page
    )
    assert f'<a href="{clicks[1]}">http://example.org/map</a>）' in page
    (pixel,) = PIXEL.findall(page)
    assert page.index(pixel) < page.index("</body>")
    assert sorted(TrackedLink.objects.values_list("url", flat=True)) == [
        "http://example.org/map",
        SHOP,
    ]

    client = Client()
    for _ in range(2):
        got = client.get(_path(pixel))
        assert got.status_code == 200
        assert got["Content-Type"] == "image/gif"
        assert got.content == PIXEL_GIF
        assert "no-store" in got["Cache-Control"]
    assert _events() == [(message.pk, "opened")]

    for _ in range(2):
        got = client.get(_path(clicks[0]))
        assert got.status_code == 302
        assert got["Location"] == SHOP
    assert client.get(_path(clicks[1]))["Location"] == "http://example.org/map"
    assert _events() == [(message.pk, "clicked"), (message.pk, "opened")]


def test_a_click_without_the_pixel_counts_as_an_open(
    smtp: SmtpRecorder, tracked: Any
) -> None:
    text, _page = _mail(smtp)
    Client().get(_path(CLICK.findall(text)[0]))
    message = Message.objects.get()
    assert _events() == [(message.pk, "clicked"), (message.pk, "opened")]


def test_without_profiling_consent_nothing_is_tracked(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    customer = make_customer(name="李雷", email="ll@example.com")
    consent_set(customer, purpose="profiling", granted=False)
    text, page = _mail(smtp)
    assert CLICK.findall(text) == [] and CLICK.findall(page) == []
    assert PIXEL.findall(page) == []
    assert "李雷，新茶到了：https://shop.example.com/tea?a=1&b=2。" in text
    assert TrackedLink.objects.count() == 0


def test_consent_withdrawn_after_sending_stops_recording(
    smtp: SmtpRecorder, tracked: Any
) -> None:
    text, page = _mail(smtp)
    consent_set(tracked, purpose="profiling", granted=False)
    client = Client()
    assert client.get(_path(PIXEL.findall(page)[0])).content == PIXEL_GIF
    got = client.get(_path(CLICK.findall(text)[0]))
    assert (got.status_code, got["Location"]) == (302, SHOP)
    assert _events() == []


def test_settings_switch_opens_and_clicks_off(
    smtp: SmtpRecorder, tracked: Any, settings: Any
) -> None:
    settings.GUANXI_TRACK_OPENS = False
    text, page = _mail(smtp)
    assert PIXEL.findall(page) == [] and len(CLICK.findall(text)) == 2
    smtp.received.clear()
    settings.GUANXI_TRACK_OPENS, settings.GUANXI_TRACK_CLICKS = True, False
    text, page = _mail(smtp)
    assert len(PIXEL.findall(page)) == 1 and CLICK.findall(text) == []
    assert SHOP in text


def test_marketing_mail_keeps_its_unsubscribe_link(
    smtp: SmtpRecorder, tracked: Any
) -> None:
    consent_set(tracked)
    _text, page = _mail(smtp, "marketing")
    (mail,) = smtp.received
    header = str(mail["List-Unsubscribe"]).strip()
    assert header.startswith("<http://127.0.0.1:8000/m/unsubscribe/")
    assert len(CLICK.findall(page)) == 2


def test_forged_and_altered_tokens_lead_nowhere(
    smtp: SmtpRecorder, tracked: Any
) -> None:
    text, _page = _mail(smtp)
    message = Message.objects.get()
    good = CLICK.findall(text)[0]
    token = good[len(BASE) + len("/m/c/") : -1]
    value, _sep, signature = token.partition(":")
    links = list(TrackedLink.objects.order_by("pk").values_list("pk", flat=True))
    other = click_token(message_id=message.pk, link_id=links[1]).partition(":")[0]
    forged = [
        f"{other}:{signature}",  # another link under this link's signature
        f"{value}:{signature[:-1]}A" if signature[-1] != "A" else f"{value}:x",
        "https:--evil.example",
        open_token(message_id=message.pk),  # an open token is no click token
        click_token(message_id=message.pk, link_id=links[1] + 99),  # no such link
        "nonsense",
    ]
    client = Client()
    for bad in forged:
        got = client.get(f"/m/c/{bad}/")
        assert got.status_code == 404, bad
        assert "Location" not in got
    for bad in ("nonsense", f"{value}:{signature}", open_token(message_id=0)):
        got = client.get(f"/m/o/{bad}.gif")
        assert (got.status_code, got.content) == (200, PIXEL_GIF)
    assert _events() == []


def test_html_links_are_rewritten_by_href_and_only_http() -> None:
    made: list[str] = []

    def track(url: str) -> str:
        made.append(url)
        return f"https://t.example/{len(made)}"

    page = (
        "<html><head><title>https://no.example</title>"
        "<style>a{background:url(https://no.example/x.png)}</style></head><body>"
        '<p><a href="https://a.example/?x=1&amp;y=2" class="b">看 https://a.example</a>'
        " <a href='mailto:a@example.com'>mail</a> <a href=\"javascript:alert(1)\">j</a>"
        " <a name='top'>top</a>"
        " see http://b.example/p.</p></body></html>"
    )
    got = html_track(page, track, "https://t.example/p.gif")
    assert made == ["https://a.example/?x=1&y=2", "http://b.example/p"]
    assert '<a href="https://t.example/1" class="b">看 https://a.example</a>' in got
    assert "<a href='mailto:a@example.com'>" in got
    assert '<a href="javascript:alert(1)">' in got
    assert 'see <a href="https://t.example/2">http://b.example/p</a>.</p>' in got
    assert "<title>https://no.example</title>" in got
    assert got.endswith(
        '<img src="https://t.example/p.gif" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px"></body></html>'
    )
    assert text_track("(见 https://c.example/a_(b)), 或 ftp://d.example", track) == (
        "(见 https://t.example/3), 或 ftp://d.example"
    )
    assert made[-1] == "https://c.example/a_(b)"

"""The customer's preference page: a sealed link with no login, marketing per
channel switched on and off, written to the consent ledger; bad links,
hostile forms, CSRF, minors and the rate limit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.outbox import consent_set

from guanxi.core.crypto import seal_token
from guanxi.messaging.links import (
    LinkState,
    preferences_read,
    preferences_token,
    unsubscribe_url,
)
from guanxi.messaging.models import ConsentRecord
from guanxi.messaging.preference_views import RATE_LIMIT
from guanxi.messaging.selectors import consent_current

pytestmark = pytest.mark.django_db

INVALID_ZH = "此链接无效。请使用我们最近一条消息中的链接。"
INVALID_EN = "This link is not valid. Please use the link in our latest message."
EXPIRED_ZH = "此链接已过期。请使用我们最近一条消息中的链接；我们任何一封邮件中的退订链接仍然有效。"
EXPIRED_EN = (
    "This link has expired. Please use the link in our latest message; the "
    "unsubscribe link in any of our e-mails still works."
)
FORM_EN = "The form was not filled in as expected. Reload the page and try again."
MINOR_EN = (
    "Marketing messages to a customer under 14 need the consent of a parent or "
    "guardian. Please ask them to contact us."
)
ALL_NO = {"email": "no", "sms": "no", "wecom": "no", "phone": "no"}


@pytest.fixture
def anna(make_customer: Any) -> Any:
    """An English-speaking customer with marketing by e-mail."""
    customer = make_customer(
        name="Anna Smith",
        email="anna.smith@example.com",
        phone="+8613800138000",
        language="en",
    )
    consent_set(customer)
    return customer


def _path(customer: Any, **kwargs: Any) -> str:
    return f"/m/preferences/{preferences_token(customer_id=customer.pk, **kwargs)}/"


def _text(response: Any) -> str:
    return str(response.content.decode())


def _state(customer: Any) -> dict[str, bool]:
    return {
        c: consent_current(customer_id=customer.pk, purpose="marketing", channel=c)
        for c in ("email", "sms", "wecom", "phone")
    }


def _get_form(client: Client, path: str) -> str:
    """Open the page; the CSRF token its form carries."""
    page = client.get(path)
    assert page.status_code == 200
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _text(page))
    assert found is not None
    return found.group(1)


def test_the_page_shows_each_channel_masked_in_the_customers_language(
    anna: Any,
) -> None:
    page = Client().get(_path(anna))
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert page["Cache-Control"] == "no-store"
    # Same-origin, not no-referrer: otherwise the form's POST carries
    # "Origin: null" and Django's CSRF check refuses it.
    assert page["Referrer-Policy"] == "same-origin"
    html = _text(page)
    assert "<h1>Message preferences</h1>" in html
    assert "they still reach you whatever you choose here" in html
    assert "a***@example.com" in html and "138****8000" in html
    legends = re.findall(r"<legend>([^<]+?) ?<", html)
    assert legends == ["Email", "SMS", "WeCom", "Phone"]
    for secret in ("anna.smith", "Anna", "Smith", "13800138000"):
        assert secret not in html
    checked = re.findall(r'name="(\w+)" value="(yes|no)" checked', html)
    assert checked == [
        ("email", "yes"),
        ("sms", "no"),
        ("wecom", "no"),
        ("phone", "no"),
    ]
    # Switched to Chinese by the customer.
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(_path(anna) + "?lang=zh-hans")
    assert "<h1>消息偏好</h1>" in _text(page)
    legends = re.findall(r"<legend>([^<]+?) ?<", _text(page))
    assert legends == ["电子邮件", "短信", "企业微信", "电话"]
    assert page["Content-Language"] == "zh-hans"


def test_the_link_is_sealed_and_names_nobody_in_clear(anna: Any) -> None:
    token = preferences_token(customer_id=anna.pk)
    assert preferences_read(token).customer_id == anna.pk
    assert f"{anna.pk}." not in token and '"c"' not in token
    # Sealed for another purpose (a list cursor): not a preference link.
    other = seal_token(f"{anna.pk}.{int(timezone.now().timestamp())}", context="x")
    assert preferences_read(other).state is LinkState.INVALID


def test_bad_tampered_expired_and_erased_links_say_so_in_both_languages(
    anna: Any, make_customer: Any
) -> None:
    before = ConsentRecord.objects.count()
    token = preferences_token(customer_id=anna.pk)
    middle = len(token) // 2
    tampered = (
        token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    )
    gone = make_customer(name="Gone", email="gone@example.com")
    gone_path = _path(gone)
    gone.delete()  # as an erasure leaves it: no customer row
    client = Client()
    for path in (
        "/m/preferences/nonsense/",
        f"/m/preferences/{tampered}/",
        f"/m/preferences/{token[:-3]}/",
        gone_path,
    ):
        for response in (client.get(path), client.post(path, ALL_NO)):
            assert response.status_code == 404, path
            html = _text(response)
            assert INVALID_ZH in html and INVALID_EN in html
    old = _path(anna, now=timezone.now() - dt.timedelta(days=91))
    for response in (client.get(old), client.post(old, ALL_NO)):
        assert response.status_code == 410
        html = _text(response)
        assert EXPIRED_ZH in html and EXPIRED_EN in html
    # 89 days old still opens.
    assert (
        client.get(_path(anna, now=timezone.now() - dt.timedelta(days=89))).status_code
        == 200
    )
    assert ConsentRecord.objects.count() == before


def test_saving_writes_one_row_per_changed_channel_and_nothing_else(
    anna: Any,
) -> None:
    client = Client(enforce_csrf_checks=True)
    path = _path(anna)
    csrf = _get_form(client, path)
    before = ConsentRecord.objects.count()
    form = {"csrfmiddlewaretoken": csrf, **ALL_NO, "sms": "yes"}  # e-mail off, SMS on
    response = client.post(path, form)
    assert response.status_code == 200
    assert "Your choices are saved." in _text(response)
    assert _state(anna) == {"email": False, "sms": True, "wecom": False, "phone": False}
    newest = ConsentRecord.objects.order_by("-id")[:2]
    rows = list(
        newest.values_list(
            "channel", "purpose", "granted", "source", "notice_version", "evidence"
        )
    )  # fmt: skip
    assert ConsentRecord.objects.count() == before + 2
    assert sorted(rows) == [
        ("email", "marketing", False, "preferences", "preferences-1", "preference page"),
        ("sms", "marketing", True, "preferences", "preferences-1", "preference page"),
    ]  # fmt: skip
    assert [r.recorded_by_id for r in newest] == [None, None]  # nobody logged in
    checked = re.findall(r'name="(\w+)" value="(yes|no)" checked', _text(response))
    assert checked == [
        ("email", "no"),
        ("sms", "yes"),
        ("wecom", "no"),
        ("phone", "no"),
    ]
    # The same choices again: nothing to record.
    again = client.post(path, form)
    assert "Nothing changed." in _text(again)
    assert ConsentRecord.objects.count() == before + 2


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    anna: Any,
) -> None:
    client = Client(enforce_csrf_checks=True)
    path = _path(anna)
    _get_form(client, path)  # the cookie is set, the form's token not sent
    before = ConsentRecord.objects.count()
    response = client.post(path, {**ALL_NO})
    assert response.status_code == 403
    # A cross-site POST carrying a token of another session fails the same way.
    foreign = Client(enforce_csrf_checks=True)
    token = _get_form(foreign, path)
    response = client.post(path, {**ALL_NO, "csrfmiddlewaretoken": token + "x"})
    assert response.status_code == 403
    assert ConsentRecord.objects.count() == before
    assert _state(anna)["email"] is True


@pytest.mark.parametrize(
    "form",
    [
        # Unknown channels and extra fields beside the current choices.
        {"email": "yes", "sms": "no", "wecom": "no", "phone": "no", "fax": "yes",
         "webhook": "yes", "customer": "1", "source": "staff",
         "notice_version": "forged", "granted": "true"},
    ],
)  # fmt: skip
def test_unknown_channels_and_extra_fields_change_nothing(
    anna: Any, form: dict[str, str]
) -> None:
    before = ConsentRecord.objects.count()
    response = Client().post(_path(anna), form)
    assert response.status_code == 200
    assert "Nothing changed." in _text(response)
    assert ConsentRecord.objects.count() == before


@pytest.mark.parametrize(
    "body",
    [
        "email=yes&email=no&sms=no&wecom=no&phone=no",  # repeated
        "email=no&email=no&sms=yes&wecom=no&phone=no",  # repeated, same value
        "sms=yes&wecom=no&phone=no",  # a channel missing
        "email=maybe&sms=yes&wecom=no&phone=no",  # not yes or no
        "email=&sms=yes&wecom=no&phone=no",
        "EMAIL=no&sms=yes&wecom=no&phone=no",
    ],
)
def test_repeated_missing_or_odd_fields_are_refused_and_change_nothing(
    anna: Any, body: str
) -> None:
    before = ConsentRecord.objects.count()
    response = Client().post(
        _path(anna), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert FORM_EN in _text(response)
    assert ConsentRecord.objects.count() == before
    assert _state(anna) == {"email": True, "sms": False, "wecom": False, "phone": False}


def test_an_unsubscribed_customer_may_opt_back_in_themselves(anna: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    unsubscribe = unsubscribe_url(customer_id=anna.pk, channel="email")
    page = client.post(unsubscribe[len("http://127.0.0.1:8000") :])
    assert "You are unsubscribed" in _text(page)
    # The confirmation links to the customer's own preference page.
    found = re.search(r'href="(/m/preferences/[^"]+/)"', _text(page))
    assert found is not None
    assert "Manage all your message preferences" in _text(page)
    assert _state(anna)["email"] is False
    response = client.post(found.group(1), {**ALL_NO, "email": "yes"})
    assert "Your choices are saved." in _text(response)
    assert _state(anna)["email"] is True
    newest = ConsentRecord.objects.order_by("-id").first()
    assert newest is not None
    assert (newest.source, newest.granted) == ("preferences", True)


def test_a_minor_may_switch_off_but_not_on(make_customer: Any) -> None:
    today = timezone.localdate()
    minor = make_customer(
        name="小明",
        email="kid@example.com",
        birthday=today.replace(year=today.year - 10),
        language="en",
    )
    consent_set(
        minor, channel="sms"
    )  # the minor's own "yes": not enough (PIPL art. 31)
    consent_set(minor, source="guardian")
    client = Client()
    page = client.get(_path(minor))
    html = _text(page)
    assert "only a parent or guardian can agree to marketing messages" in html
    checked = re.findall(r'name="(\w+)" value="(yes|no)" checked', html)
    assert checked == [
        ("email", "yes"),
        ("sms", "no"),
        ("wecom", "no"),
        ("phone", "no"),
    ]
    before = ConsentRecord.objects.count()
    refused = client.post(_path(minor), {**ALL_NO, "email": "yes", "phone": "yes"})
    assert refused.status_code == 400
    assert MINOR_EN in _text(refused)
    assert ConsentRecord.objects.count() == before
    done = client.post(_path(minor), ALL_NO)  # e-mail off: always allowed
    assert "Your choices are saved." in _text(done)
    assert ConsentRecord.objects.count() == before + 1
    newest = ConsentRecord.objects.order_by("-id").first()
    assert newest is not None
    assert (newest.channel, newest.granted, newest.source) == (
        "email",
        False,
        "preferences",
    )


def test_each_link_is_rate_limited(anna: Any) -> None:
    client = Client()
    path = _path(anna)
    for _n in range(RATE_LIMIT):
        assert client.get(path).status_code == 200
    before = ConsentRecord.objects.count()
    refused = client.post(path, {**ALL_NO, "sms": "yes"})
    assert refused.status_code == 429
    html = _text(refused)
    assert "尝试次数过多，请几分钟后再试。" in html
    assert "Too many attempts: please try again in a few minutes." in html
    assert ConsentRecord.objects.count() == before
    # Another link (a new one: sealed with a fresh nonce) is counted apart.
    assert client.get(_path(anna)).status_code == 200


def test_an_oversized_body_is_refused_before_it_is_read(anna: Any) -> None:
    response = Client().post(_path(anna), {**ALL_NO, "pad": "x" * 5000})
    assert response.status_code == 413
    assert "The form is too long." in _text(response)
    assert _state(anna)["email"] is True


def test_a_suppressed_address_may_be_consented_on_and_the_page_says_it_fails(
    anna: Any,
) -> None:
    from guanxi.messaging.models import SuppressedAddress

    SuppressedAddress.objects.create(
        channel="sms", address_index=anna.phone_index, code="SMS 550"
    )
    note = "Our messages to this address could not be delivered lately."
    page = Client().get(_path(anna))
    html = _text(page)
    assert html.count(note) == 1  # SMS only: not e-mail, not the phone call
    assert html.index(note) > html.index('data-channel="sms"')
    assert html.index(note) < html.index('data-channel="wecom"')
    response = Client().post(_path(anna), {**ALL_NO, "email": "yes", "sms": "yes"})
    assert "Your choices are saved." in _text(response)
    assert _state(anna)["sms"] is True  # kept; delivery still suppresses it

"""The channels' settings: the environment wins, else the admin page's value
(encrypted at rest, write-only), else the default; the page's checks and
the change log. Mail goes out through a real SMTP server set on the page."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from guanxi.access.choices import Role
from guanxi.audit.models import AuditEvent
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.models import ChannelSetting, ChannelSettingChange
from guanxi.messaging.services import (
    broadcast_send,
    channel_settings_save,
    messages_dispatch,
)
from guanxi.messaging.tests.servers import smtp_server

pytestmark = pytest.mark.django_db
URL = "/messages/channels/"
SECRET = "s3cr3t-webhook-key-91"
TEMPLATE = "Subject: 你好 {{ name }}\n\n新茶到了。\n"


@pytest.fixture
def no_env(settings: Any) -> Any:
    """No channel set in the environment (a test's own settings otherwise)."""
    for name in (
        "GUANXI_EMAIL_URL",
        "GUANXI_EMAIL_FROM",
        "GUANXI_WEBHOOK_URL",
        "GUANXI_WEBHOOK_SECRET",
        "GUANXI_SMS_PROVIDER",
        "GUANXI_SMS_KEY_ID",
        "GUANXI_SMS_KEY_SECRET",
        "GUANXI_SMS_SIGN_NAME",
        "GUANXI_SMS_TEMPLATE",
        "GUANXI_SMS_MAX_SEGMENTS",
        "GUANXI_WECOM_MODE",
    ):
        setattr(settings, name, "")
    return settings


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user(Role.ADMIN)


@pytest.fixture
def browser(admin: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(admin)
    return client


def _state() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The stored settings (decrypted) and the change log, to assert that a
    refused save changed nothing."""
    return (
        list(ChannelSetting.objects.order_by("name").values_list("name", "value")),
        list(ChannelSettingChange.objects.order_by("id").values_list("name", "action")),
    )


def test_the_environment_wins_then_the_page_then_the_default(
    no_env: Any, admin: Any
) -> None:
    assert channel_setting("GUANXI_WECOM_MODE") == "external"  # the default
    assert channel_setting("GUANXI_SMS_MAX_SEGMENTS") == "3"
    channel_settings_save(
        actor=admin,
        channel="webhook",
        values={
            "GUANXI_WEBHOOK_URL": "https://hooks.example.com/in",
            "GUANXI_WEBHOOK_SECRET": SECRET,
        },
    )
    assert channel_setting("GUANXI_WEBHOOK_URL") == "https://hooks.example.com/in"
    assert channel_setting("GUANXI_WEBHOOK_SECRET") == SECRET
    no_env.GUANXI_WEBHOOK_URL = "https://env.example.com/hook"
    assert channel_setting("GUANXI_WEBHOOK_URL") == "https://env.example.com/hook"
    assert channel_setting("GUANXI_WEBHOOK_SECRET") == SECRET  # still the page's


def test_values_are_encrypted_at_rest_and_changes_name_no_value(
    no_env: Any, admin: Any
) -> None:
    changed = channel_settings_save(
        actor=admin,
        channel="webhook",
        values={
            "GUANXI_WEBHOOK_URL": "https://hooks.example.com/in",
            "GUANXI_WEBHOOK_SECRET": SECRET,
        },
    )
    assert changed == ["GUANXI_WEBHOOK_URL", "GUANXI_WEBHOOK_SECRET"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, value FROM messaging_channelsetting ORDER BY name")
        raw = dict(cursor.fetchall())
    assert set(raw) == {"GUANXI_WEBHOOK_SECRET", "GUANXI_WEBHOOK_URL"}
    assert all(v.startswith("v1:") for v in raw.values())
    assert SECRET not in raw["GUANXI_WEBHOOK_SECRET"]
    assert "hooks.example.com" not in raw["GUANXI_WEBHOOK_URL"]
    # The audit log names the settings changed, never their values.
    event = AuditEvent.objects.get(action="settings.changed")
    assert event.details == {
        "settings": "channels",
        "fields": ["GUANXI_WEBHOOK_SECRET", "GUANXI_WEBHOOK_URL"],
        "via": "web",
    }
    assert event.actor_id == admin.pk
    log = list(
        ChannelSettingChange.objects.order_by("id").values_list(
            "name", "action", "changed_by"
        )
    )
    assert log == [
        ("GUANXI_WEBHOOK_URL", "set", admin.pk),
        ("GUANXI_WEBHOOK_SECRET", "set", admin.pk),
    ]
    # A secret left empty keeps its value; the same value again changes nothing.
    assert (
        channel_settings_save(
            actor=admin,
            channel="webhook",
            values={
                "GUANXI_WEBHOOK_SECRET": "",
                "GUANXI_WEBHOOK_URL": "https://hooks.example.com/in",
            },
        )
        == []
    )
    assert channel_setting("GUANXI_WEBHOOK_SECRET") == SECRET
    # Clearing both turns the channel off.
    assert channel_settings_save(
        actor=admin,
        channel="webhook",
        values={},
        clear={"GUANXI_WEBHOOK_URL", "GUANXI_WEBHOOK_SECRET"},
    ) == ["GUANXI_WEBHOOK_URL", "GUANXI_WEBHOOK_SECRET"]
    assert ChannelSetting.objects.count() == 0
    assert ChannelSettingChange.objects.filter(action="cleared").count() == 2


@pytest.mark.parametrize(
    ("channel", "values", "clear", "message"),
    [
        (
            "email",
            {"GUANXI_EMAIL_URL": "http://mail.example.com:25"},
            set(),
            "GUANXI_EMAIL_URL must look like smtp://host:port, "
            "smtp+starttls://user:password@host:587 or smtps://user:password@host:465.",
        ),
        (
            "email",
            {"GUANXI_EMAIL_URL": "smtp://mail.example.com:port"},
            set(),
            "GUANXI_EMAIL_URL has a port that is not a number.",
        ),
        (
            "email",
            {"GUANXI_EMAIL_FROM": "shop@example.com"},
            set(),
            "E-mail is not set up: set GUANXI_EMAIL_URL.",
        ),
        (
            "email",
            {"GUANXI_EMAIL_URL": "smtp://127.0.0.1:25", "GUANXI_EMAIL_FROM": "a shop"},
            set(),
            "GUANXI_EMAIL_FROM is not an e-mail address.",
        ),
        (
            "webhook",
            {
                "GUANXI_WEBHOOK_URL": "http://hooks.example.com/in",
                "GUANXI_WEBHOOK_SECRET": SECRET,
            },
            set(),
            "GUANXI_WEBHOOK_URL must be an https:// URL.",
        ),
        (
            "webhook",
            {"GUANXI_WEBHOOK_URL": "https://hooks.example.com/in"},
            set(),
            "The webhook is not set up: set GUANXI_WEBHOOK_URL and GUANXI_WEBHOOK_SECRET.",
        ),
        (
            "sms",
            {"GUANXI_SMS_PROVIDER": "aliyun", "GUANXI_SMS_KEY_ID": "LTAI5t"},
            set(),
            "SMS is not set up: set GUANXI_SMS_KEY_SECRET, GUANXI_SMS_SIGN_NAME, "
            "GUANXI_SMS_TEMPLATE.",
        ),
        (
            "sms",
            {"GUANXI_SMS_PROVIDER": "twilio"},
            set(),
            "GUANXI_SMS_PROVIDER is aliyun, tencent or http, not 'twilio'.",
        ),
        (
            "sms",
            {
                "GUANXI_SMS_PROVIDER": "http",
                "GUANXI_SMS_ENDPOINT": "https://sms.example.com/send",
                "GUANXI_SMS_KEY_SECRET": SECRET,
                "GUANXI_SMS_MAX_SEGMENTS": "three",
            },
            set(),
            "GUANXI_SMS_MAX_SEGMENTS must be a whole number.",
        ),
        (
            "wecom",
            {"GUANXI_WECOM_MODE": "robot"},
            set(),
            "WeCom is not set up: set GUANXI_WECOM_ROBOT_KEY.",
        ),
        (
            "webhook",
            {"GUANXI_WEBHOOK_URL": "https://hooks.example.com/a\nX-Injected: 1"},
            set(),
            "GUANXI_WEBHOOK_URL must be one line.",
        ),
        (
            "webhook",
            {"GUANXI_EMAIL_URL": "smtp://127.0.0.1:25"},
            set(),
            "GUANXI_EMAIL_URL is not a setting of this channel.",
        ),
    ],
)
def test_a_bad_or_incomplete_channel_is_refused_and_nothing_changes(
    no_env: Any,
    admin: Any,
    channel: str,
    values: dict[str, str],
    clear: set[str],
    message: str,
) -> None:
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        channel_settings_save(actor=admin, channel=channel, values=values, clear=clear)
    assert refused.value.message == message
    assert _state() == before
    assert all(channel_setting(name) != value for name, value in values.items())


def test_clearing_what_a_working_channel_needs_is_refused(
    no_env: Any, admin: Any
) -> None:
    channel_settings_save(
        actor=admin,
        channel="webhook",
        values={
            "GUANXI_WEBHOOK_URL": "https://hooks.example.com/in",
            "GUANXI_WEBHOOK_SECRET": SECRET,
        },
    )
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        channel_settings_save(
            actor=admin, channel="webhook", values={}, clear={"GUANXI_WEBHOOK_SECRET"}
        )
    assert refused.value.message == (
        "The webhook is not set up: set GUANXI_WEBHOOK_URL and GUANXI_WEBHOOK_SECRET."
    )
    assert _state() == before
    assert channel_setting("GUANXI_WEBHOOK_SECRET") == SECRET


def test_a_setting_from_the_environment_cannot_be_changed_on_the_page(
    no_env: Any, admin: Any
) -> None:
    no_env.GUANXI_EMAIL_URL = "smtp://127.0.0.1:2525"
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        channel_settings_save(
            actor=admin,
            channel="email",
            values={"GUANXI_EMAIL_URL": "smtp://127.0.0.1:25"},
        )
    assert refused.value.message == (
        "GUANXI_EMAIL_URL is set in the environment; change it there."
    )
    assert _state() == before


def test_only_admins_and_only_known_channels(no_env: Any, make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        channel_settings_save(
            actor=make_user(Role.OPERATIONS),
            channel="webhook",
            values={"GUANXI_WEBHOOK_SECRET": SECRET},
        )
    with pytest.raises(NotFound):
        channel_settings_save(actor=make_user(Role.ADMIN), channel="fax", values={})
    assert _state() == ([], [])


def test_the_page_shows_no_secret_and_marks_the_environment(
    no_env: Any, admin: Any, browser: Client
) -> None:
    no_env.GUANXI_SMS_PROVIDER = "http"
    no_env.GUANXI_SMS_KEY_SECRET = "env-gateway-secret-77"
    channel_settings_save(
        actor=admin,
        channel="email",
        values={
            "GUANXI_EMAIL_URL": "smtp+starttls://shop:mail-pass-55@mail.example.com:587",
            "GUANXI_EMAIL_FROM": "shop@example.com",
        },
    )
    page = browser.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for secret in ("mail-pass-55", "env-gateway-secret-77", "shop:"):
        assert secret not in html
    assert "smtp+starttls://mail.example.com:587/…" in html  # the host, no password
    assert 'value="shop@example.com"' in html
    assert (
        'id="env-GUANXI_SMS_PROVIDER"><code>http</code> · <span class="muted">from the environment'
        in html
    )
    assert (
        'id="env-GUANXI_SMS_KEY_SECRET">set · <span class="muted">from the environment'
        in html
    )
    assert 'name="GUANXI_SMS_PROVIDER"' not in html  # read-only
    # The SMS channel is incomplete (the gateway's URL is missing): said so.
    assert (
        'id="channel-sms-problem">SMS is not set up: set GUANXI_SMS_ENDPOINT.</p>'
        in html
    )


def test_saving_on_the_page_and_a_refusal_with_its_message(
    no_env: Any, admin: Any, browser: Client, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    done = browser.post(
        URL,
        {
            "channel": "webhook",
            "GUANXI_WEBHOOK_URL": "https://hooks.example.com/in",
            "GUANXI_WEBHOOK_SECRET": SECRET,
        },
    )
    assert done.status_code == 302
    assert channel_setting("GUANXI_WEBHOOK_SECRET") == SECRET
    before = _state()
    refused = browser.post(
        URL,
        {
            "channel": "webhook",
            "GUANXI_WEBHOOK_URL": "ftp://hooks.example.com/in",
            "GUANXI_WEBHOOK_SECRET": "",
        },
    )
    assert refused.status_code == 400
    assert (
        '<p class="message error" role="alert" id="channel-webhook-error">'
        "GUANXI_WEBHOOK_URL must be an https:// URL.</p>" in refused.content.decode()
    )
    assert _state() == before
    assert SECRET not in refused.content.decode()
    assert SECRET not in caplog.text
    page = browser.get(URL).content.decode()
    assert "<td><code>GUANXI_WEBHOOK_SECRET</code></td><td>set</td>" in page


def test_mail_goes_out_through_the_server_set_on_the_page(
    no_env: Any, admin: Any, make_customer: Any
) -> None:
    no_env.GUANXI_QUIET_HOURS = ""
    make_customer(name="客户1", email="c1@example.com")
    with pytest.raises(ValidationFailed) as refused:
        broadcast_send(
            channel="email", purpose="service", template_text=TEMPLATE, audience="all"
        )
    assert refused.value.message == "E-mail is not set up: set GUANXI_EMAIL_URL."
    with smtp_server() as (recorder, port):
        channel_settings_save(
            actor=admin,
            channel="email",
            values={
                "GUANXI_EMAIL_URL": f"smtp://127.0.0.1:{port}",
                "GUANXI_EMAIL_FROM": "tea@example.com",
            },
        )
        count = broadcast_send(
            channel="email", purpose="service", template_text=TEMPLATE, audience="all"
        )
        assert count.as_dict() == {"queued": 1, "suppressed": {}}
        assert messages_dispatch() == {"sent": 1}
    assert [(m["To"], m["From"]) for m in recorder.received] == [
        ("c1@example.com", "tea@example.com")
    ]


def test_a_test_e_mail_goes_to_the_admin_through_the_channel(
    no_env: Any, make_user: Any, smtp: Any
) -> None:
    admin = make_user(Role.ADMIN)
    admin.email = "boss@example.com"
    admin.save()
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert 'id="channel-email-test-send"' in page
    done = client.post(URL + "test-email/", follow=True)
    assert done.redirect_chain == [(URL, 302)]
    assert (
        '<li class="message info">A test e-mail went to boss@example.com.</li>'
        in done.content.decode()
    )
    assert [(m["To"], m["Subject"]) for m in smtp.received] == [
        ("boss@example.com", "Guanxi test e-mail")
    ]
    smtp.rcpt_answers["boss@example.com"] = "550 No such user"
    refused = client.post(URL + "test-email/", follow=True)
    assert (
        '<li class="message error">The test e-mail was not sent: '
        "SMTP 550 for the recipient.</li>" in refused.content.decode()
    )
    assert len(smtp.received) == 1
    assert ChannelSettingChange.objects.count() == 0


def test_a_test_e_mail_needs_an_address_and_a_channel(
    no_env: Any, make_user: Any
) -> None:
    admin = make_user(Role.ADMIN)
    admin.email = ""
    admin.save()
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert 'id="channel-email-test-send"' not in page  # the channel is off
    said = client.post(URL + "test-email/", follow=True).content.decode()
    assert (
        '<li class="message error">Your account has no e-mail address: add one '
        "on the Team page (the account menu, Team, your name), then send the "
        "test again.</li>" in said
    )
    chinese = Client(headers={"Accept-Language": "zh-hans"})
    chinese.force_login(admin)
    said = chinese.post(URL + "test-email/", follow=True).content.decode()
    assert (
        "您的账户没有电子邮件地址：请在团队页面（账户菜单 → 团队 → 您的用户名）"
        "中添加，然后再次发送测试邮件。" in said
    )
    admin.email = "boss@example.com"
    admin.save()
    said = client.post(URL + "test-email/", follow=True).content.decode()
    assert (
        '<li class="message error">E-mail is not set up: set GUANXI_EMAIL_URL.</li>'
        in said
    )

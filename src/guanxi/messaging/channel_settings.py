"""The channels' settings: where every channel reads them, from the
environment or from the admin page (``messages/channels/``).

The environment wins: a setting given in the environment (Django's settings,
read from it at start) is used as it is, and the page shows it as "from the
environment", read-only. Otherwise the value an admin set on the page is used,
stored encrypted at rest (:class:`guanxi.core.fields.EncryptedTextField`);
otherwise the default below. Secrets are never shown back, never logged and
never written into a message's error.

Stored values are read in one query and kept per process for
``CACHE_SECONDS`` (delivery reads a setting for each message): a change on the
page reaches running workers within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.messaging.choices import MessageChannel
from guanxi.messaging.models import ChannelSetting

__all__ = [
    "CHANNEL_SETTINGS",
    "SettingSpec",
    "channel_default",
    "channel_setting",
    "channel_setting_shown",
    "channel_settings_forget",
    "channel_settings_stored",
    "setting_from_environment",
    "spec_for",
]

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class SettingSpec:
    """One setting a channel reads. ``secret``: write-only on the page (a
    key, a password, a token); ``choices``: the values it may take."""

    name: str
    label: str | Promise
    secret: bool = False
    default: str = ""
    choices: tuple[str, ...] = ()
    url: bool = False  # shown as scheme://host:port only (may hold a password)


CHANNEL_SETTINGS: dict[str, tuple[SettingSpec, ...]] = {
    MessageChannel.EMAIL: (
        SettingSpec(
            "GUANXI_EMAIL_URL",
            _(
                "SMTP server (smtp://, smtp+starttls:// or smtps://, with user:password@ if needed)"
            ),
            secret=True,
            url=True,
        ),
        SettingSpec("GUANXI_EMAIL_FROM", _("From address")),
    ),
    MessageChannel.SMS: (
        SettingSpec(
            "GUANXI_SMS_PROVIDER",
            _("Provider"),
            choices=("aliyun", "tencent", "http"),
        ),
        SettingSpec("GUANXI_SMS_KEY_ID", _("Key id (AccessKey ID / SecretId)")),
        SettingSpec(
            "GUANXI_SMS_KEY_SECRET",
            _("Key secret (AccessKey secret / SecretKey / gateway secret)"),
            secret=True,
        ),
        SettingSpec("GUANXI_SMS_SIGN_NAME", _("Sign name")),
        SettingSpec("GUANXI_SMS_TEMPLATE", _("Provider template (code or id)")),
        SettingSpec("GUANXI_SMS_APP_ID", _("App id (Tencent SmsSdkAppId)")),
        SettingSpec("GUANXI_SMS_REGION", _("Region")),
        SettingSpec(
            "GUANXI_SMS_ENDPOINT", _("Endpoint (the gateway's URL, or an override)")
        ),
        SettingSpec(
            "GUANXI_SMS_TEMPLATE_PARAMS",
            _("Template parameters (comma-separated variable names)"),
        ),
        SettingSpec(
            "GUANXI_SMS_TEXT_PARAM", _("Text parameter name"), default="content"
        ),
        SettingSpec("GUANXI_SMS_MAX_SEGMENTS", _("Most parts per SMS"), default="3"),
        SettingSpec(
            "GUANXI_SMS_RECEIPT_TOKEN", _("Delivery receipt token"), secret=True
        ),
    ),
    MessageChannel.WECOM: (
        SettingSpec(
            "GUANXI_WECOM_MODE",
            _("Mode"),
            default="external",
            choices=("external", "robot"),
        ),
        SettingSpec("GUANXI_WECOM_CORP_ID", _("Corp id")),
        SettingSpec("GUANXI_WECOM_SECRET", _("App secret"), secret=True),
        SettingSpec("GUANXI_WECOM_SENDER", _("Sender (staff userid)")),
        SettingSpec("GUANXI_WECOM_ROBOT_KEY", _("Group robot key"), secret=True),
        SettingSpec(
            "GUANXI_WECOM_ROBOT_FORMAT",
            _("Robot message format"),
            default="text",
            choices=("text", "markdown"),
        ),
        SettingSpec(
            "GUANXI_WECOM_BASE_URL",
            _("API base URL"),
            default="https://qyapi.weixin.qq.com",
        ),
    ),
    MessageChannel.WEBHOOK: (
        SettingSpec("GUANXI_WEBHOOK_URL", _("URL (https://)"), secret=True, url=True),
        SettingSpec("GUANXI_WEBHOOK_SECRET", _("Signing secret"), secret=True),
    ),
}

_SPECS = {spec.name: spec for specs in CHANNEL_SETTINGS.values() for spec in specs}


class _Stored:
    values: dict[str, str] | None = None
    read_at = 0.0


def spec_for(name: str) -> SettingSpec:
    return _SPECS[name]


def setting_from_environment(name: str) -> str:
    """The setting's value as the environment gives it ("" when unset)."""
    value = getattr(settings, name, "")
    return "" if value is None else str(value).strip()


def _stored() -> dict[str, str]:
    now = time.monotonic()
    if _Stored.values is None or now - _Stored.read_at > CACHE_SECONDS:
        _Stored.values = {
            row.name: row.value or ""
            for row in ChannelSetting.objects.only("name", "value")
        }
        _Stored.read_at = now
    return _Stored.values


def channel_settings_forget() -> None:
    """Read the stored values again at the next use (after a change)."""
    _Stored.values = None


def channel_default(name: str) -> str:
    """The value used when neither the environment nor the page sets one."""
    if name == "GUANXI_EMAIL_FROM":
        return str(settings.DEFAULT_FROM_EMAIL)
    return _SPECS[name].default


def channel_setting(name: str) -> str:
    """The value a channel uses: the environment's, else the page's, else the
    default. The one place channels read their settings."""
    from_env = setting_from_environment(name)
    if from_env:
        return from_env
    return _stored().get(name) or channel_default(name)


def channel_settings_stored() -> dict[str, str]:
    """The values set on the page (decrypted), read afresh."""
    channel_settings_forget()
    return dict(_stored())


def channel_setting_shown(name: str, value: str) -> str:
    """What the page may show of a value: nothing of a secret (a URL: its
    scheme, host and port only)."""
    spec = _SPECS[name]
    if not spec.secret:
        return value
    if spec.url and value:
        parts = urlsplit(value)
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            port = ""
        if parts.scheme and parts.hostname:
            return f"{parts.scheme}://{parts.hostname}{port}/…"
    return ""

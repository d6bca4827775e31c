"""The sender of each channel, made from the settings when it is needed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.channel_settings import (
    CHANNEL_SETTINGS,
    channel_default,
    channel_setting,
)
from guanxi.messaging.channels.base import Sender
from guanxi.messaging.channels.email import EmailSender
from guanxi.messaging.channels.phone import PhoneSender
from guanxi.messaging.channels.sms import (
    PROVIDERS,
    SmsLength,
    SmsSender,
    SmsSettings,
    sms_length,
)
from guanxi.messaging.channels.webhook import WebhookSender
from guanxi.messaging.channels.wecom import MODES, WecomSender, WecomSettings
from guanxi.messaging.choices import MessageChannel, Purpose
from guanxi.messaging.rendering import SAMPLE, VARIABLES, render


def _unset(names: list[str]) -> list[str]:
    """The settings of ``names`` that are empty."""
    return [name for name in names if not channel_setting(name)]


def _whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(
            _("GUANXI_SMS_MAX_SEGMENTS must be a whole number.")
        ) from None


def _missing(names: list[str]) -> ValidationFailed:
    return ValidationFailed(
        _("SMS is not set up: set %(names)s.") % {"names": ", ".join(names)}
    )


def sms_settings() -> SmsSettings:
    """The SMS settings, checked. Raises ``ValidationFailed`` naming the
    settings that are missing or wrong (never their values)."""
    provider = channel_setting("GUANXI_SMS_PROVIDER").strip()
    if not provider:
        raise _missing(["GUANXI_SMS_PROVIDER"])
    if provider not in PROVIDERS:
        raise ValidationFailed(
            _("GUANXI_SMS_PROVIDER is aliyun, tencent or http, not %(value)r.")
            % {"value": provider[:40]}
        )
    needed = {
        "aliyun": [
            "GUANXI_SMS_KEY_ID",
            "GUANXI_SMS_KEY_SECRET",
            "GUANXI_SMS_SIGN_NAME",
            "GUANXI_SMS_TEMPLATE",
        ],
        "tencent": [
            "GUANXI_SMS_KEY_ID",
            "GUANXI_SMS_KEY_SECRET",
            "GUANXI_SMS_SIGN_NAME",
            "GUANXI_SMS_TEMPLATE",
            "GUANXI_SMS_APP_ID",
        ],
        "http": ["GUANXI_SMS_ENDPOINT", "GUANXI_SMS_KEY_SECRET"],
    }[provider]
    missing = _unset(needed)
    if missing:
        raise _missing(missing)
    params = tuple(
        p.strip() for p in channel_setting("GUANXI_SMS_TEMPLATE_PARAMS").split(",")
    )
    params = tuple(p for p in params if p)
    unknown = [p for p in params if p not in VARIABLES]
    if unknown:
        raise ValidationFailed(
            _(
                "GUANXI_SMS_TEMPLATE_PARAMS names %(name)r, not a template "
                "variable (%(known)s)."
            )
            % {"name": unknown[0][:40], "known": ", ".join(VARIABLES)}
        )
    segments = _whole(channel_setting("GUANXI_SMS_MAX_SEGMENTS"))
    if segments < 1:
        raise ValidationFailed(_("GUANXI_SMS_MAX_SEGMENTS must be at least 1."))
    return SmsSettings(
        provider=provider,
        key_id=channel_setting("GUANXI_SMS_KEY_ID"),
        key_secret=channel_setting("GUANXI_SMS_KEY_SECRET"),
        sign_name=channel_setting("GUANXI_SMS_SIGN_NAME"),
        template=channel_setting("GUANXI_SMS_TEMPLATE"),
        template_params=params,
        text_param=channel_setting("GUANXI_SMS_TEXT_PARAM"),
        app_id=channel_setting("GUANXI_SMS_APP_ID"),
        region=channel_setting("GUANXI_SMS_REGION"),
        endpoint=channel_setting("GUANXI_SMS_ENDPOINT"),
        max_segments=segments,
        allow_loopback_http=bool(settings.GUANXI_CHANNELS_LOOPBACK_HTTP),
    )


def wecom_settings() -> WecomSettings:
    """The WeCom settings, checked (``ValidationFailed`` names what is missing)."""
    mode = channel_setting("GUANXI_WECOM_MODE").strip()
    if mode not in MODES:
        raise ValidationFailed(
            _("GUANXI_WECOM_MODE is external or robot, not %(value)r.")
            % {"value": mode[:40]}
        )
    needed = (
        ["GUANXI_WECOM_ROBOT_KEY"]
        if mode == "robot"
        else ["GUANXI_WECOM_CORP_ID", "GUANXI_WECOM_SECRET"]
    )
    missing = _unset(needed)
    if missing:
        raise ValidationFailed(
            _("WeCom is not set up: set %(names)s.") % {"names": ", ".join(missing)}
        )
    robot_format = channel_setting("GUANXI_WECOM_ROBOT_FORMAT")
    if robot_format not in {"text", "markdown"}:
        raise ValidationFailed(
            _("GUANXI_WECOM_ROBOT_FORMAT is text or markdown, not %(value)r.")
            % {"value": robot_format[:40]}
        )
    return WecomSettings(
        mode=mode,
        base_url=channel_setting("GUANXI_WECOM_BASE_URL"),
        robot_key=channel_setting("GUANXI_WECOM_ROBOT_KEY"),
        robot_format=robot_format,
        corp_id=channel_setting("GUANXI_WECOM_CORP_ID"),
        secret=channel_setting("GUANXI_WECOM_SECRET"),
        sender=channel_setting("GUANXI_WECOM_SENDER"),
        allow_loopback_http=bool(settings.GUANXI_CHANNELS_LOOPBACK_HTTP),
    )


def sender_for(channel: str) -> Sender:
    """The channel's sender. Raises ``ValidationFailed`` when it cannot send
    (not set up, or not built yet)."""
    if channel == MessageChannel.EMAIL:
        url = channel_setting("GUANXI_EMAIL_URL")
        if not url:
            raise ValidationFailed(_("E-mail is not set up: set GUANXI_EMAIL_URL."))
        return EmailSender(url=url, from_address=channel_setting("GUANXI_EMAIL_FROM"))
    if channel == MessageChannel.WEBHOOK:
        url = channel_setting("GUANXI_WEBHOOK_URL")
        secret = channel_setting("GUANXI_WEBHOOK_SECRET")
        if not url or not secret:
            raise ValidationFailed(
                _(
                    "The webhook is not set up: set GUANXI_WEBHOOK_URL and GUANXI_WEBHOOK_SECRET."
                )
            )
        return WebhookSender(
            url=url,
            secret=secret,
            allow_loopback_http=bool(settings.GUANXI_WEBHOOK_LOOPBACK_HTTP),
        )
    if channel == MessageChannel.PHONE:
        return PhoneSender()
    if channel == MessageChannel.SMS:
        return SmsSender(sms_settings())
    if channel == MessageChannel.WECOM:
        return WecomSender(wecom_settings())
    raise ValidationFailed(
        _("The %(channel)s channel is not available yet.") % {"channel": channel}
    )


def sms_body_length(body: str, *, sign_name: str = "") -> SmsLength:
    """How long an SMS of template ``body`` is with the sample values and the
    sign name the provider puts in front."""
    text = render(subject="", body=body, values=SAMPLE).text.strip()
    return sms_length(f"【{sign_name}】{text}" if sign_name else text)


def sms_limits() -> tuple[str, int]:
    """The sign name and the most parts an SMS may have, from the settings
    (whether or not a provider is set up yet)."""
    return (
        channel_setting("GUANXI_SMS_SIGN_NAME"),
        max(1, int(channel_setting("GUANXI_SMS_MAX_SEGMENTS") or 3)),
    )


def sms_body_check(body: str, *, sign_name: str, max_segments: int) -> None:
    """Refuse an SMS template longer than ``max_segments`` parts."""
    length = sms_body_length(body, sign_name=sign_name)
    if length.segments > max_segments:
        raise ValidationFailed(
            _(
                "The SMS is %(chars)d characters long with sample values: "
                "%(parts)d parts, more than the %(max)d allowed "
                "(GUANXI_SMS_MAX_SEGMENTS)."
            )
            % {
                "chars": length.units,
                "parts": length.segments,
                "max": max_segments,
            },
            field="template",
        )


def channel_setup_check(channel: str) -> None:
    """Whether the channel's settings as they stand make a working channel:
    nothing set at all (the channel is off), or everything it needs, well
    formed. Raises ``ValidationFailed`` naming the setting (never a value)."""
    specs = CHANNEL_SETTINGS[channel]
    if all(channel_setting(s.name) == channel_default(s.name) for s in specs):
        return
    if channel == MessageChannel.EMAIL:
        sender_for(channel).close()  # parses the URL
        try:
            validate_email(channel_setting("GUANXI_EMAIL_FROM"))
        except ValidationError:
            raise ValidationFailed(
                _("GUANXI_EMAIL_FROM is not an e-mail address.")
            ) from None
    elif channel == MessageChannel.WEBHOOK:
        sender_for(channel).close()  # both set
        parts = urlsplit(channel_setting("GUANXI_WEBHOOK_URL"))
        if parts.scheme != "https" or not parts.hostname:
            raise ValidationFailed(_("GUANXI_WEBHOOK_URL must be an https:// URL."))
    elif channel == MessageChannel.SMS:
        sms_settings()
    elif channel == MessageChannel.WECOM:
        wecom_settings()


def channel_template_check(*, channel: str, purpose: str, template: Any) -> None:
    """What a channel refuses before anything is queued: an SMS longer than
    ``GUANXI_SMS_MAX_SEGMENTS`` parts (counted with the sample values and the
    sign name the provider puts in front), marketing to a staff group's WeCom
    robot. Raises ``ValidationFailed``."""
    if channel == MessageChannel.SMS:
        sms = sms_settings()
        if sms.template_params:
            return  # the provider's template holds the text
        sms_body_check(
            template.body, sign_name=sms.sign_name, max_segments=sms.max_segments
        )
    if (
        channel == MessageChannel.WECOM
        and purpose == Purpose.MARKETING
        and wecom_settings().mode == "robot"
    ):
        raise ValidationFailed(
            _(
                "The WeCom robot posts to a staff group: it sends service "
                "notices only, not marketing."
            )
        )

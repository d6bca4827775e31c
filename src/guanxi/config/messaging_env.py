"""Settings: the GUANXI_* environment variables of messaging's channels and send rules."""

from __future__ import annotations

import os

from guanxi.config.environment import PRODUCTION

__all__ = [
    "GUANXI_CHANNELS_LOOPBACK_HTTP",
    "GUANXI_CONVERSION_DAYS",
    "GUANXI_EMAIL_EVENTS_TOKEN",
    "GUANXI_EMAIL_FROM",
    "GUANXI_EMAIL_URL",
    "GUANXI_INBOUND_MAIL_SECRET",
    "GUANXI_MARKETING_PER_WEEK",
    "GUANXI_MESSAGE_LEASE_SECONDS",
    "GUANXI_MESSAGE_MAX_ATTEMPTS",
    "GUANXI_MESSAGE_RETRY_BASE_SECONDS",
    "GUANXI_MESSAGE_RETRY_CAP_SECONDS",
    "GUANXI_PUBLIC_URL",
    "GUANXI_QUIET_HOURS",
    "GUANXI_SMS_APP_ID",
    "GUANXI_SMS_ENDPOINT",
    "GUANXI_SMS_KEY_ID",
    "GUANXI_SMS_KEY_SECRET",
    "GUANXI_SMS_MAX_SEGMENTS",
    "GUANXI_SMS_PROVIDER",
    "GUANXI_SMS_RECEIPT_TOKEN",
    "GUANXI_SMS_REGION",
    "GUANXI_SMS_SIGN_NAME",
    "GUANXI_SMS_TEMPLATE",
    "GUANXI_SMS_TEMPLATE_PARAMS",
    "GUANXI_SMS_TEXT_PARAM",
    "GUANXI_TRACK_CLICKS",
    "GUANXI_TRACK_OPENS",
    "GUANXI_WEBHOOK_LOOPBACK_HTTP",
    "GUANXI_WEBHOOK_SECRET",
    "GUANXI_WEBHOOK_URL",
    "GUANXI_WECOM_BASE_URL",
    "GUANXI_WECOM_CORP_ID",
    "GUANXI_WECOM_MODE",
    "GUANXI_WECOM_ROBOT_FORMAT",
    "GUANXI_WECOM_ROBOT_KEY",
    "GUANXI_WECOM_SECRET",
    "GUANXI_WECOM_SENDER",
]

# Messaging (guanxi.messaging): channels, and the rules checked at send time.
# The channels' settings below may instead be set on the admin page
# messages/channels/ (stored encrypted); a value given here wins. Empty here
# means "not from the environment": the defaults are in
# guanxi.messaging.channel_settings, read through channel_setting().
GUANXI_EMAIL_URL = os.environ.get("GUANXI_EMAIL_URL", "")
GUANXI_EMAIL_FROM = os.environ.get("GUANXI_EMAIL_FROM", "")
GUANXI_WEBHOOK_URL = os.environ.get("GUANXI_WEBHOOK_URL", "")
GUANXI_WEBHOOK_SECRET = os.environ.get("GUANXI_WEBHOOK_SECRET", "")
# Inbound e-mail on the feedback address (guanxi.feedback.mail): the secret the
# provider's webhook signs with; empty: the webhook does not exist (404).
GUANXI_INBOUND_MAIL_SECRET = os.environ.get("GUANXI_INBOUND_MAIL_SECRET", "")
# Plain HTTP to 127.0.0.1 for webhooks: for tests only, never in production.
GUANXI_WEBHOOK_LOOPBACK_HTTP = (
    not PRODUCTION and os.environ.get("GUANXI_WEBHOOK_LOOPBACK_HTTP") == "1"
)
# SMS: GUANXI_SMS_PROVIDER aliyun | tencent | http (a gateway of the
# business's own). Keys: Aliyun AccessKey ID/secret, Tencent SecretId/SecretKey,
# the gateway's HMAC secret (docs/messaging.md).
GUANXI_SMS_PROVIDER = os.environ.get("GUANXI_SMS_PROVIDER", "")
GUANXI_SMS_KEY_ID = os.environ.get("GUANXI_SMS_KEY_ID", "")
GUANXI_SMS_KEY_SECRET = os.environ.get("GUANXI_SMS_KEY_SECRET", "")
GUANXI_SMS_SIGN_NAME = os.environ.get("GUANXI_SMS_SIGN_NAME", "")
GUANXI_SMS_TEMPLATE = os.environ.get("GUANXI_SMS_TEMPLATE", "")
GUANXI_SMS_TEMPLATE_PARAMS = os.environ.get("GUANXI_SMS_TEMPLATE_PARAMS", "")
GUANXI_SMS_TEXT_PARAM = os.environ.get("GUANXI_SMS_TEXT_PARAM", "")
GUANXI_SMS_APP_ID = os.environ.get("GUANXI_SMS_APP_ID", "")
GUANXI_SMS_REGION = os.environ.get("GUANXI_SMS_REGION", "")
GUANXI_SMS_ENDPOINT = os.environ.get("GUANXI_SMS_ENDPOINT", "")
GUANXI_SMS_MAX_SEGMENTS = os.environ.get("GUANXI_SMS_MAX_SEGMENTS", "")
# The secret part of the delivery-receipt URL given to the provider
# (/m/sms/receipts/<token>/); empty: receipts are not taken.
GUANXI_SMS_RECEIPT_TOKEN = os.environ.get("GUANXI_SMS_RECEIPT_TOKEN", "")
# WeCom: GUANXI_WECOM_MODE external (to customers, external-contact API) or
# robot (a staff group's robot).
GUANXI_WECOM_MODE = os.environ.get("GUANXI_WECOM_MODE", "")
GUANXI_WECOM_BASE_URL = os.environ.get("GUANXI_WECOM_BASE_URL", "")
GUANXI_WECOM_CORP_ID = os.environ.get("GUANXI_WECOM_CORP_ID", "")
GUANXI_WECOM_SECRET = os.environ.get("GUANXI_WECOM_SECRET", "")
GUANXI_WECOM_SENDER = os.environ.get("GUANXI_WECOM_SENDER", "")
GUANXI_WECOM_ROBOT_KEY = os.environ.get("GUANXI_WECOM_ROBOT_KEY", "")
GUANXI_WECOM_ROBOT_FORMAT = os.environ.get("GUANXI_WECOM_ROBOT_FORMAT", "")
# Plain HTTP to 127.0.0.1 for the SMS and WeCom endpoints: tests only.
GUANXI_CHANNELS_LOOPBACK_HTTP = (
    not PRODUCTION and os.environ.get("GUANXI_CHANNELS_LOOPBACK_HTTP") == "1"
)
# Where links in messages (unsubscribe, tracking) point: this server as
# customers reach it.
GUANXI_PUBLIC_URL = os.environ.get("GUANXI_PUBLIC_URL", "http://127.0.0.1:8000")
# E-mail tracking (docs/messaging.md): an open pixel and click links, only for
# customers who consented to profiling on e-mail. "0" switches either off.
GUANXI_TRACK_OPENS = os.environ.get("GUANXI_TRACK_OPENS", "1") != "0"
GUANXI_TRACK_CLICKS = os.environ.get("GUANXI_TRACK_CLICKS", "1") != "0"
# The secret part of the URL the mail provider posts bounces and complaints to
# (/m/email/events/?token=…); empty: none are taken.
GUANXI_EMAIL_EVENTS_TOKEN = os.environ.get("GUANXI_EMAIL_EVENTS_TOKEN", "")
# A message converts when its customer places an order within this many days.
GUANXI_CONVERSION_DAYS = int(os.environ.get("GUANXI_CONVERSION_DAYS", "7"))
GUANXI_MESSAGE_LEASE_SECONDS = float(
    os.environ.get("GUANXI_MESSAGE_LEASE_SECONDS", "60")
)
GUANXI_MESSAGE_RETRY_BASE_SECONDS = float(
    os.environ.get("GUANXI_MESSAGE_RETRY_BASE_SECONDS", "30")
)
GUANXI_MESSAGE_RETRY_CAP_SECONDS = float(
    os.environ.get("GUANXI_MESSAGE_RETRY_CAP_SECONDS", "3600")
)
GUANXI_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("GUANXI_MESSAGE_MAX_ATTEMPTS", "8"))
GUANXI_MARKETING_PER_WEEK = int(os.environ.get("GUANXI_MARKETING_PER_WEEK", "2"))
GUANXI_QUIET_HOURS = os.environ.get("GUANXI_QUIET_HOURS", "21:00-09:00")

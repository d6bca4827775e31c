"""Stored codes in people's words: the channel an order came through or an
interaction happened on, and the system a record came from.

Imports and the demo store short codes (``store``, ``wecom``, ``demo``); pages
and exports for people show their names in the reader's language. A code
nobody named here (a source an import was given by its user, such as
``old-crm``) is shown as it was typed: it is a name people chose, not a code.
One vocabulary: the template filters of ``web.templatetags.guanxi_words`` and
the exports both call these functions.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = ["CHANNELS", "SOURCES", "channel_label", "source_label"]

#: Where a purchase or a contact happened (orders' and interactions' channel).
CHANNELS: dict[str, Promise] = {
    "store": pgettext_lazy("channel", "In store"),
    "online": pgettext_lazy("channel", "Online shop"),
    "tmall": pgettext_lazy("channel", "Tmall"),
    "taobao": pgettext_lazy("channel", "Taobao"),
    "jd": pgettext_lazy("channel", "JD.com"),
    "wechat": pgettext_lazy("channel", "WeChat"),
    "douyin": pgettext_lazy("channel", "Douyin"),
    "app": pgettext_lazy("channel", "App"),
    "phone": pgettext_lazy("channel", "Phone"),
    "email": pgettext_lazy("channel", "Email"),
    "sms": pgettext_lazy("channel", "SMS"),
    "wecom": pgettext_lazy("channel", "WeCom"),
}

#: Which system a record came from (orders' and interactions' source).
SOURCES: dict[str, Promise] = {
    "demo": _("Demo data"),
    "import": _("File import"),
    "manual": _("Entered by hand"),
    "api": _("REST API"),
    "pos": _("POS"),
    "shopify": _("Shopify"),
    "youzan": _("Youzan"),
}


def channel_label(value: object) -> str:
    """``store`` → 门店 / In store; an unknown channel as stored."""
    code = str(value or "")
    return str(CHANNELS.get(code.lower(), code))


def source_label(value: object) -> str:
    """``demo`` → 演示数据 / Demo data; a source its importer named as typed."""
    code = str(value or "")
    return str(SOURCES.get(code.lower(), code))

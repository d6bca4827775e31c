"""A customer's language and time zone as people write them: the form, the
API and the import all read them here, so they accept and refuse the same.

Language: ``zh-hans`` or ``en`` in any common spelling (``zh``, ``zh-CN``,
``中文``, ``en-US``, ``English`` …); empty means the business's language.
Time zone: an IANA name (``Asia/Shanghai``, ``Europe/Berlin``), any case;
empty means the business's ``TIME_ZONE``.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.customers.choices import Language

__all__ = [
    "business_language",
    "customer_language",
    "customer_time_zone",
    "language_parse",
    "time_zone_parse",
]

_LANGUAGE_SPELLINGS = {
    Language.ZH_HANS: (
        "zh-hans",
        "zh",
        "zh-cn",
        "zh-sg",
        "zh-hans-cn",
        "zh_cn",
        "zh_hans",
        "cn",
        "chs",
        "chinese",
        "simplified chinese",
        "中文",
        "简体中文",
        "简体",
        "汉语",
        "普通话",
        "国语",
    ),
    Language.EN: (
        "en",
        "en-us",
        "en-gb",
        "en_us",
        "en_gb",
        "eng",
        "english",
        "英文",
        "英语",
    ),
}
_LANGUAGES = {
    spelling: str(code)
    for code, spellings in _LANGUAGE_SPELLINGS.items()
    for spelling in spellings
}


def language_parse(value: Any) -> str:
    """``zh-hans``, ``en`` or ``""`` (the business's language) for a language
    as people write it; ``ValidationFailed`` for any other."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    code = _LANGUAGES.get(text.lower().replace("  ", " "))
    if code is None:
        raise ValidationFailed(
            _("unknown language (expected zh-hans/中文 or en/English)"),
            field="language",
        )
    return code


@functools.cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def time_zone_parse(value: Any) -> str:
    """The IANA name of a time zone as people write it (any case), or ``""``
    (the business's); ``ValidationFailed`` for a name that is not one."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    name = _zones().get(text.lower()) if len(text) <= 64 else None
    if name is None:
        raise ValidationFailed(
            _("unknown time zone (expected an IANA name such as Asia/Shanghai)"),
            field="time_zone",
        )
    return name


def customer_language(customer: Any) -> str:
    """The language ``customer`` is written to in: theirs, or the business's."""
    own = str(getattr(customer, "language", "") or "")
    return own or business_language()


def business_language() -> str:
    """The business's language as a customer language code."""
    code = str(settings.LANGUAGE_CODE).lower()
    return Language.EN.value if code.startswith("en") else Language.ZH_HANS.value


def customer_time_zone(customer: Any) -> zoneinfo.ZoneInfo:
    """``customer``'s time zone: theirs, or the business's ``TIME_ZONE``."""
    own = str(getattr(customer, "time_zone", "") or "")
    try:
        return zoneinfo.ZoneInfo(own or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A name the tz database of this machine lacks: the business's.
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)

"""normalize_email's shortcut for plain addresses agrees with email-validator."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from guanxi.core.errors import ValidationFailed
from guanxi.core.normalize import _fold, normalize_email


def _by_email_validator(text: str) -> str:
    """What normalize_email returned before the shortcut: the whole address
    through email-validator."""
    try:
        info = validate_email(_fold(text), check_deliverability=False)
    except EmailNotValidError:
        return "error: " + _("not a valid email address")
    return str(info.normalized).lower()


def _ours(text: str) -> str:
    try:
        return normalize_email(text)
    except ValidationFailed as exc:
        return f"error: {exc.message}"


CASES = [
    "zhang.wei@example.com",
    "Zhang.Wei@ExAmple.COM",
    "  li_na+vip@shop.example.cn ",
    "a-b@mail.example.org",
    "x@example.com.",
    ".lead@example.com",
    "trail.@example.com",
    "dou..ble@example.com",
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",
    "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 58 + ".com",
    "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 61 + ".com",
    "a@b",
    "a@localhost",
    "a@example.test",
    "a@-bad.com",
    "a@bad-.com",
    "a@exa_mple.com",
    "a@1.2.3.4",
    "a@[127.0.0.1]",
    "a@例子.中国",
    "ｚｈａｎｇ＠ＥＸＡＭＰＬＥ．ＣＯＭ",
    "张伟@example.com",
    "a b@example.com",
    "a@@example.com",
    "@example.com",
    "a@",
    "plain",
    '"quoted"@example.com',
    "o'brien@example.com",
    "a@xn--fiqs8s.cn",
]


@pytest.mark.parametrize("text", CASES)
def test_plain_addresses_get_the_same_answer_as_email_validator(text: str) -> None:
    assert _ours(text) == _by_email_validator(text)


def test_the_shortcut_is_taken_for_plain_addresses() -> None:
    from guanxi.core import normalize

    normalize._email_domain.cache_clear()
    assert normalize_email("Wang.Fang@Example.COM") == "wang.fang@example.com"
    assert normalize_email("li.na@example.com") == "li.na@example.com"
    info = normalize._email_domain.cache_info()
    assert (info.misses, info.hits) == (2, 0) or (info.misses, info.hits) == (1, 1)

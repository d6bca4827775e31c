"""Hashed search keys for encrypted customer fields.

Besides the exact blind indexes of phone and email and the hashed name grams,
staff search (手机尾号, pinyin, e-mail prefix) uses :func:`staff_tokens`: keyed
hashes of

- ``p:`` the pinyin of the name's Chinese characters — whole (``zhangsan``),
  its initials (``zs``) and its syllable prefixes (``zhang``), for every
  reading of characters that have several (``曾`` → zeng and ceng), bounded
  to :data:`PINYIN_COMBINATIONS` combinations of the first
  :data:`PINYIN_CHARACTERS` characters;
- ``t:`` the last four digits of the phone number;
- ``e:`` the prefixes of the e-mail address's local part, from
  :data:`EMAIL_PREFIX_MIN` to :data:`EMAIL_PREFIX_MAX` characters, and the whole
  local part.

Nothing of the values is stored in clear: a token is 10 hex digits of an HMAC
under the blind-index key. A search hashes its text the same way and looks for
the token (see ``customers.selectors.customer_search``).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

from guanxi.core.crypto import blind_index, blind_index_under
from guanxi.core.normalize import normalize_name

__all__ = [
    "EMAIL_PREFIX_MAX",
    "EMAIL_PREFIX_MIN",
    "PHONE_TAIL",
    "contact_key_under",
    "email_key",
    "email_prefix_token",
    "name_query_tokens",
    "name_tokens",
    "phone_key",
    "phone_tail_token",
    "pinyin_query_token",
    "staff_tokens",
    "staff_tokens_forget",
]

#: How many last digits of a phone number staff search by.
PHONE_TAIL = 4
#: E-mail prefixes indexed: this many characters of the local part and more.
EMAIL_PREFIX_MIN = 3
EMAIL_PREFIX_MAX = 12
#: The name's first Chinese characters that get pinyin tokens.
PINYIN_CHARACTERS = 6
#: Readings per character, and reading combinations per name, at most.
PINYIN_READINGS = 3
PINYIN_COMBINATIONS = 8

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PINYIN_QUERY = re.compile(r"[a-z]+", re.ASCII)


def phone_key(e164: str | None) -> str | None:
    return blind_index(e164, context="customer.phone") if e164 else None


def email_key(email: str | None) -> str | None:
    return blind_index(email.lower(), context="customer.email") if email else None


def contact_key_under(kind: str, value: str, *, key_id: str) -> str | None:
    """:func:`phone_key` (``kind`` "phone", ``value`` in E.164) or
    :func:`email_key` ("email") under the blind-index key ``key_id``, current
    or retired; None when that key is not configured."""
    if kind == "phone":
        return blind_index_under(value, context="customer.phone", key_id=key_id)
    return blind_index_under(value.lower(), context="customer.email", key_id=key_id)


def _grams(text: str) -> set[str]:
    compact = "".join(normalize_name(text).lower().split())
    grams = set(compact)
    grams.update(compact[i : i + 2] for i in range(len(compact) - 1))
    return grams


def _token(gram: str) -> str:
    return blind_index(gram, context="customer.name")[:10]


def name_tokens(name: str | None) -> str:
    """Space-delimited hashed unigrams and bigrams: ``" t1 t2 … "``."""
    if not name:
        return ""
    return " " + " ".join(sorted(_token(g) for g in _grams(name))) + " "


def name_query_tokens(query: str) -> list[str]:
    """Tokens that every matching name contains (bigrams, or the single character)."""
    compact = "".join(normalize_name(query).lower().split())
    if not compact:
        return []
    if len(compact) == 1:
        return [_token(compact)]
    return sorted({_token(compact[i : i + 2]) for i in range(len(compact) - 1)})


def _staff_token(kind: str, text: str) -> str:
    return blind_index(f"{kind}:{text}", context="customer.search")[:10]


@lru_cache(maxsize=65_536)
def _pinyin_texts(name: str) -> frozenset[str]:
    """Whole pinyin, initials and syllable prefixes of every reading (bounded)."""
    han = _HAN.findall(normalize_name(name))[:PINYIN_CHARACTERS]
    if not han:
        return frozenset()
    chars = "".join(han)
    readings = [
        [r for r in dict.fromkeys(options) if r][:PINYIN_READINGS]
        for options in pinyin(chars, style=Style.NORMAL, heteronym=True)
    ]
    if any(not r for r in readings):
        return frozenset()
    # The reading of the phrase as a whole first (the likeliest), then the
    # others until the bound.
    likeliest = [s.lower() for s in lazy_pinyin(chars, style=Style.NORMAL)]
    combinations = [likeliest]
    for combo in itertools.product(*readings):
        if len(combinations) >= PINYIN_COMBINATIONS:
            break
        if list(combo) != likeliest:
            combinations.append([s.lower() for s in combo])
    texts: set[str] = set()
    for syllables in combinations:
        texts.add("".join(syllables))
        texts.add("".join(s[0] for s in syllables))
        texts.update("".join(syllables[:k]) for k in range(1, len(syllables)))
    return frozenset(t for t in texts if _PINYIN_QUERY.fullmatch(t))


@lru_cache(maxsize=65_536)
def _pinyin_tokens(name: str) -> frozenset[str]:
    """The hashed pinyin tokens of a name (names repeat: 张伟, 王芳 …; the
    cache is dropped with :func:`staff_tokens_forget` when keys may change)."""
    return frozenset(_staff_token("p", t) for t in _pinyin_texts(name))


def staff_tokens_forget() -> None:
    """Drop the cached pinyin tokens (a new import may run under other keys)."""
    _pinyin_tokens.cache_clear()


def _local_part(email: str) -> str:
    return email.rpartition("@")[0].lower() if "@" in email else email.lower()


def staff_tokens(*, name: str | None, phone: str | None, email: str | None) -> str:
    """Space-delimited hashed staff-search tokens of a customer's (normalised)
    name, phone (E.164) and email: ``" t1 t2 … "``, or ``""``."""
    tokens: set[str] = set()
    if name:
        tokens.update(_pinyin_tokens(name))
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        if len(digits) >= PHONE_TAIL:
            tokens.add(phone_tail_token(digits[-PHONE_TAIL:]))
    if email:
        local = _local_part(email)
        ends = range(EMAIL_PREFIX_MIN, min(len(local), EMAIL_PREFIX_MAX) + 1)
        tokens.update(_staff_token("e", local[:end]) for end in ends)
    if not tokens:
        return ""
    return " " + " ".join(sorted(tokens)) + " "


def phone_tail_token(tail: str) -> str:
    """The token of a phone number's last four digits (``"8000"``)."""
    return _staff_token("t", tail)


def pinyin_query_token(text: str) -> str | None:
    """The token a name with this pinyin (whole, initials or syllable prefix;
    spaces ignored, case folded) carries; None if ``text`` is not pinyin."""
    compact = "".join(text.lower().split())
    if not _PINYIN_QUERY.fullmatch(compact):
        return None
    return _staff_token("p", compact)


def email_prefix_token(text: str) -> str | None:
    """The token of an e-mail prefix (the local part's first characters; a
    longer one is cut to :data:`EMAIL_PREFIX_MAX`, so it finds a few more); None
    when shorter than :data:`EMAIL_PREFIX_MIN`."""
    local = _local_part(text.strip()) if "@" in text else text.strip().lower()
    if len(local) < EMAIL_PREFIX_MIN or any(ch.isspace() for ch in local):
        return None
    return _staff_token("e", local[:EMAIL_PREFIX_MAX])

"""Turn one cell into a clean value or a reason, for each kind of column.

Every value goes through the rules every way in shares: contact data and
dates through :mod:`guanxi.core.normalize`, ranges and text through
:mod:`guanxi.core.values` (amounts, quantities, order and interaction times,
birthdays, control characters and lengths), so an import accepts and refuses
exactly what the API does, with the same message. The import parses millions
of cells, so the common shapes (``¥1,234.56``, ``2024-01-05 14:30:00``, an
11-digit mobile number, an ASCII order id) take a shortcut; each shortcut
answers only where it gives the general path's value, everything else goes the
general way (``ingest/tests/test_fast_paths.py`` checks every one against the
core function). The normalisers are cached per import: the same phone number
in many order rows is parsed once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.commerce.choices import OrderStatus
from guanxi.core.errors import ValidationFailed
from guanxi.core.normalize import (
    normalize_email,
    normalize_phone,
    parse_date,
    parse_datetime,
)
from guanxi.core.values import (
    check_birthday,
    check_moment,
    clean_line,
    clean_multiline,
    parse_amount,
    parse_quantity,
)
from guanxi.coupons.services import coupon_code_parse
from guanxi.customers.choices import Gender, InteractionKind
from guanxi.customers.services import language_parse, time_zone_parse

__all__ = ["CellParser", "cell_text", "plain_identifier"]

_OFFSET = re.compile(
    r"^(?P<dt>\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s*"
    r"(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})$"
)
_CURRENCY_WORDS = {
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "RMB": "CNY",
    "人民币": "CNY",
    "$": "USD",
    "美元": "USD",
}
_GENDERS = {
    "male": Gender.MALE,
    "m": Gender.MALE,
    "男": Gender.MALE,
    "先生": Gender.MALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "女": Gender.FEMALE,
    "女士": Gender.FEMALE,
    "other": Gender.OTHER,
    "其他": Gender.OTHER,
    "unknown": Gender.UNKNOWN,
    "未知": Gender.UNKNOWN,
    "保密": Gender.UNKNOWN,
}
_INTERACTION_WORDS = {
    "到店": InteractionKind.VISIT,
    "门店到访": InteractionKind.VISIT,
    "登录": InteractionKind.LOGIN,
    "打开消息": InteractionKind.MESSAGE_OPENED,
    "点击消息": InteractionKind.MESSAGE_CLICKED,
    "社群发帖": InteractionKind.COMMUNITY_POST,
    "社区发帖": InteractionKind.COMMUNITY_POST,
    "电话": InteractionKind.CALL,
    "通话": InteractionKind.CALL,
    "参加活动": InteractionKind.EVENT_ATTENDED,
    "活动": InteractionKind.EVENT_ATTENDED,
    "评价": InteractionKind.REVIEW,
    "投诉": InteractionKind.COMPLAINT,
}
_STATUSES = frozenset(OrderStatus.values)
_INTERACTION_KINDS = frozenset(InteractionKind.values)
_GENDER_VALUES = frozenset(Gender.values)
_CENT = Decimal("0.01")
# The common shapes, parsed without the general (slower) path; anything else,
# and every error message, still comes from guanxi.core. ASCII only: in a
# Python regex \d also matches full-width and other scripts' digits.
# (With "T" the general path reads ISO 8601, which wants two-digit fields.)
_PLAIN_MOMENT = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII
)
# A currency mark, then at most ten digits (grouped by three, or not), then at
# most two decimals: always in range, never rounded (parse_amount's answer).
_PLAIN_AMOUNT = re.compile(
    r"[¥￥$]?(?:\d{1,3}(?:,\d{3}){1,2}|\d,\d{3},\d{3},\d{3}|\d{1,10})(?:\.\d{1,2})?",
    re.ASCII,
)
# Text cached per import only when short (long keys would cost more memory
# than they save time).
_CACHED_CHARS = 64


def _cn_mobile_pattern() -> re.Pattern[str] | None:
    """phonenumbers' own pattern for CN mobile numbers: an 11-digit number that
    matches it is valid, and its E.164 form is ``+86`` and the digits. Checking
    that with a regex is many times faster than ``phonenumbers.parse`` and gives
    the same answer; anything else goes the general way. ASCII only: in a
    Python regex ``\\d`` also matches full-width (``８``) and other scripts'
    digits, which ``normalize_phone`` folds to ASCII first."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    mobile = metadata.mobile if metadata is not None else None
    if mobile is None or not mobile.national_number_pattern:
        return None
    return re.compile(f"(?:{mobile.national_number_pattern})", re.ASCII)


_CN_MOBILE = _cn_mobile_pattern()
_TAG_SPLIT = re.compile(r"\s*[,，;；、|]\s*")
# A tags cell: as many tags as the API takes for one customer (50), each at its
# longest, with a separator between.
_TAGS_CELL_CHARS = 50 * 65


def cell_text(value: Any) -> str:
    """A cell as the text a person would read in it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _raw_text(value: Any) -> str:
    """A cell as the text rules read it: text as it is (the rules trim it, and
    a control character at its edge is refused, not trimmed, as in the API);
    a number or a date as :func:`cell_text` writes it."""
    return value if value.__class__ is str else cell_text(value)


def plain_identifier(text: str) -> bool:
    """An id that :func:`~guanxi.core.values.clean_line` keeps as it is: trimmed,
    printable ASCII, no run of spaces, at most 128 characters."""
    return (
        0 < len(text) <= 128
        and text.isascii()
        and text.isprintable()
        and "  " not in text
        and text[0] != " "
        and text[-1] != " "
    )


class _Line:
    """One-line text of one field (``clean_line``), cached per import."""

    __slots__ = ("cache", "field", "limit")

    def __init__(self, field: str, limit: int | None = None) -> None:
        self.field = field
        self.limit = limit
        self.cache: dict[str, str] = {}

    def __call__(self, value: Any) -> str:
        if value.__class__ is str and len(value) <= _CACHED_CHARS:
            cached = self.cache.get(value)
            if cached is None:
                if len(self.cache) > 200_000:
                    self.cache.clear()
                cached = self.cache[value] = clean_line(
                    value, field=self.field, limit=self.limit
                )
            return cached
        return clean_line(_raw_text(value), field=self.field, limit=self.limit)


class CellParser:
    """Parsers by field name; each returns a clean value or raises ValidationFailed.

    ``now`` and ``today`` fix the accepted time window for the whole import
    (order and interaction times up to a day after ``now``, birthdays up to
    ``today``), so every row of one file is held to the same bounds.
    """

    def __init__(
        self,
        *,
        tz: dt.tzinfo,
        status_values: dict[str, str],
        now: dt.datetime | None = None,
        today: dt.date | None = None,
        automatic_tags: frozenset[str] = frozenset(),
    ) -> None:
        self.tz = tz
        self.status_values = status_values
        self.now = now or timezone.now()
        self.today = today or dt.date.today()
        self._phones: dict[str, str] = {}
        self._statuses: dict[str, str] = {}
        self._emails: dict[str, str] = {}
        self._lines: dict[str, _Line] = {}
        self.identifier = _Line("external_id")
        # Names of automatic tags (the pipeline reads them once, before any
        # parsing worker is forked): refused at their cell, not at the write.
        self.automatic_tags = automatic_tags

    def line(self, field: str) -> _Line:
        """The one-line text parser of ``field`` (its length from TEXT_LIMITS)."""
        parser = self._lines.get(field)
        if parser is None:
            parser = self._lines[field] = _Line(field)
        return parser

    def for_field(self, field: str) -> Callable[[Any], Any]:
        base = field.removeprefix("customer_")
        if field == "customer_id" or field in {"external_id", "order_id"}:
            return self.identifier
        if base in {
            "name",
            "city",
            "address",
            "store",
            "channel",
            "product_name",
            "category",
            "sku",
        }:
            return self.line(base)
        named: dict[str, Callable[[Any], Any]] = {
            "note": self.note,
            "phone": self.phone,
            "email": self.email,
            "birthday": self.birthday,
            "gender": self.gender,
            "language": language_parse,
            "time_zone": time_zone_parse,
            "tags": self.tags,
            "ordered_at": self.moment,
            "occurred_at": self.moment,
            "amount": self.amount,
            "unit_price": self.amount,
            "currency": self.currency,
            "status": self.status,
            "quantity": self.quantity,
            "kind": self.interaction_kind,
            "coupon": coupon_code_parse,
        }
        return named[base]

    def amount(self, value: Any) -> Decimal:
        if value.__class__ is str and _PLAIN_AMOUNT.fullmatch(value):
            return Decimal(value.lstrip("¥￥$").replace(",", "")).quantize(_CENT)
        return parse_amount(value)

    def quantity(self, value: Any) -> int:
        return parse_quantity(value)

    def note(self, value: Any) -> str:
        return clean_multiline(_raw_text(value), field="note")

    def phone(self, value: Any) -> str:
        text = cell_text(value)
        cached = self._phones.get(text)
        if cached is None:
            if (
                len(text) == 11
                and _CN_MOBILE is not None
                and _CN_MOBILE.fullmatch(text)
            ):
                cached = "+86" + text
            else:
                cached = normalize_phone(text)
            if len(self._phones) > 2_000_000:
                self._phones.clear()
            self._phones[text] = cached
        return cached

    def email(self, value: Any) -> str:
        text = cell_text(value)
        cached = self._emails.get(text)
        if cached is None:
            cached = self._emails[text] = normalize_email(text)
        return cached

    def birthday(self, value: Any) -> dt.date:
        return check_birthday(parse_date(value), today=self.today)

    def gender(self, value: Any) -> str:
        key = cell_text(value).lower()
        if key in _GENDER_VALUES:
            return key
        if key in _GENDERS:
            return str(_GENDERS[key])
        raise ValidationFailed(
            _("unknown gender (expected male/男, female/女 or other)")
        )

    def tags(self, value: Any) -> frozenset[str]:
        """Tags separated by ``,`` ``，`` ``;`` ``、`` or ``|``: the cell as one
        line first (a control character is reported at its place in the cell),
        then each tag as the API takes one."""
        text = clean_line(_raw_text(value), field="tag", limit=_TAGS_CELL_CHARS)
        tags = frozenset(
            clean_line(tag, field="tag") for tag in _TAG_SPLIT.split(text) if tag
        )
        if self.automatic_tags and not tags.isdisjoint(self.automatic_tags):
            raise ValidationFailed(
                _("automatic tags are set by the scoring run, not by hand")
            )
        return tags

    def moment(self, value: Any) -> dt.datetime:
        return check_moment(self._moment(value), now=self.now)

    def _moment(self, value: Any) -> dt.datetime:
        if value.__class__ is str:
            text = value.strip()
            if (
                len(text) == 19
                and text[4] == "-"
                and text[7] == "-"
                and text[10] in " T"
                and text[13] == ":"
                and text[16] == ":"
                and text.isascii()
            ):
                # "2024-01-05 14:30:00", what most exports write: the C parser
                # checks digits and ranges; anything it refuses goes on below.
                try:
                    return dt.datetime.fromisoformat(text).replace(tzinfo=self.tz)
                except ValueError:
                    pass
            plain = _PLAIN_MOMENT.match(text)
            if plain:
                try:
                    return dt.datetime(
                        int(plain[1]),
                        int(plain[2]),
                        int(plain[3]),
                        int(plain[4]),
                        int(plain[5]),
                        int(plain[6] or 0),
                        tzinfo=self.tz,
                    )
                except ValueError:
                    pass  # the general path says what is wrong
        if isinstance(value, str):
            match = _OFFSET.match(value.strip())
            if match:
                # Shopify writes "2024-01-05 14:30:00 +0800".
                value = f"{match['dt'].replace(' ', 'T')}{match['sign']}{match['h']}:{match['m']}"
        return parse_datetime(value, tz=self.tz)

    def currency(self, value: Any) -> str:
        text = cell_text(value)
        code = _CURRENCY_WORDS.get(text, text.upper())
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValidationFailed(_("not a currency code (expected e.g. CNY, USD)"))
        return code

    def status(self, value: Any) -> str:
        cached = self._statuses.get(value) if value.__class__ is str else None
        if cached is not None:
            return cached
        key = cell_text(value).lower()
        found = key if key in _STATUSES else self.status_values.get(key)
        if found is None:
            raise ValidationFailed(
                _("unknown order status (expected one of: %(values)s)")
                % {"values": ", ".join(OrderStatus.values)}
            )
        if value.__class__ is str:
            self._statuses[value] = found
        return found

    def interaction_kind(self, value: Any) -> str:
        key = cell_text(value).lower()
        if key in _INTERACTION_KINDS:
            return key
        if key in _INTERACTION_WORDS:
            return str(_INTERACTION_WORDS[key])
        raise ValidationFailed(
            _("unknown interaction kind (expected one of: %(values)s)")
            % {"values": ", ".join(InteractionKind.values)}
        )

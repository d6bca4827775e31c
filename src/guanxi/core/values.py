"""The accepted range of every value that enters Guanxi, with its exact message.

One definition for every way in — the API serializers, the services, the web
forms, the import and the demo — so the same value is accepted or refused with
the same words everywhere. Each function takes one raw value and returns the
clean value or raises :class:`~guanxi.core.errors.ValidationFailed`; they hold no
state and do no I/O, so an import's fast path may call them once per cell.
Messages never quote the value (it may be personal data); they name what is
wrong and, where there is one, the limit.

The rules, decided here (issue 8, items 2, 3, 4 and 8):

* **Amounts** fit the amount columns, ``DecimalField(max_digits=12,
  decimal_places=2)``: at most ``9999999999.99`` (:data:`MAX_AMOUNT`). Text may
  carry a currency mark (``¥ ￥ $ € £``, ``CNY``, ``RMB``, ``USD``, ``元``) and
  thousands separators, which must group three digits (``1,299.50``; ``¥1,2,3``
  is refused). More than two decimal places are refused unless the extra digits
  are zeros (``12.345`` would be rounded: refused; ``12.3400`` is 12.34). No
  exponent (``1e3``), no ``_`` (Python's ``Decimal`` takes ``1_000``), no NaN or
  infinity.
* **Digits**: full-width digits (``１２３``, typed on Chinese keyboards) are the
  same digits and are folded to ASCII (NFKC), as they are for phone numbers.
  Any other non-ASCII digit (Arabic-Indic ``١٢٣``, Devanagari, …) is refused:
  Python would read it as a number, a person reading the row might not.
* **Quantities** are whole numbers from 1 to :data:`MAX_QUANTITY` (1,000,000).
* **Line totals** (quantity × unit price) must fit the amount column too.
* **Order and interaction times** lie from 1970-01-01 (UTC) to one day after now
  (:func:`check_moment`): a clock a little ahead is fine, year 9999 is not.
* **Birthdays** lie from 1900-01-01 to today (:func:`check_birthday`).
* **Dates in filters** (``?ordered_from=``) lie from 1900-01-01 to 2999-12-31
  (:data:`FILTER_DATE_RANGE`): wide enough for any question, narrow enough that
  a time zone shift never leaves the calendar.
* **Ids** (customer numbers, user ids) are whole numbers from 1 to 2^63 − 1.
* **Text**: a byte-order mark, zero-width space and word joiner (U+FEFF, U+200B,
  U+2060) are removed wherever they are — they are invisible and only break
  search and matching. Other control characters (C0, DEL, C1) are refused,
  except that tab, line feed and carriage return are allowed in multi-line
  fields (notes), where ``\\r\\n`` becomes ``\\n``; in one-line fields
  whitespace is collapsed to single spaces by :func:`clean_line`. Each field
  has a maximum length (:data:`TEXT_LIMITS`); a 30 MB note is refused, not cut.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import unicodedata
from decimal import Decimal

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

__all__ = [
    "FILTER_DATE_RANGE",
    "MAX_AMOUNT",
    "MAX_ID",
    "MAX_QUANTITY",
    "TEXT_LIMITS",
    "check_amount",
    "check_birthday",
    "check_filter_date",
    "check_moment",
    "clean_line",
    "clean_multiline",
    "fold_digits",
    "line_total",
    "parse_amount",
    "parse_id",
    "parse_quantity",
]

#: The largest amount the amount columns hold (max_digits=12, decimal_places=2).
MAX_AMOUNT = Decimal("9999999999.99")
#: The largest quantity of one order line.
MAX_QUANTITY = 1_000_000
#: The largest id (a signed 64-bit integer, what both databases store).
MAX_ID = 2**63 - 1
#: The earliest order or interaction time, and how far ahead of now one may be.
EARLIEST_MOMENT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MOMENT_LEEWAY = dt.timedelta(days=1)
#: The earliest birthday.
EARLIEST_BIRTHDAY = dt.date(1900, 1, 1)
#: Dates a filter accepts.
FILTER_DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))
#: Maximum length of each text field, in characters.
TEXT_LIMITS: dict[str, int] = {
    "name": 200,
    "address": 500,
    "city": 64,
    "store": 64,
    "channel": 32,
    "source": 32,
    "external_id": 128,
    "sku": 64,
    "product_name": 200,
    "category": 64,
    "tag": 64,
    "note": 10_000,
}

_CENT = Decimal("0.01")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u2060"))
# C0 controls, DEL and C1 controls except tab, LF and CR (handled per field).
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_AMOUNT = re.compile(
    r"(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?", re.ASCII
)
_PLAIN_AMOUNT = re.compile(r"\d{1,10}(?:\.\d{1,2})?", re.ASCII)
_PREFIXES = ("¥", "$", "€", "£", "CNY", "RMB", "USD")
_SUFFIXES = ("元", "CNY", "RMB", "USD")
_INTEGER = re.compile(r"[+]?\d+", re.ASCII)


def _amount_too_large() -> ValidationFailed:
    return ValidationFailed(
        _("amount is too large (at most %(max)s)") % {"max": f"{MAX_AMOUNT:,}"}
    )


def fold_digits(text: str) -> str:
    """NFKC (full-width to ASCII) and trimmed; refuse other non-ASCII digits."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            raise ValidationFailed(_("only the digits 0-9 are accepted"))
    return text.strip()


def check_amount(amount: Decimal, *, allow_negative: bool = False) -> Decimal:
    """``amount`` with two places if it is in range, else raise."""
    if not amount.is_finite():
        raise ValidationFailed(_("not an amount"))
    if amount < 0 and not allow_negative:
        raise ValidationFailed(_("amount must not be negative"))
    if abs(amount) > MAX_AMOUNT:
        raise _amount_too_large()
    cents = amount.quantize(_CENT)
    if cents != amount:
        raise ValidationFailed(_("more than two decimal places"))
    return cents if cents else abs(cents)  # no "-0.00"


def parse_amount(value: object, *, allow_negative: bool = False) -> Decimal:
    """``¥1,299.00``, ``￥88``, ``12.5``, ``128`` (int), ``Decimal`` → two places.

    Floats are read through their shortest text (``0.1`` is 0.10; ``0.1 + 0.2``
    has more than two places and is refused).
    """
    if isinstance(value, Decimal):
        return check_amount(value, allow_negative=allow_negative)
    if isinstance(value, bool):
        raise ValidationFailed(_("not an amount"))
    if isinstance(value, int):
        if abs(value) > MAX_AMOUNT:
            raise _amount_too_large()
        return check_amount(Decimal(value), allow_negative=allow_negative)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationFailed(_("not an amount"))
        if abs(value) > MAX_AMOUNT:
            raise _amount_too_large()
        return check_amount(Decimal(repr(value)), allow_negative=allow_negative)
    if not isinstance(value, str):
        raise ValidationFailed(_("not an amount"))
    if _PLAIN_AMOUNT.fullmatch(value):
        # What most callers send ("128", "1299.50"): always in range.
        return Decimal(value).quantize(_CENT)
    text = fold_digits(value)
    text = text.replace("\u00a0", " ").replace("￥", "¥")
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].lstrip()
            break
    for suffix in _SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)].rstrip()
            break
    match = _AMOUNT.fullmatch(text)
    if match is None:
        if re.fullmatch(r"[+-]?[\d,]+(?:\.\d+)?", text, re.ASCII):
            raise ValidationFailed(
                _("thousands separators must group three digits (e.g. 1,299.50)")
            )
        raise ValidationFailed(_("not an amount"))
    digits = match["int"].replace(",", "")
    if len(digits.lstrip("0")) > 10:
        raise _amount_too_large()
    frac = (match["frac"] or "").rstrip("0")
    if len(frac) > 2:
        raise ValidationFailed(_("more than two decimal places"))
    amount = Decimal(f"{match['sign']}{digits}.{frac or '0'}")
    return check_amount(amount, allow_negative=allow_negative)


def parse_quantity(value: object) -> int:
    """A whole number from 1 to :data:`MAX_QUANTITY` (an int or its digits)."""
    if isinstance(value, bool):
        raise ValidationFailed(_("quantity must be a whole number of at least 1"))
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = fold_digits(value)
        if not _INTEGER.fullmatch(text) or len(text) > 20:
            raise ValidationFailed(_("quantity must be a whole number of at least 1"))
        number = int(text)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise ValidationFailed(_("quantity must be a whole number of at least 1"))
    if number < 1:
        raise ValidationFailed(_("quantity must be a whole number of at least 1"))
    if number > MAX_QUANTITY:
        raise ValidationFailed(
            _("quantity is too large (at most %(max)s)") % {"max": f"{MAX_QUANTITY:,}"}
        )
    return number


def line_total(quantity: int, unit_price: Decimal) -> Decimal:
    """``quantity × unit_price``, refused when it does not fit the amount column."""
    total = unit_price * quantity
    if total > MAX_AMOUNT:
        raise ValidationFailed(
            _("line total (quantity × unit price) is too large (at most %(max)s)")
            % {"max": f"{MAX_AMOUNT:,}"}
        )
    return total


def parse_id(value: object) -> int | None:
    """A record id from 1 to :data:`MAX_ID`, or None when ``value`` is not one.

    Callers say what a missing id means ("unknown customer", "no active user"),
    so this returns None rather than raising.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def check_moment(moment: dt.datetime, *, now: dt.datetime | None = None) -> dt.datetime:
    """An order or interaction time from 1970-01-01 to one day after ``now``."""
    latest = (now or dt.datetime.now(dt.UTC)) + MOMENT_LEEWAY
    # Aware datetimes compare without converting, so year 9999 at -14:00 is
    # refused here instead of overflowing on the way to UTC.
    if not EARLIEST_MOMENT <= moment <= latest:
        raise ValidationFailed(
            _("date out of range (accepted: 1970-01-01 to one day from now)")
        )
    return moment


def check_birthday(day: dt.date, *, today: dt.date | None = None) -> dt.date:
    """A birthday from 1900-01-01 to today."""
    if not EARLIEST_BIRTHDAY <= day <= (today or dt.date.today()):
        raise ValidationFailed(
            _("birthday out of range (accepted: 1900-01-01 to today)")
        )
    return day


def check_filter_date(day: dt.date) -> dt.date:
    """A date a filter may ask about (:data:`FILTER_DATE_RANGE`)."""
    first, last = FILTER_DATE_RANGE
    if not first <= day <= last:
        raise ValidationFailed(
            _("enter a date from %(first)s to %(last)s")
            % {"first": first.isoformat(), "last": last.isoformat()}
        )
    return day


def _too_long(limit: int) -> ValidationFailed:
    return ValidationFailed(_("too long (at most %(n)d characters)") % {"n": limit})


def _control(match: re.Match[str], text: str) -> ValidationFailed:
    return ValidationFailed(
        _("control character U+%(code)04X at position %(position)d is not allowed")
        % {"code": ord(match.group()), "position": match.start() + 1}
    )


def clean_line(value: object, *, field: str, limit: int | None = None) -> str:
    """One-line text: invisible marks removed, whitespace collapsed, NFKC-folded
    (full-width letters and digits to ASCII), no control characters, bounded."""
    text = "" if value is None else str(value)
    maximum = limit if limit is not None else TEXT_LIMITS[field]
    if len(text) > 4 * maximum + 64:
        # Far too long whatever the whitespace: refuse before any work on it.
        raise _too_long(maximum)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    # Refused before whitespace is collapsed: Python counts some controls
    # (U+001C-U+001F, U+0085) as whitespace. Tab, LF and CR become spaces.
    control = _CONTROL_MULTILINE.search(text)
    if control is not None:
        raise _control(control, text)
    text = " ".join(text.split())
    if len(text) > maximum:
        raise _too_long(maximum)
    return text


def clean_multiline(value: object, *, field: str, limit: int | None = None) -> str:
    """Multi-line text (notes): invisible marks removed, CRLF as LF, trimmed;
    tab and line breaks allowed, other control characters refused; bounded."""
    text = "" if value is None else str(value)
    maximum = limit if limit is not None else TEXT_LIMITS[field]
    if len(text) > 2 * maximum + 64:
        raise _too_long(maximum)
    if not text.isascii():
        text = text.translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    control = _CONTROL_MULTILINE.search(text)
    if control is not None:
        raise _control(control, text)
    if len(text) > maximum:
        raise _too_long(maximum)
    return text


def as_of_date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD), for ``--as-of``."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'%(text)s' is not a date (YYYY-MM-DD)") % {"text": text[:40]}
        ) from None

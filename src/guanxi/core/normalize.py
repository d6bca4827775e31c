"""Parsing and normalising contact data, dates and amounts, with exact error messages.

Used by every edge that takes input (imports, API, forms), so the same value is
accepted or rejected with the same words everywhere. The accepted ranges
(amounts, quantities, dates, text) are defined in :mod:`guanxi.core.values`;
``parse_amount`` is re-exported from there.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import fold_digits, parse_amount

__all__ = [
    "fold_digits",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "parse_amount",
    "parse_date",
    "parse_datetime",
]

DEFAULT_REGION = "CN"


def _fold(text: str) -> str:
    """Full-width to half-width (NFKC) and trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def normalize_name(value: str) -> str:
    return " ".join(_fold(value).split())


def normalize_phone(value: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form (``+8613800138000``) or raise :class:`ValidationFailed`."""
    text = _fold(str(value))
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed(_("not a phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(_("not a valid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A plain ASCII local part (letters, digits, "._+-", no leading, trailing or
# double dot): email-validator accepts every one of them unchanged, so only the
# domain needs its checks, and those are the same for every address there.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*", re.ASCII)


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    """The normalised domain, or None if email-validator refuses it."""
    try:
        return str(validate_email("a@" + domain, check_deliverability=False).domain)
    except EmailNotValidError:
        return None


def normalize_email(value: str) -> str:
    """Return the normalised address (domain lower-cased) or raise."""
    text = _fold(str(value))
    local, at, domain = text.rpartition("@")
    if at and len(local) <= 64 and len(text) <= 254 and _PLAIN_LOCAL.fullmatch(local):
        normalized = _email_domain(domain)
        if normalized is not None:
            return f"{local}@{normalized}".lower()
    try:
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(_("not a valid email address")) from None
    return str(info.normalized).lower()


_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$", re.ASCII),
    re.compile(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$", re.ASCII),
    re.compile(r"^(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})$", re.ASCII),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?$", re.ASCII),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$", re.ASCII),
]
_TIME = re.compile(
    r"^(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?$", re.ASCII
)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object) -> dt.date:
    """Accept ``2024-01-05``, ``2024/1/5``, ``2024年1月5日``, ``20240105``, date objects
    and Excel serial numbers (from XLSX cells)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value))
    text = fold_digits(str(value))
    text = text.split("T")[0].split(" ")[0] if re.match(r"^\d{4}\D", text) else text
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                raise ValidationFailed(_("impossible date")) from None
    raise ValidationFailed(
        _("not a date (expected e.g. 2024-01-05, 2024/1/5 or 2024年1月5日)")
    )


def _excel_serial(serial: float) -> dt.date:
    if not 1 <= serial < 2958466:
        raise ValidationFailed(
            _("not a date (expected e.g. 2024-01-05, 2024/1/5 or 2024年1月5日)")
        )
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_datetime(value: object, *, tz: dt.tzinfo) -> dt.datetime:
    """A date, or a date and a time (``2024-01-05 14:30[:00]``); naive values are in ``tz``."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        day = _excel_serial(float(value))
        seconds = round((float(value) % 1) * 86400)
        return dt.datetime.combine(day, dt.time(), tz) + dt.timedelta(seconds=seconds)
    text = fold_digits(str(value))
    iso = text.replace("Z", "+00:00")
    if "T" in iso:
        try:
            parsed = dt.datetime.fromisoformat(iso)
        except ValueError:
            raise ValidationFailed(_("not a date and time")) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    date_part, _sep, time_part = text.partition(" ")
    day = parse_date(date_part)
    time_part = time_part.strip()
    if not time_part:
        return dt.datetime.combine(day, dt.time(), tz)
    match = _TIME.match(time_part)
    if not match:
        raise ValidationFailed(_("not a date and time"))
    try:
        clock = dt.time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
    except ValueError:
        raise ValidationFailed(_("impossible time")) from None
    return dt.datetime.combine(day, clock, tz)

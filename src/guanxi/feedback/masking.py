"""Personal data taken out of free text before a role that may not see it
reads it: phone numbers, e-mail addresses and the customer's own name."""

from __future__ import annotations

import re

__all__ = ["text_masked"]

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: Seven or more digits, allowing spaces, dots, dashes and a leading +
#: between them (mobile, landline, with or without the country code).
PHONE = re.compile(r"\+?\d(?:[\s.\-()]*\d){6,}")
EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
NAME_MARK = "[name]"


def text_masked(text: str, *, names: tuple[str, ...] = ()) -> str:
    """``text`` with e-mail addresses, phone numbers and each of ``names``
    (the customer's name; at least two characters) replaced by a mark."""
    out = EMAIL.sub(EMAIL_MARK, text)
    out = PHONE.sub(PHONE_MARK, out)
    for name in names:
        name = name.strip()
        if len(name) >= 2:
            out = re.sub(re.escape(name), NAME_MARK, out, flags=re.IGNORECASE)
    return out

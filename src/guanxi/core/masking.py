"""Masking of contact data for roles that must not see it in full."""

from __future__ import annotations

import re

__all__ = [
    "mask_address",
    "mask_email",
    "mask_name",
    "mask_phone",
    "text_masked",
]


def mask_phone(e164: str | None) -> str:
    """``+8613800138000`` → ``138****8000``; other countries keep their code."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    if e164.startswith("+86") and len(digits) == 13:
        national = digits[2:]
        return f"{national[:3]}****{national[-4:]}"
    if len(digits) <= 6:
        return "*" * len(digits)
    return (
        f"+{digits[: len(digits) - 8]}****{digits[-4:]}"
        if len(digits) > 8
        else (f"{digits[:2]}****{digits[-2:]}")
    )


def mask_email(email: str | None) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``."""
    if not email:
        return ""
    local, sep, domain = email.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_name(name: str | None) -> str:
    """``张伟`` → ``张*``; ``Anna Smith`` → ``A*** S***``."""
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[:1] + "***" for part in name.split())
    return name[:1] + "*" * max(1, len(name) - 1)


def mask_address(address: str | None) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    if not address:
        return ""
    return address[:6] + "****"


# Free text (notes, tickets): personal data taken out before a role that may
# not see it reads it.
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

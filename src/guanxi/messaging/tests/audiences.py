"""A small audience for sending tests: one customer who may get marketing
e-mail, one without consent, one without an address."""

from __future__ import annotations

from typing import Any

from guanxi.messaging.services import consent_record


def three_customers(make_customer: Any) -> Any:
    """Make the three; the one with consent is returned."""
    yes = make_customer(name="王芳", email="yes@example.com")
    consent_record(
        customer=yes,
        purpose="marketing",
        channel="email",
        granted=True,
        source="import",
        notice_version="v1",
        evidence="batch 7",
    )
    make_customer(email="no@example.com")
    make_customer()
    return yes

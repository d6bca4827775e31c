"""A small audience for sending tests: one customer who may get marketing
e-mail, one without consent, one without an address."""

from __future__ import annotations

from typing import Any

from tests.outbox import consent_set


def three_customers(make_customer: Any) -> Any:
    """Make the three; the one with consent is returned."""
    yes = make_customer(name="王芳", email="yes@example.com")
    consent_set(yes, source="import", evidence="batch 7")
    make_customer(email="no@example.com")
    make_customer()
    return yes

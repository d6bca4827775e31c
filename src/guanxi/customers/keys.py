"""The search keys a customer's contact values give: one function for every
write path (the services, the bulk writer, the matcher)."""

from __future__ import annotations

import datetime as dt

from guanxi.customers.models import Customer
from guanxi.customers.search import email_key, name_tokens, phone_key, staff_tokens

__all__ = ["customer_apply_contact"]


def customer_apply_contact(customer: Customer) -> Customer:
    """Recompute the search keys from the (already normalised) contact fields."""
    customer.phone_index = phone_key(customer.phone)
    customer.email_index = email_key(customer.email)
    customer.name_tokens = name_tokens(customer.name)
    customer.search_tokens = staff_tokens(
        name=customer.name, phone=customer.phone, email=customer.email
    )
    birthday = customer.birthday
    known = isinstance(birthday, dt.date)
    customer.birth_year = birthday.year if known else None
    customer.birth_month = birthday.month if known else None
    return customer

"""How a customer looks to each role: full, masked or pseudonymous.

Web pages, the API and exports all render customers through :func:`customer_card`,
so no edge can show more than the role allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guanxi.access.policies import Policy
from guanxi.core.crypto import pseudonym
from guanxi.core.masking import mask_address, mask_email, mask_phone
from guanxi.core.moments import local_moment
from guanxi.customers.choices import Gender
from guanxi.customers.models import Customer

__all__ = ["customer_card", "customer_list_row", "customer_phone", "customer_ref"]


def customer_ref(customer_id: int, *, policy: Policy) -> str:
    """The id a role knows a customer by: the number, or a keyed pseudonym for analysts."""
    if policy.knows_customer_numbers:
        return str(customer_id)
    return pseudonym(customer_id)


def customer_phone(phone: str | None, *, policy: Policy) -> str:
    """A customer's phone number as ``policy`` may see it: in full, masked, or
    nothing."""
    if not policy.sees_personal_data:
        return ""
    if policy.sees_contact_data:
        return phone or ""
    return mask_phone(phone)


def customer_card(
    customer: Customer, *, policy: Policy, tags: list[str] | None = None
) -> dict[str, Any]:
    """A dict of what ``policy`` may see of ``customer``."""
    tag_names = tags if tags is not None else [t.name for t in customer.tags.all()]
    card: dict[str, Any] = {
        "id": customer_ref(customer.pk, policy=policy),
        "city": customer.city,
        "gender": customer.gender,
        "birth_year": customer.birth_year,
        "preferred_channel": customer.preferred_channel,
        "tags": tag_names,
        "first_seen_at": customer.first_seen_at,
    }
    if not policy.sees_personal_data:
        return card
    card["pk"] = customer.pk
    card["name"] = customer.name or ""
    card["assigned_manager"] = customer.assigned_manager_id
    # A time zone says where someone lives about as well as a city block:
    # shown with the personal fields, not to pseudonymous roles.
    card["language"] = customer.language
    card["time_zone"] = customer.time_zone
    card["phone"] = customer_phone(customer.phone, policy=policy)
    if policy.sees_contact_data:
        card.update(
            email=customer.email or "",
            address=customer.address or "",
            birthday=customer.birthday,
        )
    else:
        card.update(
            email=mask_email(customer.email),
            address=mask_address(customer.address),
            birthday=None,
        )
    return card


def customer_list_row(
    customer: Customer, *, policy: Policy, url: Callable[[int], str] | None
) -> dict[str, Any]:
    """What one line of a list of customers shows (``customers/partials/
    customer_rows.html``), ready to print. ``url`` makes the link to a
    customer's page; None for roles that know customers by pseudonym. Tags
    are named in the page's language, as on the customer's page (the card's
    one names are for exports and the API)."""
    labels = [tag.label() for tag in customer.tags.all()]
    card = customer_card(customer, policy=policy, tags=labels)
    first_seen = card["first_seen_at"]
    genders = {value: str(label) for value, label in Gender.choices if value}
    return {
        "card": card,
        "url": url(customer.pk) if url is not None else None,
        "gender": genders.get(card["gender"], "—"),
        "first_seen": (
            local_moment(first_seen).strftime("%Y-%m-%d") if first_seen else "—"
        ),
        # The kept purchase figures (behaviour: every role sees them).
        "spend": customer.purchase_total,
        "orders": customer.purchase_count,
        "last_purchase": (
            local_moment(customer.last_purchase_at).strftime("%Y-%m-%d")
            if customer.last_purchase_at
            else "—"
        ),
    }

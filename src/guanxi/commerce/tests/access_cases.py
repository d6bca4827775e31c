"""Who may reach the orders API (see tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

JSON = "application/json"
# Admins, operations and account managers record orders; service and analysts do not.
WRITE_OWN = expect(201, anonymous=401, no_role=403, service=403, analyst=403)
# Someone else's customer is unknown to an account manager: 400, as for a
# customer number that does not exist.
WRITE_FOREIGN = expect(
    201, anonymous=401, no_role=403, service=403, analyst=403, account_manager=400
)


def _order(customer: Any, external_id: str) -> dict[str, Any]:
    return {
        "source": "api",
        "external_id": external_id,
        "customer": customer.pk,
        "ordered_at": "2026-10-03 12:00",
        "amount": "99.00",
    }


def _own(w: World) -> dict[str, Any]:
    return _order(w.own_customer, "N-1")


def _foreign(w: World) -> dict[str, Any]:
    return _order(w.foreign_customer, "N-2")


CASES = [
    AccessCase("api-order-list", expect(200, anonymous=401), auth="token"),
    AccessCase(
        "api-order-list",
        expect(200, anonymous=401),
        auth="token",
        query="status=paid&ordered_from=2026-01-01",
        label="filtered",
    ),
    AccessCase(
        "api-order-detail",
        expect(200, anonymous=401, no_role=404),
        auth="token",
        args=lambda w: [w.own_order.pk],
        label="own",
    ),
    AccessCase(
        "api-order-detail",
        expect(200, anonymous=401, no_role=404, account_manager=404),
        auth="token",
        args=lambda w: [w.foreign_order.pk],
        label="foreign",
    ),
    AccessCase(
        "api-order-list",
        WRITE_OWN,
        method="POST",
        auth="token",
        data=_own,
        content_type=JSON,
        label="own",
    ),
    AccessCase(
        "api-order-list",
        WRITE_FOREIGN,
        method="POST",
        auth="token",
        data=_foreign,
        content_type=JSON,
        label="foreign",
    ),
    AccessCase(
        "api-order-bulk",
        WRITE_OWN,
        method="POST",
        auth="token",
        data=lambda w: {"orders": [_own(w)]},
        content_type=JSON,
        label="own",
    ),
    AccessCase(
        "api-order-bulk",
        WRITE_FOREIGN,
        method="POST",
        auth="token",
        data=lambda w: {"orders": [_own(w), _foreign(w)]},
        content_type=JSON,
        label="foreign",
    ),
]

# The order pages. Logged-out visitors are sent to the login page (302); a user
# without a role sees an empty list and 404 for an order.
PAGE = expect(200, anonymous=302)
OWN_PAGE = expect(200, anonymous=302, no_role=404)
FOREIGN_PAGE = expect(200, anonymous=302, no_role=404, account_manager=404)

CASES += [
    AccessCase("commerce:order-list", PAGE),
    AccessCase("commerce:order-summary", PAGE),
    AccessCase("commerce:order-summary", PAGE, query="store=西湖店", label="store"),
    AccessCase(
        "commerce:order-detail",
        OWN_PAGE,
        args=lambda w: [w.own_order.pk],
        label="own",
    ),
    AccessCase(
        "commerce:order-detail",
        FOREIGN_PAGE,
        args=lambda w: [w.foreign_order.pk],
        label="foreign",
    ),
]

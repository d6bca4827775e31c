"""Who may reach the web pages (see tests/access.py)."""

from __future__ import annotations

from tests.access import AccessCase, expect

# Logged-out visitors are sent to the login page (302); a user without a role
# reaches the pages but sees nothing (empty lists, 404 for records).
PAGE = expect(200, anonymous=302)
OWN_RECORD = expect(200, anonymous=302, no_role=404)
FOREIGN_RECORD = expect(200, anonymous=302, no_role=404, account_manager=404)
# Analysts know customers only by pseudonym: no page addressed by customer number.
OWN_CUSTOMER = expect(200, anonymous=302, no_role=404, analyst=404)
FOREIGN_CUSTOMER = expect(
    200, anonymous=302, no_role=404, analyst=404, account_manager=404
)

CASES = [
    AccessCase("web:dashboard", PAGE),
    # Logged-in users are sent on from the login page.
    AccessCase("web:login", expect(302, anonymous=200)),
    AccessCase("web:logout", expect(302), method="POST"),
    AccessCase("web:customer-list", PAGE),
    AccessCase("web:customer-list", PAGE, query="q=13800138000", label="search"),
    AccessCase(
        "web:customer-detail",
        OWN_CUSTOMER,
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "web:customer-detail",
        FOREIGN_CUSTOMER,
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
    AccessCase("web:order-list", PAGE),
    AccessCase(
        "web:order-detail", OWN_RECORD, args=lambda w: [w.own_order.pk], label="own"
    ),
    AccessCase(
        "web:order-detail",
        FOREIGN_RECORD,
        args=lambda w: [w.foreign_order.pk],
        label="foreign",
    ),
]

# The API's schema and docs are mounted from guanxi/web/api_urls.py; the API's own
# endpoints declare their cases in their app.
CASES += [
    AccessCase("api-schema", expect(200)),  # public: describes, holds no data
    AccessCase("api-docs", expect(200)),  # Swagger UI
    AccessCase("api-redoc", expect(200)),
]

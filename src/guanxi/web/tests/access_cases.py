"""Who may reach the web pages (see tests/access.py)."""

from __future__ import annotations

from tests.access import AccessCase, expect

# Logged-out visitors are sent to the login page (302); a user without a role
# reaches the pages but sees nothing. The customer and order pages declare
# their cases in their apps.
PAGE = expect(200, anonymous=302)

CASES = [
    AccessCase("web:dashboard", PAGE),
    AccessCase("web:dashboard-orders", PAGE),
    # Logged-in users are sent on from the login page.
    AccessCase("web:login", expect(302, anonymous=200)),
    AccessCase("web:logout", expect(302), method="POST"),
]

# The API's schema and docs are mounted from guanxi/web/api_urls.py; the API's own
# endpoints declare their cases in their app.
CASES += [
    AccessCase("api-schema", expect(200)),  # public: describes, holds no data
    AccessCase("api-docs", expect(200)),  # Swagger UI
    AccessCase("api-redoc", expect(200)),
]

# Django's language switch (i18n/): anyone, and back to where they were.
CASES += [
    AccessCase(
        "set_language", expect(302), method="POST", data=lambda w: {"language": "en"}
    ),
]

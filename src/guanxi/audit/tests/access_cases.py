"""Who may reach the audit log (see tests/access.py): admins only; every
other role 403, anonymous to the login page. No URL addresses a record."""

from __future__ import annotations

from tests.access import AccessCase, expect

ADMIN_ONLY = expect(403, anonymous=302, admin=200)

CASES = [
    AccessCase("audit:event-list", ADMIN_ONLY),
    AccessCase(
        "audit:event-list",
        expect(403, anonymous=302, admin=400),
        query="action=nonsense",
        label="bad search",
    ),
    AccessCase("audit:event-export", ADMIN_ONLY),
]

"""Who may reach the team and account pages (see tests/access.py).

Only admins manage the team (everyone else 403). Everyone logged in reaches
their own account page and may change their own password; choosing a language
and holding an API token need a role (403 without one). The one-time password
link is public: the link itself is the credential.

For the team URLs that address a colleague, "own" is an existing colleague
(the service user) and "foreign" an id that names nobody (404 for admins).
For the password link (of a colleague nobody logs in as: a login makes a
link void), "own" is a fresh link and "foreign" an expired one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.access import AccessCase, World, expect

ADMIN_PAGE = expect(403, anonymous=302, admin=200)
ADMIN_WRITE = expect(403, anonymous=302, admin=302)
NOBODY = 987654


def _colleague(world: World) -> list[int]:
    return [world.users["service"].pk]


def _link(world: World, *, days_ago: float) -> list[str]:
    from django.utils import timezone

    from guanxi.access.links import link_parts

    issued = timezone.now() - dt.timedelta(days=days_ago)
    return list(link_parts(world.other_manager, issued_at=issued))


def _member_form(world: World) -> dict[str, Any]:
    return {"role": "analyst", "first_name": "小周", "email": ""}


CASES = [
    AccessCase("access:team", ADMIN_PAGE),
    AccessCase(
        "access:team-add",
        expect(403, anonymous=302, admin=200),  # the page with the one-time link
        method="POST",
        data=lambda w: {"username": "newcomer", "role": "service", "how": "link"},
    ),
    AccessCase("access:member", ADMIN_PAGE, args=_colleague, label="own"),
    AccessCase(
        "access:member",
        expect(403, anonymous=302, admin=404),
        args=lambda w: [NOBODY],
        label="foreign",
    ),
    AccessCase(
        "access:member",
        ADMIN_WRITE,
        method="POST",
        args=_colleague,
        data=_member_form,
        label="own",
    ),
    AccessCase(
        "access:member",
        expect(403, anonymous=302, admin=404),
        method="POST",
        args=lambda w: [NOBODY],
        data=_member_form,
        label="foreign",
    ),
]
for name, admin_status in (
    ("access:member-deactivate", 302),
    ("access:member-reactivate", 302),
    ("access:member-link", 200),
    ("access:member-unlock", 302),
):
    CASES += [
        AccessCase(
            name,
            expect(403, anonymous=302, admin=admin_status),
            method="POST",
            args=_colleague,
            label="own",
        ),
        AccessCase(
            name,
            expect(403, anonymous=302, admin=404),
            method="POST",
            args=lambda w: [NOBODY],
            label="foreign",
        ),
    ]

CASES += [
    AccessCase("access:account", expect(200, anonymous=302)),
    AccessCase("access:confirm-password", expect(200, anonymous=302)),
    # The world's users have no password: the current one is never right (400).
    AccessCase(
        "access:account-password",
        expect(400, anonymous=302),
        method="POST",
        data=lambda w: {
            "current": "guess",
            "password": "Longjing-2026!",
            "password_again": "Longjing-2026!",
        },
    ),
    AccessCase(
        "access:account-language",
        expect(302, no_role=403),
        method="POST",
        data=lambda w: {"language": "en"},
    ),
    AccessCase("access:account-token", expect(302, no_role=403), method="POST"),
    AccessCase("access:account-token-revoke", expect(302), method="POST"),
    AccessCase(
        "access:password-link",
        expect(200),
        args=lambda w: _link(w, days_ago=1),
        label="own",
    ),
    AccessCase(
        "access:password-link",
        expect(400),
        args=lambda w: _link(w, days_ago=4),
        label="foreign",
    ),
]

# Two-step login. The code page without a password just given sends everyone
# to the login page; the world's users have no app, so confirming a code has
# nothing to confirm (400) and new recovery codes have no app to belong to.
CASES += [
    AccessCase("access:login-code", expect(302)),
    AccessCase(
        "access:login-code",
        expect(302),
        method="POST",
        data=lambda w: {"code": "000000"},
    ),
    AccessCase("access:two-factor", expect(200, anonymous=302)),
    AccessCase("access:two-factor-start", expect(302), method="POST"),
    AccessCase(
        "access:two-factor-confirm",
        expect(400, anonymous=302),
        method="POST",
        data=lambda w: {"code": "000000"},
    ),
    AccessCase("access:two-factor-codes", expect(400, anonymous=302), method="POST"),
    AccessCase("access:two-factor-off", expect(302), method="POST"),
    AccessCase(
        "access:member-two-factor-reset",
        ADMIN_WRITE,
        method="POST",
        args=_colleague,
        label="own",
    ),
    AccessCase(
        "access:member-two-factor-reset",
        expect(403, anonymous=302, admin=404),
        method="POST",
        args=lambda w: [NOBODY],
        label="foreign",
    ),
    AccessCase("access:login-rule", ADMIN_WRITE, method="POST"),
]

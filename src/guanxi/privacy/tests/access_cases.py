"""Who may reach the data-subject requests (see tests/access.py): admins only;
every other role 403, anonymous to the login page. A request addresses a
customer: "own" is one about the account manager's customer, "foreign" one
about another manager's — the same answer, nobody but an admin gets in."""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

ADMIN_ONLY = expect(403, anonymous=302, admin=200)


def _requests(world: World) -> None:
    from guanxi.privacy.services import request_open

    admin = world.users["admin"]
    for label, customer in (
        ("own", world.own_customer),
        ("foreign", world.foreign_customer),
    ):
        world.extra[label] = request_open(
            actor=admin, kind="access", customer_id=customer.pk
        )


def _request_id(label: str) -> Any:
    return lambda world: [world.extra[label].pk]


CASES = [
    AccessCase("privacy:request-list", ADMIN_ONLY),
    AccessCase(
        "privacy:request-list",
        expect(403, anonymous=302, admin=302),
        method="POST",
        data=lambda world: {"kind": "access", "customer": world.own_customer.pk},
        label="open",
    ),
    AccessCase(
        "privacy:request-list",
        expect(403, anonymous=302, admin=400),
        method="POST",
        data=lambda world: {"kind": "access", "customer": "x"},
        label="bad",
    ),
    *(
        case
        for label in ("own", "foreign")
        for case in (
            AccessCase(
                "privacy:request-complete",
                expect(403, anonymous=302, admin=302),
                method="POST",
                args=_request_id(label),
                data=lambda world: {"status": "refused"},
                setup=_requests,
                label=label,
            ),
            AccessCase(
                "privacy:request-export-json",
                ADMIN_ONLY,
                args=_request_id(label),
                setup=_requests,
                label=label,
            ),
            AccessCase(
                "privacy:request-export-zip",
                ADMIN_ONLY,
                args=_request_id(label),
                setup=_requests,
                label=label,
            ),
        )
    ),
]

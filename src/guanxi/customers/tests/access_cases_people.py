"""Who may reach the pages that write one customer (create, edit, assign,
contact check, log/edit/delete an activity); see tests/access.py.

Writes without htmx send the browser on (302); the login page answers
logged-out visitors (302). Analysts know customers by pseudonym only, so
every URL that addresses a customer by number is 404 for them, as for users
without a role; another manager's customer is 404 for an account manager.
Assigning is for admins and operations (403 for the other roles that see the
customer). Operations see contact fields masked, so the contact check (which
would tell whose a phone number is) is not theirs. The world's interactions
were logged by nobody, so nobody may change or delete them (403): the
author's day is tested in test_people_views.py.
"""

from __future__ import annotations

from tests.access import AccessCase, expect

CREATE = expect(200, anonymous=302, no_role=403, analyst=403)
CREATE_WRITE = expect(302, no_role=403, analyst=403)
CHECK = expect(200, anonymous=302, no_role=403, analyst=403, operations=403)
OWN_PAGE = expect(200, anonymous=302, no_role=404, analyst=404)
FOREIGN_PAGE = expect(200, anonymous=302, no_role=404, analyst=404, account_manager=404)
OWN_WRITE = expect(302, no_role=404, analyst=404)
FOREIGN_WRITE = expect(302, no_role=404, analyst=404, account_manager=404)
ASSIGN_OWN = expect(
    403, anonymous=302, no_role=404, analyst=404, admin=302, operations=302
)
ASSIGN_FOREIGN = {**ASSIGN_OWN, "account_manager": 404}
NOT_AUTHOR_OWN = expect(403, anonymous=302, no_role=404, analyst=404)
NOT_AUTHOR_FOREIGN = {**NOT_AUTHOR_OWN, "account_manager": 404}


def _own(w):  # type: ignore[no-untyped-def]
    return [w.own_customer.pk]


def _foreign(w):  # type: ignore[no-untyped-def]
    return [w.foreign_customer.pk]


def _own_activity(w):  # type: ignore[no-untyped-def]
    return [w.own_customer.pk, w.own_interaction.pk]


def _foreign_activity(w):  # type: ignore[no-untyped-def]
    return [w.foreign_customer.pk, w.foreign_interaction.pk]


PEOPLE_CASES = [
    AccessCase("customers:customer-create", CREATE),
    AccessCase(
        "customers:customer-create",
        CREATE_WRITE,
        method="POST",
        data=lambda w: {"name": "新客户", "city": "上海"},
    ),
    AccessCase("customers:contact-check", CHECK, query="phone=13800138000"),
    AccessCase("customers:customer-edit", OWN_PAGE, args=_own, label="own"),
    AccessCase("customers:customer-edit", FOREIGN_PAGE, args=_foreign, label="foreign"),
    AccessCase(
        "customers:customer-edit",
        OWN_WRITE,
        method="POST",
        args=_own,
        data=lambda w: {"name": "王芳", "city": "杭州"},
        label="own",
    ),
    AccessCase(
        "customers:customer-edit",
        FOREIGN_WRITE,
        method="POST",
        args=_foreign,
        data=lambda w: {"name": "李雷", "city": "杭州"},
        label="foreign",
    ),
    AccessCase(
        "customers:customer-assign",
        ASSIGN_OWN,
        method="POST",
        args=_own,
        data=lambda w: {"manager": w.other_manager.pk},
        label="own",
    ),
    AccessCase(
        "customers:customer-assign",
        ASSIGN_FOREIGN,
        method="POST",
        args=_foreign,
        data=lambda w: {"manager": w.users["account_manager"].pk},
        label="foreign",
    ),
    AccessCase(
        "customers:activity-log",
        OWN_WRITE,
        method="POST",
        args=_own,
        data=lambda w: {"kind": "call", "note": "回访"},
        label="own",
    ),
    AccessCase(
        "customers:activity-log",
        FOREIGN_WRITE,
        method="POST",
        args=_foreign,
        data=lambda w: {"kind": "call", "note": "回访"},
        label="foreign",
    ),
    AccessCase(
        "customers:activity-edit", NOT_AUTHOR_OWN, args=_own_activity, label="own"
    ),
    AccessCase(
        "customers:activity-edit",
        NOT_AUTHOR_FOREIGN,
        args=_foreign_activity,
        label="foreign",
    ),
    AccessCase(
        "customers:activity-edit",
        NOT_AUTHOR_OWN,
        method="POST",
        args=_own_activity,
        data=lambda w: {"kind": "note", "note": "改"},
        label="own",
    ),
    AccessCase(
        "customers:activity-edit",
        NOT_AUTHOR_FOREIGN,
        method="POST",
        args=_foreign_activity,
        data=lambda w: {"kind": "note", "note": "改"},
        label="foreign",
    ),
    AccessCase(
        "customers:activity-delete",
        NOT_AUTHOR_OWN,
        method="POST",
        args=_own_activity,
        label="own",
    ),
    AccessCase(
        "customers:activity-delete",
        NOT_AUTHOR_FOREIGN,
        method="POST",
        args=_foreign_activity,
        label="foreign",
    ),
]

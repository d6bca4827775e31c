"""Who may reach the customers API (see tests/access.py)."""

from __future__ import annotations

from tests.access import AccessCase, expect

JSON = "application/json"
EDITORS_WRITE = expect(201, anonymous=401, no_role=403, analyst=403)
# Analysts know customers only by pseudonym: nothing is addressed by number.
OWN = expect(200, anonymous=401, no_role=404, analyst=404)
FOREIGN = expect(200, anonymous=401, no_role=404, analyst=404, account_manager=404)
# Admins and operations may (re)assign account managers; the others are told
# so (403).
ASSIGN_OWN = expect(
    403, anonymous=401, no_role=404, analyst=404, admin=200, operations=200
)
ASSIGN_FOREIGN = expect(
    403,
    anonymous=401,
    no_role=404,
    analyst=404,
    account_manager=404,
    admin=200,
    operations=200,
)

CASES = [
    AccessCase("api-customer-list", expect(200, anonymous=401), auth="token"),
    AccessCase(
        "api-customer-list",
        expect(200, anonymous=401),
        auth="token",
        query="phone=13800138000",
        label="phone",
    ),
    # Operations see contact fields masked and may not set them (403).
    AccessCase(
        "api-customer-list",
        {**EDITORS_WRITE, "operations": 403},
        method="POST",
        auth="token",
        data=lambda w: {"name": "新客户", "phone": "+8613700137000"},
        content_type=JSON,
    ),
    AccessCase(
        "api-customer-detail",
        OWN,
        auth="token",
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "api-customer-detail",
        FOREIGN,
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
    AccessCase(
        "api-customer-detail",
        expect(200, anonymous=401, no_role=404, analyst=404),
        method="PATCH",
        auth="token",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"city": "上海"},
        content_type=JSON,
        label="own",
    ),
    AccessCase(
        "api-customer-detail",
        FOREIGN,
        method="PATCH",
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        data=lambda w: {"city": "上海"},
        content_type=JSON,
        label="foreign",
    ),
    AccessCase(
        "api-customer-detail",
        {**OWN, "operations": 403},
        method="PUT",
        auth="token",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"name": "王芳", "phone": "+8613800138000", "city": "杭州"},
        content_type=JSON,
        label="own",
    ),
    AccessCase(
        "api-customer-detail",
        {**FOREIGN, "operations": 403},
        method="PUT",
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        data=lambda w: {"name": "李雷", "phone": "+8613900139000"},
        content_type=JSON,
        label="foreign",
    ),
    AccessCase(
        "api-customer-detail",
        ASSIGN_OWN,
        method="PATCH",
        auth="token",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"assigned_manager": w.other_manager.pk},
        content_type=JSON,
        label="own assign",
    ),
    AccessCase(
        "api-customer-detail",
        ASSIGN_FOREIGN,
        method="PATCH",
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        data=lambda w: {"assigned_manager": w.users["account_manager"].pk},
        content_type=JSON,
        label="foreign assign",
    ),
    AccessCase(
        "api-interaction-list",
        EDITORS_WRITE,
        method="POST",
        auth="token",
        data=lambda w: {
            "customer": w.own_customer.pk,
            "kind": "call",
            "occurred_at": "2026-10-02 10:00",
        },
        content_type=JSON,
        label="own",
    ),
    # Someone else's customer is unknown to an account manager: 400, as for a
    # customer number that does not exist.
    AccessCase(
        "api-interaction-list",
        expect(201, anonymous=401, no_role=403, analyst=403, account_manager=400),
        method="POST",
        auth="token",
        data=lambda w: {
            "customer": w.foreign_customer.pk,
            "kind": "call",
            "occurred_at": "2026-10-02 10:00",
        },
        content_type=JSON,
        label="foreign",
    ),
]

# The customer pages. Logged-out visitors are sent to the login page (302); a
# user without a role sees an empty list and 404 for a customer; analysts know
# customers only by pseudonym, so no page is addressed by customer number.
PAGE = expect(200, anonymous=302)
OWN_PAGE = expect(200, anonymous=302, no_role=404, analyst=404)
FOREIGN_PAGE = expect(200, anonymous=302, no_role=404, analyst=404, account_manager=404)

CASES += [
    AccessCase("customers:customer-list", PAGE),
    AccessCase("customers:customer-list", PAGE, query="q=13800138000", label="search"),
    AccessCase(
        "customers:customer-detail",
        OWN_PAGE,
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "customers:customer-detail",
        FOREIGN_PAGE,
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
]


# Saved views (issue 14 item 5): anyone with a role keeps their own; another
# person's view is 404 for everyone but its owner.
def _view_of(username: str):  # type: ignore[no-untyped-def]
    def make(w):  # type: ignore[no-untyped-def]
        from guanxi.customers.models import SavedView

        owner = w.other_manager if username == "other_manager" else w.users[username]
        view, _ = SavedView.objects.get_or_create(
            owner=owner, name="杭州大客户", defaults={"query": "city=杭州"}
        )
        return [view.pk]

    return make


CASES += [
    AccessCase(
        "customers:saved-view-save",
        expect(302, no_role=403),
        method="POST",
        data=lambda w: {"view_name": "杭州", "city": "杭州"},
    ),
    AccessCase(
        "customers:saved-view-delete",
        expect(404, anonymous=302, admin=302),
        method="POST",
        args=_view_of("admin"),
        label="own",
    ),
    AccessCase(
        "customers:saved-view-delete",
        expect(404, anonymous=302),
        method="POST",
        args=_view_of("other_manager"),
        label="foreign",
    ),
]


# Bulk actions: the roles that may tag prepare one (302 to its confirmation);
# an action is its author's only (404 for everyone else).
def _bulk_of(username: str):  # type: ignore[no-untyped-def]
    def make(w):  # type: ignore[no-untyped-def]
        from guanxi.customers.models import BulkAction, Tag

        owner = w.other_manager if username == "other_manager" else w.users[username]
        action = BulkAction.objects.create(
            actor=owner,
            kind="tag",
            tag=Tag.objects.get(name="VIP"),
            customer_ids=[w.own_customer.pk],
            total=1,
        )
        return [action.pk]

    return make


def _bulk_data(w):  # type: ignore[no-untyped-def]
    from guanxi.customers.models import Tag

    return {
        "kind": "tag",
        "tag": Tag.objects.get(name="VIP").pk,
        "ids": [w.own_customer.pk],
    }


CASES += [
    AccessCase(
        "customers:bulk-new",
        expect(302, no_role=403, analyst=403),
        method="POST",
        data=_bulk_data,
    ),
]
for _name, _method, _own_status in (
    ("customers:bulk-detail", "GET", 200),
    ("customers:bulk-progress", "GET", 200),
    ("customers:bulk-confirm", "POST", 302),
):
    CASES += [
        AccessCase(
            _name,
            expect(404, anonymous=302, admin=_own_status),
            method=_method,
            args=_bulk_of("admin"),
            label="own",
        ),
        AccessCase(
            _name,
            expect(404, anonymous=302),
            method=_method,
            args=_bulk_of("other_manager"),
            label="foreign",
        ),
    ]

# The pages that write one customer (issue 14): their own file.
from guanxi.customers.tests.access_cases_people import PEOPLE_CASES  # noqa: E402

CASES += PEOPLE_CASES

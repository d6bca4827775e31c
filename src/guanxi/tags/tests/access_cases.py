"""Who may reach the tag pages and the tags API (see tests/access.py).

Tagging follows the customer: the tag panel and its writes answer 404 for a
customer outside scope (another manager's, or any customer for analysts, who
know customers by pseudonym only). Who may write: admins, operations, service
and account managers tag; service may not create new tags; admins and
operations manage tags on the settings page.

Tags are not scoped (they hold no personal data): for the settings URLs that
address a tag, "own" is a manual tag and "foreign" an automatic one, which
nobody may change by hand (400).
"""

from __future__ import annotations

from typing import Any

from tests.access import AccessCase, World, expect

JSON = "application/json"


def _vip(world: World) -> Any:
    from guanxi.customers.models import Tag

    return Tag.objects.get(name="VIP")


def _automatic(world: World) -> None:
    from guanxi.customers.models import CustomerTag, Tag

    tag = Tag.objects.create(
        name="生命周期·新客户",
        name_en="Lifecycle: new customer",
        kind="automatic",
        key="stage:new",
    )
    for customer in (world.own_customer, world.foreign_customer):
        CustomerTag.objects.create(customer=customer, tag=tag, source="automatic")
    world.extra["automatic"] = tag


def _auto_pk(world: World) -> int:
    return int(world.extra["automatic"].pk)


# Pages about one customer: as the customer page.
OWN_PAGE = expect(200, anonymous=302, no_role=404, analyst=404)
FOREIGN_PAGE = expect(200, anonymous=302, no_role=404, analyst=404, account_manager=404)
# Writes without htmx send the browser back to the customer page (302).
OWN_WRITE = expect(302, no_role=404, analyst=404)
FOREIGN_WRITE = expect(302, no_role=404, analyst=404, account_manager=404)
# The settings page: admins and operations.
MANAGE = expect(403, anonymous=302, admin=200, operations=200)
MANAGE_WRITE = expect(403, anonymous=302, admin=302, operations=302)

CASES = [
    AccessCase(
        "tags:customer-tags",
        OWN_PAGE,
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "tags:customer-tags",
        FOREIGN_PAGE,
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
    AccessCase(
        "tags:customer-preferences",
        OWN_PAGE,
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "tags:customer-preferences",
        FOREIGN_PAGE,
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
    AccessCase(
        "tags:customer-tag-add",
        OWN_WRITE,
        method="POST",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"name": "VIP"},
        label="own",
    ),
    AccessCase(
        "tags:customer-tag-add",
        FOREIGN_WRITE,
        method="POST",
        args=lambda w: [w.foreign_customer.pk],
        data=lambda w: {"name": "VIP"},
        label="foreign",
    ),
    # A name no tag has: service staff may use tags, not create them.
    AccessCase(
        "tags:customer-tag-add",
        expect(302, no_role=404, analyst=404, service=403),
        method="POST",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"name": "茶会嘉宾"},
        label="own new tag",
    ),
    # An automatic tag cannot be set by hand (a clear 400 page).
    AccessCase(
        "tags:customer-tag-add",
        expect(400, anonymous=302, no_role=404, analyst=404),
        method="POST",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"tag": _auto_pk(w)},
        setup=_automatic,
        label="own automatic",
    ),
    AccessCase(
        "tags:customer-tag-remove",
        OWN_WRITE,
        method="POST",
        args=lambda w: [w.own_customer.pk, _vip(w).pk],
        label="own",
    ),
    AccessCase(
        "tags:customer-tag-remove",
        FOREIGN_WRITE,
        method="POST",
        args=lambda w: [w.foreign_customer.pk, _vip(w).pk],
        label="foreign",
    ),
    AccessCase(
        "tags:customer-tag-remove",
        expect(400, anonymous=302, no_role=404, analyst=404),
        method="POST",
        args=lambda w: [w.own_customer.pk, _auto_pk(w)],
        setup=_automatic,
        label="own automatic",
    ),
    AccessCase(
        "tags:tag-suggest",
        expect(200, anonymous=302, no_role=403, analyst=403),
        query="name=V",
    ),
    AccessCase("tags:tag-settings", MANAGE),
    AccessCase(
        "tags:tag-create",
        MANAGE_WRITE,
        method="POST",
        data=lambda w: {"name": "茶会嘉宾", "color": "green"},
    ),
    AccessCase(
        "tags:tag-update",
        MANAGE_WRITE,
        method="POST",
        args=lambda w: [_vip(w).pk],
        data=lambda w: {"name": "贵宾", "color": "red"},
        label="own",
    ),
    AccessCase(
        "tags:tag-update",
        expect(403, anonymous=302, admin=400, operations=400),
        method="POST",
        args=lambda w: [_auto_pk(w)],
        data=lambda w: {"name": "新客"},
        setup=_automatic,
        label="foreign",
    ),
    AccessCase(
        "tags:tag-merge",
        MANAGE_WRITE,
        method="POST",
        args=lambda w: [_vip(w).pk],
        data=lambda w: {"into": "贵宾"},
        setup=lambda w: w.extra.update(into=_tag("贵宾")),
        label="own",
    ),
    AccessCase(
        "tags:tag-merge",
        expect(403, anonymous=302, admin=400, operations=400),
        method="POST",
        args=lambda w: [_auto_pk(w)],
        data=lambda w: {"into": "VIP"},
        setup=_automatic,
        label="foreign",
    ),
    AccessCase(
        "tags:tag-delete",
        MANAGE,
        args=lambda w: [_vip(w).pk],
        label="own",
    ),
    AccessCase(
        "tags:tag-delete",
        MANAGE_WRITE,
        method="POST",
        args=lambda w: [_vip(w).pk],
        label="own delete",
    ),
    AccessCase(
        "tags:tag-delete",
        expect(403, anonymous=302, admin=400, operations=400),
        method="POST",
        args=lambda w: [_auto_pk(w)],
        setup=_automatic,
        label="foreign",
    ),
]


def _tag(name: str) -> Any:
    from guanxi.customers.models import Tag

    return Tag.objects.create(name=name)


# The API. Tags are read by every role; a customer's tags are scoped like the
# customer (analysts: 404, they know customers by pseudonym only).
API_OWN = expect(200, anonymous=401, no_role=404, analyst=404)
API_FOREIGN = expect(200, anonymous=401, no_role=404, analyst=404, account_manager=404)

CASES += [
    AccessCase("api-tag-list", expect(200, anonymous=401), auth="token"),
    AccessCase(
        "api-customer-tag-list",
        API_OWN,
        auth="token",
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "api-customer-tag-list",
        API_FOREIGN,
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
    # VIP is on both customers already: tagging again is a 200.
    AccessCase(
        "api-customer-tag-list",
        API_OWN,
        method="POST",
        auth="token",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"name": "VIP"},
        content_type=JSON,
        label="own add",
    ),
    AccessCase(
        "api-customer-tag-list",
        API_FOREIGN,
        method="POST",
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        data=lambda w: {"name": "VIP"},
        content_type=JSON,
        label="foreign add",
    ),
    AccessCase(
        "api-customer-tag-list",
        expect(201, anonymous=401, no_role=404, analyst=404, service=403),
        method="POST",
        auth="token",
        args=lambda w: [w.own_customer.pk],
        data=lambda w: {"name": "茶会嘉宾"},
        content_type=JSON,
        label="own new tag",
    ),
    AccessCase(
        "api-customer-tag-detail",
        expect(204, anonymous=401, no_role=404, analyst=404),
        method="DELETE",
        auth="token",
        args=lambda w: [w.own_customer.pk, _vip(w).pk],
        label="own",
    ),
    AccessCase(
        "api-customer-tag-detail",
        expect(204, anonymous=401, no_role=404, analyst=404, account_manager=404),
        method="DELETE",
        auth="token",
        args=lambda w: [w.foreign_customer.pk, _vip(w).pk],
        label="foreign",
    ),
]

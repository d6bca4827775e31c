"""Who may reach messaging's pages (see tests/access.py).

The unsubscribe link is public: whoever holds the signed link (the customer,
from their mailbox) may use it, logged in or not, whoever's customer it is.
SMS receipts are public too, behind the token in their URL.
"""

from __future__ import annotations

from tests.access import AccessCase, World, expect


def _own(world: World) -> list[str]:
    from guanxi.messaging.links import unsubscribe_token

    return [unsubscribe_token(customer_id=world.own_customer.pk, channel="email")]


def _foreign(world: World) -> list[str]:
    from guanxi.messaging.links import unsubscribe_token

    return [unsubscribe_token(customer_id=world.foreign_customer.pk, channel="email")]


PUBLIC = expect(200)
JSON = "application/json"
API_OWN = expect(200, anonymous=401, no_role=404, analyst=404)
API_FOREIGN = expect(200, anonymous=401, no_role=404, analyst=404, account_manager=404)
WRITE_OWN = expect(201, anonymous=401, no_role=404, analyst=404)
WRITE_FOREIGN = expect(
    201, anonymous=401, no_role=404, analyst=404, account_manager=404
)


def _statement(world: World) -> dict[str, object]:
    return {
        "purpose": "marketing",
        "channel": "sms",
        "granted": True,
        "notice_version": "2026-01",
        "evidence": "store form 7",
    }


CASES = [
    AccessCase("messaging:unsubscribe", PUBLIC, args=_own, label="own"),
    AccessCase("messaging:unsubscribe", PUBLIC, args=_foreign, label="foreign"),
    AccessCase("messaging:unsubscribe", PUBLIC, method="POST", args=_own, label="own"),
    AccessCase(
        "messaging:unsubscribe", PUBLIC, method="POST", args=_foreign, label="foreign"
    ),
    # Receipts need GUANXI_SMS_RECEIPT_TOKEN (unset here): no such page for
    # anyone; the token's own checks are in test_receipts.
    AccessCase(
        "messaging:sms-receipts",
        expect(404),
        method="POST",
        query="token=guess",
        data=lambda w: "[]",
        content_type=JSON,
    ),
    AccessCase(
        "api-customer-consent",
        API_OWN,
        auth="token",
        args=lambda w: [w.own_customer.pk],
        label="own",
    ),
    AccessCase(
        "api-customer-consent",
        API_FOREIGN,
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        label="foreign",
    ),
    AccessCase(
        "api-customer-consent",
        WRITE_OWN,
        method="POST",
        auth="token",
        args=lambda w: [w.own_customer.pk],
        data=_statement,
        content_type=JSON,
        label="own record",
    ),
    AccessCase(
        "api-customer-consent",
        WRITE_FOREIGN,
        method="POST",
        auth="token",
        args=lambda w: [w.foreign_customer.pk],
        data=_statement,
        content_type=JSON,
        label="foreign record",
    ),
]

# --- the channels' settings page (admins only) --------------------------------
ADMINS = expect(404, anonymous=302, admin=200)
ADMINS_REDIRECT = expect(404, anonymous=302, admin=302)

CASES += [
    AccessCase("messaging-channels:channels", ADMINS),
    # Saving with nothing to change: the admin is sent back to the page.
    AccessCase(
        "messaging-channels:channels",
        ADMINS_REDIRECT,
        method="POST",
        data=lambda w: {"channel": "webhook", "GUANXI_WEBHOOK_URL": ""},
    ),
]
CASES += [
    # The test e-mail: whether it went or not, the admin is sent back.
    AccessCase("messaging-channels:test-email", ADMINS_REDIRECT, method="POST"),
]

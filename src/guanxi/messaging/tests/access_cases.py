"""Who may reach messaging's pages (see tests/access.py).

The unsubscribe link is public: whoever holds the signed link (the customer,
from their mailbox) may use it, logged in or not, whoever's customer it is.
SMS receipts and the mail provider's events are public too, behind the token
in their URL. The open pixel and click links are public like the unsubscribe
link: the signed token in the URL is the only key.

The outbox (``messages/``) and the messages API: every role sees the messages
of the customers in its scope (an account manager: their own customers'; a
user without a role: none), the customer as the role may see them (analysts:
the pseudonym). Another manager's customer's message is answered as missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.access import AccessCase, World, expect


def _own(world: World) -> list[str]:
    from guanxi.messaging.links import unsubscribe_token

    return [unsubscribe_token(customer_id=world.own_customer.pk, channel="email")]


def _foreign(world: World) -> list[str]:
    from guanxi.messaging.links import unsubscribe_token

    return [unsubscribe_token(customer_id=world.foreign_customer.pk, channel="email")]


def _prefs(customer: str) -> Callable[[World], list[str]]:
    def args(world: World) -> list[str]:
        from guanxi.messaging.links import preferences_token

        return [preferences_token(customer_id=getattr(world, customer).pk)]

    return args


def _choices(world: World) -> dict[str, str]:
    return {"email": "yes", "sms": "no", "wecom": "no", "phone": "no"}


def _message(customer: Any) -> int:
    """A sent e-mail to ``customer`` (made once per request's transaction)."""
    from guanxi.messaging.models import Broadcast, Message

    broadcast, _made = Broadcast.objects.get_or_create(
        audience="access", defaults={"channel": "email", "purpose": "service"}
    )
    message, _made = Message.objects.get_or_create(
        cause=f"access:{customer.pk}",
        customer=customer,
        channel="email",
        defaults={
            "broadcast": broadcast,
            "purpose": "service",
            "status": "sent",
            "idempotency_key": f"access-{customer.pk}",
        },
    )
    return int(message.pk)


def _open(customer: str) -> Callable[[World], list[str]]:
    def args(world: World) -> list[str]:
        from guanxi.messaging.tracking import open_token

        return [open_token(message_id=_message(getattr(world, customer)))]

    return args


def _click(customer: str) -> Callable[[World], list[str]]:
    def args(world: World) -> list[str]:
        from guanxi.messaging.tracking import click_token, tracked_link

        link = tracked_link("https://shop.example.com/")
        message = _message(getattr(world, customer))
        return [click_token(message_id=message, link_id=link)]

    return args


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
    # The preference page: public like the unsubscribe link, whoever's
    # customer it is; the sealed link is the only key.
    AccessCase(
        "messaging:preferences", PUBLIC, args=_prefs("own_customer"), label="own"
    ),
    AccessCase(
        "messaging:preferences",
        PUBLIC,
        args=_prefs("foreign_customer"),
        label="foreign",
    ),
    AccessCase(
        "messaging:preferences",
        PUBLIC,
        method="POST",
        args=_prefs("own_customer"),
        data=_choices,
        label="own",
    ),
    AccessCase(
        "messaging:preferences",
        PUBLIC,
        method="POST",
        args=_prefs("foreign_customer"),
        data=_choices,
        label="foreign",
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
    AccessCase("messaging:open", PUBLIC, args=_open("own_customer"), label="own"),
    AccessCase(
        "messaging:open", PUBLIC, args=_open("foreign_customer"), label="foreign"
    ),
    AccessCase(
        "messaging:click", expect(302), args=_click("own_customer"), label="own"
    ),
    AccessCase(
        "messaging:click",
        expect(302),
        args=_click("foreign_customer"),
        label="foreign",
    ),
    # Events need GUANXI_EMAIL_EVENTS_TOKEN (unset here): no such page.
    AccessCase(
        "messaging:email-events",
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


def _messages(world: World) -> None:
    from guanxi.messaging.models import Broadcast, Message

    broadcast = Broadcast.objects.create(
        channel="email", purpose="service", body="Hello", audience="all"
    )
    for key, customer in (
        ("own_message", world.own_customer),
        ("foreign_message", world.foreign_customer),
    ):
        world.extra[key] = Message.objects.create(
            cause=f"broadcast:{broadcast.pk}",
            broadcast=broadcast,
            customer=customer,
            channel="email",
            purpose="service",
            idempotency_key=f"access-{key}",
        )


OUTBOX = expect(200, anonymous=302)
MESSAGE_OWN = expect(200, anonymous=302, no_role=404)
MESSAGE_FOREIGN = expect(200, anonymous=302, no_role=404, account_manager=404)
API_MESSAGES = expect(200, anonymous=401)
API_MESSAGE_OWN = expect(200, anonymous=401, no_role=404)
API_MESSAGE_FOREIGN = expect(200, anonymous=401, no_role=404, account_manager=404)

CASES += [
    AccessCase("outbox:message-list", OUTBOX, setup=_messages),
    AccessCase(
        "outbox:message-list",
        OUTBOX,
        query="status=queued&channel=email&q=13800138000&created_from=2026-01-01",
        setup=_messages,
        label="filtered",
    ),
    AccessCase(
        "outbox:message-detail",
        MESSAGE_OWN,
        args=lambda w: [w.extra["own_message"].pk],
        setup=_messages,
        label="own",
    ),
    AccessCase(
        "outbox:message-detail",
        MESSAGE_FOREIGN,
        args=lambda w: [w.extra["foreign_message"].pk],
        setup=_messages,
        label="foreign",
    ),
    AccessCase("api-message-list", API_MESSAGES, auth="token", setup=_messages),
    AccessCase(
        "api-message-list",
        API_MESSAGES,
        auth="token",
        query="status=queued&purpose=service&broadcast=1",
        setup=_messages,
        label="filtered",
    ),
    AccessCase(
        "api-message-detail",
        API_MESSAGE_OWN,
        auth="token",
        args=lambda w: [w.extra["own_message"].pk],
        setup=_messages,
        label="own",
    ),
    AccessCase(
        "api-message-detail",
        API_MESSAGE_FOREIGN,
        auth="token",
        args=lambda w: [w.extra["foreign_message"].pk],
        setup=_messages,
        label="foreign",
    ),
]

# The template pages and the send screen.
from guanxi.messaging.tests.access_cases_templates import (  # noqa: E402
    CASES as TEMPLATE_CASES,
)

CASES += TEMPLATE_CASES
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

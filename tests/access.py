"""The access matrix: how every app declares who may reach each of its URLs.

Each app lists its cases in ``src/guanxi/<app>/tests/access_cases.py`` as
``CASES: list[AccessCase]``. ``tests/test_access_matrix.py`` walks every URL
pattern of the project, fails for any URL without a case (and for any URL taking
arguments without both an ``own`` and a ``foreign`` case), and requests each case
as every role in ``ROLES``, comparing the status code with the case's ``expect``.

The requests run against a small :class:`World`: one user per role, an account
manager's own customer and another manager's (foreign) customer, each with an
order, an order line and an interaction. Each role's request runs in a
transaction that is rolled back, so a case that writes does not disturb the next.

Example::

    from tests.access import AccessCase, expect

    CASES = [
        AccessCase("customers:customer-list", expect(200, anonymous=302)),
        AccessCase(
            "customers:customer-detail",
            expect(200, anonymous=302, no_role=404, analyst=404),
            args=lambda w: [w.own_customer.pk],
            label="own",
        ),
        AccessCase(
            "customers:customer-detail",
            expect(200, anonymous=302, no_role=404, analyst=404, account_manager=404),
            args=lambda w: [w.foreign_customer.pk],
            label="foreign",
        ),
    ]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "ROLES",
    "AccessCase",
    "World",
    "build_world",
    "case_response",
    "expect",
    "make_client",
    "response_bytes",
]

#: Who makes the request: no user, a user without a role, then one per Role.
ROLES: tuple[str, ...] = (
    "anonymous",
    "no_role",
    "admin",
    "operations",
    "service",
    "account_manager",
    "analyst",
)


_handler: Any = None


def make_client(**kwargs: Any) -> Any:
    """A test client sharing one request handler with every other client made here.

    A new handler builds the middleware chain again, and WhiteNoise then walks
    every static file (ECharts included) — most of the time of a request in tests.
    """
    from django.test import Client

    global _handler
    client = Client(**kwargs)
    if _handler is None:
        _handler = client.handler
    else:
        client.handler = _handler
    return client


def expect(default: int, **overrides: int) -> dict[str, int]:
    """The status every role gets: ``default``, except the roles named."""
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles in expect(): {sorted(unknown)}")
    return {role: overrides.get(role, default) for role in ROLES}


@dataclass(frozen=True)
class World:
    """The records every case can address."""

    users: dict[str, Any]
    other_manager: Any
    own_customer: Any
    foreign_customer: Any
    own_order: Any
    foreign_order: Any
    own_interaction: Any
    foreign_interaction: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccessCase:
    """One request to one URL, and the status code each role must get.

    ``url_name`` is the namespaced URL name (``customers:customer-detail``); ``args``
    builds the URL arguments from the world; ``data`` builds the request body
    (sent as ``content_type``, default form-encoded); ``query`` is appended as
    the query string; ``auth`` is ``session`` (logged-in browser) or ``token``
    (the REST API's ``Authorization: Token``); ``setup`` may prepare extra
    records in the world before the requests; ``label`` tells cases of one URL
    apart (``own``/``foreign`` for URLs that address one record).
    """

    url_name: str
    expect: Mapping[str, int]
    method: str = "GET"
    args: Callable[[World], Sequence[Any]] | None = None
    data: Callable[[World], Any] | None = None
    content_type: str | None = None
    query: str = ""
    auth: str = "session"
    label: str = ""
    setup: Callable[[World], None] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.expect)
        if missing:
            raise ValueError(f"{self.id}: no expected status for {sorted(missing)}")
        if self.auth not in {"session", "token"}:
            raise ValueError(f"{self.id}: auth must be 'session' or 'token'")

    @property
    def id(self) -> str:
        return " ".join(p for p in (self.method, self.url_name, self.label) if p)


def case_response(case: AccessCase, world: World, role: str) -> Any:
    """The response ``role`` gets for ``case`` (a fresh client, logged in or
    sending the role's API token as the case says)."""
    from django.urls import reverse

    user = world.users[role]
    client = make_client()
    headers = dict(case.headers)
    if user is not None:
        if case.auth == "token":
            from guanxi.access.tests.factories import api_token_for

            headers["Authorization"] = f"Token {api_token_for(user)}"
        else:
            client.force_login(user)
    url = reverse(case.url_name, args=list(case.args(world)) if case.args else [])
    if case.query:
        url = f"{url}?{case.query}"
    kwargs: dict[str, Any] = {"headers": headers}
    if case.data is not None:
        kwargs["data"] = case.data(world)
    if case.content_type is not None:
        kwargs["content_type"] = case.content_type
    return getattr(client, case.method.lower())(url, **kwargs)


def response_bytes(response: Any) -> bytes:
    """Everything a response sends: its body (streamed or not), its headers, and
    for a zipped file (an XLSX) the bytes of every member too."""
    import io
    import zipfile

    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = bytes(response.content)
    head = "\n".join(f"{k}: {v}" for k, v in response.items()).encode()
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body += b"".join(archive.read(name) for name in archive.namelist())
    return head + b"\n" + body


def _user(username: str, role: Any | None) -> Any:
    from django.contrib.auth import get_user_model

    from guanxi.access.services import staff_role_set

    # No password: hashing one per role would cost more than the whole case.
    user = get_user_model().objects.create_user(username=username, password=None)
    if role is not None:
        staff_role_set(user=user, role=role)
    return user


def build_world() -> World:
    """Users for every role and two customers: the account manager's and another's."""
    from guanxi.access.choices import Role
    from guanxi.commerce.models import Order, OrderLine, Product
    from guanxi.customers.choices import InteractionKind
    from guanxi.customers.models import Customer, Interaction, Tag
    from guanxi.customers.services import customer_apply_contact

    users: dict[str, Any] = {"anonymous": None, "no_role": _user("no_role", None)}
    for role in Role:
        users[role.value] = _user(role.value, role)
    other_manager = _user("other_manager", Role.ACCOUNT_MANAGER)
    tag, _ = Tag.objects.get_or_create(name="VIP")
    product, _ = Product.objects.get_or_create(
        sku="TEA-001", defaults={"name": "龙井 Longjing", "category": "green tea"}
    )
    when = dt.datetime(2026, 10, 1, 10, 30, tzinfo=dt.UTC)

    def customer(name: str, phone: str, email: str, manager: Any) -> Any:
        c = Customer(
            name=name,
            phone=phone,
            email=email,
            city="杭州",
            gender="female",
            assigned_manager=manager,
            first_seen_at=when,
        )
        customer_apply_contact(c)
        c.save()
        c.tags.add(tag)
        return c

    def order(c: Any, external_id: str) -> Any:
        o = Order.objects.create(
            source="pos",
            external_id=external_id,
            customer=c,
            ordered_at=when,
            amount=Decimal("128.00"),
            store="西湖店",
        )
        OrderLine.objects.create(
            order=o,
            product=product,
            quantity=2,
            unit_price=Decimal("64.00"),
            amount=Decimal("128.00"),
        )
        return o

    def interaction(c: Any) -> Any:
        return Interaction.objects.create(
            customer=c,
            kind=InteractionKind.VISIT,
            occurred_at=when - dt.timedelta(days=1),
            channel="store",
        )

    own = customer(
        "王芳", "+8613800138000", "wang.fang@example.com", users["account_manager"]
    )
    foreign = customer("李雷", "+8613900139000", "li.lei@example.com", other_manager)
    return World(
        users=users,
        other_manager=other_manager,
        own_customer=own,
        foreign_customer=foreign,
        own_order=order(own, "A-1001"),
        foreign_order=order(foreign, "B-2001"),
        own_interaction=interaction(own),
        foreign_interaction=interaction(foreign),
    )

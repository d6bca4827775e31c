"""Every role against every URL of the project, for own and foreign customers.

A URL without an ``AccessCase`` fails here, so a new page or endpoint cannot ship
without saying who may reach it. See ``tests/access.py``.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.access import (
    ROLES,
    AccessCase,
    World,
    build_world,
    case_response,
    make_client,
    response_bytes,
)

# The admin site is walked by its own test below.
EXCLUDED_PREFIXES = ("admin/", "static/", "media/", "__debug__/")


def _route(pattern: Any) -> str:
    return str(pattern.pattern)


def url_patterns() -> tuple[dict[str, str], list[str]]:
    """Every named URL (``namespace:name`` → route) and every unnamed route."""
    named: dict[str, str] = {}
    unnamed: list[str] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + _route(entry)
            if route.lstrip("^").startswith(EXCLUDED_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = (
                        f"{namespace}:{entry.namespace}"
                        if namespace
                        else entry.namespace
                    )
                walk(entry, route, ns)
            elif isinstance(entry, URLPattern):
                if not entry.name:
                    unnamed.append(route)
                    continue
                full = f"{namespace}:{entry.name}" if namespace else entry.name
                named.setdefault(full, route)

    walk(get_resolver(), "", "")
    return named, unnamed


def _takes_arguments(route: str) -> bool:
    # <int:pk>, <slug>, or a regex group; format suffixes alone do not count.
    route = re.sub(r"\\\.\(\?P<format>[^)]*\)", "", route)
    route = route.replace(".<drf_format_suffix:format>", "")
    return "<" in route or "(?P" in route


def load_cases() -> list[AccessCase]:
    """The ``CASES`` of every Guanxi app's ``tests/access_cases.py``."""
    cases: list[AccessCase] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("guanxi."):
            continue
        module_name = f"{config.name}.tests.access_cases"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name in {module_name, f"{config.name}.tests"}:
                continue
            raise
        cases.extend(module.CASES)
    return cases


CASES = load_cases()


def test_every_url_has_an_access_case() -> None:
    named, unnamed = url_patterns()
    assert not unnamed, f"URL patterns without a name (give them one): {unnamed}"
    covered = {case.url_name for case in CASES}
    missing = sorted(set(named) - covered)
    assert not missing, (
        "URLs without an AccessCase (add one to <app>/tests/access_cases.py): "
        + ", ".join(f"{name} ({named[name]})" for name in missing)
    )


def test_urls_that_address_a_record_cover_own_and_foreign() -> None:
    named, _ = url_patterns()
    lacking = []
    for name, route in sorted(named.items()):
        if not _takes_arguments(route):
            continue
        labels = {case.label for case in CASES if case.url_name == name}
        if not {"own", "foreign"} <= labels:
            lacking.append(f"{name} ({route}) has labels {sorted(labels)}")
    assert not lacking, "URLs with arguments need an 'own' and a 'foreign' case: " + (
        "; ".join(lacking)
    )


def test_every_case_names_a_url_that_exists() -> None:
    named, _ = url_patterns()
    unknown = sorted({case.url_name for case in CASES} - set(named))
    assert not unknown, f"AccessCases for URLs that do not exist: {unknown}"


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def _contact_values(customer: Any) -> list[str]:
    phone = str(customer.phone)
    return [
        str(customer.name),
        phone,
        phone.removeprefix("+86"),
        str(customer.email),
        str(customer.email).partition("@")[0],
    ]


#: The API's description: its examples are made up (the world's phone number
#: is the documentation's example too).
DESCRIPTIONS = {"api-schema", "api-docs", "api-redoc"}


def never_shown(world: World, role: str) -> list[str]:
    """The customers' names and contact values ``role`` must never receive, in
    any answer (a page, a refusal, an error, a file, a header): nobody without
    a role and no analyst sees either customer's; an account manager never sees
    another manager's customer's."""
    if role in {"anonymous", "no_role", "analyst"}:
        return _contact_values(world.own_customer) + _contact_values(
            world.foreign_customer
        )
    if role == "account_manager":
        return _contact_values(world.foreign_customer)
    return []


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(case: AccessCase) -> None:
    world = build_world()
    if case.setup is not None:
        case.setup(world)
    got: dict[str, int] = {}
    leaks: dict[str, list[str]] = {}
    # A value the request sends (a search for a phone) may come back to its
    # sender: it tells them nothing.
    sent = case.query + (str(case.data(world)) if case.data is not None else "")
    for role in ROLES:
        with transaction.atomic():
            response = case_response(case, world, role)
            got[role] = int(response.status_code)
            text = response_bytes(response).decode("utf-8", "replace")
            found = [
                v
                for v in never_shown(world, role)
                if v in text and v not in sent and case.url_name not in DESCRIPTIONS
            ]
            if found:
                leaks[role] = found
            transaction.set_rollback(True)
    wrong = {
        role: f"expected {case.expect[role]}, got {got[role]}"
        for role in ROLES
        if got[role] != case.expect[role]
    }
    assert not wrong, f"{case.id}: {wrong}"
    assert not leaks, f"{case.id}: personal values in the answer: {leaks}"


# --- Django's admin site and the language switch ------------------------------
# Not apps of ours, so not in CASES; walked here, route by route, so a model
# registered with the admin site (or a route Django adds) is checked too.


def admin_routes() -> list[tuple[str, str, list[str]]]:
    """``(name, route, argument names)`` of every route under ``admin/``."""
    found: list[tuple[str, str, list[str]]] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + _route(entry)
            if isinstance(entry, URLResolver):
                walk(entry, route)
            else:
                names = list(entry.pattern.regex.groupindex)
                found.append((entry.name or "", route, names))

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and _route(entry) == "admin/":
            walk(entry, "admin/")
    return found


def _admin_url(name: str, args: list[str], world: World) -> str:
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from guanxi.customers.models import Customer

    if not name:  # the catch-all: any address under admin/
        return "/admin/no/such/page/"
    values = {
        "app_label": "customers",
        "object_id": str(world.foreign_customer.pk),
        "content_type_id": str(ContentType.objects.get_for_model(Customer).pk),
        "id": str(world.foreign_customer.pk),
    }
    return reverse(f"admin:{name}", kwargs={a: values.get(a, "1") for a in args})


@pytest.mark.django_db
def test_the_admin_site_is_closed_to_every_role_but_superusers() -> None:
    """Only staff reach the admin site (the admin role is staff, with no
    model permissions: refused); every other role is sent to its login."""
    world = build_world()
    routes = admin_routes()
    assert len(routes) > 20  # the walk reads the site
    wrong = []
    for name, route, args in routes:
        url = _admin_url(name, args, world)
        for role in ROLES:
            client = make_client()
            user = world.users[role]
            if user is not None:
                client.force_login(user)
            response = client.get(url)
            status = response.status_code
            text = response_bytes(response).decode("utf-8", "replace")
            shown = [v for v in _contact_values(world.foreign_customer) if v in text]
            if role == "admin":
                ok = status in {200, 302, 403, 404, 405} and not shown
                ok = ok and (status != 200 or name in ADMIN_PAGES_WITHOUT_DATA)
            elif name == "login":
                ok = status == 200
            elif name == "logout":  # a POST only; others are sent to the site
                ok = status == 302 and response.get("Location") == "/admin/"
            else:
                location = response.get("Location", "")
                ok = (status == 302 and location.startswith("/admin/login/")) or (
                    status == 404 and not name
                )
            if not ok:
                where = response.get("Location", "")
                wrong.append(f"{role} GET {url} ({route}): {status} {where} {shown}")
    assert not wrong, "\n".join(wrong)


#: What the admin role (staff without model permissions) may open: pages that
#: list what it may change (nothing) or its own password form.
ADMIN_PAGES_WITHOUT_DATA = {
    "index",
    "login",
    "password_change",
    "password_change_done",
    "jsi18n",
}

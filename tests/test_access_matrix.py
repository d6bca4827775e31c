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
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import ROLES, AccessCase, World, build_world, make_client

EXCLUDED_PREFIXES = ("admin/", "static/", "media/", "i18n/", "__debug__/")


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


def _request(case: AccessCase, world: World, role: str) -> int:
    user = world.users[role]
    client = make_client()
    headers = dict(case.headers)
    if user is not None:
        if case.auth == "token":
            from guanxi.access.tests.factories import api_token_for

            token_key = api_token_for(user)
            headers["Authorization"] = f"Token {token_key}"
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
    response = getattr(client, case.method.lower())(url, **kwargs)
    return int(response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access(case: AccessCase) -> None:
    world = build_world()
    if case.setup is not None:
        case.setup(world)
    got: dict[str, int] = {}
    for role in ROLES:
        with transaction.atomic():
            got[role] = _request(case, world, role)
            transaction.set_rollback(True)
    wrong = {
        role: f"expected {case.expect[role]}, got {got[role]}"
        for role in ROLES
        if got[role] != case.expect[role]
    }
    assert not wrong, f"{case.id}: {wrong}"

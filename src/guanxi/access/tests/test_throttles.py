"""API reads per user and role (DRF throttles), and page sizes capped on every
list the API has: the service role read every customer through the API in
about two minutes."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from guanxi.core.api import KeysetPagination

LIST = "/api/v1/customers/"
TOO_MANY = "too many requests in a short time: wait a minute and try again"
TOO_MANY_ZH = "短时间内请求过多：请等一分钟后再试"

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(settings: Any) -> None:
    settings.GUANXI_API_READS_PER_MINUTE = {
        **settings.GUANXI_API_READS_PER_MINUTE,
        "service": 3,
        "analyst": 5,
    }


def test_reads_over_the_role_limit_get_429_with_a_message(
    api: Any, users: Any, small_limits: None
) -> None:
    client = api("service")
    for _ in range(3):
        assert client.get(LIST).status_code == 200
    refused = client.get(LIST)
    assert refused.status_code == 429
    assert refused.json() == {"detail": TOO_MANY}
    assert 1 <= int(refused["Retry-After"]) <= 60
    chinese = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (chinese.status_code, chinese.json()) == (429, {"detail": TOO_MANY_ZH})


def test_the_limit_is_per_user_and_by_role(
    api: Any, users: Any, make_user: Any, small_limits: None
) -> None:
    from guanxi.access.choices import Role
    from guanxi.access.services import api_token_issue

    for _ in range(4):
        api("service").get(LIST)
    assert api("service").get(LIST).status_code == 429
    # Another user of the same role counts from zero.
    colleague = make_user(Role.SERVICE, username="service-2")
    other = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=colleague)}")
    assert other.get(LIST).status_code == 200
    # The analyst's limit is the analyst's (5).
    analyst = api("analyst")
    assert [analyst.get(LIST).status_code for _ in range(6)] == [200] * 5 + [429]


def test_writes_are_not_counted_as_reads(
    api: Any, users: Any, small_limits: None
) -> None:
    client = api("service")
    for n in range(5):
        response = client.post(LIST, {"name": f"顾客{n}"}, format="json")
        assert response.status_code == 201
    assert client.get(LIST).status_code == 200


def test_a_day_limit_holds_too(api: Any, users: Any, settings: Any) -> None:
    settings.GUANXI_API_READS_PER_DAY = {
        **settings.GUANXI_API_READS_PER_DAY,
        "operations": 2,
    }
    client = api("operations")
    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 429]


def _api_views() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "cls", None)
                route = prefix + str(p.pattern)
                if view is not None and "api/" in route:
                    found.append((route, view))

    walk(get_resolver().url_patterns, "")
    return found


#: API views that list without cursor pages, and what bounds them.
UNPAGED = {
    "RunViewSet": "the latest 100 runs",
    "SurveyViewSet": "one survey per kind (four)",
}


def test_every_api_list_has_capped_pages() -> None:
    """No list answers more than 50 rows, and none lets the caller ask for more
    (no page-size parameter)."""
    views = _api_views()
    assert len(views) > 10
    for route, view in views:
        pagination = getattr(view, "pagination_class", None)
        if pagination is None:
            if hasattr(view, "list"):
                assert view.__name__ in UNPAGED, route
            continue
        assert issubclass(pagination, KeysetPagination), route
        assert pagination.page_size <= 50, route
        assert pagination.page_size_query_param is None, route
        assert pagination.max_page_size in (None, 50), route


def test_a_page_size_asked_for_is_ignored(api: Any, make_customer: Any) -> None:
    for n in range(55):
        make_customer(name=f"顾客{n}")
    body = api("admin").get(LIST, {"page_size": 1000, "limit": 1000}).json()
    assert len(body["results"]) == 50
